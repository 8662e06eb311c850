//===- AST.h - Abstract syntax tree of the .rn language ---------*- C++ -*-===//
//
// The parser's output. A file holds block definitions (the built-in ones come
// from the prelude) and one model. Nothing here is evaluated: expressions stay
// symbolic until Sema instantiates the model.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_AST_H
#define RESNETC_FRONTEND_AST_H

#include "resnetc/Frontend/Diagnostics.h"
#include "resnetc/Frontend/Lexer.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace resnetc {

/// An expression: literal, name, unary or binary operation, or a call of a
/// built-in function (round, floor, ceil, min, max).
struct Expr {
  enum class Kind { Int, Float, Bool, Name, Unary, Binary, Call, Tuple };
  Kind kind;
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  std::string name;                        ///< Kind::Name / Kind::Call.
  TokenKind op = TokenKind::Eof;           ///< Kind::Unary / Kind::Binary.
  std::unique_ptr<Expr> lhs, rhs;          ///< Unary uses lhs only.
  std::vector<std::unique_ptr<Expr>> args; ///< Kind::Call; Kind::Tuple's
                                           ///< elements.
  /// Height of the tree rooted here (a literal is 1). The parser bounds it,
  /// so recursive walks over expressions cannot exhaust the stack.
  unsigned depth = 1;
};

/// `name = value` or a positional `value` in a layer or block call.
struct Arg {
  std::string name; ///< Empty for positional arguments.
  SourceLoc loc;
  std::unique_ptr<Expr> value;
};

/// The model settings (`classes 10`, `conv_bias true`, ...), which the
/// parser accepts and Sema evaluates.
inline const std::vector<std::string> &getModelSettings() {
  static const std::vector<std::string> settings = {
      "classes", "conv_bias", "bn_eps", "bn_momentum", "zero_init_residual"};
  return settings;
}

/// One statement of a layer list: a layer, a conditional, a `let`, or a
/// `tap NAME` (names the current value) or `from NAME` (continues from the
/// value of that name).
struct LayerStmt {
  enum class Kind { Layer, If, Let, Tap, From };
  Kind kind;
  SourceLoc loc;
  std::string name; ///< Layer kind (Layer), variable (Let) or tap (Tap, From).
  std::vector<Arg> args;           ///< Layer arguments.
  std::unique_ptr<Expr> value;     ///< If condition or Let value.
  std::vector<LayerStmt> thenBody; ///< If.
  std::vector<LayerStmt> elseBody; ///< If.
};

/// A formal parameter of a block, with an optional default value.
struct Param {
  std::string name;
  SourceLoc loc;
  std::unique_ptr<Expr> defaultValue;
};

/// `block NAME(params) { let ...; main {...} shortcut {...} out {...} }`.
/// The block computes out(main(x) + shortcut(x)); an empty shortcut is the
/// identity, an absent `out` section applies nothing after the add.
struct BlockDef {
  std::string name;
  SourceLoc loc;
  std::vector<Param> params;
  std::vector<LayerStmt> lets; ///< Block-level `let`s, in order.
  std::vector<LayerStmt> main, shortcut, out;
  SourceLoc mainLoc, shortcutLoc, outLoc;
  bool hasMain = false, hasShortcut = false, hasOut = false;
};

/// `(blocks, channels[, stride])` in a `stages` list.
struct StageSpec {
  SourceLoc loc;
  std::unique_ptr<Expr> blocks, channels, stride;
};

/// One item of a model body.
struct ModelItem {
  enum class Kind { Input, Setting, Let, Stem, Stages, Head };
  Kind kind;
  SourceLoc loc;
  std::string name;              ///< Setting / Let name; Stages block name.
  std::vector<int64_t> shape;    ///< Input.
  SourceLoc shapeLoc;            ///< Input.
  std::unique_ptr<Expr> value;   ///< Setting / Let.
  std::vector<Arg> args;         ///< Stages: extra block arguments.
  std::vector<StageSpec> stages; ///< Stages.
  std::vector<LayerStmt> layers; ///< Stem / Head.
};

/// `model NAME { ... }`.
struct ModelDef {
  std::string name;
  SourceLoc loc;
  std::vector<ModelItem> items;
};

/// A parsed file (or the prelude).
struct Module {
  std::vector<BlockDef> blocks;
  std::vector<ModelDef> models;
};

/// Prints the AST as an indented tree (`resnetc --emit=ast`).
void dumpAST(const Module &module, const SourceManager &sm, std::ostream &os);

} // namespace resnetc

#endif // RESNETC_FRONTEND_AST_H
