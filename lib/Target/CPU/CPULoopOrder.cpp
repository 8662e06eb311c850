//===- CPULoopOrder.cpp - The rn-cpu-loop-order pass ----------------------===//
//
// Orders the loops of each linalg.generic for a CPU: the innermost loop
// walks the innermost stored dimension of the op's largest operand, so that
// it reads (or writes) consecutive floats and vectorizes. Reduction loops
// keep their relative order, so every sum is computed in the same order as
// before.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;
using namespace resnetc;

/// The loop that should be innermost in `op`: the loop indexing the
/// innermost stored dimension (of size > 1) of its largest operand, outputs
/// winning ties; none if that dimension is not indexed by one loop alone.
static std::optional<unsigned> contiguousLoop(linalg::GenericOp op) {
  OpOperand *largest = nullptr;
  int64_t largestSize = -1;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type || !type.hasStaticShape())
      continue;
    bool isInit = op.isDpsInit(&operand);
    int64_t size = type.getNumElements();
    if (size > largestSize || (size == largestSize && isInit)) {
      largest = &operand;
      largestSize = size;
    }
  }
  if (!largest)
    return std::nullopt;
  auto type = cast<ShapedType>(largest->get().getType());
  AffineMap map = op.getMatchingIndexingMap(largest);
  for (int64_t i = map.getNumResults() - 1; i >= 0; --i) {
    if (type.getDimSize(i) == 1)
      continue;
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(i));
    if (!dim)
      return std::nullopt;
    return dim.getPosition();
  }
  return std::nullopt;
}

namespace {
/// Moves the contiguous loop innermost, keeping the others' order.
struct InnermostContiguous : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    unsigned loops = op.getNumLoops();
    if (loops < 2)
      return failure();
    std::optional<unsigned> inner = contiguousLoop(op);
    if (!inner || *inner >= loops - 1)
      return failure();
    // Sums keep their order (and their rounding, whatever the layout): a
    // reduction loop moves only past parallel loops.
    auto iterators = op.getIteratorTypesArray();
    if (iterators[*inner] == utils::IteratorType::reduction &&
        llvm::any_of(llvm::drop_begin(iterators, *inner + 1),
                     [](utils::IteratorType t) {
                       return t == utils::IteratorType::reduction;
                     }))
      return failure();
    SmallVector<unsigned> order;
    for (unsigned d = 0; d < loops; ++d)
      if (d != *inner)
        order.push_back(d);
    order.push_back(*inner);
    return linalg::interchangeGenericOp(rewriter, op, order);
  }
};

/// A fill of a whole multi-dimensional tensor (also the fill of a padding)
/// is one loop over its elements: nested loops with short, constant trip counts invite LLVM to
/// unroll the inner ones and vectorize an outer one with scatters (one
/// 1x24x24x64 fill became 3,000 instructions that took seconds to schedule).
struct FlatFill : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getResultTypes()[0]);
    if (!type || type.getRank() < 2 || !type.hasStaticShape())
      return failure();
    Location loc = op.getLoc();
    SmallVector<ReassociationIndices> all(1);
    for (int64_t d = 0; d < type.getRank(); ++d)
      all[0].push_back(d);
    Value flat = rewriter.create<tensor::CollapseShapeOp>(
        loc, op.getOutputs()[0], all);
    Value filled =
        rewriter.create<linalg::FillOp>(loc, op.getInputs()[0], flat)
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, type, filled, all);
    return success();
  }
};
} // namespace

namespace resnetc {
#define GEN_PASS_DEF_RNCPULOOPORDER
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNCPULoopOrder : resnetc::impl::RNCPULoopOrderBase<RNCPULoopOrder> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FlatFill, InnermostContiguous>(&getContext());
    // A padding becomes a fill (flat, as above) and a copy of the source.
    patterns.add<linalg::GeneralizePadOpPattern>(&getContext());
    // An optimization: the kernels are correct in any loop order.
    (void)applyPatternsAndFoldGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace
