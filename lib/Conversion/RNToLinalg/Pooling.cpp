//===- Pooling.cpp - Lowering rn pooling to linalg ------------------------===//
//
// Max pooling over -inf padding, average pooling as a windowed sum divided by
// the window size (padding counted, PyTorch's default) or by each window's
// own count (`ceil_mode`, `exclude_padding`), and global average pooling as a
// reduction over H and W.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace resnetc;

/// The rows (or columns) past the padded input that the last window of
/// `ceil_mode` reaches.
static int64_t ceilOverhang(int64_t in, int64_t out, int64_t kernel,
                            int64_t stride, int64_t pad) {
  return std::max<int64_t>(0, (out - 1) * stride + kernel - (in + 2 * pad));
}

/// The windowed reduction of a pooling op; `isMax` picks max or sum.
template <typename PoolOp>
static Value windowReduce(PatternRewriter &rewriter, PoolOp op, bool isMax) {
  Location loc = op.getLoc();
  RankedTensorType type = op.getType();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> k = op.getKernel(), st = op.getStrides(),
                    pd = op.getPadding();
  double padValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  Value x = padSpatial(rewriter, loc, op.getInput(), pd[0], pd[1], padValue,
                       ceilOverhang(inType.getDimSize(2), type.getDimSize(2),
                                    k[0], st[0], pd[0]),
                       ceilOverhang(inType.getDimSize(3), type.getDimSize(3),
                                    k[1], st[1], pd[1]));
  Value init = createFilled(rewriter, loc, type, padValue);
  Value window = rewriter.create<tensor::EmptyOp>(loc, op.getKernel(),
                                                  type.getElementType());
  auto strides = rewriter.getI64VectorAttr(op.getStrides());
  auto dilations = rewriter.getI64VectorAttr({1, 1});
  if (isMax)
    return rewriter
        .create<linalg::PoolingNchwMaxOp>(loc, TypeRange{type},
                                          ValueRange{x, window},
                                          ValueRange{init}, strides, dilations)
        .getResult(0);
  return rewriter
      .create<linalg::PoolingNchwSumOp>(loc, TypeRange{type},
                                        ValueRange{x, window}, ValueRange{init},
                                        strides, dilations)
      .getResult(0);
}

/// x / n elementwise.
static Value divideBy(PatternRewriter &rewriter, Location loc,
                      RankedTensorType type, Value x, int64_t n) {
  return buildElementwise(
      rewriter, loc, type, {x}, [&](OpBuilder &b, Location l, ValueRange a) {
        Value d = floatConstant(b, l, a[0].getType(), static_cast<double>(n));
        return b.create<arith::DivFOp>(l, a[0], d).getResult();
      });
}

/// The divisor of average pooling's window (oh, ow), as PyTorch computes it:
/// the window clipped to the padded input (a `ceil_mode` window may reach
/// past it), and with `excludePadding` to the input itself.
static Value poolDivisor(OpBuilder &b, Location loc, Type f32, Value oh,
                         Value ow, ArrayRef<int64_t> k, ArrayRef<int64_t> st,
                         ArrayRef<int64_t> pd, int64_t H, int64_t W,
                         bool excludePadding) {
  auto cst = [&](int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(loc, v);
  };
  auto extent = [&](Value o, int64_t kernel, int64_t stride, int64_t pad,
                    int64_t limit) {
    Value start = b.create<arith::SubIOp>(
        loc, b.create<arith::MulIOp>(loc, o, cst(stride)), cst(pad));
    Value end = b.create<arith::MinSIOp>(
        loc, b.create<arith::AddIOp>(loc, start, cst(kernel)),
        cst(limit + pad));
    if (excludePadding) {
      start = b.create<arith::MaxSIOp>(loc, start, cst(0));
      end = b.create<arith::MinSIOp>(loc, end, cst(limit));
    }
    return b.create<arith::SubIOp>(loc, end, start).getResult();
  };
  Value count = b.create<arith::MulIOp>(loc, extent(oh, k[0], st[0], pd[0], H),
                                        extent(ow, k[1], st[1], pd[1], W));
  Value i64 =
      b.create<arith::IndexCastOp>(loc, b.getI64Type(), count).getResult();
  return b.create<arith::SIToFPOp>(loc, f32, i64);
}

