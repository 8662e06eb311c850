//===- Parser.h - Recursive-descent parser for .rn --------------*- C++ -*-===//
//
// Grammar (docs/dsl.md has the full description):
//
//   file       ::= (block | model)*
//   block      ::= 'block' IDENT '(' [param (',' param)*] ')' '{' block-item*
//   '}' param      ::= IDENT ['=' expr] block-item ::= 'let' IDENT '=' expr |
//   ('main'|'shortcut'|'out') layers model      ::= 'model' IDENT '{'
//   model-item* '}' model-item ::= 'input' SHAPE | 'let' IDENT '=' expr | IDENT
//   expr
//                | 'stem' layers | 'head' layers  (SETTING: classes, conv_bias,
//                  bn_eps, bn_momentum)
//                | 'stages' IDENT ['(' args ')'] '[' stage (',' stage)* ']'
//   stage      ::= '(' expr ',' expr [',' expr] ')'
//   layers     ::= '{' layer-stmt* '}'
//   layer-stmt ::= IDENT ['(' args ')'] [';'] | 'let' IDENT '=' expr
//                | 'if' expr layers ['else' (layers | if-stmt)]
//   args       ::= [arg (',' arg)*] ; arg ::= [IDENT '='] expr
//
// The parser stops at the first error and reports it through the
// DiagnosticEngine.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_PARSER_H
#define RESNETC_FRONTEND_PARSER_H

#include "resnetc/Frontend/AST.h"

#include <optional>

namespace resnetc {

class Parser {
public:
  Parser(const SourceManager &sm, int buffer, DiagnosticEngine &diags);

  /// Parses the whole buffer, appending its blocks and models to `module`.
  /// Returns false (with an error reported) on malformed input.
  bool parseFile(Module &module);

  /// Deepest nesting of `if`s, and of parentheses in expressions, accepted.
  static constexpr int kMaxNesting = 64;
  /// Largest height of an expression tree (a chain `1 + 1 + ... + 1` of N
  /// operators has height N + 1).
  static constexpr unsigned kMaxExprDepth = 256;

private:
  const Token &tok() const { return cur; }
  void consume();
  bool expect(TokenKind kind, const char *what);
  bool isIdent(const char *word) const;
  bool fail(SourceLoc loc, std::string message);

  bool parseBlock(Module &module);
  bool parseModel(Module &module);
  bool parseModelItem(ModelDef &model);
  bool parseLayerList(std::vector<LayerStmt> &out, const char *context);
  bool parseLayerStmt(std::vector<LayerStmt> &out);
  bool parseIf(LayerStmt &stmt);
  bool parseLet(LayerStmt &stmt);
  bool parseArgs(std::vector<Arg> &args);
  bool parseStageSpec(StageSpec &spec);

  std::unique_ptr<Expr> parseExpr();
  std::unique_ptr<Expr> parseOr();
  std::unique_ptr<Expr> parseAnd();
  std::unique_ptr<Expr> parseNot();
  std::unique_ptr<Expr> parseCompare();
  std::unique_ptr<Expr> parseAdditive();
  std::unique_ptr<Expr> parseMultiplicative();
  std::unique_ptr<Expr> parseUnary();
  std::unique_ptr<Expr> parsePostfix();
  std::unique_ptr<Expr> parsePrimary();
  /// Builds a binary node, failing if the tree grows past kMaxExprDepth.
  std::unique_ptr<Expr> makeBinary(TokenKind op, SourceLoc loc,
                                   std::unique_ptr<Expr> lhs,
                                   std::unique_ptr<Expr> rhs);

  Lexer lexer;
  DiagnosticEngine &diags;
  Token cur;
  int nesting = 0;   ///< Parentheses and unary operators.
  int ifNesting = 0; ///< Nested `if`s.
  bool failed = false;
  /// A name already consumed while looking for `name =` in an argument
  /// list; parsePrimary returns it before reading more tokens.
  std::unique_ptr<Expr> pendingPrimary;
};

} // namespace resnetc

#endif // RESNETC_FRONTEND_PARSER_H
