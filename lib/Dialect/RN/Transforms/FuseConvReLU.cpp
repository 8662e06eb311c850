//===- FuseConvReLU.cpp - Fuse a convolution and its ReLU -----------------===//
//
// relu(conv2d(...)) becomes fused_conv2d ... relu (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNFUSECONVRELU
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
struct FuseConvReLUPattern : OpRewritePattern<ReLUOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReLUOp relu,
                                PatternRewriter &rewriter) const override {
    auto conv = relu.getInput().getDefiningOp<Conv2DOp>();
    if (!conv)
      return rewriter.notifyMatchFailure(relu, "input is not an rn.conv2d");
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(
          relu, "the convolution's output has other uses");
    rewriter.replaceOpWithNewOp<FusedConv2DOp>(
        relu, relu.getType(), conv.getInput(), conv.getWeight(), conv.getBias(),
        /*residual=*/Value(), conv.getStridesAttr(), conv.getPaddingAttr(),
        conv.getDilationAttr(), conv.getGroupsAttr(), rewriter.getUnitAttr());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct RNFuseConvReLUPass : rn::impl::RNFuseConvReLUBase<RNFuseConvReLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseConvReLUPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
