//===- MapParallelLoopsToGPU.cpp - Parallel loops onto blocks of threads --===//
//
// Collapses each outermost scf.parallel into one dimension, tiles it by the
// block size and maps tiles to blocks and iterations to threads (see the
// pass description in Conversion/Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Conversion/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"

namespace resnetc {
#define GEN_PASS_DEF_MAPPARALLELLOOPSTOGPU
#include "resnetc/Conversion/Passes.h.inc"
} // namespace resnetc

using namespace mlir;

namespace {
struct MapParallelLoopsToGPU
    : resnetc::impl::MapParallelLoopsToGPUBase<MapParallelLoopsToGPU> {
  using MapParallelLoopsToGPUBase::MapParallelLoopsToGPUBase;

  void runOnOperation() override {
    if (threads < 1 || threads > 1024) {
      getOperation().emitError("threads per block must be 1 to 1024, got ")
          << static_cast<int64_t>(threads);
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation().walk([&](scf::ParallelOp op) {
      if (!op->getParentOfType<scf::ParallelOp>())
        outermost.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp op : outermost) {
      // One dimension over all iterations (a no-op for one dimension).
      std::vector<unsigned> all;
      for (unsigned i = 0; i < op.getNumLoops(); ++i)
        all.push_back(i);
      if (op.getNumLoops() > 1) {
        // The collapsed loop (after its bounds' arithmetic) replaces `op`.
        Operation *prev = op->getPrevNode();
        Block *block = op->getBlock();
        rewriter.setInsertionPoint(op);
        collapseParallelLoops(rewriter, op, {all});
        Operation *next = prev ? prev->getNextNode() : &block->front();
        while (!isa<scf::ParallelOp>(next))
          next = next->getNextNode();
        op = cast<scf::ParallelOp>(next);
      }
      auto [outer, inner] =
          scf::tileParallelLoop(op, {threads}, /*noMinMaxBounds=*/true);
      auto identity = AffineMap::getMultiDimIdentityMap(1, &getContext());
      auto map = [&](gpu::Processor processor) {
        return gpu::ParallelLoopDimMappingAttr::get(&getContext(), processor,
                                                    identity, identity);
      };
      if (failed(gpu::setMappingAttr(outer, {map(gpu::Processor::BlockX)})) ||
          failed(gpu::setMappingAttr(inner, {map(gpu::Processor::ThreadX)}))) {
        op.emitError("internal error: cannot map this loop onto the GPU");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
