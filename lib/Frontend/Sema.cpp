//===- Sema.cpp - Semantic analysis and model instantiation ---------------===//
//
// Evaluates a .rn model into a Network. The analysis is a direct interpreter
// over the AST: layer lists are walked in order with a "current value" (the
// index of the layer producing it), blocks are instantiated with their
// arguments bound in a fresh scope, and every layer's output shape is
// computed with the shared rules of ShapeRules.h.
//
// Errors inside a built-in (prelude) block are reported at the user's
// instantiation site, with a note pointing into the prelude.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Sema.h"
#include "resnetc/Support/ShapeRules.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

using namespace resnetc;

//===----------------------------------------------------------------------===//
// Network helpers
//===----------------------------------------------------------------------===//

const char *resnetc::getLayerOpName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Input:
    return "input";
  case LayerKind::Conv:
    return "conv2d";
  case LayerKind::BatchNorm:
    return "batch_norm";
  case LayerKind::ReLU:
    return "relu";
  case LayerKind::MaxPool:
    return "max_pool2d";
  case LayerKind::AvgPool:
    return "avg_pool2d";
  case LayerKind::GlobalAvgPool:
    return "global_avg_pool";
  case LayerKind::Flatten:
    return "flatten";
  case LayerKind::Linear:
    return "linear";
  case LayerKind::Add:
    return "add";
  }
  return "?";
}

std::string resnetc::formatDims(const Dims &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

int64_t Network::totalParams() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.numParams;
  return n;
}

int64_t Network::totalMACs() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.macs;
  return n;
}

/// Dims in messages: `64x24x24`, or `512 features` for a flat shape.
static std::string describeDims(const Dims &dims) {
  if (dims.size() == 1)
    return std::to_string(dims[0]) + " features";
  return formatDims(dims);
}

