//===- Storage.cpp - How temporaries are stored ---------------------------===//
//
// See Storage.h. Conversions iterate over the logical dimensions, so both
// of their indexing maps are permutations: the stored order of the source
// and of the result.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Storage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

SmallVector<int64_t, 4> resnetc::getLayoutPermutation(Layout layout) {
  if (layout == Layout::NHWC)
    return {0, 2, 3, 1};
  return {0, 1, 2, 3};
}

SmallVector<int64_t, 4> resnetc::permuteShape(ArrayRef<int64_t> shape,
                                              Layout layout) {
  SmallVector<int64_t, 4> result(shape);
  if (shape.size() == 4)
    for (auto [i, d] : llvm::enumerate(getLayoutPermutation(layout)))
      result[i] = shape[d];
  return result;
}

/// The element type of `dtype` (F32 or BF16 for the buffers that kernels
/// convert).
static Type getElementType(MLIRContext *ctx, DType dtype) {
  if (dtype == DType::BF16)
    return BFloat16Type::get(ctx);
  if (dtype == DType::I64)
    return IntegerType::get(ctx, 64);
  return Float32Type::get(ctx);
}

RankedTensorType resnetc::getStoredType(MLIRContext *ctx,
                                        const PlanBuffer &buffer) {
  return RankedTensorType::get(permuteShape(buffer.shape, buffer.layout),
                               getElementType(ctx, buffer.dtype));
}

/// The indexing map, over the logical dimensions, of a tensor of `rank`
/// stored in `layout`.
static AffineMap getStorageMap(MLIRContext *ctx, unsigned rank, Layout layout) {
  if (rank != 4)
    return AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<unsigned> perm;
  for (int64_t d : getLayoutPermutation(layout))
    perm.push_back(static_cast<unsigned>(d));
  return AffineMap::getPermutationMap(perm, ctx);
}

Value resnetc::buildStorageConversion(OpBuilder &b, Location loc, Value value,
                                      Layout from, RankedTensorType type,
                                      Layout to) {
  auto source = cast<RankedTensorType>(value.getType());
  if (source == type && from == to)
    return value;
  MLIRContext *ctx = b.getContext();
  unsigned rank = type.getRank();
  Value init =
      b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps = {getStorageMap(ctx, rank, from),
                                 getStorageMap(ctx, rank, to)};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Type sourceElement = source.getElementType();
  Type resultElement = type.getElementType();
  return b
      .create<linalg::GenericOp>(
          loc, TypeRange{type}, ValueRange{value}, ValueRange{init}, maps,
          iterators,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value v = args[0];
            if (sourceElement.getIntOrFloatBitWidth() <
                resultElement.getIntOrFloatBitWidth())
              v = nb.create<arith::ExtFOp>(l, resultElement, v);
            else if (sourceElement != resultElement)
              v = nb.create<arith::TruncFOp>(l, resultElement, v);
            nb.create<linalg::YieldOp>(l, v);
          })
      .getResult(0);
}

void resnetc::createConversionKernel(ModuleOp module, StringRef name,
                                     const PlanBuffer &from,
                                     const PlanBuffer &to) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = module.getLoc();
  RankedTensorType source = getStoredType(ctx, from);
  RankedTensorType dest = getStoredType(ctx, to);
  auto kernel = b.create<func::FuncOp>(
      loc, name, b.getFunctionType({source, dest}, {dest}));
  kernel->setAttr("rn.kernel", b.getUnitAttr());
  kernel->setAttr("rn.whole_batch", b.getUnitAttr());
  kernel->setAttr("rn.storage_conversion", b.getUnitAttr());
  Block *body = kernel.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value converted = buildStorageConversion(b, loc, body->getArgument(0),
                                           from.layout, dest, to.layout);
  Value stored = b.create<bufferization::MaterializeInDestinationOp>(
                      loc, converted, body->getArgument(1))
                     .getResult();
  b.create<func::ReturnOp>(loc, stored);
}
