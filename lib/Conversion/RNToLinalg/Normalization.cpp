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

} // namespace

/// Computes a per-channel f64 (mean, biased variance) from one scalar per
/// `wide` input.
using MeanAndVariance = llvm::function_ref<std::pair<Value, Value>(
    OpBuilder &, Location, ValueRange)>;

/// The per-channel results of a training batch norm from its statistics,
/// in one pass over the channels: the mean and variance (from `wide`, in
/// f64, rounded once), invstd, and the running statistics updated with
/// `momentum` and the unbiased variance of `n` values.
static SmallVector<Value>
batchStatistics(OpBuilder &b, Location loc, RankedTensorType vecType,
                ValueRange wide, Value runningMean, Value runningVar, double n,
                double eps, double momentum, MeanAndVariance meanAndVariance) {
  Type f32 = vecType.getElementType();
  double factor = n > 1 ? n / (n - 1) : 1.0;
  SmallVector<Value> inputs(wide);
  inputs.append({runningMean, runningVar});
  return perChannel(
      b, loc, vecType, inputs, 4,
      [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
        auto [mean64, var64] = meanAndVariance(b, l, a.drop_back(2));
        Value mean = b.create<arith::TruncFOp>(l, f32, mean64);
        Value var = b.create<arith::TruncFOp>(l, f32, var64);
        Value invstd = b.create<math::RsqrtOp>(
            l, b.create<arith::AddFOp>(l, var, floatConstant(b, l, f32, eps)));
        // new = (1 - momentum) * running + momentum * factor * batch
        auto blend = [&](Value running, Value batch, double by) {
          return b
              .create<arith::AddFOp>(
                  l,
                  b.create<arith::MulFOp>(
                      l, floatConstant(b, l, f32, 1 - momentum), running),
                  b.create<arith::MulFOp>(
                      l, floatConstant(b, l, f32, momentum * by), batch))
              .getResult();
        };
        return {mean, invstd, blend(a[a.size() - 2], mean, 1.0),
                blend(a.back(), var, factor)};
      });
}

