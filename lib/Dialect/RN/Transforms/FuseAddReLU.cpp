//===- FuseAddReLU.cpp - Fuse a residual add and its ReLU -----------------===//
//
// relu(add(a, b)) becomes add_relu(a, b) (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNFUSEADDRELU
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
struct FuseAddReLUPattern : OpRewritePattern<ReLUOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReLUOp relu,
                                PatternRewriter &rewriter) const override {
    auto add = relu.getInput().getDefiningOp<AddOp>();
    if (!add)
      return rewriter.notifyMatchFailure(relu, "input is not an rn.add");
    if (!add->hasOneUse())
      return rewriter.notifyMatchFailure(relu, "the sum has other uses");
    rewriter.replaceOpWithNewOp<AddReLUOp>(relu, add.getLhs(), add.getRhs());
    rewriter.eraseOp(add);
    return success();
  }
};

struct RNFuseAddReLUPass : rn::impl::RNFuseAddReLUBase<RNFuseAddReLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAddReLUPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
