//===- Contiguity.cpp - Contiguous dimensions of memrefs ------------------===//
//
// See Contiguity.h.
//
//===----------------------------------------------------------------------===//

#include "Contiguity.h"

using namespace mlir;

int64_t resnetc::firstContiguous(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  int64_t rank = type.getRank();
  if (!type.hasStaticShape() ||
      failed(getStridesAndOffset(type, strides, offset)) || rank == 0 ||
      strides[rank - 1] != 1)
    return rank;
  int64_t first = rank - 1;
  while (first > 0 && strides[first - 1] != ShapedType::kDynamic &&
         strides[first - 1] == strides[first] * type.getDimSize(first))
    --first;
  return first;
}

Value resnetc::collapseFrom(OpBuilder &b, Location loc, Value value,
                            int64_t first) {
  auto type = cast<MemRefType>(value.getType());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < first; ++d)
    groups.push_back({d});
  groups.emplace_back();
  for (int64_t d = first; d < type.getRank(); ++d)
    groups.back().push_back(d);
  return b.create<memref::CollapseShapeOp>(loc, value, groups);
}
