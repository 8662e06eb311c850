//===- Training.cpp - Lowering rn training ops to linalg ------------------===//
//
// Batch norm in training mode and its backward, the gradients of
// convolutions, pooling, linear layers and ReLU, the loss, and the SGD
// update. The data gradient of a convolution is itself an rn.conv2d over the
// stride-dilated, padded output gradient with transposed and flipped
// weights, so it reuses the convolution lowering. Pooling gradients scatter
// into the input gradient with explicit loops (max pooling routes each
// window's gradient to its first maximum, as PyTorch).
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace resnetc;

static RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

static SmallVector<utils::IteratorType> iterators(ArrayRef<bool> isReduction) {
  SmallVector<utils::IteratorType> out;
  for (bool r : isReduction)
    out.push_back(r ? utils::IteratorType::reduction
                    : utils::IteratorType::parallel);
  return out;
}

/// A reduction `result[...] = sum over the reduction loops of term(...)`,
/// accumulated in f64 and rounded once to the element type of `type`. The
/// per-channel reductions of training run over N*H*W terms (hundreds of
/// thousands for a batch of 128 at 96x96); summed in f32 one after another,
/// their rounding error grows with that count and visibly moves gradients
/// (a value near a ReLU's kink changes side). `maps` has one map per input
/// and a last one for the result; `term` receives one scalar per input.
static Value reduceInF64(OpBuilder &b, Location loc, RankedTensorType type,
                         ValueRange inputs, ArrayRef<AffineMap> maps,
                         ArrayRef<bool> isReduction, ScalarBody term) {
  auto wide = RankedTensorType::get(type.getShape(), b.getF64Type());
  Value sum =
      b.create<linalg::GenericOp>(
           loc, TypeRange{wide}, inputs,
           ValueRange{createFilled(b, loc, wide, 0.0)}, maps,
           iterators(isReduction),
           [&](OpBuilder &nb, Location l, ValueRange a) {
             Value v = nb.create<arith::ExtFOp>(l, nb.getF64Type(),
                                                term(nb, l, a.drop_back()));
             nb.create<linalg::YieldOp>(
                 l, nb.create<arith::AddFOp>(l, a.back(), v).getResult());
           })
          .getResult(0);
  return buildElementwise(
      b, loc, type, {sum},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return nb.create<arith::TruncFOp>(l, type.getElementType(), a[0])
            .getResult();
      },
      0);
}

/// Sum over every dimension but `keep` of `x` (any rank), as a vector:
/// of `body` applied to x and `extraChannelInputs` (indexed by `keep`)
/// when given, else of x.
static Value sumExcept(OpBuilder &b, Location loc, Value x, int64_t keep,
                       ScalarBody body = nullptr,
                       ValueRange extraChannelInputs = {}) {
  auto type = tensorOf(x);
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  auto vec =
      RankedTensorType::get({type.getDimSize(keep)}, type.getElementType());
  SmallVector<AffineMap> maps = {AffineMap::getMultiDimIdentityMap(rank, ctx)};
  AffineMap channel = AffineMap::get(rank, 0, b.getAffineDimExpr(keep));
  for (size_t i = 0; i < extraChannelInputs.size(); ++i)
    maps.push_back(channel);
  maps.push_back(channel);
  SmallVector<bool> red(rank, true);
  red[keep] = false;
  SmallVector<Value> ins = {x};
  ins.append(extraChannelInputs.begin(), extraChannelInputs.end());
  return reduceInF64(b, loc, vec, ins, maps, red,
                     [&](OpBuilder &nb, Location l, ValueRange a) {
                       return body ? body(nb, l, a) : a[0];
                     });
}

namespace {
//===----------------------------------------------------------------------===//
// Elementwise and reductions
//===----------------------------------------------------------------------===//

struct ReLUBackwardLowering : OpRewritePattern<rn::ReLUBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReLUBackwardOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, buildElementwise(
                rewriter, op.getLoc(), op.getType(),
                {op.getGradOutput(), op.getOutput()},
                [](OpBuilder &b, Location l, ValueRange a) {
                  Value zero = floatConstant(b, l, a[0].getType(), 0.0);
                  Value positive = b.create<arith::CmpFOp>(
                      l, arith::CmpFPredicate::OGT, a[1], zero);
                  return b.create<arith::SelectOp>(l, positive, a[0], zero)
                      .getResult();
                }));
    return success();
  }
};

