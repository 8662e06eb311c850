//===- Normalization.cpp - Lowering rn batch norms to linalg --------------===//
//
// Inference batch norm as one elementwise generic with per-channel operands,
// and rn.fold_batch_norm as generics over the weights.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace resnetc;

/// scale / sqrt(var + eps), as PyTorch computes the inverse deviation.
static Value normFactor(OpBuilder &b, Location loc, Value scale, Value var,
                        double eps) {
  Value e = floatConstant(b, loc, var.getType(), eps);
  Value std = b.create<math::SqrtOp>(loc, b.create<arith::AddFOp>(loc, var, e));
  return b.create<arith::DivFOp>(loc, scale, std);
}

namespace {
struct BatchNormLowering : OpRewritePattern<rn::BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    double eps = op.getEpsilon().convertToDouble();
    Value y = buildElementwise(
        rewriter, op.getLoc(), op.getType(),
        {op.getInput(), op.getScale(), op.getBias(), op.getMean(), op.getVar()},
        [&](OpBuilder &b, Location l, ValueRange a) {
          // (x - mean) * (scale / sqrt(var + eps)) + bias
          Value centered = b.create<arith::SubFOp>(l, a[0], a[3]);
          Value f = normFactor(b, l, a[1], a[4], eps);
          return b
              .create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, centered, f),
                                     a[2])
              .getResult();
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

struct FoldBatchNormLowering : OpRewritePattern<rn::FoldBatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::FoldBatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    double eps = op.getEpsilon().convertToDouble();
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    auto vecType = cast<RankedTensorType>(op.getNewBias().getType());
    // new_weight[o, ...] = weight[o, ...] * scale[o] / sqrt(var[o] + eps)
    Value weight = buildElementwise(
        rewriter, loc, weightType, {op.getWeight(), op.getScale(), op.getVar()},
        [&](OpBuilder &b, Location l, ValueRange a) {
          return b
              .create<arith::MulFOp>(l, a[0], normFactor(b, l, a[1], a[2], eps))
              .getResult();
        },
        /*channelDim=*/0);
    // new_bias = (bias - mean) * scale / sqrt(var + eps) + shift
    SmallVector<Value> ins = {op.getScale(), op.getShift(), op.getMean(),
                              op.getVar()};
    if (op.getBias())
      ins.push_back(op.getBias());
    bool hasBias = static_cast<bool>(op.getBias());
    Value bias = buildElementwise(
        rewriter, loc, vecType, ins,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value centered =
              hasBias ? b.create<arith::SubFOp>(l, a[4], a[2]).getResult()
                      : b.create<arith::NegFOp>(l, a[2]).getResult();
          Value f = normFactor(b, l, a[0], a[3], eps);
          return b
              .create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, centered, f),
                                     a[1])
              .getResult();
        },
        /*channelDim=*/0);
    rewriter.replaceOp(op, {weight, bias});
    return success();
  }
};
} // namespace

void resnetc::populateRNNormalizationToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, FoldBatchNormLowering>(patterns.getContext());
}
