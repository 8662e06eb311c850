//===- CPUFlattenElementwise.cpp - The rn-cpu-flatten-elementwise pass ----===//
//
// An elementwise linalg.generic over contiguous memrefs becomes one loop
// over their elements (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "../Contiguity.h"
#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace resnetc;

/// Whether `op` is elementwise over contiguous memrefs that it reads and
/// writes in the order of its loops (scalars aside).
static bool isFlattenable(linalg::GenericOp op) {
  unsigned loops = op.getNumLoops();
  if (loops < 2 || !op.hasPureBufferSemantics() ||
      op.getNumReductionLoops() != 0 ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return false;
    if (map.getNumResults() == 0 && type.getRank() == 0)
      continue;
    if (!map.isIdentity() || firstContiguous(type) != 0)
      return false;
  }
  return true;
}

/// `op` as a generic over the collapsed memrefs.
static void flatten(linalg::GenericOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  auto collapse = [&](ValueRange values) {
    SmallVector<Value> result;
    for (Value v : values)
      result.push_back(cast<MemRefType>(v.getType()).getRank() == 0
                           ? v
                           : collapseFrom(b, loc, v, 0));
    return result;
  };
  SmallVector<Value> inputs = collapse(op.getDpsInputs());
  SmallVector<Value> outputs = collapse(op.getDpsInits());
  SmallVector<AffineMap> maps;
  for (Value v : llvm::concat<Value>(inputs, outputs))
    maps.push_back(cast<MemRefType>(v.getType()).getRank() == 0
                       ? AffineMap::get(1, 0, ctx)
                       : AffineMap::getMultiDimIdentityMap(1, ctx));
  auto flat = b.create<linalg::GenericOp>(
      loc, TypeRange{}, inputs, outputs, maps,
      SmallVector<utils::IteratorType>{utils::IteratorType::parallel});
  flat.getRegion().takeBody(op.getRegion());
  op.erase();
}

namespace resnetc {
#define GEN_PASS_DEF_RNCPUFLATTENELEMENTWISE
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNCPUFlattenElementwise
    : resnetc::impl::RNCPUFlattenElementwiseBase<RNCPUFlattenElementwise> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isFlattenable(op))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops)
      flatten(op);
  }
};
} // namespace