/// y = [relu]((x - mean) * invstd * scale + bias [+ residual]), one pass.
static Value normalize(OpBuilder &b, Location loc, Value x, Value mean,
                       Value invstd, Value scale, Value bias, Value residual,
                       bool relu) {
  SmallVector<Value> inputs = {x, mean, invstd, scale, bias};
  if (residual)
    inputs.push_back(residual);
  return buildElementwise(
      b, loc, tensorOf(x), inputs, [&](OpBuilder &b, Location l, ValueRange a) {
        Value xhat = b.create<arith::MulFOp>(
            l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
        Value r = b.create<arith::AddFOp>(
            l, b.create<arith::MulFOp>(l, xhat, a[3]), a[4]);
        if (a.size() > 5)
          r = b.create<arith::AddFOp>(l, r, a[5]);
        return relu ? buildReLU(b, l, r) : r;
      });
}

/// The gradient as batch norm's backward reads it: through the ReLU's mask
/// when the op has the ReLU's output (`reluOut`, the last of `a`).
static Value readGradient(OpBuilder &b, Location l, Value dy, ValueRange a,
                          bool masked) {
  return masked ? maskedGradient(b, l, dy, a.back()) : dy;
}

/// Per-channel sums of dy and dy * xhat over N, H and W, or over H and W
/// of each image (`perImage`), in f64 and in one pass.
static std::pair<Value, Value> gradientSums(OpBuilder &b, Location loc,
                                            Value dy, Value x, Value mean,
                                            Value invstd, Value reluOut,
                                            bool perImage) {
  SmallVector<Value> ins = {dy, x, mean, invstd};
  if (reluOut)
    ins.push_back(reluOut);
  bool masked = static_cast<bool>(reluOut);
  return channelSumsInF64(
      b, loc, ins,
      [&](OpBuilder &b, Location l, ValueRange a) {
        return readGradient(b, l, a[0], a, masked);
      },
      [&](OpBuilder &b, Location l, ValueRange a) {
        Value xhat = b.create<arith::MulFOp>(
            l, b.create<arith::SubFOp>(l, a[1], a[2]), a[3]);
        return b
            .create<arith::MulFOp>(l, readGradient(b, l, a[0], a, masked), xhat)
            .getResult();
      },
      perImage);
}

/// dx = scale * invstd / n * (n * dy - db - xhat * dg), elementwise.
static Value inputGradient(OpBuilder &b, Location loc, Value dy, Value x,
                           Value mean, Value invstd, Value scale, Value db,
                           Value dg, Value reluOut, double n) {
  SmallVector<Value> inputs = {dy, x, mean, invstd, scale, db, dg};
  if (reluOut)
    inputs.push_back(reluOut);
  bool masked = static_cast<bool>(reluOut);
  return buildElementwise(
      b, loc, tensorOf(x), inputs, [&](OpBuilder &b, Location l, ValueRange a) {
        Type f = a[0].getType();
        Value g = readGradient(b, l, a[0], a, masked);
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
}

namespace {
struct BatchNormTrainLowering : OpRewritePattern<rn::BatchNormTrainOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormTrainOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = tensorOf(x);
    double n = static_cast<double>(type.getDimSize(0) * type.getDimSize(2) *
                                   type.getDimSize(3));
    // One pass over x: the sums of x and x*x in f64, then the mean and the
    // biased variance E[x^2] - E[x]^2, rounded once. In f64 the
    // cancellation loses nothing that the f32 result keeps.
    auto [sum, sumSquares] = channelSumsInF64(
        rewriter, loc, {x},
        [](OpBuilder &b, Location l, ValueRange a) { return a[0]; },
        [](OpBuilder &b, Location l, ValueRange a) {
          // Squared in f64: exact for an f32 x.
          Value w = b.create<arith::ExtFOp>(l, b.getF64Type(), a[0]);
          return b.create<arith::MulFOp>(l, w, w).getResult();
        });
    SmallVector<Value> stats = batchStatistics(
        rewriter, loc, tensorOf(op.getScale()), {sum, sumSquares},
        op.getRunningMean(), op.getRunningVar(), n,
        op.getEpsilon().convertToDouble(), op.getMomentum().convertToDouble(),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f64 = b.getF64Type();
          Value inv = floatConstant(b, l, f64, 1.0 / n);
          Value mean = b.create<arith::MulFOp>(l, a[0], inv);
          Value square = b.create<arith::MulFOp>(l, a[1], inv);
          Value var = b.create<arith::MaximumFOp>(
              l,
              b.create<arith::SubFOp>(l, square,
                                      b.create<arith::MulFOp>(l, mean, mean)),
              floatConstant(b, l, f64, 0.0));
          return std::pair<Value, Value>(mean, var);
        });
    Value y = normalize(rewriter, loc, x, stats[0], stats[1], op.getScale(),
                        op.getBias(), op.getResidual(), op.getRelu());
    rewriter.replaceOp(op, {y, stats[0], stats[1], stats[2], stats[3]});
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
    // grad_bias = sum(dy) and grad_scale = sum(dy * (x - mean) * invstd),
    // per channel, in one pass.
    auto [dbWide, dgWide] =
        gradientSums(rewriter, loc, dy, x, mean, invstd, op.getReluOutput(),
                     /*perImage=*/false);
    auto vecType = tensorOf(mean);
    SmallVector<Value> narrow = perChannel(
        rewriter, loc, vecType, {dbWide, dgWide}, 2,
        [&](OpBuilder &b, Location l, ValueRange a) -> SmallVector<Value> {
          Type f = vecType.getElementType();
          return {b.create<arith::TruncFOp>(l, f, a[0]),
                  b.create<arith::TruncFOp>(l, f, a[1])};
        });
    Value db = narrow[0], dg = narrow[1];
    Value dx = inputGradient(rewriter, loc, dy, x, mean, invstd, op.getScale(),
                             db, dg, op.getReluOutput(), n);
    rewriter.replaceOp(op, {dx, dg, db});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Batch norm in training mode, split over the images
//===----------------------------------------------------------------------===//

/// Per image and channel, the sum over H and W of `term` (given one scalar
/// per input, the first 4-D, the others N x C) in f64: N x C.
static Value imageSumInF64(OpBuilder &b, Location loc, ValueRange inputs,
                           ScalarBody term) {
  auto type = tensorOf(inputs[0]);
  MLIRContext *ctx = b.getContext();
  AffineMap image =
      AffineMap::get(4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, ctx);
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(4, ctx)};
  maps.append(inputs.size(), image);
  auto wide = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1)},
                                    b.getF64Type());
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{wide}, inputs,
          ValueRange{createFilled(b, loc, wide, 0.0)}, maps,
          iterators({false, false, true, true}),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::AddFOp>(l, a.back(),
                                            term(nb, l, a.drop_back()))
                       .getResult());
          })
      .getResult(0);
}

