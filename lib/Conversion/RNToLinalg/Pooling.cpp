//===- Pooling.cpp - Lowering rn pooling to linalg ------------------------===//
//
// Max pooling over -inf padding, average pooling as a windowed sum divided by
// the window size (padding counted, PyTorch's default), and global average
// pooling as a reduction over H and W.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace resnetc;

/// The windowed reduction of a pooling op; `isMax` picks max or sum.
template <typename PoolOp>
static Value windowReduce(PatternRewriter &rewriter, PoolOp op, bool isMax) {
  Location loc = op.getLoc();
  RankedTensorType type = op.getType();
  double padValue = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
  Value x = padSpatial(rewriter, loc, op.getInput(), op.getPadding()[0],
                       op.getPadding()[1], padValue);
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
    int64_t n = op.getKernel()[0] * op.getKernel()[1];
    rewriter.replaceOp(op,
                       divideBy(rewriter, op.getLoc(), op.getType(), sum, n));
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
} // namespace

void resnetc::populateRNPoolingToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolLowering, AvgPoolLowering, GlobalAvgPoolLowering>(
      patterns.getContext());
}