struct ReduceToChannelsLowering : OpRewritePattern<rn::ReduceToChannelsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReduceToChannelsOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, sumExcept(rewriter, op.getLoc(), op.getInput(), 1));
    return success();
  }
};

struct GlobalAvgPoolBackwardLowering
    : OpRewritePattern<rn::GlobalAvgPoolBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::GlobalAvgPoolBackwardOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    double n = static_cast<double>(type.getDimSize(2) * type.getDimSize(3));
    AffineMap in = AffineMap::get(
        4, 0,
        {rewriter.getAffineDimExpr(0), rewriter.getAffineDimExpr(1),
         rewriter.getAffineConstantExpr(0), rewriter.getAffineConstantExpr(0)},
        ctx);
    Value r =
        rewriter
            .create<linalg::GenericOp>(
                op.getLoc(), TypeRange{type}, ValueRange{op.getGradOutput()},
                ValueRange{createEmpty(rewriter, op.getLoc(), type)},
                ArrayRef<AffineMap>{in,
                                    AffineMap::getMultiDimIdentityMap(4, ctx)},
                iterators({false, false, false, false}),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  Value d = floatConstant(b, l, a[0].getType(), n);
                  b.create<linalg::YieldOp>(
                      l, b.create<arith::DivFOp>(l, a[0], d).getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

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

//===----------------------------------------------------------------------===//
// Loss and optimizer
//===----------------------------------------------------------------------===//

/// Per row: the log-sum-exp of the logits and the index of the first
/// largest logit.
static std::pair<Value, Value> rowStats(OpBuilder &b, Location loc,
                                        Value logits) {
  auto type = tensorOf(logits);
  int64_t n = type.getDimSize(0);
  Type f32 = type.getElementType();
  MLIRContext *ctx = b.getContext();
  auto rowF = RankedTensorType::get({n}, f32);
  auto rowI = RankedTensorType::get({n}, b.getI64Type());
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap row = AffineMap::get(2, 0, b.getAffineDimExpr(0));
  // max and argmax (strict '>' keeps the first maximum).
  Value negInf =
      createFilled(b, loc, rowF, -std::numeric_limits<double>::infinity());
  Value zeroI =
      b.create<linalg::FillOp>(
           loc, b.create<arith::ConstantIntOp>(loc, 0, 64).getResult(),
           createEmpty(b, loc, rowI))
          .getResult(0);
  auto maxOp = b.create<linalg::GenericOp>(
      loc, TypeRange{rowF, rowI}, ValueRange{logits}, ValueRange{negInf, zeroI},
      ArrayRef<AffineMap>{id, row, row}, iterators({false, true}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value k = nb.create<arith::IndexCastOp>(
            l, nb.getI64Type(), nb.create<linalg::IndexOp>(l, 1));
        Value greater =
            nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, a[0], a[1]);
        nb.create<linalg::YieldOp>(
            l, ValueRange{nb.create<arith::SelectOp>(l, greater, a[0], a[1]),
                          nb.create<arith::SelectOp>(l, greater, k, a[2])});
      });
  Value max = maxOp.getResult(0), argmax = maxOp.getResult(1);
  Value sum = b.create<linalg::GenericOp>(
                   loc, TypeRange{rowF}, ValueRange{logits, max},
                   ValueRange{createFilled(b, loc, rowF, 0.0)},
                   ArrayRef<AffineMap>{id, row, row}, iterators({false, true}),
                   [&](OpBuilder &nb, Location l, ValueRange a) {
                     Value e = nb.create<math::ExpOp>(
                         l, nb.create<arith::SubFOp>(l, a[0], a[1]));
                     nb.create<linalg::YieldOp>(
                         l, nb.create<arith::AddFOp>(l, a[2], e).getResult());
                   })
                  .getResult(0);
  Value lse = buildElementwise(
      b, loc, rowF, {max, sum}, [](OpBuilder &nb, Location l, ValueRange a) {
        return nb
            .create<arith::AddFOp>(l, a[0], nb.create<math::LogOp>(l, a[1]))
            .getResult();
      });
  return {lse, argmax};
}

/// logits[n, labels[n]] inside a body indexed by n.
static Value labelLogit(OpBuilder &b, Location l, Value logits, Value label,
                        Value n) {
  Value k = b.create<arith::IndexCastOp>(l, b.getIndexType(), label);
  return b.create<tensor::ExtractOp>(l, logits, ValueRange{n, k});
}

struct SoftmaxCrossEntropyLowering
    : OpRewritePattern<rn::SoftmaxCrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::SoftmaxCrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits(), labels = op.getLabels();
    int64_t n = tensorOf(logits).getDimSize(0);
    auto [lse, argmax] = rowStats(rewriter, loc, logits);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap row = AffineMap::getMultiDimIdentityMap(1, ctx);
    AffineMap scalar = AffineMap::get(1, 0, ctx);
    auto lossType = tensorOf(op.getLoss());
    auto countType = tensorOf(op.getCorrect());
    Value zeroI =
        rewriter
            .create<linalg::FillOp>(
                loc,
                rewriter.create<arith::ConstantIntOp>(loc, 0, 64).getResult(),
                createEmpty(rewriter, loc, countType))
            .getResult(0);
    auto reduce = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{lossType, countType}, ValueRange{lse, argmax, labels},
        ValueRange{createFilled(rewriter, loc, lossType, 0.0), zeroI},
        ArrayRef<AffineMap>{row, row, row, scalar, scalar}, iterators({true}),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value i = b.create<linalg::IndexOp>(l, 0);
          Value nll = b.create<arith::SubFOp>(
              l, a[0], labelLogit(b, l, logits, a[2], i));
          Value hit = b.create<arith::ExtUIOp>(
              l, b.getI64Type(),
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, a[1], a[2]));
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::AddFOp>(l, a[3], nll),
                            b.create<arith::AddIOp>(l, a[4], hit)});
        });
    Value mean = buildElementwise(
        rewriter, loc, lossType, {reduce.getResult(0)},
        [&](OpBuilder &b, Location l, ValueRange a) {
          return b
              .create<arith::DivFOp>(
                  l, a[0], floatConstant(b, l, a[0].getType(), double(n)))
              .getResult();
        });
    rewriter.replaceOp(op, {mean, reduce.getResult(1)});
    return success();
  }
};

