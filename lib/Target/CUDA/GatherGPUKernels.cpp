//===- GatherGPUKernels.cpp - The rn-gather-gpu-kernels pass --------------===//
//
// One gpu.module, hence one PTX module, for every kernel of the model.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"

using namespace mlir;
using namespace resnetc;

/// Moves the gpu.func of every outlined gpu.module into one gpu.module,
/// each renamed after the module it came from, and retargets the launches.
static void gatherKernels(ModuleOp module, StringRef moduleName) {
  MLIRContext *ctx = module.getContext();
  SmallVector<gpu::GPUModuleOp> outlined(module.getOps<gpu::GPUModuleOp>());
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto merged = b.create<gpu::GPUModuleOp>(module.getLoc(), moduleName);
  Operation *end = merged.getBody()->getTerminator();
  for (gpu::GPUModuleOp m : outlined) {
    for (gpu::GPUFuncOp fn :
         llvm::make_early_inc_range(m.getOps<gpu::GPUFuncOp>())) {
      fn.setName(m.getName());
      fn->moveBefore(end);
    }
    m.erase();
  }
  module.walk([&](gpu::LaunchFuncOp launch) {
    StringRef name = launch.getKernelModuleName().getValue();
    launch.setKernelAttr(SymbolRefAttr::get(
        ctx, moduleName, {FlatSymbolRefAttr::get(ctx, name)}));
  });
}

namespace resnetc {
#define GEN_PASS_DEF_RNGATHERGPUKERNELS
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNGatherGPUKernels
    : resnetc::impl::RNGatherGPUKernelsBase<RNGatherGPUKernels> {
  using RNGatherGPUKernelsBase::RNGatherGPUKernelsBase;

  void runOnOperation() override {
    if (getOperation().lookupSymbol(moduleName)) {
      getOperation().emitError("rn-gather-gpu-kernels: symbol '")
          << moduleName << "' already exists";
      return signalPassFailure();
    }
    gatherKernels(getOperation(), moduleName);
  }
};
} // namespace
