//===- Conv.cpp - Lowering rn convolutions to linalg ----------------------===//
//
// rn.conv2d and rn.fused_conv2d: zero padding with tensor.pad, the
// convolution accumulating onto the broadcast bias, and for the fused form an
// epilogue generic for the residual add and the ReLU; their gradients; and
// the filter windows of trimmed convolutions (a slice, a tensor.pad).
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

//===----------------------------------------------------------------------===//
// Gradients
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

//===----------------------------------------------------------------------===//
// Filter windows
//===----------------------------------------------------------------------===//

struct CropFilterLowering : OpRewritePattern<rn::CropFilterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::CropFilterOp op,
                                PatternRewriter &rewriter) const override {
    // output[o, i, h, w] = filter[o, i, offset[0] + h, offset[1] + w]
    RankedTensorType type = op.getType();
    auto index = [&](int64_t v) { return rewriter.getIndexAttr(v); };
    SmallVector<OpFoldResult> offsets = {
        index(0), index(0), index(op.getOffset()[0]), index(op.getOffset()[1])};
    SmallVector<OpFoldResult> sizes, strides(4, index(1));
    for (int64_t d : type.getShape())
      sizes.push_back(index(d));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, type, op.getFilter(), offsets, sizes, strides);
    return success();
  }
};

struct PadFilterLowering : OpRewritePattern<rn::PadFilterOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(rn::PadFilterOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = tensorOf(op.getFilter());
    ArrayRef<int64_t> offset = op.getOffset(), size = op.getSize();
    auto index = [&](int64_t v) { return rewriter.getIndexAttr(v); };
    SmallVector<OpFoldResult> low = {index(0), index(0), index(offset[0]),
                                     index(offset[1])};
    SmallVector<OpFoldResult> high = {
        index(0), index(0), index(size[0] - offset[0] - type.getDimSize(2)),
        index(size[1] - offset[1] - type.getDimSize(3))};
    Value zero = floatConstant(rewriter, loc, type.getElementType(), 0.0);
    rewriter.replaceOpWithNewOp<tensor::PadOp>(op, op.getType(), op.getFilter(),
                                               low, high, zero);
    return success();
  }
};

} // namespace

void resnetc::populateRNConvToLinalgPatterns(RewritePatternSet &patterns) {
  patterns
      .add<Conv2DLowering, FusedConv2DLowering, Conv2DBackwardFilterLowering,
           Conv2DBackwardDataLowering, CropFilterLowering, PadFilterLowering>(
          patterns.getContext());
}