struct BatchNormImageStatsLowering
    : OpRewritePattern<rn::BatchNormImageStatsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormImageStatsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = tensorOf(x);
    auto statType = tensorOf(op.getImageMean());
    double size = static_cast<double>(type.getDimSize(2) * type.getDimSize(3));
    auto toF64 = [](OpBuilder &b, Location l, Value v) {
      return b.create<arith::ExtFOp>(l, b.getF64Type(), v).getResult();
    };
    // The mean of each image's channel, in f64, rounded once ...
    Value sum = imageSumInF64(rewriter, loc, {x},
                              [&](OpBuilder &b, Location l, ValueRange a) {
                                return toF64(b, l, a[0]);
                              });
    Value mean = buildElementwise(
        rewriter, loc, statType, {sum},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value m = b.create<arith::DivFOp>(
              l, a[0], floatConstant(b, l, b.getF64Type(), size));
          return b.create<arith::TruncFOp>(l, statType.getElementType(), m)
              .getResult();
        });
    // ... then the squared deviations from that (rounded) mean, in f64: the
    // image is read twice while it is in cache, and nothing cancels.
    Value m2 = imageSumInF64(
        rewriter, loc, {x, mean}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value d =
              b.create<arith::SubFOp>(l, toF64(b, l, a[0]), toF64(b, l, a[1]));
          return b.create<arith::MulFOp>(l, d, d).getResult();
        });
    rewriter.replaceOp(op, {mean, narrowTo(rewriter, loc, statType, m2)});
    return success();
  }
};

struct BatchNormCombineStatsLowering
    : OpRewritePattern<rn::BatchNormCombineStatsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormCombineStatsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto statType = tensorOf(op.getImageMean());
    auto vecType = tensorOf(op.getRunningMean());
    double images = static_cast<double>(statType.getDimSize(0));
    double size = static_cast<double>(op.getImageSize());
    auto wide =
        RankedTensorType::get(vecType.getShape(), rewriter.getF64Type());
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap channel = AffineMap::get(2, 0, rewriter.getAffineDimExpr(1));
    auto sumOverImages = [&](ValueRange inputs, ScalarBody term) {
      SmallVector<AffineMap> maps;
      for (Value in : inputs)
        maps.push_back(tensorOf(in).getRank() == 2 ? id : channel);
      maps.push_back(channel);
      return rewriter
          .create<linalg::GenericOp>(
              loc, TypeRange{wide}, inputs,
              ValueRange{createFilled(rewriter, loc, wide, 0.0)}, maps,
              iterators({true, false}),
              [&](OpBuilder &b, Location l, ValueRange a) {
                b.create<linalg::YieldOp>(
                    l, b.create<arith::AddFOp>(l, a.back(),
                                               term(b, l, a.drop_back()))
                           .getResult());
              })
          .getResult(0);
    };
    auto toF64 = [](OpBuilder &b, Location l, Value v) {
      return b.create<arith::ExtFOp>(l, b.getF64Type(), v).getResult();
    };
    // The batch's mean: the images' means have equal weight.
    Value meanSum = sumOverImages({op.getImageMean()},
                                  [&](OpBuilder &b, Location l, ValueRange a) {
                                    return toF64(b, l, a[0]);
                                  });
    // Chan et al.: the images' squared deviations from their own means,
    // plus size * (m_n - mean)^2 for the distance between the means.
    Value m2 = sumOverImages(
        {op.getImageMean(), op.getImageM2(), meanSum},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f64 = b.getF64Type();
          Value mean = b.create<arith::DivFOp>(
              l, a[2], floatConstant(b, l, f64, images));
          Value d = b.create<arith::SubFOp>(l, toF64(b, l, a[0]), mean);
          Value between =
              b.create<arith::MulFOp>(l, floatConstant(b, l, f64, size),
                                      b.create<arith::MulFOp>(l, d, d));
          return b.create<arith::AddFOp>(l, toF64(b, l, a[1]), between)
              .getResult();
        });
    SmallVector<Value> stats = batchStatistics(
        rewriter, loc, vecType, {meanSum, m2}, op.getRunningMean(),
        op.getRunningVar(), images * size, op.getEpsilon().convertToDouble(),
        op.getMomentum().convertToDouble(),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f64 = b.getF64Type();
          Value mean = b.create<arith::DivFOp>(
              l, a[0], floatConstant(b, l, f64, images));
          Value var = b.create<arith::DivFOp>(
              l, a[1], floatConstant(b, l, f64, images * size));
          return std::pair<Value, Value>(mean, var);
        });
    rewriter.replaceOp(op, stats);
    return success();
  }
};

