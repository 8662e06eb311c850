//===- CopiesToLinalg.cpp - The rn-copies-to-linalg pass ------------------===//
//
// memref.copy (of strided views, from padding and slicing) as linalg.copy,
// optionally over the fewest dimensions.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace resnetc;

/// The first of the trailing dimensions that are contiguous in `type`
/// (each stride the next dimension's extent times its stride), or the rank
/// when the strides are not static.
static int64_t firstContiguous(MemRefType type) {
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

/// `value` with dimensions `first`.. collapsed into one.
static Value collapseFrom(OpBuilder &b, Location loc, Value value,
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

static void copiesToLinalg(ModuleOp module, bool collapse) {
  module.walk([&](memref::CopyOp copy) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value source = copy.getSource(), target = copy.getTarget();
    auto sourceType = dyn_cast<MemRefType>(source.getType());
    auto targetType = dyn_cast<MemRefType>(target.getType());
    if (collapse && sourceType && targetType) {
      int64_t first =
          std::max(firstContiguous(sourceType), firstContiguous(targetType));
      if (first < sourceType.getRank() - 1) {
        source = collapseFrom(b, loc, source, first);
        target = collapseFrom(b, loc, target, first);
      }
    }
    b.create<linalg::CopyOp>(loc, source, target);
    copy.erase();
  });
}

namespace resnetc {
#define GEN_PASS_DEF_RNCOPIESTOLINALG
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNCopiesToLinalg
    : resnetc::impl::RNCopiesToLinalgBase<RNCopiesToLinalg> {
  using RNCopiesToLinalgBase::RNCopiesToLinalgBase;
  void runOnOperation() override {
    copiesToLinalg(getOperation(), collapseContiguous);
  }
};
} // namespace
