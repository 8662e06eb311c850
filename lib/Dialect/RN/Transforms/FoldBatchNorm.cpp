//===- FoldBatchNorm.cpp - Fold inference batch norms into convolutions ---===//
//
// conv2d followed by an inference batch_norm becomes a conv2d whose weight
// and bias come from rn.fold_batch_norm (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNFOLDBATCHNORM
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<Conv2DOp>();
    if (!conv)
      return rewriter.notifyMatchFailure(bn, "input is not an rn.conv2d");
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(
          bn, "the convolution's output has other uses");
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    auto biasType = RankedTensorType::get({weightType.getDimSize(0)},
                                          weightType.getElementType());
    Location loc = rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()});
    auto fold = rewriter.create<FoldBatchNormOp>(
        loc, TypeRange{weightType, biasType}, conv.getWeight(), conv.getBias(),
        bn.getScale(), bn.getBias(), bn.getMean(), bn.getVar(),
        bn.getEpsilonAttr());
    auto folded = rewriter.create<Conv2DOp>(
        loc, bn.getType(), conv.getInput(), fold.getNewWeight(),
        fold.getNewBias(), conv.getStridesAttr(), conv.getPaddingAttr(),
        conv.getDilationAttr(), conv.getGroupsAttr());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct RNFoldBatchNormPass
    : rn::impl::RNFoldBatchNormBase<RNFoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNormIntoConv>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
