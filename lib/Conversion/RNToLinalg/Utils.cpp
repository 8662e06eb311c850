//===- Utils.cpp - Helpers shared by the rn-to-linalg patterns ------------===//
//
// See Utils.h.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

Value resnetc::floatConstant(OpBuilder &b, Location loc, Type type,
                             double value) {
  return b.create<arith::ConstantOp>(loc, type, b.getFloatAttr(type, value));
}

Value resnetc::createEmpty(OpBuilder &b, Location loc, RankedTensorType type) {
  return b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
}

Value resnetc::createFilled(OpBuilder &b, Location loc, RankedTensorType type,
                            double value) {
  Value c = floatConstant(b, loc, type.getElementType(), value);
  return b.create<linalg::FillOp>(loc, c, createEmpty(b, loc, type))
      .getResult(0);
}

Value resnetc::padSpatial(OpBuilder &b, Location loc, Value input, int64_t padH,
                          int64_t padW, double value) {
  if (padH == 0 && padW == 0)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * padH;
  shape[3] += 2 * padW;
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(padH), b.getIndexAttr(padW)};
  Value c = floatConstant(b, loc, type.getElementType(), value);
  return b.create<tensor::PadOp>(loc, padded, input, low, low, c);
}

Value resnetc::broadcastAlong(OpBuilder &b, Location loc, Value vector,
                              RankedTensorType type, int64_t dim) {
  SmallVector<int64_t> dims;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (i != dim)
      dims.push_back(i);
  return b
      .create<linalg::BroadcastOp>(loc, vector, createEmpty(b, loc, type), dims)
      .getResult()[0];
}

Value resnetc::buildElementwise(OpBuilder &b, Location loc,
                                RankedTensorType type, ValueRange inputs,
                                ScalarBody body, int64_t channelDim) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto t = cast<RankedTensorType>(in.getType());
    if (t.getRank() == static_cast<int64_t>(rank))
      maps.push_back(identity);
    else
      maps.push_back(AffineMap::get(rank, 0, b.getAffineDimExpr(channelDim)));
  }
  maps.push_back(identity);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = b.create<linalg::GenericOp>(
      loc, TypeRange{type}, inputs, ValueRange{createEmpty(b, loc, type)}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        nb.create<linalg::YieldOp>(nloc, r);
      });
  return generic.getResult(0);
}

Value resnetc::buildReLU(OpBuilder &b, Location loc, Value x) {
  Value zero = floatConstant(b, loc, x.getType(), 0.0);
  return b.create<arith::MaximumFOp>(loc, x, zero);
}
