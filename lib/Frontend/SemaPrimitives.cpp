//===- SemaPrimitives.cpp - The built-in layers ---------------------------===//
//
// Binds a built-in layer's arguments to its signature and computes its
// output shape, parameters and multiply-accumulates.
//
//===----------------------------------------------------------------------===//

#include "SemaAnalyzer.h"

#include <cstdio>

using namespace resnetc;
using namespace resnetc::sema;

//===----------------------------------------------------------------------===//
// Arguments
//===----------------------------------------------------------------------===//

bool Analyzer::bindPrimitiveArgs(const PrimSig &sig, const LayerStmt &stmt,
                                 Scope &scope, PrimArgs &bound) {
  std::vector<BoundArg> args;
  if (!evalArgs(stmt.args, scope, args))
    return false;
  bound.values.assign(sig.params.size(), std::nullopt);
  bound.locs.assign(sig.params.size(), stmt.loc);
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
    if (want == Value::Kind::Pair && v.kind == Value::Kind::Int)
      v = Value::ofPair(v.i, v.i);
    if (v.kind != want) {
      error(a.loc, std::string("option '") + sig.params[idx].name + "' of '" +
                       sig.name + "' must be " +
                       (want == Value::Kind::Int    ? "an integer"
                        : want == Value::Kind::Bool ? "a boolean"
                        : want == Value::Kind::Pair
                            ? "an integer or a pair (height, width)"
                            : "a number") +
                       ", found " + v.describe());
      return false;
    }
    bound.values[idx] = v;
    bound.locs[idx] = a.loc;
  }
  for (size_t i = 0; i < sig.params.size(); ++i)
    if (sig.params[i].required && !bound[i]) {
      error(stmt.loc, std::string("'") + sig.name + "' needs '" +
                          sig.params[i].name + "' (e.g. " + sig.example + ")");
      return false;
    }
  return true;
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

bool Analyzer::requireSpatialInput(const PrimSig &sig, const LayerStmt &stmt,
                                   const Layer &in) {
  const Dims &inShape = in.shape;
  if (inShape.size() == 3)
    return true;
  error(stmt.loc, std::string("'") + sig.name +
                      "' needs a CxHxW input, but its input is flat (" +
                      formatDims(inShape) + " features)");
  note(in.loc.isValid() ? in.loc : stmt.loc,
       "the input comes from " + in.path + " here");
  return false;
}

bool Analyzer::shapeConv(const PrimArgs &bound, const LayerStmt &stmt,
                         const Layer &in, Layer &proto, Dims &out) {
  const Dims &inShape = in.shape;
  const std::vector<SourceLoc> &boundLoc = bound.locs;
  int64_t channels = bound.intArg(0, 0), groups = bound.intArg(5, 1);
  Pair kernel = bound.pairArg(1, {0, 0}), stride = bound.pairArg(2, {1, 1}),
       padding = bound.pairArg(3, {0, 0}), dilation = bound.pairArg(4, {1, 1});
  bool bias = bound[6] ? bound[6]->b : convBias;
  if (!checkDim(channels, boundLoc[0], "conv channels") ||
      !checkPair(kernel, boundLoc[1], "conv kernel") ||
      !checkPair(stride, boundLoc[2], "conv stride") ||
      !checkPair(padding, boundLoc[3], "conv padding", true) ||
      !checkPair(dilation, boundLoc[4], "conv dilation") ||
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
  int64_t oh = windowOutputSize(inShape[1], kernel[0], stride[0], padding[0],
                                dilation[0]);
  int64_t ow = windowOutputSize(inShape[2], kernel[1], stride[1], padding[1],
                                dilation[1]);
  if (oh <= 0 || ow <= 0) {
    error(stmt.loc, "conv kernel " + formatPair(kernel) +
                        (dilation != Pair{1, 1}
                             ? " (dilation " + formatPair(dilation) + ")"
                             : "") +
                        " does not fit in its input " + formatDims(inShape) +
                        " with padding " + formatPair(padding));
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
      __builtin_mul_overflow(wElems, kernel[0] * kernel[1], &wElems) ||
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
      {"weight", {channels, inC / groups, kernel[0], kernel[1]}, true});
  if (bias)
    proto.params.push_back({"bias", {channels}, true});
  return true;
}

bool Analyzer::shapeBatchNorm(const PrimArgs &bound, Layer &proto,
                              const Layer &in, Dims &out) {
  const Dims &inShape = in.shape;
  const std::vector<SourceLoc> &boundLoc = bound.locs;
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
  return true;
}

bool Analyzer::shapePool(const PrimSig &sig, const PrimArgs &bound,
                         const LayerStmt &stmt, const Layer &in, Layer &proto,
                         Dims &out) {
  const Dims &inShape = in.shape;
  const std::vector<SourceLoc> &boundLoc = bound.locs;
  std::string base = sig.name;
  Pair kernel = bound.pairArg(0, {0, 0});
  Pair stride = bound.pairArg(1, kernel);
  Pair padding = bound.pairArg(2, {0, 0});
  bool ceilMode = bound[3] && bound[3]->b;
  bool countIncludePad =
      sig.kind != LayerKind::AvgPool || !bound[4] || bound[4]->b;
  if (!checkPair(kernel, boundLoc[0], base + " kernel") ||
      !checkPair(stride, boundLoc[1], base + " stride") ||
      !checkPair(padding, boundLoc[2], base + " padding", true))
    return false;
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    error(boundLoc[2], base + " padding " + formatPair(padding) +
                           " is more than half the kernel " +
                           formatPair(kernel) + " (PyTorch rejects this too)");
    return false;
  }
  int64_t oh = windowOutputSize(inShape[1], kernel[0], stride[0], padding[0], 1,
                                ceilMode);
  int64_t ow = windowOutputSize(inShape[2], kernel[1], stride[1], padding[1], 1,
                                ceilMode);
  if (oh <= 0 || ow <= 0) {
    error(stmt.loc, base + " kernel " + formatPair(kernel) +
                        " does not fit in its input " + formatDims(inShape) +
                        " with padding " + formatPair(padding));
    return false;
  }
  out = {inShape[0], oh, ow};
  proto.kernel = kernel;
  proto.stride = stride;
  proto.padding = padding;
  proto.ceilMode = ceilMode;
  proto.countIncludePad = countIncludePad;
  return true;
}

