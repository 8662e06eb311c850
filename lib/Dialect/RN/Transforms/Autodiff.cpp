//===- Autodiff.cpp - @train_step by reverse-mode autodiff ----------------===//
//
// Clones @forward into @train_step, switches batch norm to training mode,
// appends the loss, walks the ops backwards asking each for its gradient
// rule, and appends one optimizer step (SGD or AdamW) per parameter (see
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNAUTODIFF
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
/// The arguments @train_step has after forward's.
struct StepArguments {
  Value labels, lr, smoothing;
  /// The per-step dropout seed; null without dropout.
  Value seed;
  /// AdamW's bias corrections; null with SGD.
  Value biasCorrection1, biasCorrection2;
};

/// The results of @train_step, with their attributes.
struct StepResults {
  SmallVector<Value> values;
  SmallVector<DictionaryAttr> attrs;
  /// The optimizer state's new values and names, returned after the
  /// parameters.
  SmallVector<Value> states;
  SmallVector<std::string> stateNames;
};
} // namespace

/// Replaces every batch norm of `body` by its training form. Returns the
/// running statistics' (state argument, new value) pairs.
static SmallVector<std::pair<Value, Value>>
switchBatchNormsToTraining(OpBuilder &b, Block &body) {
  SmallVector<std::pair<Value, Value>> runningUpdates;
  SmallVector<BatchNormOp> norms(body.getOps<BatchNormOp>());
  for (BatchNormOp bn : norms) {
    b.setInsertionPoint(bn);
    auto vec = bn.getScale().getType();
    auto train = b.create<BatchNormTrainOp>(
        bn.getLoc(), TypeRange{bn.getType(), vec, vec, vec, vec}, bn.getInput(),
        bn.getScale(), bn.getBias(), bn.getMean(), bn.getVar(),
        /*residual=*/Value(), bn.getEpsilonAttr(), bn.getMomentumAttr(),
        /*relu=*/UnitAttr());
    bn.replaceAllUsesWith(train.getOutput());
    runningUpdates.push_back({bn.getMean(), train.getNewRunningMean()});
    runningUpdates.push_back({bn.getVar(), train.getNewRunningVar()});
    bn.erase();
  }
  return runningUpdates;
}

/// Replaces every dropout of `body` by its training form, its masks drawn
/// from a per-step seed, a new argument. Returns the seed (null without
/// dropout).
static Value switchDropoutsToTraining(OpBuilder &b, Block &body, Location loc) {
  SmallVector<DropoutOp> dropouts(body.getOps<DropoutOp>());
  Value seed;
  if (!dropouts.empty())
    seed = body.addArgument(RankedTensorType::get({}, b.getI64Type()), loc);
  for (DropoutOp d : dropouts) {
    b.setInsertionPoint(d);
    d.replaceAllUsesWith(
        b.create<DropoutTrainOp>(d.getLoc(), d.getType(), d.getInput(), seed,
                                 d.getRateAttr(), d.getStreamAttr())
            .getOutput());
    d.erase();
  }
  return seed;
}

/// The reverse walk over the ops of `body` before `loss`, asking each for
/// its gradient rule; `grads` holds the gradient of the logits and receives
/// those of every value the loss depends on.
static LogicalResult backpropagate(OpBuilder &b, Block &body, Operation *loss,
                                   llvm::DenseMap<Value, Value> &grads) {
  SmallVector<Operation *> forwardOps;
  for (Operation &op : body)
    if (&op == loss)
      break;
    else
      forwardOps.push_back(&op);
  for (Operation *op : llvm::reverse(forwardOps)) {
    SmallVector<Value> resultGrads;
    bool any = false;
    for (Value r : op->getResults()) {
      resultGrads.push_back(grads.lookup(r));
      any |= static_cast<bool>(resultGrads.back());
    }
    if (!any)
      continue;
    auto diff = dyn_cast<Differentiable>(op);
    if (!diff)
      return op->emitError("no gradient rule for '") << op->getName() << "'";
    for (auto [i, g] : llvm::enumerate(resultGrads))
      if (!g && i == 0)
        return op->emitError("internal error: missing result gradient");
    SmallVector<Value> operandGrads;
    if (failed(diff.buildGradients(b, resultGrads, operandGrads)))
      return failure();
    for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
      if (!g)
        continue;
      Value &acc = grads[operand];
      acc = acc ? b.create<AddOp>(op->getLoc(), acc, g).getResult() : g;
    }
  }
  return success();
}

