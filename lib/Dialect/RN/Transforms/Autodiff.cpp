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

  LogicalResult build(ModuleOp module, func::FuncOp forward) {
    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(forward);
    auto step = cast<func::FuncOp>(b.clone(*forward));
    step.setName("train_step");
    Block &body = step.front();
    Location loc = step.getLoc();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value logits = ret.getOperand(0);
    int64_t batch = cast<RankedTensorType>(logits.getType()).getDimSize(0);

    // Batch norm in training mode; remember the new running statistics.
    SmallVector<std::pair<Value, Value>> runningUpdates; // (state arg, new)
    SmallVector<BatchNormOp> norms(body.getOps<BatchNormOp>());
    for (BatchNormOp bn : norms) {
      b.setInsertionPoint(bn);
      auto vec = bn.getScale().getType();
      auto train = b.create<BatchNormTrainOp>(
          bn.getLoc(), TypeRange{bn.getType(), vec, vec, vec, vec},
          bn.getInput(), bn.getScale(), bn.getBias(), bn.getMean(), bn.getVar(),
          /*residual=*/Value(), bn.getEpsilonAttr(), bn.getMomentumAttr(),
          /*relu=*/UnitAttr());
      bn.replaceAllUsesWith(train.getOutput());
      runningUpdates.push_back({bn.getMean(), train.getNewRunningMean()});
      runningUpdates.push_back({bn.getVar(), train.getNewRunningVar()});
      bn.erase();
    }

    // New arguments: labels, the learning rate and the label smoothing.
    Type f32 = b.getF32Type();
    auto labelsType = RankedTensorType::get({batch}, b.getI64Type());
    auto scalar = RankedTensorType::get({}, f32);
    Value labels = body.addArgument(labelsType, loc);
    Value lr = body.addArgument(scalar, loc);
    Value smoothing = body.addArgument(scalar, loc);

    // Dropout in training mode, its masks drawn from a per-step seed.
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
    logits = ret.getOperand(0); // a dropout may have produced them

    // AdamW's bias corrections, set per step like the learning rate.
    bool adamw = optimizer == "adamw";
    Value biasCorrection1, biasCorrection2;
    if (adamw) {
      biasCorrection1 = body.addArgument(scalar, loc);
      biasCorrection2 = body.addArgument(scalar, loc);
    }

    // The loss and its gradient.
    b.setInsertionPoint(ret);
    auto loss = b.create<SoftmaxCrossEntropyOp>(
        loc, TypeRange{scalar, RankedTensorType::get({}, b.getI64Type())},
        logits, labels, smoothing);
    llvm::DenseMap<Value, Value> grads;
    grads[logits] = b.create<SoftmaxCrossEntropyBackwardOp>(
        loc, logits.getType(), logits, labels, smoothing);

    // The reverse walk over the forward ops (those before the loss).
    SmallVector<Operation *> forwardOps;
    for (Operation &op : body)
      if (&op == loss.getOperation())
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

    // One optimizer step per parameter, its state after the parameters.
    SmallVector<Value> results = {loss.getLoss(), loss.getCorrect()};
    SmallVector<DictionaryAttr> resultAttrs = {
        b.getDictionaryAttr(b.getNamedAttr("rn.loss", b.getUnitAttr())),
        b.getDictionaryAttr(b.getNamedAttr("rn.correct", b.getUnitAttr()))};
    SmallVector<Value> states;
    SmallVector<std::string> stateNames;
    unsigned numForwardArgs = forward.getNumArguments();
    for (unsigned i = 0; i < numForwardArgs; ++i) {
      auto name = step.getArgAttrOfType<StringAttr>(i, "rn.param");
      if (!name)
        continue;
      Value param = body.getArgument(i);
      Value g = grads.lookup(param);
      if (!g)
        return step.emitError("parameter '")
               << name.getValue() << "' gets no gradient";
      Type type = param.getType();
      auto state = [&](StringRef suffix) {
        stateNames.push_back((name.getValue() + suffix).str());
        return body.addArgument(type, loc);
      };
      if (adamw) {
        Value m = state(".exp_avg"), v = state(".exp_avg_sq");
        auto update = b.create<AdamWUpdateOp>(
            loc, TypeRange{type, type, type}, param, g, m, v, lr,
            biasCorrection1, biasCorrection2, b.getF64FloatAttr(beta1),
            b.getF64FloatAttr(beta2), b.getF64FloatAttr(epsilon),
            b.getF64FloatAttr(weightDecay));
        results.push_back(update.getNewParam());
        states.append({update.getNewExpAvg(), update.getNewExpAvgSq()});
      } else {
        Value velocity = state(".velocity");
        auto update = b.create<SGDUpdateOp>(
            loc, TypeRange{type, type}, param, g, velocity, lr,
            b.getF64FloatAttr(momentum), b.getF64FloatAttr(weightDecay),
            nesterov ? b.getUnitAttr() : UnitAttr());
        results.push_back(update.getNewParam());
        states.push_back(update.getNewVelocity());
      }
      resultAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr("rn.update", name)));
    }
    results.append(states);
    for (const std::string &n : stateNames)
      resultAttrs.push_back(
          b.getDictionaryAttr(b.getNamedAttr("rn.update", b.getStringAttr(n))));
    for (auto [state, updated] : runningUpdates) {
      auto arg = cast<BlockArgument>(state);
      results.push_back(updated);
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          "rn.update",
          step.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "rn.state"))));
    }
    ret->setOperands(results);

    // The signature: forward's arguments, labels, lr, label smoothing,
    // the dropout seed (with dropout), AdamW's bias corrections, the
    // optimizer state.
    step.setType(b.getFunctionType(body.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
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
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("rn.hyper", b.getStringAttr(name))));
    };
    if (seed)
      hyper("dropout_seed");
    if (adamw) {
      hyper("bias_correction1");
      hyper("bias_correction2");
    }
    for (const std::string &n : stateNames)
      argAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr("rn.optimizer_state", b.getStringAttr(n))));
    step.setAllArgAttrs(argAttrs);
    step.setAllResultAttrs(resultAttrs);
    return success();
  }
};
} // namespace