bool Analyzer::shapeLinear(const PrimArgs &bound, const LayerStmt &stmt,
                           const Layer &in, Layer &proto, Dims &out) {
  const Dims &inShape = in.shape;
  const std::vector<SourceLoc> &boundLoc = bound.locs;
  auto intArg = [&](size_t i, int64_t dflt) { return bound.intArg(i, dflt); };
  if (inShape.size() == 3) {
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
  return true;
}

//===----------------------------------------------------------------------===//
// The layer
//===----------------------------------------------------------------------===//

bool Analyzer::evalPrimitive(const PrimSig &sig, const LayerStmt &stmt,
                             int &cur, Section &section, Scope &scope) {
  PrimArgs bound;
  if (!bindPrimitiveArgs(sig, stmt, scope, bound))
    return false;

  const Layer &in = net.layers[cur];
  const Dims inShape = in.shape;
  Layer proto;
  Dims out;
  switch (sig.kind) {
  case LayerKind::Conv:
    if (!requireSpatialInput(sig, stmt, in) ||
        !shapeConv(bound, stmt, in, proto, out))
      return false;
    break;
  case LayerKind::BatchNorm:
    if (!requireSpatialInput(sig, stmt, in) ||
        !shapeBatchNorm(bound, proto, in, out))
      return false;
    break;
  case LayerKind::ReLU:
    out = inShape;
    break;
  case LayerKind::Dropout:
    proto.rate = bound[0]->f;
    if (!(proto.rate >= 0 && proto.rate < 1)) {
      char given[32];
      std::snprintf(given, sizeof(given), "%g", proto.rate);
      error(bound.locs[0],
            std::string("dropout probability must be in [0, 1), found ") +
                given +
                " (the fraction of elements zeroed, as PyTorch's "
                "nn.Dropout(p))");
      return false;
    }
    out = inShape;
    break;
  case LayerKind::MaxPool:
  case LayerKind::AvgPool:
    if (!requireSpatialInput(sig, stmt, in) ||
        !shapePool(sig, bound, stmt, in, proto, out))
      return false;
    break;
  case LayerKind::GlobalAvgPool:
    if (!requireSpatialInput(sig, stmt, in))
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
  case LayerKind::Linear:
    if (!shapeLinear(bound, stmt, in, proto, out))
      return false;
    break;
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
  int idx =
      addLayer(sig.kind, section.nextName(sig.name), stmt.loc, {cur}, out);
  Layer &l = net.layers[idx];
  l.features = proto.features;
  l.kernel = proto.kernel;
  l.stride = proto.stride;
  l.padding = proto.padding;
  l.dilation = proto.dilation;
  l.ceilMode = proto.ceilMode;
  l.countIncludePad = proto.countIncludePad;
  l.groups = proto.groups;
  l.bias = proto.bias;
  l.eps = proto.eps;
  l.momentum = proto.momentum;
  l.rate = proto.rate;
  l.numParams = proto.numParams;
  l.macs = proto.macs;
  l.params = proto.params;
  for (ParamSpec &p : l.params)
    p.name = l.path + "." + p.name;
  cur = idx;
  return true;
}