/// Whether every window of average pooling has the divisor kh*kw: the
/// padding counts and no `ceil_mode` window reaches past the padded input.
template <typename PoolOp>
static bool hasFullWindows(PoolOp op, int64_t H, int64_t W, int64_t OH,
                           int64_t OW) {
  ArrayRef<int64_t> k = op.getKernel(), st = op.getStrides(),
                    pd = op.getPadding();
  return !op.getExcludePadding() &&
         ceilOverhang(H, OH, k[0], st[0], pd[0]) == 0 &&
         ceilOverhang(W, OW, k[1], st[1], pd[1]) == 0;
}

namespace {
struct MaxPoolLowering : OpRewritePattern<rn::MaxPool2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::MaxPool2DOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, windowReduce(rewriter, op, /*isMax=*/true));
    return success();
  }
};

struct AvgPoolLowering : OpRewritePattern<rn::AvgPool2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::AvgPool2DOp op,
                                PatternRewriter &rewriter) const override {
    Value sum = windowReduce(rewriter, op, /*isMax=*/false);
    RankedTensorType type = op.getType();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    int64_t H = inType.getDimSize(2), W = inType.getDimSize(3);
    if (hasFullWindows(op, H, W, type.getDimSize(2), type.getDimSize(3))) {
      int64_t n = op.getKernel()[0] * op.getKernel()[1];
      rewriter.replaceOp(op, divideBy(rewriter, op.getLoc(), type, sum, n));
      return success();
    }
    // Each window's own divisor, from its position.
    Value r = buildElementwise(
        rewriter, op.getLoc(), type, {sum},
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value oh = b.create<linalg::IndexOp>(l, 2),
                ow = b.create<linalg::IndexOp>(l, 3);
          Value d = poolDivisor(b, l, a[0].getType(), oh, ow, op.getKernel(),
                                op.getStrides(), op.getPadding(), H, W,
                                op.getExcludePadding());
          return b.create<arith::DivFOp>(l, a[0], d).getResult();
        });
    rewriter.replaceOp(op, r);
    return success();
  }
};

struct GlobalAvgPoolLowering : OpRewritePattern<rn::GlobalAvgPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::GlobalAvgPoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    Type et = inType.getElementType();
    auto nc =
        RankedTensorType::get({inType.getDimSize(0), inType.getDimSize(1)}, et);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap in = AffineMap::getMultiDimIdentityMap(4, ctx);
    AffineMap out = AffineMap::get(
        4, 0, {rewriter.getAffineDimExpr(0), rewriter.getAffineDimExpr(1)},
        ctx);
    SmallVector<utils::IteratorType> iters = {
        utils::IteratorType::parallel, utils::IteratorType::parallel,
        utils::IteratorType::reduction, utils::IteratorType::reduction};
    Value sum =
        rewriter
            .create<linalg::GenericOp>(
                loc, TypeRange{nc}, ValueRange{op.getInput()},
                ValueRange{createFilled(rewriter, loc, nc, 0.0)},
                ArrayRef<AffineMap>{in, out}, iters,
                [&](OpBuilder &b, Location l, ValueRange a) {
                  b.create<linalg::YieldOp>(
                      l, b.create<arith::AddFOp>(l, a[1], a[0]).getResult());
                })
            .getResult(0);
    Value mean = divideBy(rewriter, loc, nc, sum,
                          inType.getDimSize(2) * inType.getDimSize(3));
    SmallVector<ReassociationIndices> expand = {{0}, {1, 2, 3}};
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, op.getType(), mean,
                                                       expand);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Gradients
//===----------------------------------------------------------------------===//

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

