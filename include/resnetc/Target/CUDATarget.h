//===- CUDATarget.h - Compiling models to PTX -------------------*- C++ -*-===//
//
// `resnetc MODEL.rn -o model.ptx`: the kernels of `infer` (and
// `train_step`), lowered through linalg and parallel loops to GPU kernels
// of many threads each, gathered in one PTX module that carries the
// execution plan (runtime/PTXArtifact.h).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_CUDATARGET_H
#define RESNETC_TARGET_CUDATARGET_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Target/Kernels.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace resnetc {

/// What to produce from the CUDA pipeline.
enum class CUDAOutput {
  GPU,      ///< Host kernels launching gpu.funcs of one gpu.module.
  Plan,     ///< The execution plan with every launch, as JSON.
  NVVM,     ///< The GPU kernels lowered to NVVM.
  LLVM,     ///< The GPU kernels as NVPTX LLVM IR, libdevice linked.
  PTX,      ///< The PTX module of all kernels, without the plan.
  Artifact, ///< The artifact: the PTX module carrying the plan, written
            ///< to `outputPath`.
};

struct CUDACompileOptions {
  CUDAOutput output = CUDAOutput::PTX;
  /// The GPU architecture: sm_80 (the default; the driver compiles it for
  /// every later GPU), sm_90 or sm_90a (Hopper only).
  std::string arch = "sm_80";
  /// Threads per block of the generated kernels.
  int64_t threads = 256;
  /// Convolutions as cuDNN calls of the plan (otherwise generated kernels).
  bool cudnnConvolutions = true;
  /// "fp32"; "tf32": cuDNN's convolutions may use TF32 tensor cores
  /// (generated kernels compute in fp32 either way); "bf16": temporaries
  /// are stored in bf16, computed in fp32 (parameters, optimizer state and
  /// batch statistics stay fp32).
  std::string precision = "fp32";
  /// How the rank-4 temporaries (activations, their gradients, weight
  /// gradients) are laid out; cuDNN's calls then take filters in the
  /// matching layout (KRSC for NHWC).
  runtime::Layout layout = runtime::Layout::NHWC;
  /// Where the artifact goes (replaced only by a complete file).
  std::string outputPath;
  EntryOptions entries;
};

/// Name of the one gpu.module (and PTX module) holding every kernel.
constexpr const char *kGPUModuleName = "resnetc_kernels";

/// Compiles `module` (rn, as produced by MLIRGen) for CUDA and appends the
/// requested output to `text` (or writes the artifact). Errors are reported
/// through the module's context.
mlir::LogicalResult compileForCUDA(mlir::ModuleOp module,
                                   const CUDACompileOptions &options,
                                   std::string &text);

} // namespace resnetc

#endif // RESNETC_TARGET_CUDATARGET_H
