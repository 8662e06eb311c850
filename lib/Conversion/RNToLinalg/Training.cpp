//===- Training.cpp - Lowering rn loss, optimizer and reductions ----------===//
//
// The training ops that belong to no layer family: the softmax
// cross-entropy loss and its gradient, the SGD update, and the per-channel
// reduction of gradients. The gradients of the layers lie beside their
// forward lowerings (Conv.cpp, Normalization.cpp, Pooling.cpp, Linear.cpp,
// Elementwise.cpp), sharing the f64 reductions of Utils.h.
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

namespace {
//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

struct ReduceToChannelsLowering : OpRewritePattern<rn::ReduceToChannelsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::ReduceToChannelsOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, sumExcept(rewriter, op.getLoc(), op.getInput(), 1));
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
    Value smoothing = op.getSmoothing();
    int64_t n = tensorOf(logits).getDimSize(0),
            classes = tensorOf(logits).getDimSize(1);
    auto [lse, argmax] = rowStats(rewriter, loc, logits);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap row = AffineMap::getMultiDimIdentityMap(1, ctx);
    AffineMap scalar = AffineMap::get(1, 0, ctx);
    // With label smoothing, each row's sum of logits.
    Value rowSum = smoothing ? sumExcept(rewriter, loc, logits, 0) : Value();
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
          Value term = b.create<arith::SubFOp>(
              l, a[0], labelLogit(b, l, logits, a[2], i));
          if (smoothing) {
            // lse - (1 - s) z[label] - s mean(z)
            //   = (lse - z[label]) + s (z[label] - mean(z)).
            Type f32 = a[0].getType();
            Value s = b.create<tensor::ExtractOp>(l, smoothing, ValueRange{});
            Value mean = b.create<arith::DivFOp>(
                l, b.create<tensor::ExtractOp>(l, rowSum, ValueRange{i}),
                floatConstant(b, l, f32, double(classes)));
            Value gap = b.create<arith::SubFOp>(
                l, labelLogit(b, l, logits, a[2], i), mean);
            term = b.create<arith::AddFOp>(l, term,
                                           b.create<arith::MulFOp>(l, s, gap));
          }
          Value nll = b.create<arith::DivFOp>(
              l, term, floatConstant(b, l, a[0].getType(), double(n)));
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
    Value logits = op.getLogits(), smoothing = op.getSmoothing();
    int64_t n = tensorOf(logits).getDimSize(0),
            classes = tensorOf(logits).getDimSize(1);
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
                  // (softmax - target) / n
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
                  if (smoothing) {
                    // target = (1 - s) onehot + s / K: g += s (onehot -
                    // 1 / K).
                    Value s =
                        b.create<tensor::ExtractOp>(l, smoothing, ValueRange{});
                    Value shift = b.create<arith::SubFOp>(
                        l, b.create<arith::SelectOp>(l, isLabel, one, zero),
                        floatConstant(b, l, p.getType(),
                                      1.0 / static_cast<double>(classes)));
                    g = b.create<arith::AddFOp>(
                        l, g, b.create<arith::MulFOp>(l, s, shift));
                  }
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

/// An optimizer update: one elementwise generic over the parameter's type
/// reading `tensors` (each of that type) and `scalars` (0-d), whose body
/// yields `numResults` values of that type (the new parameter and state).
static ValueRange
buildUpdate(PatternRewriter &rewriter, Location loc, RankedTensorType type,
            ValueRange tensors, ValueRange scalars, unsigned numResults,
            function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  unsigned rank = type.getRank();
  MLIRContext *ctx = rewriter.getContext();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineMap> maps(tensors.size(), id);
  maps.append(scalars.size(), AffineMap::get(rank, 0, ctx));
  maps.append(numResults, id);
  SmallVector<Value> inputs(tensors), outputs;
  inputs.append(scalars.begin(), scalars.end());
  for (unsigned i = 0; i < numResults; ++i)
    outputs.push_back(createEmpty(rewriter, loc, type));
  return rewriter
      .create<linalg::GenericOp>(
          loc, SmallVector<Type>(numResults, type), inputs, outputs, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          body)
      .getResults();
}