/// Other spellings of the built-in layers: PyTorch's and the rn dialect's.
static const std::vector<std::pair<std::string, std::string>> kLayerAliases = {
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
static const std::vector<std::pair<std::string, std::string>> kOptionAliases = {
    {"kernel_size", "kernel"},
    {"out_channels", "channels"},
    {"out_features", "features"},
    {"pad", "padding"}};

/// Names that describe the block input inside every block.
static bool isReservedInBlock(const std::string &name) {
  return name == "in_channels" || name == "in_height" || name == "in_width" ||
         name == "in_features";
}

static std::string reservedMessage(const std::string &name) {
  return "'" + name + "' is reserved: inside a block it describes the block " +
         "input; choose another name";
}

static std::string suggest(const std::string &word,
                           const std::vector<std::string> &candidates) {
  return didYouMean(word, candidates);
}

namespace {

//===----------------------------------------------------------------------===//
// Values and scopes
//===----------------------------------------------------------------------===//

struct Value {
  enum class Kind { Int, Bool, Float } kind = Kind::Int;
  int64_t i = 0;
  bool b = false;
  double f = 0;

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
  /// The type with its article: "an integer", "a boolean", "a number".
  const char *typeName() const {
    switch (kind) {
    case Kind::Int:
      return "an integer";
    case Kind::Bool:
      return "a boolean";
    case Kind::Float:
      return "a number";
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

/// Signature of a built-in layer.
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

const std::vector<PrimSig> &primitives() {
  using K = Value::Kind;
  static const std::vector<PrimSig> sigs = {
      {"conv",
       LayerKind::Conv,
       {{"channels", K::Int, true},
        {"kernel", K::Int, true},
        {"stride", K::Int, false},
        {"padding", K::Int, false},
        {"dilation", K::Int, false},
        {"groups", K::Int, false},
        {"bias", K::Bool, false}},
       "conv(64, kernel=3, stride=1, padding=1)"},
      {"bn",
       LayerKind::BatchNorm,
       {{"eps", K::Float, false}, {"momentum", K::Float, false}},
       "bn"},
      {"relu", LayerKind::ReLU, {}, "relu"},
      {"maxpool",
       LayerKind::MaxPool,
       {{"kernel", K::Int, true},
        {"stride", K::Int, false},
        {"padding", K::Int, false}},
       "maxpool(3, stride=2, padding=1)"},
      {"avgpool",
       LayerKind::AvgPool,
       {{"kernel", K::Int, true},
        {"stride", K::Int, false},
        {"padding", K::Int, false}},
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

const PrimSig *findPrimitive(const std::string &name) {
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
  std::optional<Value> evalCall(const Expr &e, const Scope &scope);
  std::optional<int64_t> evalInt(const Expr &e, const Scope &scope,
                                 const char *what);
  bool define(Scope &scope, const std::string &name, Value v, SourceLoc loc);

  // Layers.
  bool evalLayers(const std::vector<LayerStmt> &stmts, int &cur,
                  Section &section, Scope &scope);
  bool evalPrimitive(const PrimSig &sig, const LayerStmt &stmt, int &cur,
                     Section &section, Scope &scope);
  bool instantiate(const BlockDef &block, std::vector<BoundArg> args,
                   SourceLoc site, const std::string &path, int &cur);
  bool evalArgs(const std::vector<Arg> &args, const Scope &scope,
                std::vector<BoundArg> &out);
  int addLayer(LayerKind kind, std::string path, SourceLoc loc,
               std::vector<int> operands, Dims shape);
  bool checkDim(int64_t v, SourceLoc loc, const std::string &what,
                bool allowZero = false);
  bool checkActivation(const Dims &d, SourceLoc loc);
  const BlockDef *findBlock(const std::string &name) const;

  // Model.
  bool evalModel(const ModelDef &model);

  const Module &prelude, &user;
  const SourceManager &sm;
  DiagnosticEngine &diags;
  SemaLimits limits;
  Network net;
  std::vector<Frame> frames;
  bool convBias = false;
  double bnEps = 1e-5, bnMomentum = 0.1;
  /// The model's names, to explain that blocks do not see them.
  const Scope *modelScope = nullptr;
  /// Running totals, checked for overflow as layers are added.
  int64_t totalParams = 0, totalMACs = 0;
};

void Analyzer::error(SourceLoc loc, const std::string &message) {
  SourceLoc primary = loc;
  if (!loc.isValid() || isPrelude(loc)) {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
      if (it->site.isValid() && !isPrelude(it->site)) {
        primary = it->site;
        break;
      }
  }
  diags.error(primary, message);
  if (isPrelude(loc) && primary.buffer != loc.buffer && !frames.empty())
    note(loc, "inside built-in block '" + frames.back().block +
                  "' (defined in the prelude)");
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if (it->site.buffer == primary.buffer && it->site.line == primary.line &&
        it->site.col == primary.col)
      continue;
    if (isPrelude(it->site))
      continue;
    note(it->site,
         "in " + it->path + " (block '" + it->block + "') instantiated here");
  }
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

std::optional<Value> Analyzer::eval(const Expr &e, const Scope &scope) {
  switch (e.kind) {
  case Expr::Kind::Int:
    return Value::ofInt(e.intValue);
  case Expr::Kind::Float:
    if (!std::isfinite(e.floatValue)) {
      error(e.loc, "number is out of range");
      return std::nullopt;
    }
    return Value::ofFloat(e.floatValue);
  case Expr::Kind::Bool:
    return Value::ofBool(e.boolValue);
  case Expr::Kind::Name: {
    if (const Value *v = scope.lookup(e.name))
      return *v;
    if (!frames.empty() && modelScope && modelScope->lookup(e.name)) {
      error(e.loc, "unknown name '" + e.name +
                       "' (a block sees only its parameters, its 'let's and "
                       "in_channels, in_height, in_width; pass '" +
                       e.name + "' to the block as a parameter)");
      return std::nullopt;
    }
    error(e.loc,
          "unknown name '" + e.name + "'" + suggest(e.name, scope.names()));
    return std::nullopt;
  }
  case Expr::Kind::Call:
    return evalCall(e, scope);
  case Expr::Kind::Unary: {
    auto v = eval(*e.lhs, scope);
    if (!v)
      return std::nullopt;
    if (e.op == TokenKind::KwNot) {
      if (v->kind != Value::Kind::Bool) {
        error(e.loc,
              std::string("'not' needs a boolean, found ") + v->typeName());
        return std::nullopt;
      }
      return Value::ofBool(!v->b);
    }
    if (v->kind == Value::Kind::Int)
      return Value::ofInt(-v->i);
    if (v->kind == Value::Kind::Float)
      return Value::ofFloat(-v->f);
    error(e.loc, "'-' needs a number, found a boolean");
    return std::nullopt;
  }
  case Expr::Kind::Binary:
    break;
  }

  auto l = eval(*e.lhs, scope);
  if (!l)
    return std::nullopt;
  // Short-circuit logic.
  if (e.op == TokenKind::KwAnd || e.op == TokenKind::KwOr) {
    if (l->kind != Value::Kind::Bool) {
      error(e.lhs->loc, std::string("'") +
                            (e.op == TokenKind::KwAnd ? "and" : "or") +
                            "' needs booleans, found " + l->typeName());
      return std::nullopt;
    }
    if ((e.op == TokenKind::KwAnd && !l->b) ||
        (e.op == TokenKind::KwOr && l->b))
      return l;
    auto r = eval(*e.rhs, scope);
    if (!r)
      return std::nullopt;
    if (r->kind != Value::Kind::Bool) {
      error(e.rhs->loc, std::string("'") +
                            (e.op == TokenKind::KwAnd ? "and" : "or") +
                            "' needs booleans, found " + r->typeName());
      return std::nullopt;
    }
    return r;
  }
  auto r = eval(*e.rhs, scope);
  if (!r)
    return std::nullopt;

  bool isCompare = e.op == TokenKind::EqEq || e.op == TokenKind::NotEq ||
                   e.op == TokenKind::Less || e.op == TokenKind::LessEq ||
                   e.op == TokenKind::Greater || e.op == TokenKind::GreaterEq;
  if (l->kind == Value::Kind::Bool || r->kind == Value::Kind::Bool) {
    if ((e.op == TokenKind::EqEq || e.op == TokenKind::NotEq) &&
        l->kind == r->kind) {
      bool eq = l->b == r->b;
      return Value::ofBool(e.op == TokenKind::EqEq ? eq : !eq);
    }
    error(e.loc, std::string("operator ") + getTokenKindName(e.op) +
                     " cannot combine " + l->typeName() + " and " +
                     r->typeName());
    return std::nullopt;
  }
  if (l->kind == Value::Kind::Float || r->kind == Value::Kind::Float) {
    double a = l->kind == Value::Kind::Float ? l->f : double(l->i);
    double b = r->kind == Value::Kind::Float ? r->f : double(r->i);
    double res = 0;
    switch (e.op) {
    case TokenKind::Plus:
      res = a + b;
      break;
    case TokenKind::Minus:
      res = a - b;
      break;
    case TokenKind::Star:
      res = a * b;
      break;
    case TokenKind::Slash:
      if (b == 0) {
        error(e.loc, "division by zero");
        return std::nullopt;
      }
      res = a / b;
      break;
    case TokenKind::EqEq:
      return Value::ofBool(a == b);
    case TokenKind::NotEq:
      return Value::ofBool(a != b);
    case TokenKind::Less:
      return Value::ofBool(a < b);
    case TokenKind::LessEq:
      return Value::ofBool(a <= b);
    case TokenKind::Greater:
      return Value::ofBool(a > b);
    case TokenKind::GreaterEq:
      return Value::ofBool(a >= b);
    default:
      error(e.loc, std::string("operator ") + getTokenKindName(e.op) +
                       " needs integers");
      return std::nullopt;
    }
    if (!std::isfinite(res)) {
      error(e.loc, "number is out of range");
      return std::nullopt;
    }
    return Value::ofFloat(res);
  }
  int64_t a = l->i, b = r->i, res = 0;
  bool overflow = false;
  switch (e.op) {
  case TokenKind::Plus:
    overflow = __builtin_add_overflow(a, b, &res);
    break;
  case TokenKind::Minus:
    overflow = __builtin_sub_overflow(a, b, &res);
    break;
  case TokenKind::Star:
    overflow = __builtin_mul_overflow(a, b, &res);
    break;
  case TokenKind::Slash:
  case TokenKind::Percent:
    if (b == 0) {
      error(e.loc, e.op == TokenKind::Slash ? "division by zero"
                                            : "remainder by zero");
      return std::nullopt;
    }
    if (a == INT64_MIN && b == -1) {
      overflow = true;
      break;
    }
    // Floor division, as in Python.
    res = e.op == TokenKind::Slash ? a / b : a % b;
    if (e.op == TokenKind::Slash && (a % b != 0) && ((a < 0) != (b < 0)))
      --res;
    if (e.op == TokenKind::Percent && res != 0 && ((res < 0) != (b < 0)))
      res += b;
    break;
  default:
    if (isCompare) {
      switch (e.op) {
      case TokenKind::EqEq:
        return Value::ofBool(a == b);
      case TokenKind::NotEq:
        return Value::ofBool(a != b);
      case TokenKind::Less:
        return Value::ofBool(a < b);
      case TokenKind::LessEq:
        return Value::ofBool(a <= b);
      case TokenKind::Greater:
        return Value::ofBool(a > b);
      default:
        return Value::ofBool(a >= b);
      }
    }
    break;
  }
  if (overflow) {
    error(e.loc, "integer overflow in expression");
    return std::nullopt;
  }
  return Value::ofInt(res);
}

std::optional<Value> Analyzer::evalCall(const Expr &e, const Scope &scope) {
  static const std::vector<std::string> functions = {"round", "floor", "ceil",
                                                     "min", "max"};
  bool unary = e.name == "round" || e.name == "floor" || e.name == "ceil";
  bool variadic = e.name == "min" || e.name == "max";
  if (!unary && !variadic) {
    error(e.loc, "unknown function '" + e.name + "'" +
                     suggest(e.name, functions) +
                     " (functions: round, floor, ceil, min, max)");
    return std::nullopt;
  }
  if ((unary && e.args.size() != 1) || (variadic && e.args.size() < 2)) {
    error(e.loc, "'" + e.name + "' takes " +
                     (unary ? "one argument" : "two or more arguments"));
    return std::nullopt;
  }
  std::vector<Value> args;
  for (const auto &a : e.args) {
    auto v = eval(*a, scope);
    if (!v)
      return std::nullopt;
    if (v->kind == Value::Kind::Bool) {
      error(a->loc, "'" + e.name + "' needs numbers, found a boolean");
      return std::nullopt;
    }
    args.push_back(*v);
  }
  auto asDouble = [](const Value &v) {
    return v.kind == Value::Kind::Float ? v.f : double(v.i);
  };
  if (unary) {
    if (args[0].kind == Value::Kind::Int)
      return args[0];
    double x = args[0].f;
    // round() rounds halves to even, as Python's round() does.
    double r = e.name == "round"   ? std::nearbyint(x)
               : e.name == "floor" ? std::floor(x)
                                   : std::ceil(x);
    if (!(std::fabs(r) < 9.0e15)) {
      error(e.loc, "'" + e.name + "' of a number out of range");
      return std::nullopt;
    }
    return Value::ofInt(static_cast<int64_t>(r));
  }
  bool allInt = std::all_of(args.begin(), args.end(), [](const Value &v) {
    return v.kind == Value::Kind::Int;
  });
  Value best = args[0];
  for (const Value &v : args) {
    bool better = e.name == "min" ? asDouble(v) < asDouble(best)
                                  : asDouble(v) > asDouble(best);
    if (better)
      best = v;
  }
  return allInt ? best : Value::ofFloat(asDouble(best));
}

std::optional<int64_t> Analyzer::evalInt(const Expr &e, const Scope &scope,
                                         const char *what) {
  auto v = eval(e, scope);
  if (!v)
    return std::nullopt;
  if (v->kind != Value::Kind::Int) {
    error(e.loc,
          std::string(what) + " must be an integer, found " + v->describe());
    return std::nullopt;
  }
  return v->i;
}

bool Analyzer::define(Scope &scope, const std::string &name, Value v,
                      SourceLoc loc) {
  if (!frames.empty() && isReservedInBlock(name)) {
    error(loc, reservedMessage(name));
    return false;
  }
  if (scope.vars.count(name)) {
    error(loc, "'" + name + "' is already defined in this scope");
    return false;
  }
  scope.vars[name] = v;
  return true;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

int Analyzer::addLayer(LayerKind kind, std::string path, SourceLoc loc,
                       std::vector<int> operands, Dims shape) {
  Layer l;
  l.kind = kind;
  l.path = std::move(path);
  l.loc = loc;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it)
    l.sites.push_back(it->site);
  l.operands = std::move(operands);
  l.shape = std::move(shape);
  net.layers.push_back(std::move(l));
  return static_cast<int>(net.layers.size()) - 1;
}

bool Analyzer::checkDim(int64_t v, SourceLoc loc, const std::string &what,
                        bool allowZero) {
  if (v < 0 || (!allowZero && v == 0)) {
    error(loc, what + " must be " + (allowZero ? "non-negative" : "positive") +
                   ", got " + std::to_string(v));
    return false;
  }
  if (v > kMaxDimension) {
    error(loc, what + " " + std::to_string(v) + " is too large (at most " +
                   std::to_string(kMaxDimension) + ")");
    return false;
  }
  return true;
}

bool Analyzer::checkActivation(const Dims &d, SourceLoc loc) {
  int64_t n = 1;
  for (int64_t x : d)
    if (__builtin_mul_overflow(n, x, &n) || n > limits.maxActivationElements) {
      error(loc, "activation " + formatDims(d) +
                     " is too large for one image (at most 2^34 elements)");
      return false;
    }
  return true;
}

const BlockDef *Analyzer::findBlock(const std::string &name) const {
  for (const BlockDef &b : user.blocks)
    if (b.name == name)
      return &b;
  for (const BlockDef &b : prelude.blocks)
    if (b.name == name)
      return &b;
  return nullptr;
}

bool Analyzer::evalArgs(const std::vector<Arg> &args, const Scope &scope,
                        std::vector<BoundArg> &out) {
  for (const Arg &a : args) {
    auto v = eval(*a.value, scope);
    if (!v)
      return false;
    out.push_back({a.name, a.loc, *v});
  }
  return true;
}

bool Analyzer::evalLayers(const std::vector<LayerStmt> &stmts, int &cur,
                          Section &section, Scope &scope) {
  for (const LayerStmt &stmt : stmts) {
    switch (stmt.kind) {
    case LayerStmt::Kind::Let: {
      auto v = eval(*stmt.value, scope);
      if (!v || !define(scope, stmt.name, *v, stmt.loc))
        return false;
      break;
    }
    case LayerStmt::Kind::If: {
      auto c = eval(*stmt.value, scope);
      if (!c)
        return false;
      if (c->kind != Value::Kind::Bool) {
        error(stmt.value->loc, std::string("'if' condition must be a "
                                           "boolean, found ") +
                                   c->typeName());
        return false;
      }
      if (!evalLayers(c->b ? stmt.thenBody : stmt.elseBody, cur, section,
                      scope))
        return false;
      break;
    }
    case LayerStmt::Kind::Layer: {
      if (static_cast<int64_t>(net.layers.size()) >= limits.maxLayers) {
        error(stmt.loc, "model has more than " +
                            std::to_string(limits.maxLayers) + " layers");
        return false;
      }
      if (const PrimSig *sig = findPrimitive(stmt.name)) {
        if (!evalPrimitive(*sig, stmt, cur, section, scope))
          return false;
        break;
      }
      if (const BlockDef *block = findBlock(stmt.name)) {
        std::vector<BoundArg> args;
        if (!evalArgs(stmt.args, scope, args))
          return false;
        std::string path = section.nextName(stmt.name);
        if (!instantiate(*block, std::move(args), stmt.loc, path, cur))
          return false;
        break;
      }
      if (stmt.name == "add") {
        error(stmt.loc, "'add' is not a layer: a block adds its 'main' and "
                        "'shortcut' paths itself");
        return false;
      }
      std::vector<std::string> known;
      for (const PrimSig &s : primitives())
        known.push_back(s.name);
      for (const BlockDef &b : prelude.blocks)
        known.push_back(b.name);
      for (const BlockDef &b : user.blocks)
        known.push_back(b.name);
      error(stmt.loc, "unknown layer or block '" + stmt.name + "'" +
                          didYouMean(stmt.name, known, kLayerAliases));
      return false;
    }
    }
  }
  return true;
}

bool Analyzer::evalPrimitive(const PrimSig &sig, const LayerStmt &stmt,
                             int &cur, Section &section, Scope &scope) {
  // Bind arguments to the signature.
  std::vector<BoundArg> args;
  if (!evalArgs(stmt.args, scope, args))
    return false;
  std::vector<std::optional<Value>> bound(sig.params.size());
  std::vector<SourceLoc> boundLoc(sig.params.size(), stmt.loc);
  size_t positional = 0;
  bool seenKeyword = false;
  for (const BoundArg &a : args) {
    size_t idx;
    if (a.name.empty()) {
      if (seenKeyword) {
        error(a.loc, "positional argument after a keyword argument");
        return false;
      }
      idx = positional++;
      if (idx >= sig.params.size()) {
        error(a.loc, std::string("too many arguments for '") + sig.name +
                         "' (it takes " + std::to_string(sig.params.size()) +
                         "; e.g. " + sig.example + ")");
        return false;
      }
    } else {
      seenKeyword = true;
      idx = sig.params.size();
      std::vector<std::string> names;
      for (size_t i = 0; i < sig.params.size(); ++i) {
        names.push_back(sig.params[i].name);
        if (a.name == sig.params[i].name)
          idx = i;
      }
      if (idx == sig.params.size()) {
        std::string valid;
        for (const std::string &n : names)
          valid += (valid.empty() ? "" : ", ") + n;
        error(a.loc, std::string("'") + sig.name + "' has no option '" +
                         a.name + "'" +
                         didYouMean(a.name, names, kOptionAliases) +
                         (valid.empty() ? " (it takes no options)"
                                        : " (options: " + valid + ")"));
        return false;
      }
    }
    if (bound[idx]) {
      error(a.loc, std::string("option '") + sig.params[idx].name + "' of '" +
                       sig.name + "' is given twice");
      return false;
    }
    Value v = a.value;
    Value::Kind want = sig.params[idx].type;
    if (want == Value::Kind::Float && v.kind == Value::Kind::Int)
      v = Value::ofFloat(double(v.i));
    if (v.kind != want) {
      error(a.loc, std::string("option '") + sig.params[idx].name + "' of '" +
                       sig.name + "' must be " +
                       (want == Value::Kind::Int    ? "an integer"
                        : want == Value::Kind::Bool ? "a boolean"
                                                    : "a number") +
                       ", found " + v.describe());
      return false;
    }
    bound[idx] = v;
    boundLoc[idx] = a.loc;
  }
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (sig.params[i].required && !bound[i]) {
      error(stmt.loc, std::string("'") + sig.name + "' needs '" +
                          sig.params[i].name + "' (e.g. " + sig.example + ")");
      return false;
    }
  auto intArg = [&](size_t i, int64_t dflt) {
    return bound[i] ? bound[i]->i : dflt;
  };

  const Layer &in = net.layers[cur];
  const Dims inShape = in.shape;
  bool spatial = inShape.size() == 3;
  std::string base = sig.name;
  auto needSpatial = [&]() {
    if (spatial)
      return true;
    error(stmt.loc, std::string("'") + sig.name +
                        "' needs a CxHxW input, but its input is flat (" +
                        formatDims(inShape) + " features)");
    note(in.loc.isValid() ? in.loc : stmt.loc,
         "the input comes from " + in.path + " here");
    return false;
  };

  Layer proto;
  Dims out;
  switch (sig.kind) {
  case LayerKind::Conv: {
    if (!needSpatial())
      return false;
    int64_t channels = intArg(0, 0), kernel = intArg(1, 0),
            stride = intArg(2, 1), padding = intArg(3, 0),
            dilation = intArg(4, 1), groups = intArg(5, 1);
    bool bias = bound[6] ? bound[6]->b : convBias;
    if (!checkDim(channels, boundLoc[0], "conv channels") ||
        !checkDim(kernel, boundLoc[1], "conv kernel") ||
        !checkDim(stride, boundLoc[2], "conv stride") ||
        !checkDim(padding, boundLoc[3], "conv padding", true) ||
        !checkDim(dilation, boundLoc[4], "conv dilation") ||
        !checkDim(groups, boundLoc[5], "conv groups"))
      return false;
    int64_t inC = inShape[0];
    if (inC % groups != 0) {
      error(boundLoc[5], "input channels (" + std::to_string(inC) +
                             ") do not divide into " + std::to_string(groups) +
                             " groups");
      note(in.loc.isValid() ? in.loc : stmt.loc,
           "the input (" + formatDims(inShape) + ") comes from " + in.path);
      return false;
    }
    if (channels % groups != 0) {
      error(boundLoc[0], "output channels (" + std::to_string(channels) +
                             ") do not divide into " + std::to_string(groups) +
                             " groups");
      return false;
    }
    int64_t oh =
        windowOutputSize(inShape[1], kernel, stride, padding, dilation);
    int64_t ow =
        windowOutputSize(inShape[2], kernel, stride, padding, dilation);
    if (oh <= 0 || ow <= 0) {
      error(stmt.loc,
            "conv kernel " + std::to_string(kernel) +
                (dilation > 1 ? " (dilation " + std::to_string(dilation) + ")"
                              : "") +
                " does not fit in its input " + formatDims(inShape) +
                " with padding " + std::to_string(padding));
      return false;
    }
    out = {channels, oh, ow};
    proto.features = channels;
    proto.kernel = kernel;
    proto.stride = stride;
    proto.padding = padding;
    proto.dilation = dilation;
    proto.groups = groups;
    proto.bias = bias;
    int64_t wElems = 0, macs = 0;
    if (__builtin_mul_overflow(channels, inC / groups, &wElems) ||
        __builtin_mul_overflow(wElems, kernel * kernel, &wElems) ||
        wElems > (int64_t(1) << 40)) {
      error(stmt.loc, "conv has too many weights (more than 2^40)");
      return false;
    }
    if (__builtin_mul_overflow(wElems, oh * ow, &macs)) {
      error(stmt.loc, "conv needs more than 2^63 multiply-accumulates per "
                      "image");
      return false;
    }
    proto.numParams = wElems + (bias ? channels : 0);
    proto.macs = macs;
    proto.params.push_back(
        {"weight", {channels, inC / groups, kernel, kernel}, true});
    if (bias)
      proto.params.push_back({"bias", {channels}, true});
    break;
  }
  case LayerKind::BatchNorm: {
    if (!needSpatial())
      return false;
    double eps = bound[0] ? bound[0]->f : bnEps;
    double momentum = bound[1] ? bound[1]->f : bnMomentum;
    if (!(eps > 0) || eps > 1) {
      error(boundLoc[0], "bn eps must be in (0, 1]");
      return false;
    }
    if (!(momentum >= 0) || momentum > 1) {
      error(boundLoc[1], "bn momentum must be in [0, 1]");
      return false;
    }
    out = inShape;
    proto.eps = eps;
    proto.momentum = momentum;
    int64_t c = inShape[0];
    proto.numParams = 2 * c;
    proto.params = {{"weight", {c}, true},
                    {"bias", {c}, true},
                    {"running_mean", {c}, false},
                    {"running_var", {c}, false}};
    break;
  }
  case LayerKind::ReLU:
    out = inShape;
    break;
  case LayerKind::MaxPool:
  case LayerKind::AvgPool: {
    if (!needSpatial())
      return false;
    int64_t kernel = intArg(0, 0);
    int64_t stride = bound[1] ? bound[1]->i : kernel;
    int64_t padding = intArg(2, 0);
    if (!checkDim(kernel, boundLoc[0], base + " kernel") ||
        !checkDim(stride, boundLoc[1], base + " stride") ||
        !checkDim(padding, boundLoc[2], base + " padding", true))
      return false;
    if (padding > kernel / 2) {
      error(boundLoc[2], base + " padding " + std::to_string(padding) +
                             " is more than half the kernel " +
                             std::to_string(kernel) +
                             " (PyTorch rejects this too)");
      return false;
    }
    int64_t oh = windowOutputSize(inShape[1], kernel, stride, padding);
    int64_t ow = windowOutputSize(inShape[2], kernel, stride, padding);
    if (oh <= 0 || ow <= 0) {
      error(stmt.loc, base + " kernel " + std::to_string(kernel) +
                          " does not fit in its input " + formatDims(inShape) +
                          " with padding " + std::to_string(padding));
      return false;
    }
    out = {inShape[0], oh, ow};
    proto.kernel = kernel;
    proto.stride = stride;
    proto.padding = padding;
    break;
  }
  case LayerKind::GlobalAvgPool:
    if (!needSpatial())
      return false;
    out = {inShape[0], 1, 1};
    break;
  case LayerKind::Flatten: {
    int64_t n = 1;
    for (int64_t d : inShape)
      n *= d; // bounded by checkActivation on the input
    out = {n};
    break;
  }
  case LayerKind::Linear: {
    if (spatial) {
      error(stmt.loc, "'linear' needs a flat input, but its input is " +
                          formatDims(inShape) +
                          " (add 'flatten' before it, usually after "
                          "'global_avgpool')");
      return false;
    }
    int64_t features = intArg(0, 0);
    bool bias = bound[1] ? bound[1]->b : true;
    if (!checkDim(features, boundLoc[0], "linear features"))
      return false;
    int64_t w = 0, inF = inShape[0];
    if (__builtin_mul_overflow(features, inF, &w) || w > (int64_t(1) << 40)) {
      error(stmt.loc, "linear layer has too many weights (" +
                          std::to_string(inF) + " inputs x " +
                          std::to_string(features) + " outputs)");
      return false;
    }
    out = {features};
    proto.features = features;
    proto.bias = bias;
    proto.numParams = w + (bias ? features : 0);
    proto.macs = w;
    proto.params.push_back({"weight", {features, inF}, true});
    if (bias)
      proto.params.push_back({"bias", {features}, true});
    break;
  }
  case LayerKind::Input:
  case LayerKind::Add:
    break;
  }
  if (!checkActivation(out, stmt.loc))
    return false;
  if (__builtin_add_overflow(totalMACs, proto.macs, &totalMACs)) {
    error(stmt.loc, "the model needs more than 2^63 multiply-accumulates per "
                    "image");
    return false;
  }
  if (__builtin_add_overflow(totalParams, proto.numParams, &totalParams)) {
    error(stmt.loc, "the model has more than 2^63 parameters");
    return false;
  }
  int idx = addLayer(sig.kind, section.nextName(base), stmt.loc, {cur}, out);
  Layer &l = net.layers[idx];
  l.features = proto.features;
  l.kernel = proto.kernel;
  l.stride = proto.stride;
  l.padding = proto.padding;
  l.dilation = proto.dilation;
  l.groups = proto.groups;
  l.bias = proto.bias;
  l.eps = proto.eps;
  l.momentum = proto.momentum;
  l.numParams = proto.numParams;
  l.macs = proto.macs;
  l.params = proto.params;
  for (ParamSpec &p : l.params)
    p.name = l.path + "." + p.name;
  cur = idx;
  return true;
}

bool Analyzer::instantiate(const BlockDef &block, std::vector<BoundArg> args,
                           SourceLoc site, const std::string &path, int &cur) {
  if (static_cast<int>(frames.size()) >= limits.maxInstantiationDepth) {
    error(site, "blocks are nested too deeply (is block '" + block.name +
                    "' using itself?)");
    return false;
  }
  // Bind arguments to parameters.
  std::vector<std::optional<BoundArg>> bound(block.params.size());
  size_t positional = 0;
  bool seenKeyword = false;
  for (BoundArg &a : args) {
    size_t idx = block.params.size();
    if (a.name.empty()) {
      if (seenKeyword) {
        error(a.loc, "positional argument after a keyword argument");
        return false;
      }
      idx = positional++;
      if (idx >= block.params.size()) {
        error(a.loc, "too many arguments for block '" + block.name + "'");
        note(block.loc, "block '" + block.name + "' is defined here");
        return false;
      }
    } else {
      seenKeyword = true;
      std::vector<std::string> names;
      for (size_t i = 0; i < block.params.size(); ++i) {
        names.push_back(block.params[i].name);
        if (block.params[i].name == a.name)
          idx = i;
      }
      if (idx == block.params.size()) {
        error(a.loc, "block '" + block.name + "' has no parameter '" + a.name +
                         "'" + suggest(a.name, names));
        note(block.loc, "block '" + block.name + "' is defined here");
        return false;
      }
    }
    if (bound[idx]) {
      error(a.loc, "parameter '" + block.params[idx].name + "' of block '" +
                       block.name + "' is given twice");
      return false;
    }
    bound[idx] = a;
  }

  frames.push_back({site, block.name, path});
  Scope scope;
  const Layer &in = net.layers[cur];
  // The block input's shape, for conditions such as "stride != 1 or
  // in_channels != channels". Defined first so that a parameter of the same
  // name is reported as a redefinition.
  if (in.shape.size() == 3) {
    scope.vars["in_channels"] = Value::ofInt(in.shape[0]);
    scope.vars["in_height"] = Value::ofInt(in.shape[1]);
    scope.vars["in_width"] = Value::ofInt(in.shape[2]);
  } else {
    scope.vars["in_features"] = Value::ofInt(in.shape[0]);
  }
  for (size_t i = 0; i < block.params.size(); ++i) {
    const Param &p = block.params[i];
    Value v;
    if (bound[i]) {
      v = bound[i]->value;
    } else if (p.defaultValue) {
      auto dv = eval(*p.defaultValue, scope);
      if (!dv)
        return false;
      v = *dv;
    } else {
      error(site, "block '" + block.name + "' needs an argument for '" +
                      p.name + "'");
      note(p.loc, "parameter '" + p.name + "' is declared here");
      return false;
    }
    if (!define(scope, p.name, v, p.loc))
      return false;
  }
  for (const LayerStmt &let : block.lets) {
    auto v = eval(*let.value, scope);
    if (!v || !define(scope, let.name, *v, let.loc))
      return false;
  }

  int x = cur;
  Section mainSection{path, {}};
  int m = x;
  if (!evalLayers(block.main, m, mainSection, scope))
    return false;
  Section shortcutSection{path + ".shortcut", {}};
  int s = x;
  if (!evalLayers(block.shortcut, s, shortcutSection, scope))
    return false;

  const Dims &ms = net.layers[m].shape, &ss = net.layers[s].shape;
  if (ms != ss) {
    Frame frame = frames.back();
    frames.pop_back();
    error(site, "residual add in " + path + " (block '" + block.name +
                    "') has mismatched shapes: the main path gives " +
                    describeDims(ms) + " but the shortcut gives " +
                    describeDims(ss));
    if (m != x)
      note(net.layers[m].loc, "the main path ends with " + net.layers[m].path +
                                  " (" + describeDims(ms) + ") here");
    else
      note(block.mainLoc, "the main path is empty and passes the block input "
                          "through");
    if (s != x)
      note(net.layers[s].loc, "the shortcut ends with " + net.layers[s].path +
                                  " (" + describeDims(ss) + ") here");
    else
      note(block.hasShortcut ? block.shortcutLoc : block.loc,
           "the shortcut is the identity here: it passes the block input (" +
               describeDims(ss) + ") through unchanged");
    // Suggest the projection that would make the add work.
    if (ms.size() == 3 && ss.size() == 3) {
      const Dims &xs = net.layers[x].shape;
      for (int64_t st = 1; st <= xs[1]; ++st) {
        if (windowOutputSize(xs[1], 1, st, 0) == ms[1] &&
            windowOutputSize(xs[2], 1, st, 0) == ms[2]) {
          note(block.hasShortcut ? block.shortcutLoc : block.loc,
               "a projection shortcut 'conv(" + std::to_string(ms[0]) +
                   ", kernel=1, stride=" + std::to_string(st) +
                   ")' followed by 'bn' would make the shapes match");
          break;
        }
      }
    }
    (void)frame;
    return false;
  }
  int a = addLayer(LayerKind::Add, path + ".add", block.loc, {m, s}, ms);
  int o = a;
  if (!evalLayers(block.out, o, mainSection, scope))
    return false;
  frames.pop_back();
  cur = o;
  return true;
}

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

bool Analyzer::evalModel(const ModelDef &model) {
  net.name = model.name;
  Scope scope;
  modelScope = &scope;
  std::map<std::string, SourceLoc> settingsSeen;
  bool haveInput = false, haveClasses = false;
  int cur = 0;
  int stageIndex = 0;
  SourceLoc lastLayerLoc = model.loc;
  static const std::vector<std::string> settings = {"classes", "conv_bias",
                                                    "bn_eps", "bn_momentum"};

  auto requireInput = [&](const ModelItem &it) {
    if (haveInput)
      return true;
    error(it.loc, "the model's 'input' must be given before its layers (e.g. "
                  "'input 3x224x224')");
    return false;
  };

  for (const ModelItem &it : model.items) {
    switch (it.kind) {
    case ModelItem::Kind::Input: {
      if (haveInput) {
        error(it.loc, "'input' is given twice");
        note(net.layers[0].loc, "it is first given here");
        return false;
      }
      if (it.shape.size() != 3) {
        error(it.shapeLoc, "input shape must be CxHxW (three sizes, e.g. "
                           "1x96x96), got " +
                               std::to_string(it.shape.size()) + " sizes");
        return false;
      }
      for (int64_t d : it.shape)
        if (!checkDim(d, it.shapeLoc, "input size"))
          return false;
      if (!checkActivation(it.shape, it.shapeLoc))
        return false;
      net.inputShape = it.shape;
      net.layers.clear();
      addLayer(LayerKind::Input, "input", it.loc, {}, it.shape);
      haveInput = true;
      break;
    }
    case ModelItem::Kind::Setting: {
      auto [first, fresh] = settingsSeen.emplace(it.name, it.loc);
      if (!fresh) {
        error(it.loc, "'" + it.name + "' is given twice");
        note(first->second, "it is first given here");
        return false;
      }
      if (it.name == "classes" && scope.vars.count("classes")) {
        error(it.loc, "'classes' is already defined (by a 'let' above)");
        return false;
      }
      auto v = eval(*it.value, scope);
      if (!v)
        return false;
      if (it.name == "classes") {
        if (v->kind != Value::Kind::Int) {
          error(it.value->loc, "'classes' must be an integer");
          return false;
        }
        if (!checkDim(v->i, it.value->loc, "classes"))
          return false;
        net.classes = v->i;
        haveClasses = true;
        scope.vars["classes"] = *v;
      } else if (it.name == "conv_bias") {
        if (v->kind != Value::Kind::Bool) {
          error(it.value->loc, "'conv_bias' must be true or false");
          return false;
        }
        convBias = v->b;
      } else if (it.name == "bn_eps" || it.name == "bn_momentum") {
        if (v->kind == Value::Kind::Bool) {
          error(it.value->loc, "'" + it.name + "' must be a number");
          return false;
        }
        double f = v->kind == Value::Kind::Float ? v->f : double(v->i);
        if (it.name == "bn_eps") {
          if (!(f > 0) || f > 1) {
            error(it.value->loc, "'bn_eps' must be in (0, 1]");
            return false;
          }
          bnEps = f;
        } else {
          if (!(f >= 0) || f > 1) {
            error(it.value->loc, "'bn_momentum' must be in [0, 1]");
            return false;
          }
          bnMomentum = f;
        }
      } else {
        error(it.loc, "unknown model setting '" + it.name + "'" +
                          suggest(it.name, settings) +
                          " (settings: classes, conv_bias, bn_eps, "
                          "bn_momentum; sections: input, stem, stages, "
                          "head)");
        return false;
      }
      break;
    }
    case ModelItem::Kind::Let: {
      auto v = eval(*it.value, scope);
      if (!v || !define(scope, it.name, *v, it.loc))
        return false;
      break;
    }
    case ModelItem::Kind::Stem:
    case ModelItem::Kind::Head: {
      if (!requireInput(it))
        return false;
      Section section{it.kind == ModelItem::Kind::Stem ? "stem" : "head", {}};
      if (!evalLayers(it.layers, cur, section, scope))
        return false;
      lastLayerLoc = it.loc;
      break;
    }
    case ModelItem::Kind::Stages: {
      if (!requireInput(it))
        return false;
      const BlockDef *block = findBlock(it.name);
      if (!block) {
        std::vector<std::string> known;
        for (const BlockDef &b : prelude.blocks)
          known.push_back(b.name);
        for (const BlockDef &b : user.blocks)
          known.push_back(b.name);
        std::string list;
        for (const std::string &k : known)
          list += (list.empty() ? "" : ", ") + k;
        error(it.shapeLoc, "unknown block '" + it.name + "'" +
                               suggest(it.name, known) + " (blocks: " + list +
                               ")");
        return false;
      }
      for (const char *needed : {"channels", "stride"}) {
        bool has = false;
        for (const Param &p : block->params)
          has |= p.name == needed;
        if (!has) {
          error(it.shapeLoc, "block '" + it.name +
                                 "' cannot be used in 'stages': it has no "
                                 "parameter '" +
                                 needed +
                                 "' (stages pass 'channels' and 'stride' to "
                                 "every block)");
          note(block->loc, "block '" + it.name + "' is defined here");
          return false;
        }
      }
      std::vector<BoundArg> extra;
      if (!evalArgs(it.args, scope, extra))
        return false;
      for (const BoundArg &a : extra) {
        if (a.name.empty()) {
          error(a.loc, "arguments of a 'stages' block must be named (e.g. "
                       "'groups=32')");
          return false;
        }
        if (a.name == "channels" || a.name == "stride") {
          error(a.loc, "'" + a.name +
                           "' is set per stage by the list "
                           "'(blocks, channels[, stride])'");
          return false;
        }
      }
      for (const StageSpec &spec : it.stages) {
        ++stageIndex;
        auto blocks = evalInt(*spec.blocks, scope, "number of blocks");
        if (!blocks)
          return false;
        if (*blocks <= 0 || *blocks > limits.maxBlocksPerStage) {
          error(spec.blocks->loc,
                "number of blocks in a stage must be between 1 and " +
                    std::to_string(limits.maxBlocksPerStage) + ", got " +
                    std::to_string(*blocks));
          return false;
        }
        auto channels = evalInt(*spec.channels, scope, "stage channels");
        if (!channels ||
            !checkDim(*channels, spec.channels->loc, "stage channels"))
          return false;
        int64_t stride = stageIndex == 1 ? 1 : 2;
        if (spec.stride) {
          auto st = evalInt(*spec.stride, scope, "stage stride");
          if (!st || !checkDim(*st, spec.stride->loc, "stage stride"))
            return false;
          stride = *st;
        }
        for (int64_t b = 0; b < *blocks; ++b) {
          std::vector<BoundArg> args = extra;
          args.push_back({"channels", spec.loc, Value::ofInt(*channels)});
          args.push_back(
              {"stride", spec.loc, Value::ofInt(b == 0 ? stride : 1)});
          std::string path = "stage" + std::to_string(stageIndex) + ".block" +
                             std::to_string(b);
          if (!instantiate(*block, std::move(args), spec.loc, path, cur))
            return false;
        }
      }
      lastLayerLoc = it.loc;
      break;
    }
    }
  }
  if (!haveInput) {
    error(model.loc, "model '" + model.name +
                         "' has no input shape (add e.g. 'input 3x224x224' "
                         "as its first line)");
    return false;
  }
  if (!haveClasses) {
    error(model.loc, "model '" + model.name +
                         "' does not say how many classes it predicts (add "
                         "e.g. 'classes 10')");
    return false;
  }
  if (cur == 0) {
    error(model.loc, "model '" + model.name +
                         "' has no layers (add 'stem', 'stages' and 'head')");
    return false;
  }
  const Dims &outShape = net.layers[cur].shape;
  if (outShape != Dims{net.classes}) {
    error(lastLayerLoc, "the model ends with " + describeDims(outShape) +
                            " but its output must be the " +
                            std::to_string(net.classes) + " class logits");
    note(lastLayerLoc, "end the head with 'global_avgpool', 'flatten' and "
                       "'linear(classes)'");
    return false;
  }
  net.output = cur;
  return true;
}

std::optional<Network> Analyzer::run() {
  // Block names must be unique across the prelude and the file.
  std::map<std::string, const BlockDef *> seen;
  for (const Module *m : {&prelude, &user}) {
    for (const BlockDef &b : m->blocks) {
      auto [it, inserted] = seen.emplace(b.name, &b);
      if (!inserted) {
        error(b.loc, "block '" + b.name + "' is already defined" +
                         (isPrelude(it->second->loc)
                              ? " as a built-in block (choose another name)"
                              : ""));
        note(it->second->loc, "the first definition is here");
        return std::nullopt;
      }
      if (findPrimitive(b.name)) {
        error(b.loc, "block '" + b.name + "' has the name of a built-in layer");
        return std::nullopt;
      }
      std::map<std::string, SourceLoc> params;
      for (const Param &p : b.params) {
        if (!params.emplace(p.name, p.loc).second) {
          error(p.loc, "parameter '" + p.name + "' is declared twice");
          return std::nullopt;
        }
        if (isReservedInBlock(p.name)) {
          error(p.loc, reservedMessage(p.name));
          return std::nullopt;
        }
      }
      for (const LayerStmt &let : b.lets)
        if (isReservedInBlock(let.name)) {
          error(let.loc, reservedMessage(let.name));
          return std::nullopt;
        }
    }
  }
  if (user.models.empty()) {
    SourceLoc start;
    for (int b = 0; b < sm.getNumBuffers(); ++b)
      if (sm.getName(b) != "<prelude>")
        start = SourceLoc{b, 1, 1};
    error(start, "no model in this file (define one with 'model NAME { "
                 "input ... classes ... }')");
    return std::nullopt;
  }
  if (user.models.size() > 1) {
    error(user.models[1].loc, "only one model per file is supported");
    note(user.models[0].loc, "the first model is defined here");
    return std::nullopt;
  }
  if (!evalModel(user.models[0]))
    return std::nullopt;
  return std::move(net);
}

} // namespace

std::optional<Network> resnetc::analyze(const Module &prelude,
                                        const Module &user,
                                        const SourceManager &sm,
                                        DiagnosticEngine &diags,
                                        const SemaLimits &limits) {
  return Analyzer(prelude, user, sm, diags, limits).run();
}
