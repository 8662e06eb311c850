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
                          int64_t padW, double value, int64_t extraH,
                          int64_t extraW) {
  if (padH == 0 && padW == 0 && extraH == 0 && extraW == 0)
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[2] += 2 * padH + extraH;
  shape[3] += 2 * padW + extraW;
  auto padded = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> low = {b.getIndexAttr(0), b.getIndexAttr(0),
                                   b.getIndexAttr(padH), b.getIndexAttr(padW)};
  SmallVector<OpFoldResult> high = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(padH + extraH),
                                    b.getIndexAttr(padW + extraW)};
  Value c = floatConstant(b, loc, type.getElementType(), value);
  return b.create<tensor::PadOp>(loc, padded, input, low, high, c);
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

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

RankedTensorType resnetc::tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

SmallVector<utils::IteratorType>
resnetc::iterators(ArrayRef<bool> isReduction) {
  SmallVector<utils::IteratorType> out;
  for (bool r : isReduction)
    out.push_back(r ? utils::IteratorType::reduction
                    : utils::IteratorType::parallel);
  return out;
}

SmallVector<Value> resnetc::perChannel(
    OpBuilder &b, Location loc, RankedTensorType vecType, ValueRange inputs,
    unsigned numResults,
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
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

Value resnetc::narrowTo(OpBuilder &b, Location loc, RankedTensorType type,
                        Value wide) {
  return buildElementwise(
      b, loc, type, {wide},
      [&](OpBuilder &nb, Location l, ValueRange a) {
        return nb.create<arith::TruncFOp>(l, type.getElementType(), a[0])
            .getResult();
      },
      0);
}

Value resnetc::reduceInF64(OpBuilder &b, Location loc, RankedTensorType type,
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

Value resnetc::sumExcept(OpBuilder &b, Location loc, Value x, int64_t keep,
                         ScalarBody body, ValueRange extraChannelInputs) {
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

Value resnetc::maskedGradient(OpBuilder &b, Location l, Value dy, Value out) {
  Value zero = floatConstant(b, l, dy.getType(), 0.0);
  Value positive =
      b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, out, zero);
  return b.create<arith::SelectOp>(l, positive, dy, zero);
}

std::pair<Value, Value>
resnetc::channelSumsInF64(OpBuilder &b, Location loc, ValueRange inputs,
                          ScalarBody first, ScalarBody second, bool perImage) {
  auto type = tensorOf(inputs[0]);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(tensorOf(in).getRank() == 4
                       ? AffineMap::getMultiDimIdentityMap(4, ctx)
                       : AffineMap::get(4, 0, b.getAffineDimExpr(1)));
  AffineMap sum =
      perImage ? AffineMap::get(
                     4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, ctx)
               : AffineMap::get(4, 0, b.getAffineDimExpr(1));
  maps.append({sum, sum});
  SmallVector<int64_t> shape = {type.getDimSize(1)};
  if (perImage)
    shape.insert(shape.begin(), type.getDimSize(0));
  auto wide = RankedTensorType::get(shape, b.getF64Type());
  auto sums = b.create<linalg::GenericOp>(
      loc, TypeRange{wide, wide}, inputs,
      ValueRange{createFilled(b, loc, wide, 0.0),
                 createFilled(b, loc, wide, 0.0)},
      maps, iterators({!perImage, false, true, true}),
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