struct SGDUpdateLowering : OpRewritePattern<rn::SGDUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::SGDUpdateOp op,
                                PatternRewriter &rewriter) const override {
    double momentum = op.getMomentum().convertToDouble();
    double decay = op.getWeightDecay().convertToDouble();
    bool nesterov = op.getNesterov();
    // Without a velocity (no momentum), the update reads no state.
    bool hasVelocity = static_cast<bool>(op.getVelocity());
    SmallVector<Value> tensors = {op.getParam(), op.getGrad()};
    if (hasVelocity)
      tensors.push_back(op.getVelocity());
    ValueRange update = buildUpdate(
        rewriter, op.getLoc(), tensorOf(op.getParam()), tensors, {op.getLr()},
        hasVelocity ? 2 : 1, [&](OpBuilder &b, Location l, ValueRange a) {
          Type f = a[0].getType();
          Value p = a[0], g = a[1], v = hasVelocity ? a[2] : Value(),
                lr = a[tensors.size()];
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
          if (hasVelocity)
            b.create<linalg::YieldOp>(l, ValueRange{newP, newV});
          else
            b.create<linalg::YieldOp>(l, ValueRange{newP});
        });
    rewriter.replaceOp(op, update);
    return success();
  }
};

struct AdamWUpdateLowering : OpRewritePattern<rn::AdamWUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::AdamWUpdateOp op,
                                PatternRewriter &rewriter) const override {
    double beta1 = op.getBeta1().convertToDouble(),
           beta2 = op.getBeta2().convertToDouble(),
           epsilon = op.getEpsilon().convertToDouble(),
           decay = op.getWeightDecay().convertToDouble();
    ValueRange update = buildUpdate(
        rewriter, op.getLoc(), tensorOf(op.getParam()),
        {op.getParam(), op.getGrad(), op.getExpAvg(), op.getExpAvgSq()},
        {op.getLr(), op.getBiasCorrection1(), op.getBiasCorrection2()}, 3,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Type f = a[0].getType();
          auto c = [&](double v) { return floatConstant(b, l, f, v); };
          auto mul = [&](Value x, Value y) {
            return b.create<arith::MulFOp>(l, x, y).getResult();
          };
          auto add = [&](Value x, Value y) {
            return b.create<arith::AddFOp>(l, x, y).getResult();
          };
          Value p = a[0], g = a[1], m = a[2], v = a[3], lr = a[4], bc1 = a[5],
                bc2 = a[6];
          // The decoupled weight decay first, as PyTorch: p *= 1 - lr * wd.
          if (decay != 0)
            p = mul(p, b.create<arith::SubFOp>(l, c(1.0), mul(lr, c(decay))));
          Value newM = add(mul(c(beta1), m), mul(c(1.0 - beta1), g));
          Value newV = add(mul(c(beta2), v), mul(c(1.0 - beta2), mul(g, g)));
          Value denom =
              add(b.create<arith::DivFOp>(l, b.create<math::SqrtOp>(l, newV),
                                          b.create<math::SqrtOp>(l, bc2)),
                  c(epsilon));
          Value stepSize = b.create<arith::DivFOp>(l, lr, bc1);
          Value newP = b.create<arith::SubFOp>(
              l, p, mul(stepSize, b.create<arith::DivFOp>(l, newM, denom)));
          b.create<linalg::YieldOp>(l, ValueRange{newP, newM, newV});
        });
    rewriter.replaceOp(op, update);
    return success();
  }
};

} // namespace

void resnetc::populateRNTrainingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<ReduceToChannelsLowering, SoftmaxCrossEntropyLowering,
               SoftmaxCrossEntropyBackwardLowering, SGDUpdateLowering,
               AdamWUpdateLowering>(patterns.getContext());
}
