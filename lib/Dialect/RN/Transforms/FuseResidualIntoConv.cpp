//===- FuseResidualIntoConv.cpp - Residual add in a conv's epilogue -------===//
//
// add(conv(x), s) and add_relu(conv(x), s) become
// fused_conv2d x ... residual s [relu] (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNFUSERESIDUALINTOCONV
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
/// The convolution feeding `v` if it can absorb a residual: a plain conv2d,
/// or a fused_conv2d without residual or ReLU, with no other use.
static Operation *absorbingConv(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def || !def->hasOneUse())
    return nullptr;
  if (isa<Conv2DOp>(def))
    return def;
  if (auto fused = dyn_cast<FusedConv2DOp>(def))
    if (!fused.getResidual() && !fused.getRelu())
      return def;
  return nullptr;
}

template <typename AddLikeOp>
struct FuseResidualPattern : OpRewritePattern<AddLikeOp> {
  using OpRewritePattern<AddLikeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(AddLikeOp add,
                                PatternRewriter &rewriter) const override {
    Value convValue = add.getLhs(), residual = add.getRhs();
    Operation *conv = absorbingConv(convValue);
    if (!conv) {
      std::swap(convValue, residual);
      conv = absorbingConv(convValue);
    }
    if (!conv)
      return rewriter.notifyMatchFailure(
          add, "neither operand is a convolution without other uses, "
               "residual or ReLU");
    if (residual == convValue)
      return rewriter.notifyMatchFailure(add, "adds a convolution to itself");
    bool relu = std::is_same_v<AddLikeOp, AddReLUOp>;
    // Both conv forms carry the same operands and attributes.
    auto build = [&](auto op) {
      rewriter.replaceOpWithNewOp<FusedConv2DOp>(
          add, add.getType(), op.getInput(), op.getWeight(), op.getBias(),
          residual, op.getStridesAttr(), op.getPaddingAttr(),
          op.getDilationAttr(), op.getGroupsAttr(),
          relu ? rewriter.getUnitAttr() : UnitAttr());
    };
    if (auto plain = dyn_cast<Conv2DOp>(conv))
      build(plain);
    else
      build(cast<FusedConv2DOp>(conv));
    rewriter.eraseOp(conv);
    return success();
  }
};

struct RNFuseResidualIntoConvPass
    : rn::impl::RNFuseResidualIntoConvBase<RNFuseResidualIntoConvPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseResidualPattern<AddOp>, FuseResidualPattern<AddReLUOp>>(
        &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
