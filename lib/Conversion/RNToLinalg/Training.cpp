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

/// One linalg.generic over the channels of `vecType` (a vector) computing
/// `numResults` vectors of its element type from one scalar per input.
static SmallVector<Value>
perChannel(OpBuilder &b, Location loc, RankedTensorType vecType,
           ValueRange inputs, unsigned numResults,
           llvm::function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                 ValueRange)>
               body) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, b.getContext());
  SmallVector<AffineMap> maps(inputs.size() + numResults, id);
  SmallVector<Value> outs;
  SmallVector<Type> types(numResults, vecType);
  for (unsigned i = 0; i < numResults; ++i)
    outs.push_back(createEmpty(b, loc, vecType));
  auto generic = b.create<linalg::GenericOp>(
      loc, types, inputs, outs, maps, iterators({false}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        nb.create<linalg::YieldOp>(l, body(nb, l, a.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

/// `wide` (f64) rounded to the element type of `type`, elementwise.
static Value narrowTo(OpBuilder &b, Location loc, RankedTensorType type,
                      Value wide) {
  return buildElementwise(
      b, loc, type, {wide},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return nb.create<arith::TruncFOp>(l, type.getElementType(), a[0])
            .getResult();
      },
      0);
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
  return narrowTo(b, loc, type, sum);
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

/// The gradient `dy` where the ReLU's output `out` is positive, else zero
/// (a ReLU's backward, on scalars).
static Value maskedGradient(OpBuilder &b, Location l, Value dy, Value out) {
  Value zero = floatConstant(b, l, dy.getType(), 0.0);
  Value positive =
      b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, out, zero);
  return b.create<arith::SelectOp>(l, positive, dy, zero);
}

/// Per-channel (dim 1) sums over N, H and W of two terms of the same
/// inputs, in one pass: one reduction with two outputs, each accumulated in
/// f64 (see reduceInF64; a term may already be f64); returns the two f64
/// vectors. `inputs[0]` is 4-D, the others per-channel vectors.
static std::pair<Value, Value> channelSumsInF64(OpBuilder &b, Location loc,
                                                ValueRange inputs,
                                                ScalarBody first,
                                                ScalarBody second) {
  auto type = tensorOf(inputs[0]);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(tensorOf(in).getRank() == 4
                       ? AffineMap::getMultiDimIdentityMap(4, ctx)
                       : AffineMap::get(4, 0, b.getAffineDimExpr(1)));
  AffineMap channel = AffineMap::get(4, 0, b.getAffineDimExpr(1));
  maps.append({channel, channel});
  auto wide = RankedTensorType::get({type.getDimSize(1)}, b.getF64Type());
  auto sums = b.create<linalg::GenericOp>(
      loc, TypeRange{wide, wide}, inputs,
      ValueRange{createFilled(b, loc, wide, 0.0),
                 createFilled(b, loc, wide, 0.0)},
      maps, iterators({true, false, true, true}),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        ValueRange in = a.drop_back(2);
        auto wide = [&](Value v) {
          return v.getType().isF64()
                     ? v
                     : nb.create<arith::ExtFOp>(l, nb.getF64Type(), v);
        };
        Value u = wide(first(nb, l, in)), v = wide(second(nb, l, in));
        nb.create<linalg::YieldOp>(
            l, ValueRange{nb.create<arith::AddFOp>(l, a[a.size() - 2], u),
                          nb.create<arith::AddFOp>(l, a.back(), v)});
      });
  return {sums.getResult(0), sums.getResult(1)};
}

namespace {
//===----------------------------------------------------------------------===//
// Elementwise and reductions
//===----------------------------------------------------------------------===//

struct ReLUBackwardLowering : OpRewritePattern<rn::ReLUBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReLUBackwardOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> inputs = {op.getGradOutput(), op.getOutput()};
    if (op.getAddend())
      inputs.push_back(op.getAddend());
    rewriter.replaceOp(
        op, buildElementwise(rewriter, op.getLoc(), op.getType(), inputs,
                             [](OpBuilder &b, Location l, ValueRange a) {
                               Value g = maskedGradient(b, l, a[0], a[1]);
                               return a.size() > 2
                                          ? b.create<arith::AddFOp>(l, a[2], g)
                                                .getResult()
                                          : g;
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
          // Each term divided by n: the sum is the mean, and the loss is
          // one reduction kernel.
          Value nll = b.create<arith::DivFOp>(
              l,
              b.create<arith::SubFOp>(l, a[0],
                                      labelLogit(b, l, logits, a[2], i)),
              floatConstant(b, l, a[0].getType(), double(n)));
          Value hit = b.create<arith::ExtUIOp>(
              l, b.getI64Type(),
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, a[1], a[2]));
          b.create<linalg::YieldOp>(
              l, ValueRange{b.create<arith::AddFOp>(l, a[3], nll),
                            b.create<arith::AddIOp>(l, a[4], hit)});
        });
    rewriter.replaceOp(op, reduce.getResults());
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
              l, b.create<arith::AddFOp>(l, var, floatConstant(b, l, f32, eps)));
          // new = (1 - momentum) * running + momentum * factor * batch
          auto blend = [&](Value running, Value batch, double by) {
            return b
                .create<arith::AddFOp>(
                    l,
                    b.create<arith::MulFOp>(l, floatConstant(b, l, f32, 1 - m),
                                            running),
                    b.create<arith::MulFOp>(
                        l, floatConstant(b, l, f32, m * by), batch))
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
    Value y = buildElementwise(
        rewriter, loc, type, applyInputs,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value xhat = b.create<arith::MulFOp>(
              l, b.create<arith::SubFOp>(l, a[0], a[1]), a[2]);
          Value r =
              b.create<arith::AddFOp>(l, b.create<arith::MulFOp>(l, xhat, a[3]),
                                      a[4]);
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
    SmallVector<Value> dxInputs = {dy, x, mean, invstd, op.getScale(), db,
                                   dgFull};
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

/// Gathers the input gradient of pooling, one element of dx per iteration
/// (all parallel, so that it maps onto GPU threads like any elementwise
/// op): input position (h, w) lies in the windows (oh, ow) with
/// oh*stride - pad <= h < oh*stride - pad + kernel, at most
/// ceil(kernel/stride) per dimension, visited in increasing (oh, ow) order.
/// Max pooling recomputes each window's first maximum (strict '>') and
/// takes its gradient where that maximum is (h, w); average pooling takes
/// gradient/(kh*kw) from every window (padding counted, as the forward).
template <typename PoolBackwardOp>
static Value gatherPool(PatternRewriter &rewriter, PoolBackwardOp op,
                        Value input, bool isMax) {
  Location loc = op.getLoc();
  RankedTensorType type = op.getType();
  Value dy = op.getGradOutput();
  auto dyType = tensorOf(dy);
  ArrayRef<int64_t> k = op.getKernel(), st = op.getStrides(),
                    pd = op.getPadding();
  int64_t H = type.getDimSize(2), W = type.getDimSize(3);
  int64_t OH = dyType.getDimSize(2), OW = dyType.getDimSize(3);
  MLIRContext *ctx = rewriter.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
  auto generic = rewriter.create<linalg::GenericOp>(
      loc, TypeRange{type}, ValueRange{},
      ValueRange{createEmpty(rewriter, loc, type)}, ArrayRef<AffineMap>{id},
      iterators({false, false, false, false}),
      [&](OpBuilder &b, Location l, ValueRange) {
        Type f32 = type.getElementType();
        auto cst = [&](int64_t v) -> Value {
          return b.create<arith::ConstantIndexOp>(l, v);
        };
        Value c0 = cst(0);
        Value n = b.create<linalg::IndexOp>(l, 0),
              c = b.create<linalg::IndexOp>(l, 1),
              h = b.create<linalg::IndexOp>(l, 2),
              w = b.create<linalg::IndexOp>(l, 3);
        auto inside = [&](Value v, int64_t limit) {
          Value ge =
              b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, v, c0);
          Value lt = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, v,
                                             cst(limit));
          return b.create<arith::AndIOp>(l, ge, lt).getResult();
        };
        // Clamped so that the (unused) reads of invalid positions stay in
        // bounds.
        auto clamp = [&](Value v, int64_t limit) {
          Value lo = b.create<arith::MaxSIOp>(l, v, c0);
          return b.create<arith::MinSIOp>(l, lo, cst(limit - 1)).getResult();
        };
        // The windows of one dimension holding position `p`: (index, valid)
        // in increasing order of the window index.
        auto windows = [&](Value p, int64_t kernel, int64_t stride,
                           int64_t pad, int64_t limit) {
          int64_t count = (kernel + stride - 1) / stride;
          Value shifted = b.create<arith::AddIOp>(l, p, cst(pad));
          Value last = b.create<arith::DivUIOp>(l, shifted, cst(stride));
          SmallVector<std::pair<Value, Value>> out;
          for (int64_t d = count - 1; d >= 0; --d) {
            Value o = b.create<arith::SubIOp>(l, last, cst(d));
            // Offset of p in window o: shifted - o*stride, at least 0.
            Value offset = b.create<arith::SubIOp>(
                l, shifted, b.create<arith::MulIOp>(l, o, cst(stride)));
            Value covers = b.create<arith::CmpIOp>(
                l, arith::CmpIPredicate::slt, offset, cst(kernel));
            Value valid =
                b.create<arith::AndIOp>(l, inside(o, limit), covers);
            out.push_back({clamp(o, limit), valid});
          }
          return out;
        };
        Value zero = floatConstant(b, l, f32, 0.0);
        Value acc = zero;
        for (auto [oh, vh] : windows(h, k[0], st[0], pd[0], OH))
          for (auto [ow, vw] : windows(w, k[1], st[1], pd[1], OW)) {
            Value valid = b.create<arith::AndIOp>(l, vh, vw);
            Value g =
                b.create<tensor::ExtractOp>(l, dy, ValueRange{n, c, oh, ow});
            Value share;
            if (isMax) {
              // Is (h, w) the first maximum of window (oh, ow)?
              Value top = b.create<arith::SubIOp>(
                  l, b.create<arith::MulIOp>(l, oh, cst(st[0])), cst(pd[0]));
              Value left = b.create<arith::SubIOp>(
                  l, b.create<arith::MulIOp>(l, ow, cst(st[1])), cst(pd[1]));
              Value bestV = floatConstant(
                  b, l, f32, -std::numeric_limits<double>::infinity());
              Value bestH = c0, bestW = c0;
              for (int64_t i = 0; i < k[0]; ++i)
                for (int64_t j = 0; j < k[1]; ++j) {
                  Value ih = b.create<arith::AddIOp>(l, top, cst(i));
                  Value iw = b.create<arith::AddIOp>(l, left, cst(j));
                  Value in = b.create<arith::AndIOp>(l, inside(ih, H),
                                                     inside(iw, W));
                  ih = clamp(ih, H);
                  iw = clamp(iw, W);
                  Value v = b.create<tensor::ExtractOp>(
                      l, input, ValueRange{n, c, ih, iw});
                  Value better = b.create<arith::AndIOp>(
                      l, in,
                      b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, v,
                                              bestV));
                  bestV = b.create<arith::SelectOp>(l, better, v, bestV);
                  bestH = b.create<arith::SelectOp>(l, better, ih, bestH);
                  bestW = b.create<arith::SelectOp>(l, better, iw, bestW);
                }
              Value here = b.create<arith::AndIOp>(
                  l,
                  b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, bestH,
                                          h),
                  b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, bestW,
                                          w));
              valid = b.create<arith::AndIOp>(l, valid, here);
              share = g;
            } else {
              share = b.create<arith::DivFOp>(
                  l, g, floatConstant(b, l, f32, double(k[0] * k[1])));
            }
            Value add = b.create<arith::SelectOp>(l, valid, share, zero);
            acc = b.create<arith::AddFOp>(l, acc, add);
          }
        b.create<linalg::YieldOp>(l, acc);
      });
  return generic.getResult(0);
}

struct MaxPool2DBackwardLowering : OpRewritePattern<rn::MaxPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::MaxPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, gatherPool(rewriter, op, op.getInput(), true));
    return success();
  }
};

struct AvgPool2DBackwardLowering : OpRewritePattern<rn::AvgPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::AvgPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, gatherPool(rewriter, op, Value(), false));
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
