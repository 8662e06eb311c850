//===- SemaAnalyzer.h - The interpreter behind Sema -------------*- C++ -*-===//
//
// Private to the front end: the values, scopes and built-in layer signatures
// of the .rn interpreter, and the Analyzer that walks a model. Its members
// are defined by concern: Sema.cpp (diagnostics, the whole run),
// SemaExpressions.cpp, SemaLayers.cpp (layer lists and block instances),
// SemaPrimitives.cpp (the built-in layers' options and shapes) and
// SemaModel.cpp (the model's sections).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_FRONTEND_SEMAANALYZER_H
#define RESNETC_LIB_FRONTEND_SEMAANALYZER_H

#include "resnetc/Frontend/Sema.h"
#include "resnetc/Support/ShapeRules.h"

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace resnetc::sema {

/// Dims in messages: `64x24x24`, or `512 features` for a flat shape.
inline std::string describeDims(const Dims &dims) {
  if (dims.size() == 1)
    return std::to_string(dims[0]) + " features";
  return formatDims(dims);
}

/// Other spellings of the built-in layers: PyTorch's and the rn dialect's.
inline const std::vector<std::pair<std::string, std::string>> kLayerAliases = {
    {"batch_norm", "bn"},
    {"batchnorm", "bn"},
    {"batchnorm2d", "bn"},
    {"conv2d", "conv"},
    {"max_pool2d", "maxpool"},
    {"maxpool2d", "maxpool"},
    {"avg_pool2d", "avgpool"},
    {"avgpool2d", "avgpool"},
    {"global_avg_pool", "global_avgpool"},
    {"adaptiveavgpool2d", "global_avgpool"},
    {"fc", "linear"},
    {"dense", "linear"}};

/// Other spellings of layer options (PyTorch's argument names).
inline const std::vector<std::pair<std::string, std::string>> kOptionAliases = {
    {"kernel_size", "kernel"},
    {"out_channels", "channels"},
    {"out_features", "features"},
    {"pad", "padding"}};

/// Names that describe the block input inside every block.
inline bool isReservedInBlock(const std::string &name) {
  return name == "in_channels" || name == "in_height" || name == "in_width" ||
         name == "in_features";
}

inline std::string reservedMessage(const std::string &name) {
  return "'" + name + "' is reserved: inside a block it describes the block " +
         "input; choose another name";
}

inline std::string suggest(const std::string &word,
                           const std::vector<std::string> &candidates) {
  return didYouMean(word, candidates);
}

//===----------------------------------------------------------------------===//
// Values and scopes
//===----------------------------------------------------------------------===//

struct Value {
  /// Pair: two integers, (height, width), for the window options of
  /// convolutions and pooling.
  enum class Kind { Int, Bool, Float, Pair } kind = Kind::Int;
  int64_t i = 0;
  bool b = false;
  double f = 0;
  Pair pair = {0, 0};

  static Value ofInt(int64_t v) {
    Value x;
    x.kind = Kind::Int;
    x.i = v;
    return x;
  }
  static Value ofBool(bool v) {
    Value x;
    x.kind = Kind::Bool;
    x.b = v;
    return x;
  }
  static Value ofFloat(double v) {
    Value x;
    x.kind = Kind::Float;
    x.f = v;
    return x;
  }
  static Value ofPair(int64_t h, int64_t w) {
    Value x;
    x.kind = Kind::Pair;
    x.pair = {h, w};
    return x;
  }
  /// The type with its article: "an integer", "a boolean", "a number".
  const char *typeName() const {
    switch (kind) {
    case Kind::Int:
      return "an integer";
    case Kind::Bool:
      return "a boolean";
    case Kind::Float:
      return "a number";
    case Kind::Pair:
      return "a pair";
    }
    return "a value";
  }
  /// What was found, for type errors: the type, and the value of a
  /// non-integer number ("the non-integer number 3.5").
  std::string describe() const {
    if (kind != Kind::Float)
      return typeName();
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", f);
    return std::string("the non-integer number ") + buf;
  }
};

struct Scope {
  std::unordered_map<std::string, Value> vars;
  const Scope *parent = nullptr;

  const Value *lookup(const std::string &name) const {
    for (const Scope *s = this; s; s = s->parent) {
      auto it = s->vars.find(name);
      if (it != s->vars.end())
        return &it->second;
    }
    return nullptr;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Scope *s = this; s; s = s->parent)
      for (const auto &kv : s->vars)
        out.push_back(kv.first);
    return out;
  }
};

/// An evaluated argument.
struct BoundArg {
  std::string name; ///< Empty for positional.
  SourceLoc loc;
  Value value;
};

/// A block being instantiated: where, which, under which path.
struct Frame {
  SourceLoc site;
  std::string block;
  std::string path;
};

