//===- Conv.cpp - Lowering rn convolutions to linalg ----------------------===//
//
// rn.conv2d and rn.fused_conv2d: zero padding with tensor.pad, the
// convolution accumulating onto the broadcast bias, and for the fused form an
// epilogue generic for the residual add and the ReLU.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace resnetc;

/// conv(input, weight) + bias, then + residual and ReLU when given.
static Value lowerConv(PatternRewriter &rewriter, Location loc,
                       RankedTensorType resultType, Value input, Value weight,
                       Value bias, Value residual, bool relu,
                       ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
                       ArrayRef<int64_t> dilation, int64_t groups) {
  Value x = padSpatial(rewriter, loc, input, padding[0], padding[1], 0.0);
  Value init = bias ? broadcastAlong(rewriter, loc, bias, resultType, 1)
                    : createFilled(rewriter, loc, resultType, 0.0);
  auto stridesAttr = rewriter.getI64VectorAttr(strides);
  auto dilationAttr = rewriter.getI64VectorAttr(dilation);
  Value conv;
  if (groups == 1) {
    conv = rewriter
               .create<linalg::Conv2DNchwFchwOp>(
                   loc, TypeRange{resultType}, ValueRange{x, weight},
                   ValueRange{init}, stridesAttr, dilationAttr)
               .getResult(0);
  } else {
    // Grouped views: N x G x C/G x H x W, G x O/G x C/G x kh x kw and
    // N x G x O/G x Ho x Wo.
    auto xType = cast<RankedTensorType>(x.getType());
    auto wType = cast<RankedTensorType>(weight.getType());
    Type et = resultType.getElementType();
    auto xg = RankedTensorType::get({xType.getDimSize(0), groups,
                                     xType.getDimSize(1) / groups,
                                     xType.getDimSize(2), xType.getDimSize(3)},
                                    et);
    auto wg = RankedTensorType::get({groups, wType.getDimSize(0) / groups,
                                     wType.getDimSize(1), wType.getDimSize(2),
                                     wType.getDimSize(3)},
                                    et);
    auto og = RankedTensorType::get(
        {resultType.getDimSize(0), groups, resultType.getDimSize(1) / groups,
         resultType.getDimSize(2), resultType.getDimSize(3)},
        et);
    SmallVector<ReassociationIndices> splitChannels = {{0}, {1, 2}, {3}, {4}};
    SmallVector<ReassociationIndices> splitFilters = {{0, 1}, {2}, {3}, {4}};
    Value xv =
        rewriter.create<tensor::ExpandShapeOp>(loc, xg, x, splitChannels);
    Value wv =
        rewriter.create<tensor::ExpandShapeOp>(loc, wg, weight, splitFilters);
    Value iv =
        rewriter.create<tensor::ExpandShapeOp>(loc, og, init, splitChannels);
    Value cg = rewriter
                   .create<linalg::Conv2DNgchwGfchwOp>(
                       loc, TypeRange{og}, ValueRange{xv, wv}, ValueRange{iv},
                       stridesAttr, dilationAttr)
                   .getResult(0);
    conv = rewriter.create<tensor::CollapseShapeOp>(loc, resultType, cg,
                                                    splitChannels);
  }
  if (!residual && !relu)
    return conv;
  SmallVector<Value> inputs = {conv};
  if (residual)
    inputs.push_back(residual);
  return buildElementwise(rewriter, loc, resultType, inputs,
                          [&](OpBuilder &b, Location l, ValueRange args) {
                            Value v = args[0];
                            if (residual)
                              v = b.create<arith::AddFOp>(l, v, args[1]);
                            return relu ? buildReLU(b, l, v) : v;
                          });
}

namespace {
struct Conv2DLowering : OpRewritePattern<rn::Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, lowerConv(rewriter, op.getLoc(), op.getType(),
                                     op.getInput(), op.getWeight(),
                                     op.getBias(), Value(), false,
                                     op.getStrides(), op.getPadding(),
                                     op.getDilation(), op.getGroups()));
    return success();
  }
};

struct FusedConv2DLowering : OpRewritePattern<rn::FusedConv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::FusedConv2DOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, lowerConv(rewriter, op.getLoc(), op.getType(), op.getInput(),
                      op.getWeight(), op.getBias(), op.getResidual(),
                      op.getRelu(), op.getStrides(), op.getPadding(),
                      op.getDilation(), op.getGroups()));
    return success();
  }
};
} // namespace

void resnetc::populateRNConvToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, FusedConv2DLowering>(patterns.getContext());
}
