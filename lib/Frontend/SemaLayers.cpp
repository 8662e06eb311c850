//===- SemaLayers.cpp - Layer lists and block instances -------------------===//
//
// Walks a list of layer statements with the current value, adds layers to
// the network with checked sizes, and instantiates blocks with their
// arguments bound in a fresh scope.
//
//===----------------------------------------------------------------------===//

#include "SemaAnalyzer.h"

#include <algorithm>

using namespace resnetc;
using namespace resnetc::sema;

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

/// Each of a pair's values: `what` for equal values, else `what height` and
/// `what width`.
bool Analyzer::checkPair(const Pair &v, SourceLoc loc, const std::string &what,
                         bool allowZero) {
  if (v[0] == v[1])
    return checkDim(v[0], loc, what, allowZero);
  return checkDim(v[0], loc, what + " height", allowZero) &&
         checkDim(v[1], loc, what + " width", allowZero);
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
    case LayerStmt::Kind::Tap: {
      auto [it, fresh] = taps.back().try_emplace(stmt.name, cur);
      if (!fresh) {
        error(stmt.loc, "'" + stmt.name + "' is already tapped" +
                            (frames.empty() ? std::string(" in this model")
                                            : " in this block") +
                            "; choose another name");
        return false;
      }
      break;
    }
    case LayerStmt::Kind::From: {
      auto it = taps.back().find(stmt.name);
      if (it == taps.back().end()) {
        std::vector<std::string> names;
        for (const auto &kv : taps.back())
          names.push_back(kv.first);
        error(stmt.loc,
              "no value is tapped as '" + stmt.name + "' before this 'from'" +
                  suggest(stmt.name, names) + " ('tap " + stmt.name +
                  "' names the current value; a block's taps are its own, "
                  "and 'main' is evaluated before 'shortcut')");
        return false;
      }
      cur = it->second;
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
  taps.emplace_back();
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
  // torchvision's zero_init_residual: a block whose main path ends in a
  // batch norm starts as its shortcut.
  if (zeroInitResidual && m != x && net.layers[m].kind == LayerKind::BatchNorm)
    net.layers[m].params[0].zeroInit = true;
  int a = addLayer(LayerKind::Add, path + ".add", block.loc, {m, s}, ms);
  int o = a;
  if (!evalLayers(block.out, o, mainSection, scope))
    return false;
  frames.pop_back();
  taps.pop_back();
  cur = o;
  return true;
}