/// Layer naming state for one section (stem, a block's main+out, a shortcut).
struct Section {
  std::string prefix;
  std::map<std::string, int> counters;

  std::string nextName(const std::string &base) {
    int n = ++counters[base];
    return (prefix.empty() ? "" : prefix + ".") + base + std::to_string(n);
  }
};

/// The arguments of one built-in layer, by the index of its signature's
/// parameter: the value (absent when not given) and where it was given.
struct PrimArgs {
  std::vector<std::optional<Value>> values;
  std::vector<SourceLoc> locs;

  const std::optional<Value> &operator[](size_t i) const { return values[i]; }
  int64_t intArg(size_t i, int64_t dflt) const {
    return values[i] ? values[i]->i : dflt;
  }
  /// A window option: given as a pair or as one integer for both.
  Pair pairArg(size_t i, Pair dflt) const {
    return values[i] ? values[i]->pair : dflt;
  }
};

/// Signature of a built-in layer. A parameter of type Pair takes a pair
/// `(height, width)` or one integer for both.
struct PrimParam {
  const char *name;
  Value::Kind type;
  bool required;
};
struct PrimSig {
  const char *name;
  LayerKind kind;
  std::vector<PrimParam> params;
  const char *example;
};

inline const std::vector<PrimSig> &primitives() {
  using K = Value::Kind;
  static const std::vector<PrimSig> sigs = {
      {"conv",
       LayerKind::Conv,
       {{"channels", K::Int, true},
        {"kernel", K::Pair, true},
        {"stride", K::Pair, false},
        {"padding", K::Pair, false},
        {"dilation", K::Pair, false},
        {"groups", K::Int, false},
        {"bias", K::Bool, false}},
       "conv(64, kernel=3, stride=1, padding=1)"},
      {"bn",
       LayerKind::BatchNorm,
       {{"eps", K::Float, false}, {"momentum", K::Float, false}},
       "bn"},
      {"relu", LayerKind::ReLU, {}, "relu"},
      {"dropout", LayerKind::Dropout, {{"p", K::Float, true}}, "dropout(0.3)"},
      {"maxpool",
       LayerKind::MaxPool,
       {{"kernel", K::Pair, true},
        {"stride", K::Pair, false},
        {"padding", K::Pair, false},
        {"ceil_mode", K::Bool, false}},
       "maxpool(3, stride=2, padding=1)"},
      {"avgpool",
       LayerKind::AvgPool,
       {{"kernel", K::Pair, true},
        {"stride", K::Pair, false},
        {"padding", K::Pair, false},
        {"ceil_mode", K::Bool, false},
        {"count_include_pad", K::Bool, false}},
       "avgpool(2, stride=2)"},
      {"global_avgpool", LayerKind::GlobalAvgPool, {}, "global_avgpool"},
      {"flatten", LayerKind::Flatten, {}, "flatten"},
      {"linear",
       LayerKind::Linear,
       {{"features", K::Int, true}, {"bias", K::Bool, false}},
       "linear(classes)"},
  };
  return sigs;
}

