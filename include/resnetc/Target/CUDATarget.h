//===- CUDATarget.h - Compiling models to PTX --------------------*- C++
//-*-===//
//
// `resnetc --target=cuda MODEL.rn --emit=gpu|nvvm|ptx`: the kernels of
// `infer` (and `train_step`), lowered through linalg and parallel loops to
// GPU kernels of many threads each, gathered in one PTX module.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_CUDATARGET_H
#define RESNETC_TARGET_CUDATARGET_H

#include "resnetc/Target/Kernels.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace resnetc {

/// What to produce from the CUDA pipeline.
enum class CUDAOutput {
  GPU,  ///< Host kernels launching gpu.funcs of one gpu.module.
  NVVM, ///< The same after the GPU kernels are lowered to NVVM.
  PTX,  ///< The PTX module of all kernels.
};

struct CUDACompileOptions {
  CUDAOutput output = CUDAOutput::PTX;
  /// The GPU architecture: sm_80, sm_90 or sm_90a.
  std::string arch = "sm_90a";
  /// Threads per block of the generated kernels.
  int64_t threads = 256;
  EntryOptions entries;
};

/// Name of the one gpu.module (and PTX module) holding every kernel.
constexpr const char *kGPUModuleName = "resnetc_kernels";

/// Compiles `module` (rn, as produced by MLIRGen) for CUDA and appends the
/// requested output to `text`. Errors are reported through the module's
/// context.
mlir::LogicalResult compileForCUDA(mlir::ModuleOp module,
                                   const CUDACompileOptions &options,
                                   std::string &text);

} // namespace resnetc

#endif // RESNETC_TARGET_CUDATARGET_H
