//===- FuseTraining.cpp - Batch norm epilogues and ReLU masks -------------===//
//
// relu([add](batch_norm_train)) becomes one batch_norm_train with a residual
// and relu; batch_norm_train_backward(relu_backward(dy, o)) reads dy with
// o's mask; add(g, relu_backward(dy, o)) becomes relu_backward(dy, o, add g)
// (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNFUSETRAINING
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
/// The unfused batch norm whose normalized output is `v` and used only
/// there, or null.
static BatchNormTrainOp getPlainBatchNorm(Value v) {
  auto bn = v.getDefiningOp<BatchNormTrainOp>();
  if (!bn || v != bn.getOutput() || !v.hasOneUse() || bn.getResidual() ||
      bn.getRelu())
    return nullptr;
  return bn;
}

struct FuseBatchNormEpilogue : OpRewritePattern<ReLUOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReLUOp relu,
                                PatternRewriter &rewriter) const override {
    Value input = relu.getInput();
    BatchNormTrainOp bn = getPlainBatchNorm(input);
    Value residual;
    if (!bn) {
      auto add = input.getDefiningOp<AddOp>();
      if (!add || !add->hasOneUse())
        return rewriter.notifyMatchFailure(
            relu, "input is neither a batch norm nor a sum used only here");
      if ((bn = getPlainBatchNorm(add.getLhs())))
        residual = add.getRhs();
      else if ((bn = getPlainBatchNorm(add.getRhs())))
        residual = add.getLhs();
      else
        return rewriter.notifyMatchFailure(
            relu, "neither operand of the sum is a batch norm's output used "
                  "only there");
    }
    // The fused op sits where the ReLU was (the residual may be computed
    // after the batch norm) and takes the ReLU's layer path; the statistics
    // must not be used before that.
    for (Value stat : bn.getResults().drop_front())
      for (Operation *user : stat.getUsers())
        if (user->getBlock() != relu->getBlock() ||
            user->isBeforeInBlock(relu))
          return rewriter.notifyMatchFailure(
              relu, "a batch statistic is used before the ReLU");
    rewriter.setInsertionPoint(relu);
    auto fused = rewriter.create<BatchNormTrainOp>(
        relu.getLoc(), bn.getResultTypes(), bn.getInput(), bn.getScale(),
        bn.getBias(), bn.getRunningMean(), bn.getRunningVar(), residual,
        bn.getEpsilonAttr(), bn.getMomentumAttr(), rewriter.getUnitAttr());
    Operation *add = input.getDefiningOp<AddOp>();
    rewriter.replaceOp(relu, fused.getOutput());
    if (add)
      rewriter.eraseOp(add);
    rewriter.replaceOp(bn, fused.getResults());
    return success();
  }
};

struct FuseReLUMaskIntoBatchNormBackward
    : OpRewritePattern<BatchNormTrainBackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormTrainBackwardOp op,
                                PatternRewriter &rewriter) const override {
    auto mask = op.getGradOutput().getDefiningOp<ReLUBackwardOp>();
    if (!mask || mask.getAddend() || op.getReluOutput())
      return rewriter.notifyMatchFailure(
          op, "the gradient does not come from a ReLU's backward");
    rewriter.modifyOpInPlace(op, [&] {
      op.getGradOutputMutable().assign(mask.getGradOutput());
      op.getReluOutputMutable().assign(mask.getOutput());
    });
    if (mask->use_empty())
      rewriter.eraseOp(mask);
    return success();
  }
};

/// add(g, relu_backward(dy, o)), where the ReLU's backward has no other
/// use (after its other users took its mask), becomes
/// relu_backward(dy, o, add g): the masked gradient is not stored.
struct FuseReLUBackwardIntoAdd : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      auto mask = mine.getDefiningOp<ReLUBackwardOp>();
      if (!mask || mask.getAddend() || !mask->hasOneUse())
        continue;
      rewriter.replaceOpWithNewOp<ReLUBackwardOp>(
          add, mask.getGradOutput(), mask.getOutput(), other);
      rewriter.eraseOp(mask);
      return success();
    }
    return rewriter.notifyMatchFailure(
        add, "no operand is a ReLU's backward used only here");
  }
};

struct RNFuseTrainingPass
    : rn::impl::RNFuseTrainingBase<RNFuseTrainingPass> {
  void runOnOperation() override {
    // The masks go to batch norms first; what is left of a ReLU's backward
    // then joins the sum it feeds.
    RewritePatternSet first(&getContext()), second(&getContext());
    first.add<FuseBatchNormEpilogue, FuseReLUMaskIntoBatchNormBackward>(
        &getContext());
    second.add<FuseReLUBackwardIntoAdd>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(first))) ||
        failed(applyPatternsAndFoldGreedily(getOperation(), std::move(second))))
      signalPassFailure();
  }
};
} // namespace
