//===- Linear.cpp - Lowering rn.linear and rn.flatten to linalg -----------===//
//
// y = x W^T + b as linalg.matmul_transpose_b accumulating onto the broadcast
// bias; flatten as a collapse of all non-batch dimensions.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace resnetc;

namespace {
struct LinearLowering : OpRewritePattern<rn::LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Value init = op.getBias()
                     ? broadcastAlong(rewriter, loc, op.getBias(), type, 1)
                     : createFilled(rewriter, loc, type, 0.0);
    rewriter.replaceOpWithNewOp<linalg::MatmulTransposeBOp>(
        op, TypeRange{type}, ValueRange{op.getInput(), op.getWeight()},
        ValueRange{init});
    return success();
  }
};

struct FlattenLowering : OpRewritePattern<rn::FlattenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::FlattenOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    if (inType.getRank() == 2) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    ReassociationIndices rest;
    for (int64_t i = 1; i < inType.getRank(); ++i)
      rest.push_back(i);
    SmallVector<ReassociationIndices> groups = {{0}, rest};
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getType(),
                                                         op.getInput(), groups);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

struct LinearBackwardLowering : OpRewritePattern<rn::LinearBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::LinearBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto dxType = tensorOf(op.getInput()), dwType = tensorOf(op.getWeight());
    // dx = dy * W; dW = dy^T * x.
    Value dx = rewriter
                   .create<linalg::MatmulOp>(
                       loc, TypeRange{dxType},
                       ValueRange{op.getGradOutput(), op.getWeight()},
                       ValueRange{createFilled(rewriter, loc, dxType, 0.0)})
                   .getResult(0);
    Value dw = rewriter
                   .create<linalg::MatmulTransposeAOp>(
                       loc, TypeRange{dwType},
                       ValueRange{op.getGradOutput(), op.getInput()},
                       ValueRange{createFilled(rewriter, loc, dwType, 0.0)})
                   .getResult(0);
    rewriter.replaceOp(op, {dx, dw});
    return success();
  }
};

} // namespace

void resnetc::populateRNLinearToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering, FlattenLowering, LinearBackwardLowering>(
      patterns.getContext());
}
