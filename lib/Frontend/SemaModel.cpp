//===- SemaModel.cpp - The model and its sections -------------------------===//
//
// Evaluates a model definition: its settings, input and classes, and its
// stem, stages and head.
//
//===----------------------------------------------------------------------===//

#include "SemaAnalyzer.h"

#include <algorithm>
#include <cmath>

using namespace resnetc;
using namespace resnetc::sema;

//===----------------------------------------------------------------------===//
// Models
//===----------------------------------------------------------------------===//

bool Analyzer::evalModelInput(const ModelItem &it, bool &haveInput) {
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
  return true;
}

bool Analyzer::evalModelSetting(const ModelItem &it, Scope &scope,
                                std::map<std::string, SourceLoc> &settingsSeen,
                                bool &haveClasses) {
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
    return true;
  }
  if (it.name == "zero_init_residual" || it.name == "conv_bias") {
    if (v->kind != Value::Kind::Bool) {
      error(it.value->loc, "'" + it.name + "' must be true or false");
      return false;
    }
    bool &flag = it.name == "conv_bias" ? convBias : zeroInitResidual;
    flag = v->b;
    return true;
  }
  if (it.name == "bn_eps" || it.name == "bn_momentum")
    return setBatchNormDefault(it, *v);
  error(it.loc, "unknown model setting '" + it.name + "'" +
                    suggest(it.name, getModelSettings()) +
                    " (settings: classes, conv_bias, bn_eps, "
                    "bn_momentum, zero_init_residual; sections: input, "
                    "stem, stages, head)");
  return false;
}

bool Analyzer::setBatchNormDefault(const ModelItem &it, const Value &v) {
  if (v.kind == Value::Kind::Bool || v.kind == Value::Kind::Pair) {
    error(it.value->loc, "'" + it.name + "' must be a number");
    return false;
  }
  double f = v.kind == Value::Kind::Float ? v.f : double(v.i);
  if (it.name == "bn_eps") {
    if (!(f > 0) || f > 1) {
      error(it.value->loc, "'bn_eps' must be in (0, 1]");
      return false;
    }
    bnEps = f;
    return true;
  }
  if (!(f >= 0) || f > 1) {
    error(it.value->loc, "'bn_momentum' must be in [0, 1]");
    return false;
  }
  bnMomentum = f;
  return true;
}

const BlockDef *Analyzer::findStageBlock(const ModelItem &it) {
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
                           suggest(it.name, known) + " (blocks: " + list + ")");
    return nullptr;
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
      return nullptr;
    }
  }
  return block;
}

bool Analyzer::evalStageArgs(const ModelItem &it, const Scope &scope,
                             std::vector<BoundArg> &extra) {
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
  return true;
}

bool Analyzer::evalStage(const StageSpec &spec, const BlockDef &block,
                         const std::vector<BoundArg> &extra, const Scope &scope,
                         int stageIndex, int &cur) {
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
  if (!channels || !checkDim(*channels, spec.channels->loc, "stage channels"))
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
    args.push_back({"stride", spec.loc, Value::ofInt(b == 0 ? stride : 1)});
    std::string path =
        "stage" + std::to_string(stageIndex) + ".block" + std::to_string(b);
    if (!instantiate(block, std::move(args), spec.loc, path, cur))
      return false;
  }
  return true;
}

bool Analyzer::evalStages(const ModelItem &it, const Scope &scope,
                          int &stageIndex, int &cur) {
  const BlockDef *block = findStageBlock(it);
  if (!block)
    return false;
  std::vector<BoundArg> extra;
  if (!evalStageArgs(it, scope, extra))
    return false;
  for (const StageSpec &spec : it.stages)
    if (!evalStage(spec, *block, extra, scope, ++stageIndex, cur))
      return false;
  return true;
}

bool Analyzer::checkModelComplete(const ModelDef &model, bool haveInput,
                                  bool haveClasses, int cur,
                                  SourceLoc lastLayerLoc) {
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
  return true;
}

bool Analyzer::evalModel(const ModelDef &model) {
  net.name = model.name;
  Scope scope;
  modelScope = &scope;
  std::map<std::string, SourceLoc> settingsSeen;
  bool haveInput = false, haveClasses = false;
  int cur = 0;
  int stageIndex = 0;
  SourceLoc lastLayerLoc = model.loc;

  auto requireInput = [&](const ModelItem &it) {
    if (haveInput)
      return true;
    error(it.loc, "the model's 'input' must be given before its layers (e.g. "
                  "'input 3x224x224')");
    return false;
  };

  for (const ModelItem &it : model.items) {
    switch (it.kind) {
    case ModelItem::Kind::Input:
      if (!evalModelInput(it, haveInput))
        return false;
      break;
    case ModelItem::Kind::Setting:
      if (!evalModelSetting(it, scope, settingsSeen, haveClasses))
        return false;
      break;
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
    case ModelItem::Kind::Stages:
      if (!requireInput(it) || !evalStages(it, scope, stageIndex, cur))
        return false;
      lastLayerLoc = it.loc;
      break;
    }
  }
  if (!checkModelComplete(model, haveInput, haveClasses, cur, lastLayerLoc))
    return false;
  net.output = cur;
  return true;
}
