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

//===----------------------------------------------------------------------===//
// Batch norm in training mode and its backward
//===----------------------------------------------------------------------===//

struct BatchNormTrainLowering : OpRewritePattern<rn::BatchNormTrainOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormTrainOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = tensorOf(x);
    auto vecType = tensorOf(op.getScale());
    double n = static_cast<double>(type.getDimSize(0) * type.getDimSize(2) *
                                   type.getDimSize(3));
    double eps = op.getEpsilon().convertToDouble();
    double m = op.getMomentum().convertToDouble();
    // One pass over x: the sums of x and x*x in f64, then the mean and the
    // biased variance E[x^2] - E[x]^2, rounded once. In f64 the
    // cancellation loses nothing that the f32 result keeps.
    Value sum, sumSquares;
    std::tie(sum, sumSquares) = channelSumsInF64(
        rewriter, loc, {x},
        [](OpBuilder &b, Location l, ValueRange a) { return a[0]; },
        [](OpBuilder &b, Location l, ValueRange a) {
          // Squared in f64: exact for an f32 x.
          Value w = b.create<arith::ExtFOp>(l, b.getF64Type(), a[0]);
          return b.create<arith::MulFOp>(l, w, w).getResult();
        });
    // Every per-channel result in one pass over the channels: the mean and
    // variance (in f64, rounded once), invstd, and the running statistics.
    Type f32 = vecType.getElementType();
    double factor = n > 1 ? n / (n - 1) : 1.0;
    SmallVector<Value> stats = perChannel(
        rewriter, loc, vecType,
        {sum, sumSquares, op.getRunningMean(), op.getRunningVar()}, 4,
        [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
          Type f64 = b.getF64Type();
          Value inv = floatConstant(b, l, f64, 1.0 / n);
          Value mean64 = b.create<arith::MulFOp>(l, a[0], inv);
          Value square = b.create<arith::MulFOp>(l, a[1], inv);
          Value var64 = b.create<arith::MaximumFOp>(
              l,
              b.create<arith::SubFOp>(
                  l, square, b.create<arith::MulFOp>(l, mean64, mean64)),
              floatConstant(b, l, f64, 0.0));
          Value mean = b.create<arith::TruncFOp>(l, f32, mean64);
          Value var = b.create<arith::TruncFOp>(l, f32, var64);
          Value invstd = b.create<math::RsqrtOp>(
              l,
              b.create<arith::AddFOp>(l, var, floatConstant(b, l, f32, eps)));
          // new = (1 - momentum) * running + momentum * factor * batch
          auto blend = [&](Value running, Value batch, double by) {
            return b
                .create<arith::AddFOp>(
                    l,
                    b.create<arith::MulFOp>(l, floatConstant(b, l, f32, 1 - m),
                                            running),
                    b.create<arith::MulFOp>(l, floatConstant(b, l, f32, m * by),
                                            batch))
                .getResult();
          };
          return {mean, invstd, blend(a[2], mean, 1.0),
                  blend(a[3], var, factor)};
        });
    Value mean = stats[0], invstd = stats[1];
    // y = [relu]((x - mean) * invstd * scale + bias [+ residual]), one pass.
    SmallVector<Value> applyInputs = {x, mean, invstd, op.getScale(),
                                      op.getBias()};
    if (op.getResidual())
      applyInputs.push_back(op.getResidual());
    bool relu = op.getRelu();
    Value y =
        buildElementwise(rewriter, loc, type, applyInputs,
                         [&](OpBuilder &b, Location l, ValueRange a) {
                           Value xhat = b.create<arith::MulFOp>(
                               l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
                           Value r = b.create<arith::AddFOp>(
                               l, b.create<arith::MulFOp>(l, xhat, a[3]), a[4]);
                           if (a.size() > 5)
                             r = b.create<arith::AddFOp>(l, r, a[5]);
                           return relu ? buildReLU(b, l, r) : r;
                         });
    rewriter.replaceOp(op, {y, mean, invstd, stats[2], stats[3]});
    return success();
  }
};

struct BatchNormTrainBackwardLowering
    : OpRewritePattern<rn::BatchNormTrainBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormTrainBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dy = op.getGradOutput(), x = op.getInput();
    auto type = tensorOf(x);
    double n = static_cast<double>(type.getDimSize(0) * type.getDimSize(2) *
                                   type.getDimSize(3));
    Value mean = op.getSavedMean(), invstd = op.getSavedInvstd();
    // With a ReLU's output, dy is read through its mask.
    Value reluOut = op.getReluOutput();
    auto grad = [reluOut](OpBuilder &b, Location l, Value dy, ValueRange a) {
      return reluOut ? maskedGradient(b, l, dy, a.back()) : dy;
    };
    SmallVector<Value> ins = {dy, x, mean, invstd};
    if (reluOut)
      ins.push_back(reluOut);
    // grad_bias = sum(dy) and grad_scale = sum(dy * (x - mean) * invstd),
    // per channel, in one pass.
    auto [dbWide, dgWide] = channelSumsInF64(
        rewriter, loc, ins,
        [&](OpBuilder &b, Location l, ValueRange a) {
          return grad(b, l, a[0], a);
        },
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = b.create<arith::MulFOp>(
              l, b.create<arith::SubFOp>(l, a[1], a[2]), a[3]);
          return b.create<arith::MulFOp>(l, grad(b, l, a[0], a), xhat)
              .getResult();
        });
    auto vecType = tensorOf(mean);
    SmallVector<Value> narrow = perChannel(
        rewriter, loc, vecType, {dbWide, dgWide}, 2,
        [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
          Type f = vecType.getElementType();
          return {b.create<arith::TruncFOp>(l, f, a[0]),
                  b.create<arith::TruncFOp>(l, f, a[1])};
        });
    Value db = narrow[0], dgFull = narrow[1];
    // dx = scale * invstd / n * (n * dy - db - xhat * dg)
    SmallVector<Value> dxInputs = {dy, x,     mean, invstd, op.getScale(),
                                   db, dgFull};
    if (reluOut)
      dxInputs.push_back(reluOut);
    Value dx = buildElementwise(
        rewriter, loc, type, dxInputs,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f = a[0].getType();
          Value g = grad(b, l, a[0], a);
          Value xhat = b.create<arith::MulFOp>(
              l, b.create<arith::SubFOp>(l, a[1], a[2]), a[3]);
          Value inner = b.create<arith::SubFOp>(
              l,
              b.create<arith::SubFOp>(
                  l, b.create<arith::MulFOp>(l, floatConstant(b, l, f, n), g),
                  a[5]),
              b.create<arith::MulFOp>(l, xhat, a[6]));
          Value coeff =
              b.create<arith::DivFOp>(l, b.create<arith::MulFOp>(l, a[4], a[3]),
                                      floatConstant(b, l, f, n));
          return b.create<arith::MulFOp>(l, coeff, inner).getResult();
        });
    rewriter.replaceOp(op, {dx, dgFull, db});
    return success();
  }
};

} // namespace

void resnetc::populateRNNormalizationToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, FoldBatchNormLowering, BatchNormTrainLowering,
               BatchNormTrainBackwardLowering>(patterns.getContext());
}