/// Gives @train_step its signature: forward's arguments, labels, lr, label
/// smoothing, the dropout seed (with dropout), AdamW's bias corrections, the
/// optimizer state; and its results with their attributes.
static void setStepSignature(OpBuilder &b, func::FuncOp step,
                             unsigned numForwardArgs, const StepArguments &args,
                             const StepResults &results) {
  Block &body = step.front();
  step.setType(b.getFunctionType(body.getArgumentTypes(),
                                 ValueRange(results.values).getTypes()));
  SmallVector<DictionaryAttr> argAttrs;
  for (unsigned i = 0; i < numForwardArgs; ++i)
    argAttrs.push_back(step.getArgAttrDict(i));
  argAttrs.push_back(
      b.getDictionaryAttr(b.getNamedAttr("rn.labels", b.getUnitAttr())));
  argAttrs.push_back(
      b.getDictionaryAttr(b.getNamedAttr("rn.hyper", b.getStringAttr("lr"))));
  argAttrs.push_back(b.getDictionaryAttr(
      b.getNamedAttr("rn.hyper", b.getStringAttr("label_smoothing"))));
  auto hyper = [&](StringRef name) {
    argAttrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr("rn.hyper", b.getStringAttr(name))));
  };
  if (args.seed)
    hyper("dropout_seed");
  if (args.biasCorrection1) {
    hyper("bias_correction1");
    hyper("bias_correction2");
  }
  for (const std::string &n : results.stateNames)
    argAttrs.push_back(b.getDictionaryAttr(
        b.getNamedAttr("rn.optimizer_state", b.getStringAttr(n))));
  step.setAllArgAttrs(argAttrs);
  step.setAllResultAttrs(results.attrs);
}