struct BatchNormNormalizeLowering : OpRewritePattern<rn::BatchNormNormalizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormNormalizeOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       normalize(rewriter, op.getLoc(), op.getInput(),
                                 op.getMean(), op.getInvstd(), op.getScale(),
                                 op.getBias(), op.getResidual(), op.getRelu()));
    return success();
  }
};

/// An N x C f64 tensor as N x C x 2 of `type`'s element type: [n, c, 0] the
/// value rounded, [n, c, 1] the rounded remainder, so that summing both
/// parts in f64 loses (almost) nothing of the value.
static Value splitInPairs(OpBuilder &b, Location loc, RankedTensorType type,
                          Value wide) {
  MLIRContext *ctx = b.getContext();
  AffineMap image =
      AffineMap::get(3, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, ctx);
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{wide},
          ValueRange{createEmpty(b, loc, type)},
          ArrayRef<AffineMap>{image, AffineMap::getMultiDimIdentityMap(3, ctx)},
          iterators({false, false, false}),
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Type f = type.getElementType();
            Value hi = nb.create<arith::TruncFOp>(l, f, a[0]);
            Value lo = nb.create<arith::TruncFOp>(
                l, f,
                nb.create<arith::SubFOp>(
                    l, a[0], nb.create<arith::ExtFOp>(l, a[0].getType(), hi)));
            Value first = nb.create<arith::CmpIOp>(
                l, arith::CmpIPredicate::eq, nb.create<linalg::IndexOp>(l, 2),
                nb.create<arith::ConstantIndexOp>(l, 0));
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::SelectOp>(l, first, hi, lo).getResult());
          })
      .getResult(0);
}

struct BatchNormGradImageSumsLowering
    : OpRewritePattern<rn::BatchNormGradImageSumsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormGradImageSumsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto [dy, dyXhat] = gradientSums(
        rewriter, loc, op.getGradOutput(), op.getInput(), op.getMean(),
        op.getInvstd(), op.getReluOutput(), /*perImage=*/true);
    auto statType = tensorOf(op.getSumGrad());
    rewriter.replaceOp(op, {splitInPairs(rewriter, loc, statType, dy),
                            splitInPairs(rewriter, loc, statType, dyXhat)});
    return success();
  }
};

struct BatchNormInputGradLowering : OpRewritePattern<rn::BatchNormInputGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::BatchNormInputGradOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, inputGradient(rewriter, op.getLoc(),
                                         op.getGradOutput(), op.getInput(),
                                         op.getMean(), op.getInvstd(),
                                         op.getScale(), op.getGradBias(),
                                         op.getGradScale(), op.getReluOutput(),
                                         static_cast<double>(op.getCount())));
    return success();
  }
};

} // namespace

void resnetc::populateRNNormalizationToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, FoldBatchNormLowering, BatchNormTrainLowering,
               BatchNormTrainBackwardLowering, BatchNormImageStatsLowering,
               BatchNormCombineStatsLowering, BatchNormNormalizeLowering,
               BatchNormGradImageSumsLowering, BatchNormInputGradLowering>(
      patterns.getContext());
}
