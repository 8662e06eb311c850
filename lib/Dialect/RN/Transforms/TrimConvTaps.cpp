//===- TrimConvTaps.cpp - Drop the filter taps that meet only padding -----===//
//
// Convolutions and their gradients computed with the taps of the filter that
// meet the input at some output position (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"
#include "resnetc/Support/ShapeRules.h"

#include "mlir/IR/Builders.h"

#include <array>
#include <optional>

namespace mlir::rn {
#define GEN_PASS_DEF_RNTRIMCONVTAPS
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
/// The taps of a convolution's window that meet its input, along both axes
/// (height, width): taps [offset, offset + size) of the window, computed
/// with `padding` in place of the convolution's.
struct Trim {
  SmallVector<int64_t, 2> offset, size, padding;
};

/// The window and extents of one convolution, along both axes.
struct ConvShape {
  ArrayRef<int64_t> kernel, strides, padding, dilation;
  int64_t inH, inW, outH, outW;
};
} // namespace

/// Whether tap `k` of an axis meets the input (extent `in`) at some output
/// position in [0, out): some o has 0 <= o * stride - pad + k * dilation < in.
static bool meetsInput(int64_t k, int64_t in, int64_t out, int64_t stride,
                       int64_t pad, int64_t dilation) {
  int64_t first = k * dilation - pad; // The position the tap meets at o = 0.
  int64_t o = first >= 0 ? 0 : (-first + stride - 1) / stride;
  return o < out && first + o * stride < in;
}

/// The trim of one axis as (offset, size, padding), or nullopt where every
/// tap meets the input, none does, or the trimmed window would need unequal
/// padding on the two sides to give the same output extent.
static std::optional<std::array<int64_t, 3>>
trimAxis(int64_t kernel, int64_t in, int64_t out, int64_t stride, int64_t pad,
         int64_t dilation) {
  int64_t first = -1, last = -1;
  for (int64_t k = 0; k < kernel; ++k)
    if (meetsInput(k, in, out, stride, pad, dilation)) {
      if (first < 0)
        first = k;
      last = k;
    }
  if (first < 0)
    return std::nullopt;
  int64_t size = last - first + 1, padding = pad - first * dilation;
  if (padding < 0 ||
      resnetc::windowOutputSize(in, size, stride, padding, dilation) != out)
    return std::nullopt;
  return std::array<int64_t, 3>{first, size, padding};
}

/// The trim of a convolution, or nullopt where it keeps every tap.
static std::optional<Trim> trimConv(const ConvShape &c) {
  auto h = trimAxis(c.kernel[0], c.inH, c.outH, c.strides[0], c.padding[0],
                    c.dilation[0]);
  auto w = trimAxis(c.kernel[1], c.inW, c.outW, c.strides[1], c.padding[1],
                    c.dilation[1]);
  // An axis that cannot be trimmed keeps its whole window.
  std::array<int64_t, 3> keepH = {0, c.kernel[0], c.padding[0]};
  std::array<int64_t, 3> keepW = {0, c.kernel[1], c.padding[1]};
  std::array<int64_t, 3> th = h.value_or(keepH), tw = w.value_or(keepW);
  if (th[1] == c.kernel[0] && tw[1] == c.kernel[1])
    return std::nullopt;
  return Trim{{th[0], tw[0]}, {th[1], tw[1]}, {th[2], tw[2]}};
}

/// `filter` cropped to the taps of `trim`.
static Value cropFilter(OpBuilder &b, Location loc, Value filter,
                        const Trim &trim) {
  auto type = cast<RankedTensorType>(filter.getType());
  auto cropped = RankedTensorType::get(
      {type.getDimSize(0), type.getDimSize(1), trim.size[0], trim.size[1]},
      type.getElementType());
  return b.create<CropFilterOp>(loc, cropped, filter,
                                b.getDenseI64ArrayAttr(trim.offset),
                                b.getDenseI64ArrayAttr(trim.size));
}

/// Gives `op` (a convolution or its input gradient, whose filter is an
/// operand) the cropped filter and the padding of its trim, if any. `in`
/// and `out` are the convolution's input and output extents (H, W).
template <typename ConvOp>
static void cropFilterOperand(ConvOp op, ArrayRef<int64_t> in,
                              ArrayRef<int64_t> out) {
  auto w = cast<RankedTensorType>(op.getWeight().getType());
  std::optional<Trim> t =
      trimConv({w.getShape().drop_front(2), op.getStrides(), op.getPadding(),
                op.getDilation(), in[0], in[1], out[0], out[1]});
  if (!t)
    return;
  OpBuilder b(op);
  op.getWeightMutable().assign(cropFilter(b, op.getLoc(), op.getWeight(), *t));
  op.setPadding(t->padding);
}

static void trim(Conv2DOp op) {
  auto in = cast<RankedTensorType>(op.getInput().getType());
  cropFilterOperand(op, in.getShape().drop_front(2),
                    op.getType().getShape().drop_front(2));
}

static void trim(Conv2DBackwardDataOp op) {
  auto dy = cast<RankedTensorType>(op.getGradOutput().getType());
  cropFilterOperand(op, op.getInputShape().drop_front(2),
                    dy.getShape().drop_front(2));
}

static void trim(Conv2DBackwardFilterOp op) {
  auto dy = cast<RankedTensorType>(op.getGradOutput().getType());
  auto x = cast<RankedTensorType>(op.getInput().getType());
  ArrayRef<int64_t> w = op.getWeightShape();
  std::optional<Trim> t = trimConv(
      {w.drop_front(2), op.getStrides(), op.getPadding(), op.getDilation(),
       x.getDimSize(2), x.getDimSize(3), dy.getDimSize(2), dy.getDimSize(3)});
  if (!t)
    return;
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> shape = {w[0], w[1], t->size[0], t->size[1]};
  auto cropped = RankedTensorType::get(shape, op.getType().getElementType());
  auto grad = b.create<Conv2DBackwardFilterOp>(
      loc, cropped, op.getGradOutput(), op.getInput(), op.getStridesAttr(),
      b.getDenseI64ArrayAttr(t->padding), op.getDilationAttr(),
      op.getGroupsAttr(), b.getDenseI64ArrayAttr(shape));
  auto padded = b.create<PadFilterOp>(loc, op.getType(), grad,
                                      b.getDenseI64ArrayAttr(t->offset),
                                      b.getDenseI64ArrayAttr({w[2], w[3]}));
  op.replaceAllUsesWith(padded.getOutput());
  op.erase();
}

namespace {
struct RNTrimConvTapsPass : rn::impl::RNTrimConvTapsBase<RNTrimConvTapsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> convs;
    getOperation().walk([&](Operation *op) {
      if (isa<Conv2DOp, Conv2DBackwardDataOp, Conv2DBackwardFilterOp>(op))
        convs.push_back(op);
    });
    for (Operation *op : convs) {
      if (auto conv = dyn_cast<Conv2DOp>(op))
        trim(conv);
      else if (auto data = dyn_cast<Conv2DBackwardDataOp>(op))
        trim(data);
      else
        trim(cast<Conv2DBackwardFilterOp>(op));
    }
  }
};
} // namespace