/// Index arithmetic in the body of a generic: constants, bounds checks and
/// clamping.
struct IndexMath {
  IndexMath(OpBuilder &b, Location l) : b(b), l(l), c0(cst(0)) {}
  Value cst(int64_t v) const { return b.create<arith::ConstantIndexOp>(l, v); }
  /// Whether 0 <= v < limit.
  Value inside(Value v, int64_t limit) const {
    Value ge = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, v, c0);
    Value lt =
        b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, v, cst(limit));
    return b.create<arith::AndIOp>(l, ge, lt);
  }
  /// v clamped to [0, limit), so that the (unused) reads of positions
  /// outside the input stay in bounds.
  Value clamp(Value v, int64_t limit) const {
    Value lo = b.create<arith::MaxSIOp>(l, v, c0);
    return b.create<arith::MinSIOp>(l, lo, cst(limit - 1));
  }

  OpBuilder &b;
  Location l;
  Value c0;
};

/// Where each window of max pooling has its first maximum (strict '>', in
/// row-major window order, as PyTorch): an i32 tensor of dy's shape holding
/// the offset i * kernel_w + j of that element in its window. One parallel
/// iteration per window, the window scanned in the body.
template <typename PoolBackwardOp>
static Value windowArgmax(PatternRewriter &rewriter, PoolBackwardOp op,
                          Value input) {
  Location loc = op.getLoc();
  auto dyType = tensorOf(op.getGradOutput());
  auto inType = tensorOf(input);
  ArrayRef<int64_t> k = op.getKernel(), st = op.getStrides(),
                    pd = op.getPadding();
  int64_t H = inType.getDimSize(2), W = inType.getDimSize(3);
  auto type = RankedTensorType::get(dyType.getShape(), rewriter.getI32Type());
  AffineMap id = AffineMap::getMultiDimIdentityMap(4, rewriter.getContext());
  return rewriter
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{},
          ValueRange{createEmpty(rewriter, loc, type)}, ArrayRef<AffineMap>{id},
          iterators({false, false, false, false}),
          [&](OpBuilder &b, Location l, ValueRange) {
            IndexMath im(b, l);
            Value n = b.create<linalg::IndexOp>(l, 0),
                  c = b.create<linalg::IndexOp>(l, 1),
                  oh = b.create<linalg::IndexOp>(l, 2),
                  ow = b.create<linalg::IndexOp>(l, 3);
            Value top = b.create<arith::SubIOp>(
                l, b.create<arith::MulIOp>(l, oh, im.cst(st[0])),
                im.cst(pd[0]));
            Value left = b.create<arith::SubIOp>(
                l, b.create<arith::MulIOp>(l, ow, im.cst(st[1])),
                im.cst(pd[1]));
            Type f32 = inType.getElementType();
            Value bestV = floatConstant(
                b, l, f32, -std::numeric_limits<double>::infinity());
            Value best = b.create<arith::ConstantIntOp>(l, -1, 32);
            for (int64_t i = 0; i < k[0]; ++i)
              for (int64_t j = 0; j < k[1]; ++j) {
                Value ih = b.create<arith::AddIOp>(l, top, im.cst(i));
                Value iw = b.create<arith::AddIOp>(l, left, im.cst(j));
                Value in = b.create<arith::AndIOp>(l, im.inside(ih, H),
                                                   im.inside(iw, W));
                Value v = b.create<tensor::ExtractOp>(
                    l, input,
                    ValueRange{n, c, im.clamp(ih, H), im.clamp(iw, W)});
                Value better = b.create<arith::AndIOp>(
                    l, in,
                    b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, v,
                                            bestV));
                bestV = b.create<arith::SelectOp>(l, better, v, bestV);
                best = b.create<arith::SelectOp>(
                    l, better,
                    b.create<arith::ConstantIntOp>(l, i * k[1] + j, 32), best);
              }
            b.create<linalg::YieldOp>(l, best);
          })
      .getResult(0);
}