struct SoftmaxCrossEntropyBackwardLowering
    : OpRewritePattern<rn::SoftmaxCrossEntropyBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::SoftmaxCrossEntropyBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits();
    int64_t n = tensorOf(logits).getDimSize(0);
    Value lse = rowStats(rewriter, loc, logits).first;
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, rewriter.getAffineDimExpr(0));
    Value r =
        rewriter
            .create<linalg::GenericOp>(
                loc, TypeRange{op.getType()},
                ValueRange{logits, lse, op.getLabels()},
                ValueRange{createEmpty(rewriter, loc, op.getType())},
                ArrayRef<AffineMap>{id, row, row, id},
                iterators({false, false}),
                [&](OpBuilder &b, Location l, ValueRange a) {
                  // (softmax - onehot) / n
                  Value p = b.create<math::ExpOp>(
                      l, b.create<arith::SubFOp>(l, a[0], a[1]));
                  Value k = b.create<arith::IndexCastOp>(
                      l, b.getI64Type(), b.create<linalg::IndexOp>(l, 1));
                  Value isLabel = b.create<arith::CmpIOp>(
                      l, arith::CmpIPredicate::eq, k, a[2]);
                  Value one = floatConstant(b, l, p.getType(), 1.0);
                  Value zero = floatConstant(b, l, p.getType(), 0.0);
                  Value g = b.create<arith::SubFOp>(
                      l, p, b.create<arith::SelectOp>(l, isLabel, one, zero));
                  b.create<linalg::YieldOp>(
                      l, b.create<arith::DivFOp>(
                              l, g,
                              floatConstant(b, l, p.getType(),
                                            static_cast<double>(n)))
                             .getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct SGDUpdateLowering : OpRewritePattern<rn::SGDUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::SGDUpdateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = tensorOf(op.getParam());
    unsigned rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap scalar = AffineMap::get(rank, 0, ctx);
    double momentum = op.getMomentum().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    bool nesterov = op.getNesterov();
    auto update = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type, type},
        ValueRange{op.getParam(), op.getGrad(), op.getVelocity(), op.getLr()},
        ValueRange{createEmpty(rewriter, loc, type),
                   createEmpty(rewriter, loc, type)},
        ArrayRef<AffineMap>{id, id, id, scalar, id, id},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f = a[0].getType();
          Value p = a[0], g = a[1], v = a[2], lr = a[3];
          Value d = decay != 0 ? b.create<arith::AddFOp>(
                                      l, g,
                                      b.create<arith::MulFOp>(
                                          l, floatConstant(b, l, f, decay), p))
                                     .getResult()
                               : g;
          Value newV = v, step = d;
          if (momentum != 0) {
            Value m = floatConstant(b, l, f, momentum);
            newV =
                b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, m, v), d);
            step = nesterov ? b.create<arith::AddFOp>(
                                   l, d, b.create<arith::MulFOp>(l, m, newV))
                                  .getResult()
                            : newV;
          }
          Value newP = b.create<arith::SubFOp>(
              l, p, b.create<arith::MulFOp>(l, lr, step));
          b.create<linalg::YieldOp>(l, ValueRange{newP, newV});
        });
    rewriter.replaceOp(op, update.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Batch norm in training mode
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
    auto scale = [&](Value v, double by) {
      return buildElementwise(
          rewriter, loc, vecType, {v},
          [&](OpBuilder &b, Location l, ValueRange a) {
            return b
                .create<arith::MulFOp>(l, a[0],
                                       floatConstant(b, l, a[0].getType(), by))
                .getResult();
          },
          0);
    };
    // Two passes: the mean, then the biased variance around it.
    Value mean = scale(sumExcept(rewriter, loc, x, 1), 1.0 / n);
    Value var =
        scale(sumExcept(rewriter, loc, x, 1,
                        [](OpBuilder &b, Location l, ValueRange a) {
                          Value c = b.create<arith::SubFOp>(l, a[0], a[1]);
                          return b.create<arith::MulFOp>(l, c, c).getResult();
                        },
                        {mean}),
              1.0 / n);
    Value invstd = buildElementwise(
        rewriter, loc, vecType, {var},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value e = floatConstant(b, l, a[0].getType(), eps);
          return b.create<math::RsqrtOp>(l, b.create<arith::AddFOp>(l, a[0], e))
              .getResult();
        },
        0);
    Value y = buildElementwise(
        rewriter, loc, type, {x, mean, invstd, op.getScale(), op.getBias()},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = b.create<arith::MulFOp>(
              l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
          return b
              .create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, xhat, a[3]),
                                     a[4])
              .getResult();
        });
    auto blend = [&](Value running, Value batch, double factor) {
      return buildElementwise(
          rewriter, loc, vecType, {running, batch},
          [&](OpBuilder &b, Location l, ValueRange a) {
            Type f = a[0].getType();
            return b
                .create<arith::AddFOp>(
                    l,
                    b.create<arith::MulFOp>(l, floatConstant(b, l, f, 1 - m),
                                            a[0]),
                    b.create<arith::MulFOp>(
                        l, floatConstant(b, l, f, m * factor), a[1]))
                .getResult();
          },
          0);
    };
    Value newMean = blend(op.getRunningMean(), mean, 1.0);
    Value newVar = blend(op.getRunningVar(), var, n > 1 ? n / (n - 1) : 1.0);
    rewriter.replaceOp(op, {y, mean, invstd, newMean, newVar});
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
    Value db = sumExcept(rewriter, loc, dy, 1);
    // grad_scale = sum(dy * (x - mean) * invstd), per channel.
    Value dgFull;
    {
      unsigned rank = 4;
      MLIRContext *ctx = rewriter.getContext();
      AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
      AffineMap ch = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(1));
      auto vecType = tensorOf(mean);
      dgFull = reduceInF64(
          rewriter, loc, vecType, {dy, x, mean, invstd}, {id, id, ch, ch, ch},
          {true, false, true, true},
          [](OpBuilder &b, Location l, ValueRange a) {
            Value xhat = b.create<arith::MulFOp>(
                l, b.create<arith::SubFOp>(l, a[1], a[2]), a[3]);
            return b.create<arith::MulFOp>(l, a[0], xhat).getResult();
          });
    }
    // dx = scale * invstd / n * (n * dy - db - xhat * dg)
    Value dx = buildElementwise(
        rewriter, loc, type, {dy, x, mean, invstd, op.getScale(), db, dgFull},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f = a[0].getType();
          Value xhat = b.create<arith::MulFOp>(
              l, b.create<arith::SubFOp>(l, a[1], a[2]), a[3]);
          Value inner = b.create<arith::SubFOp>(
              l,
              b.create<arith::SubFOp>(
                  l,
                  b.create<arith::MulFOp>(l, floatConstant(b, l, f, n), a[0]),
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

//===----------------------------------------------------------------------===//
// Convolution and pooling gradients
//===----------------------------------------------------------------------===//

struct Conv2DBackwardFilterLowering
    : OpRewritePattern<rn::Conv2DBackwardFilterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::Conv2DBackwardFilterOp op,
                                PatternRewriter &rewriter) const override {
    // dw[f, c, i, j] = sum_{n, p, q} dy[n, f, p, q] *
    //                  xpad[n, (f floordiv Fg) * Cg + c, p*s + i*d, q*s + j*d]
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    ArrayRef<int64_t> st = op.getStrides(), pd = op.getPadding(),
                      dl = op.getDilation();
    Value x = padSpatial(rewriter, loc, op.getInput(), pd[0], pd[1], 0.0);
    int64_t Fg = type.getDimSize(0) / op.getGroups(), Cg = type.getDimSize(1);
    MLIRContext *ctx = rewriter.getContext();
    auto d = [&](unsigned i) { return rewriter.getAffineDimExpr(i); };
    // Loops: f, c, i, j (parallel), n, p, q (reduction).
    AffineMap dyMap = AffineMap::get(7, 0, {d(4), d(0), d(5), d(6)}, ctx);
    AffineMap xMap = AffineMap::get(7, 0,
                                    {d(4), d(0).floorDiv(Fg) * Cg + d(1),
                                     d(5) * st[0] + d(2) * dl[0],
                                     d(6) * st[1] + d(3) * dl[1]},
                                    ctx);
    AffineMap outMap = AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx);
    Value r = reduceInF64(
        rewriter, loc, type, {op.getGradOutput(), x}, {dyMap, xMap, outMap},
        {false, false, false, false, true, true, true},
        [](OpBuilder &b, Location l, ValueRange a) {
          return b.create<arith::MulFOp>(l, a[0], a[1]).getResult();
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct Conv2DBackwardDataLowering : OpRewritePattern<rn::Conv2DBackwardDataOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::Conv2DBackwardDataOp op,
                                PatternRewriter &rewriter) const override {
    // dx = conv(z, w_t) at stride 1 with the forward dilation, where z is dy
    // spread out by the stride and padded by d*(k-1) - padding, and
    // w_t[g*Cg + c, f, i, j] = w[g*Fg + f, c, kh-1-i, kw-1-j].
    Location loc = op.getLoc();
    RankedTensorType dxType = op.getType();
    auto dyType = tensorOf(op.getGradOutput());
    auto wType = tensorOf(op.getWeight());
    ArrayRef<int64_t> st = op.getStrides(), pd = op.getPadding(),
                      dl = op.getDilation();
    int64_t G = op.getGroups(), F = wType.getDimSize(0),
            Cg = wType.getDimSize(1), Kh = wType.getDimSize(2),
            Kw = wType.getDimSize(3), Fg = F / G;
    int64_t spanH = dl[0] * (Kh - 1), spanW = dl[1] * (Kw - 1);
    int64_t leftH = spanH - pd[0], leftW = spanW - pd[1];
    int64_t H = dxType.getDimSize(2), W = dxType.getDimSize(3);
    int64_t Ho = dyType.getDimSize(2), Wo = dyType.getDimSize(3);
    int64_t zH = H + spanH, zW = W + spanW;
    if (leftH < 0 || leftW < 0 || leftH + (Ho - 1) * st[0] + 1 > zH ||
        leftW + (Wo - 1) * st[1] + 1 > zW)
      return rewriter.notifyMatchFailure(
          op, "padding larger than the dilated kernel's reach");
    Type f32 = dxType.getElementType();
    auto zType = RankedTensorType::get({dyType.getDimSize(0), F, zH, zW}, f32);
    Value z = createFilled(rewriter, loc, zType, 0.0);
    SmallVector<OpFoldResult> offsets = {
        rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(leftH), rewriter.getIndexAttr(leftW)};
    SmallVector<OpFoldResult> sizes;
    for (int64_t s : dyType.getShape())
      sizes.push_back(rewriter.getIndexAttr(s));
    SmallVector<OpFoldResult> strides = {
        rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
        rewriter.getIndexAttr(st[0]), rewriter.getIndexAttr(st[1])};
    z = rewriter.create<tensor::InsertSliceOp>(loc, op.getGradOutput(), z,
                                               offsets, sizes, strides);
    // Transposed, flipped weights.
    MLIRContext *ctx = rewriter.getContext();
    auto d = [&](unsigned i) { return rewriter.getAffineDimExpr(i); };
    auto wtType = RankedTensorType::get({G * Cg, Fg, Kh, Kw}, f32);
    AffineMap wMap = AffineMap::get(4, 0,
                                    {d(0).floorDiv(Cg) * Fg + d(1), d(0) % Cg,
                                     -d(2) + (Kh - 1), -d(3) + (Kw - 1)},
                                    ctx);
    Value wt = rewriter
                   .create<linalg::GenericOp>(
                       loc, TypeRange{wtType}, ValueRange{op.getWeight()},
                       ValueRange{createEmpty(rewriter, loc, wtType)},
                       ArrayRef<AffineMap>{
                           wMap, AffineMap::getMultiDimIdentityMap(4, ctx)},
                       iterators({false, false, false, false}),
                       [&](OpBuilder &b, Location l, ValueRange a) {
                         b.create<linalg::YieldOp>(l, a[0]);
                       })
                   .getResult(0);
    rewriter.replaceOpWithNewOp<rn::Conv2DOp>(
        op, dxType, z, wt, Value(), rewriter.getDenseI64ArrayAttr({1, 1}),
        rewriter.getDenseI64ArrayAttr({0, 0}), op.getDilationAttr(),
        op.getGroupsAttr());
    return success();
  }
};

/// Scatters each output gradient into the input gradient: for every output
/// position, `route` picks the input positions (within bounds) of its window
/// and the share each receives.
template <typename PoolBackwardOp>
static Value scatterPool(PatternRewriter &rewriter, PoolBackwardOp op,
                         Value input, bool isMax) {
  Location loc = op.getLoc();
  RankedTensorType type = op.getType();
  Value dy = op.getGradOutput();
  auto dyType = tensorOf(dy);
  ArrayRef<int64_t> k = op.getKernel(), st = op.getStrides(),
                    pd = op.getPadding();
  int64_t H = type.getDimSize(2), W = type.getDimSize(3);
  Type f32 = type.getElementType();
  auto cst = [&](int64_t v) -> Value {
    return rewriter.create<arith::ConstantIndexOp>(loc, v);
  };
  Value c0 = cst(0), c1 = cst(1);
  Value dx = createFilled(rewriter, loc, type, 0.0);
  SmallVector<Value> ubs = {
      cst(dyType.getDimSize(0)), cst(dyType.getDimSize(1)),
      cst(dyType.getDimSize(2)), cst(dyType.getDimSize(3))};
  // Nested loops over n, c, oh, ow, carrying dx.
  SmallVector<scf::ForOp> loops;
  Value carried = dx;
  for (Value ub : ubs) {
    auto loop = rewriter.create<scf::ForOp>(loc, c0, ub, c1, carried);
    rewriter.setInsertionPointToStart(loop.getBody());
    carried = loop.getRegionIterArgs()[0];
    loops.push_back(loop);
  }
  Value n = loops[0].getInductionVar(), c = loops[1].getInductionVar(),
        oh = loops[2].getInductionVar(), ow = loops[3].getInductionVar();
  Value g =
      rewriter.create<tensor::ExtractOp>(loc, dy, ValueRange{n, c, oh, ow});
  Value top = rewriter.create<arith::SubIOp>(
      loc, rewriter.create<arith::MulIOp>(loc, oh, cst(st[0])), cst(pd[0]));
  Value left = rewriter.create<arith::SubIOp>(
      loc, rewriter.create<arith::MulIOp>(loc, ow, cst(st[1])), cst(pd[1]));
  // In-bounds window positions, in row-major order, as (h, w, valid).
  auto position = [&](int64_t i, int64_t j) {
    Value h = rewriter.create<arith::AddIOp>(loc, top, cst(i));
    Value w = rewriter.create<arith::AddIOp>(loc, left, cst(j));
    auto inside = [&](Value v, int64_t limit) {
      Value ge =
          rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, v, c0);
      Value lt = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt,
                                                v, cst(limit));
      return rewriter.create<arith::AndIOp>(loc, ge, lt).getResult();
    };
    Value valid =
        rewriter.create<arith::AndIOp>(loc, inside(h, H), inside(w, W));
    // Clamp so that the (unused) reads of invalid positions stay in bounds.
    auto clamp = [&](Value v, int64_t limit) {
      Value lo = rewriter.create<arith::MaxSIOp>(loc, v, c0);
      return rewriter.create<arith::MinSIOp>(loc, lo, cst(limit - 1))
          .getResult();
    };
    return std::make_tuple(clamp(h, H), clamp(w, W), valid);
  };
  auto addAt = [&](Value acc, Value h, Value w, Value valid, Value share) {
    Value old =
        rewriter.create<tensor::ExtractOp>(loc, acc, ValueRange{n, c, h, w});
    Value zero = floatConstant(rewriter, loc, f32, 0.0);
    Value add = rewriter.create<arith::SelectOp>(loc, valid, share, zero);
    Value sum = rewriter.create<arith::AddFOp>(loc, old, add);
    return rewriter
        .create<tensor::InsertOp>(loc, sum, acc, ValueRange{n, c, h, w})
        .getResult();
  };
  if (isMax) {
    // The first maximum of the window (strict '>'), then one update.
    Value bestV = floatConstant(rewriter, loc, f32,
                                -std::numeric_limits<double>::infinity());
    Value bestH = c0, bestW = c0;
    for (int64_t i = 0; i < k[0]; ++i)
      for (int64_t j = 0; j < k[1]; ++j) {
        auto [h, w, valid] = position(i, j);
        Value v = rewriter.create<tensor::ExtractOp>(loc, input,
                                                     ValueRange{n, c, h, w});
        Value better = rewriter.create<arith::AndIOp>(
            loc, valid,
            rewriter.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, v,
                                           bestV));
        bestV = rewriter.create<arith::SelectOp>(loc, better, v, bestV);
        bestH = rewriter.create<arith::SelectOp>(loc, better, h, bestH);
        bestW = rewriter.create<arith::SelectOp>(loc, better, w, bestW);
      }
    Value yes = rewriter.create<arith::ConstantIntOp>(loc, 1, 1);
    carried = addAt(carried, bestH, bestW, yes, g);
  } else {
    Value share = rewriter.create<arith::DivFOp>(
        loc, g, floatConstant(rewriter, loc, f32, double(k[0] * k[1])));
    for (int64_t i = 0; i < k[0]; ++i)
      for (int64_t j = 0; j < k[1]; ++j) {
        auto [h, w, valid] = position(i, j);
        carried = addAt(carried, h, w, valid, share);
      }
  }
  for (int i = 3; i >= 0; --i) {
    rewriter.create<scf::YieldOp>(loc, carried);
    rewriter.setInsertionPointAfter(loops[i]);
    carried = loops[i].getResult(0);
  }
  return carried;
}

struct MaxPool2DBackwardLowering : OpRewritePattern<rn::MaxPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::MaxPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, scatterPool(rewriter, op, op.getInput(), true));
    return success();
  }
};

struct AvgPool2DBackwardLowering : OpRewritePattern<rn::AvgPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::AvgPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, scatterPool(rewriter, op, Value(), false));
    return success();
  }
};
} // namespace

void resnetc::populateRNTrainingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReLUBackwardLowering, ReduceToChannelsLowering,
               GlobalAvgPoolBackwardLowering, LinearBackwardLowering,
               SoftmaxCrossEntropyLowering, SoftmaxCrossEntropyBackwardLowering,
               SGDUpdateLowering, BatchNormTrainLowering,
               BatchNormTrainBackwardLowering, Conv2DBackwardFilterLowering,
               Conv2DBackwardDataLowering, MaxPool2DBackwardLowering,
               AvgPool2DBackwardLowering>(patterns.getContext());
}