namespace {
struct RNAutodiffPass : rn::impl::RNAutodiffBase<RNAutodiffPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward) {
      module.emitError("no @forward function to differentiate");
      return signalPassFailure();
    }
    if (module.lookupSymbol("train_step")) {
      module.emitError("the module already has a @train_step");
      return signalPassFailure();
    }
    if (nesterov && !(momentum > 0)) {
      module.emitError("Nesterov momentum needs a positive momentum");
      return signalPassFailure();
    }
    if (optimizer != "sgd" && optimizer != "adamw") {
      module.emitError("unknown optimizer '")
          << optimizer << "' (sgd or adamw)";
      return signalPassFailure();
    }
    if (failed(build(module, forward)))
      signalPassFailure();
  }

  /// Builds @train_step from `forward`.
  LogicalResult build(ModuleOp module, func::FuncOp forward) {
    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(forward);
    auto step = cast<func::FuncOp>(b.clone(*forward));
    step.setName("train_step");
    Block &body = step.front();
    Location loc = step.getLoc();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    int64_t batch =
        cast<RankedTensorType>(ret.getOperand(0).getType()).getDimSize(0);

    // Batch norm in training mode; remember the new running statistics.
    SmallVector<std::pair<Value, Value>> runningUpdates =
        switchBatchNormsToTraining(b, body);

    // New arguments: labels, the learning rate and the label smoothing.
    StepArguments args;
    Type f32 = b.getF32Type();
    auto scalar = RankedTensorType::get({}, f32);
    args.labels =
        body.addArgument(RankedTensorType::get({batch}, b.getI64Type()), loc);
    args.lr = body.addArgument(scalar, loc);
    args.smoothing = body.addArgument(scalar, loc);
    args.seed = switchDropoutsToTraining(b, body, loc);
    Value logits = ret.getOperand(0); // a dropout may have produced them

    // AdamW's bias corrections, set per step like the learning rate.
    if (optimizer == "adamw") {
      args.biasCorrection1 = body.addArgument(scalar, loc);
      args.biasCorrection2 = body.addArgument(scalar, loc);
    }

    // The loss and its gradient.
    b.setInsertionPoint(ret);
    auto loss = b.create<SoftmaxCrossEntropyOp>(
        loc, TypeRange{scalar, RankedTensorType::get({}, b.getI64Type())},
        logits, args.labels, args.smoothing);
    llvm::DenseMap<Value, Value> grads;
    grads[logits] = b.create<SoftmaxCrossEntropyBackwardOp>(
        loc, logits.getType(), logits, args.labels, args.smoothing);
    if (failed(backpropagate(b, body, loss.getOperation(), grads)))
      return failure();

    StepResults results;
    results.values = {loss.getLoss(), loss.getCorrect()};
    results.attrs = {
        b.getDictionaryAttr(b.getNamedAttr("rn.loss", b.getUnitAttr())),
        b.getDictionaryAttr(b.getNamedAttr("rn.correct", b.getUnitAttr()))};
    unsigned numForwardArgs = forward.getNumArguments();
    if (failed(appendOptimizerSteps(b, step, numForwardArgs, grads, args,
                                    results)))
      return failure();
    for (auto [state, updated] : runningUpdates) {
      auto arg = cast<BlockArgument>(state);
      results.values.push_back(updated);
      results.attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          "rn.update",
          step.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "rn.state"))));
    }
    ret->setOperands(results.values);
    setStepSignature(b, step, numForwardArgs, args, results);
    return success();
  }

  /// Appends one optimizer step per parameter of `step` (its first
  /// `numForwardArgs` arguments): the new parameters to `results`, then
  /// their optimizer state, a new argument per tensor.
  LogicalResult appendOptimizerSteps(OpBuilder &b, func::FuncOp step,
                                     unsigned numForwardArgs,
                                     const llvm::DenseMap<Value, Value> &grads,
                                     const StepArguments &args,
                                     StepResults &results) {
    Block &body = step.front();
    for (unsigned i = 0; i < numForwardArgs; ++i) {
      auto name = step.getArgAttrOfType<StringAttr>(i, "rn.param");
      if (!name)
        continue;
      Value param = body.getArgument(i);
      Value g = grads.lookup(param);
      if (!g)
        return step.emitError("parameter '")
               << name.getValue() << "' gets no gradient";
      appendOptimizerStep(b, step.getLoc(), body, param, g, name, args,
                          results);
    }
    results.values.append(results.states);
    for (const std::string &n : results.stateNames)
      results.attrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr("rn.update", b.getStringAttr(n))));
    return success();
  }

  /// Appends the SGD or AdamW update of the parameter `param`, named `name`,
  /// whose gradient is `g`; its state tensors become new arguments.
  void appendOptimizerStep(OpBuilder &b, Location loc, Block &body, Value param,
                           Value g, StringAttr name, const StepArguments &args,
                           StepResults &results) {
    Type type = param.getType();
    auto state = [&](StringRef suffix) {
      results.stateNames.push_back((name.getValue() + suffix).str());
      return body.addArgument(type, loc);
    };
    if (optimizer == "adamw") {
      Value m = state(".exp_avg"), v = state(".exp_avg_sq");
      auto update = b.create<AdamWUpdateOp>(
          loc, TypeRange{type, type, type}, param, g, m, v, args.lr,
          args.biasCorrection1, args.biasCorrection2, b.getF64FloatAttr(beta1),
          b.getF64FloatAttr(beta2), b.getF64FloatAttr(epsilon),
          b.getF64FloatAttr(weightDecay));
      results.values.push_back(update.getNewParam());
      results.states.append({update.getNewExpAvg(), update.getNewExpAvgSq()});
    } else {
      // Without momentum, SGD keeps no velocity (nor does PyTorch).
      Value velocity = momentum != 0 ? state(".velocity") : Value();
      SmallVector<Type> types = {type};
      if (velocity)
        types.push_back(type);
      auto update = b.create<SGDUpdateOp>(
          loc, types, param, g, args.lr, velocity, b.getF64FloatAttr(momentum),
          b.getF64FloatAttr(weightDecay),
          nesterov ? b.getUnitAttr() : UnitAttr());
      results.values.push_back(update.getNewParam());
      if (velocity)
        results.states.push_back(update.getNewVelocity());
    }
    results.attrs.push_back(
        b.getDictionaryAttr(b.getNamedAttr("rn.update", name)));
  }
};
} // namespace