inline const PrimSig *findPrimitive(const std::string &name) {
  for (const PrimSig &s : primitives())
    if (name == s.name)
      return &s;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// The analyzer
//===----------------------------------------------------------------------===//

class Analyzer {
public:
  Analyzer(const Module &prelude, const Module &user, const SourceManager &sm,
           DiagnosticEngine &diags, const SemaLimits &limits)
      : prelude(prelude), user(user), sm(sm), diags(diags), limits(limits) {}

  std::optional<Network> run();

private:
  // Diagnostics.
  bool isPrelude(SourceLoc loc) const {
    return loc.isValid() && sm.getName(loc.buffer) == "<prelude>";
  }
  void error(SourceLoc loc, const std::string &message);
  void note(SourceLoc loc, const std::string &message) {
    diags.note(loc, message);
  }

  // Expressions.
  std::optional<Value> eval(const Expr &e, const Scope &scope);
  /// The value of a name in `scope`.
  std::optional<Value> evalName(const Expr &e, const Scope &scope);
  /// A tuple: a pair of integers (height, width).
  std::optional<Value> evalTuple(const Expr &e, const Scope &scope);
  /// `not x` or `-x`.
  std::optional<Value> evalUnary(const Expr &e, const Scope &scope);
  /// A binary operator: logic, comparisons and arithmetic.
  std::optional<Value> evalBinary(const Expr &e, const Scope &scope);
  /// `and` or `or` of booleans, short-circuit: `l` is the left operand.
  std::optional<Value> evalLogical(const Expr &e, const Value &l,
                                   const Scope &scope);
  /// `a op b` of numbers, one of them not an integer.
  std::optional<Value> evalFloatArithmetic(const Expr &e, double a, double b);
  /// `a op b` of integers, checked for overflow; division and remainder
  /// round toward negative infinity, as in Python.
  std::optional<Value> evalIntArithmetic(const Expr &e, int64_t a, int64_t b);
  std::optional<Value> evalCall(const Expr &e, const Scope &scope);
  std::optional<int64_t> evalInt(const Expr &e, const Scope &scope,
                                 const char *what);
  bool define(Scope &scope, const std::string &name, Value v, SourceLoc loc);

  // Layers.
  bool evalLayers(const std::vector<LayerStmt> &stmts, int &cur,
                  Section &section, Scope &scope);
  bool evalPrimitive(const PrimSig &sig, const LayerStmt &stmt, int &cur,
                     Section &section, Scope &scope);

  // Built-in layers: arguments, then each kind's shape and parameters.
  bool bindPrimitiveArgs(const PrimSig &sig, const LayerStmt &stmt,
                         Scope &scope, PrimArgs &bound);
  bool requireSpatialInput(const PrimSig &sig, const LayerStmt &stmt,
                           const Layer &in);
  bool shapeConv(const PrimArgs &bound, const LayerStmt &stmt, const Layer &in,
                 Layer &proto, Dims &out);
  bool shapeBatchNorm(const PrimArgs &bound, Layer &proto, const Layer &in,
                      Dims &out);
  bool shapePool(const PrimSig &sig, const PrimArgs &bound,
                 const LayerStmt &stmt, const Layer &in, Layer &proto,
                 Dims &out);
  bool shapeLinear(const PrimArgs &bound, const LayerStmt &stmt,
                   const Layer &in, Layer &proto, Dims &out);
  bool instantiate(const BlockDef &block, std::vector<BoundArg> args,
                   SourceLoc site, const std::string &path, int &cur);
  bool evalArgs(const std::vector<Arg> &args, const Scope &scope,
                std::vector<BoundArg> &out);
  int addLayer(LayerKind kind, std::string path, SourceLoc loc,
               std::vector<int> operands, Dims shape);
  bool checkDim(int64_t v, SourceLoc loc, const std::string &what,
                bool allowZero = false);
  bool checkPair(const Pair &v, SourceLoc loc, const std::string &what,
                 bool allowZero = false);
  bool checkActivation(const Dims &d, SourceLoc loc);
  const BlockDef *findBlock(const std::string &name) const;

  // Model.
  bool evalModel(const ModelDef &model);
  /// Checks the model's `input` and adds its input layer.
  bool evalModelInput(const ModelItem &it, bool &haveInput);
  /// Evaluates a model setting (`classes 10`, `conv_bias true`, ...), given
  /// once each.
  bool evalModelSetting(const ModelItem &it, Scope &scope,
                        std::map<std::string, SourceLoc> &settingsSeen,
                        bool &haveClasses);
  /// Checks and applies `bn_eps` or `bn_momentum`, the batch norms'
  /// defaults.
  bool setBatchNormDefault(const ModelItem &it, const Value &v);
  /// Evaluates a `stages` section: each stage's blocks, instantiated.
  bool evalStages(const ModelItem &it, const Scope &scope, int &stageIndex,
                  int &cur);
  /// The block of a `stages` section; it takes `channels` and `stride`.
  /// Null after reporting an error.
  const BlockDef *findStageBlock(const ModelItem &it);
  /// Evaluates the arguments a `stages` section passes to every block: named,
  /// and neither `channels` nor `stride`.
  bool evalStageArgs(const ModelItem &it, const Scope &scope,
                     std::vector<BoundArg> &extra);
  /// Instantiates the blocks of one stage, `(blocks, channels[, stride])`.
  bool evalStage(const StageSpec &spec, const BlockDef &block,
                 const std::vector<BoundArg> &extra, const Scope &scope,
                 int stageIndex, int &cur);
  /// Checks that the model has an input, classes and layers, and ends with
  /// the class logits.
  bool checkModelComplete(const ModelDef &model, bool haveInput,
                          bool haveClasses, int cur, SourceLoc lastLayerLoc);

  const Module &prelude, &user;
  const SourceManager &sm;
  DiagnosticEngine &diags;
  SemaLimits limits;
  Network net;
  std::vector<Frame> frames;
  /// The values named by `tap`, by name, of each block instance being
  /// evaluated (innermost last) and of the model.
  std::vector<std::map<std::string, int>> taps = {{}};
  bool convBias = false;
  /// zero_init_residual: the batch norm that ends a block's main path
  /// starts with zero weights.
  bool zeroInitResidual = false;
  double bnEps = 1e-5, bnMomentum = 0.1;
  /// The model's names, to explain that blocks do not see them.
  const Scope *modelScope = nullptr;
  /// Running totals, checked for overflow as layers are added.
  int64_t totalParams = 0, totalMACs = 0;
};

} // namespace resnetc::sema

#endif // RESNETC_LIB_FRONTEND_SEMAANALYZER_H