/// Gathers the input gradient of pooling, one element of dx per iteration
/// (all parallel, so that it maps onto GPU threads like any elementwise
/// op): input position (h, w) lies in the windows (oh, ow) with
/// oh*stride - pad <= h < oh*stride - pad + kernel, at most
/// ceil(kernel/stride) per dimension, visited in increasing (oh, ow) order.
/// Max pooling takes a window's gradient where its first maximum is (h, w),
/// from `argmax` (windowArgmax, computed once per window); average pooling
/// takes the gradient divided by the forward's divisor from every window.
template <typename PoolBackwardOp>
static Value gatherPool(PatternRewriter &rewriter, PoolBackwardOp op,
                        Value argmax, bool isMax, bool fullWindows = true,
                        bool excludePadding = false) {
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
        IndexMath im(b, l);
        Value n = b.create<linalg::IndexOp>(l, 0),
              c = b.create<linalg::IndexOp>(l, 1),
              h = b.create<linalg::IndexOp>(l, 2),
              w = b.create<linalg::IndexOp>(l, 3);
        // The windows of one dimension holding position `p`: (index, valid)
        // in increasing order of the window index.
        auto windows = [&](Value p, int64_t kernel, int64_t stride, int64_t pad,
                           int64_t limit) {
          int64_t count = (kernel + stride - 1) / stride;
          Value shifted = b.create<arith::AddIOp>(l, p, im.cst(pad));
          Value last = b.create<arith::DivUIOp>(l, shifted, im.cst(stride));
          SmallVector<std::pair<Value, Value>> out;
          for (int64_t d = count - 1; d >= 0; --d) {
            Value o = b.create<arith::SubIOp>(l, last, im.cst(d));
            // Offset of p in window o: shifted - o*stride, at least 0.
            Value offset = b.create<arith::SubIOp>(
                l, shifted, b.create<arith::MulIOp>(l, o, im.cst(stride)));
            Value covers = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                                   offset, im.cst(kernel));
            Value valid =
                b.create<arith::AndIOp>(l, im.inside(o, limit), covers);
            out.push_back({im.clamp(o, limit), valid});
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
              // Is (h, w) the first maximum of window (oh, ow)? Its offset
              // in the window is (h + pad - oh*stride, w + pad - ow*stride).
              auto offset = [&](Value p, Value o, int64_t stride, int64_t pad) {
                return b.create<arith::SubIOp>(
                    l, b.create<arith::AddIOp>(l, p, im.cst(pad)),
                    b.create<arith::MulIOp>(l, o, im.cst(stride)));
              };
              Value at = b.create<arith::AddIOp>(
                  l,
                  b.create<arith::MulIOp>(l, offset(h, oh, st[0], pd[0]),
                                          im.cst(k[1])),
                  offset(w, ow, st[1], pd[1]));
              Value first = b.create<arith::IndexCastOp>(
                  l, b.getIndexType(),
                  b.create<tensor::ExtractOp>(l, argmax,
                                              ValueRange{n, c, oh, ow}));
              Value here = b.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq,
                                                   first, at);
              valid = b.create<arith::AndIOp>(l, valid, here);
              share = g;
            } else {
              Value d = fullWindows
                            ? floatConstant(b, l, f32, double(k[0] * k[1]))
                            : poolDivisor(b, l, f32, oh, ow, k, st, pd, H, W,
                                          excludePadding);
              share = b.create<arith::DivFOp>(l, g, d);
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
    Value argmax = windowArgmax(rewriter, op, op.getInput());
    rewriter.replaceOp(op, gatherPool(rewriter, op, argmax, true));
    return success();
  }
};

struct AvgPool2DBackwardLowering : OpRewritePattern<rn::AvgPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::AvgPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto dyType = cast<RankedTensorType>(op.getGradOutput().getType());
    bool full = hasFullWindows(op, type.getDimSize(2), type.getDimSize(3),
                               dyType.getDimSize(2), dyType.getDimSize(3));
    rewriter.replaceOp(op, gatherPool(rewriter, op, Value(), false, full,
                                      op.getExcludePadding()));
    return success();
  }
};

} // namespace

void resnetc::populateRNPoolingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, AvgPoolLowering, GlobalAvgPoolLowering,
               GlobalAvgPoolBackwardLowering, MaxPool2DBackwardLowering,
               AvgPool2DBackwardLowering>(patterns.getContext());
}
