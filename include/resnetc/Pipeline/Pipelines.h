//===- Pipelines.h - The named pass pipelines of resnetc --------*- C++ -*-===//
//
// Pipelines are assembled here, once, and shared by resnetc, resnet-opt and
// the tests. The targets' pipelines are cut into stages at the points where
// resnetc can print what it has (`--emit=plan`, `--emit=kernels`, ...).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_PIPELINE_PIPELINES_H
#define RESNETC_PIPELINE_PIPELINES_H

#include "resnetc/Target/CPUFeatures.h"
#include "resnetc/Target/Kernels.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace resnetc {

/// Inference-time graph fusions on rn, run on every function: batch-norm
/// folding, conv+ReLU, add+ReLU, residual add into the convolution.
void buildInferenceFusionPipeline(mlir::OpPassManager &pm);

/// The inference model lowered to linalg on tensors: the fusions above, then
/// convert-rn-to-linalg and canonicalization. Shared by every target.
void buildInferenceToLinalgPipeline(mlir::OpPassManager &pm);

/// Bufferization of destination-passing kernels: one-shot, function
/// boundaries with identity layouts, buffers freed where they die.
void buildBufferizePipeline(mlir::OpPassManager &pm);

/// The first stage of every target: rn-autodiff and rn-fuse-training (when
/// training; training is derived from the unfused model), the inference
/// fusions (which never match training's batch norms), rn-outline-kernels
/// for each entry, then rn-build-plan: the module is the kernels and the
/// `rn.plan` of their steps, for `target` in `precision` (and, for a CPU
/// plan, the CPU `cpu` with the extensions `cpuFeatures`).
void buildPlanningPipeline(mlir::OpPassManager &pm, const EntryOptions &entries,
                           const std::string &target,
                           const std::string &precision = "fp32",
                           const std::string &cpu = "",
                           const std::vector<std::string> &cpuFeatures = {});

/// How the CPU target compiles.
struct CPUPipelineOptions {
  EntryOptions entries;
  /// "nchw" or "nhwc": how rank-4 temporaries are stored.
  std::string layout = "nchw";
  /// Convolutions as oneDNN calls of the plan (else generated kernels).
  bool libraryConvolutions = false;
  /// The target CPU's vector registers: how many, and the floats of one
  /// (the generated convolutions' register blocking).
  int64_t vectorRegisters = 32, vectorFloats = 16;
  /// The CPU the code is for (LLVM's name) and the instruction set
  /// extensions it may use that a CPU can lack: recorded in the plan.
  std::string cpu;
  std::vector<std::string> cpuFeatures;

  /// Sets the fields above that depend on the target CPU.
  void setCPU(const CPUTargetInfo &info) {
    vectorRegisters = info.vectorRegisters;
    vectorFloats = info.vectorFloats;
    cpu = info.cpu;
    cpuFeatures = info.requiredFeatures;
  }
};

/// CPU stage 1: planning (with the CPU), storage and buffer assignment.
void buildCPUPlanPipeline(mlir::OpPassManager &pm,
                          const CPUPipelineOptions &options);
/// CPU stage 2: oneDNN calls (with libraryConvolutions) and the
/// conversions of their operands, per-image destination-passing kernels on
/// stored buffers (the plan is final).
void buildCPUKernelPipeline(mlir::OpPassManager &pm,
                            const CPUPipelineOptions &options);
/// CPU stage 3: register-blocked convolutions, the rest lowered to linalg
/// with the storage conversions folded in.
void buildCPULinalgPipeline(mlir::OpPassManager &pm,
                            const CPUPipelineOptions &options);
/// CPU stage 4: bufferization, loops, the LLVM dialect (bare-pointer
/// calling convention) and the serialized plan.
void buildCPULLVMPipeline(mlir::OpPassManager &pm,
                          const CPUPipelineOptions &options);

/// How the CUDA target compiles.
struct CUDAPipelineOptions {
  EntryOptions entries;
  /// "fp32", "tf32" or "bf16".
  std::string precision = "fp32";
  /// "nchw" or "nhwc".
  std::string layout = "nhwc";
  /// Convolutions as library calls (otherwise generated kernels).
  bool libraryConvolutions = true;
  /// The library of those calls.
  std::string library = "cudnn";
  /// Threads per block of the generated kernels.
  int64_t threads = 256;
  /// GPU architecture, and libdevice's path (stage 4).
  std::string arch = "sm_80";
  std::string libdevice;
};

/// CUDA stage 1: planning.
void buildCUDAPlanPipeline(mlir::OpPassManager &pm,
                           const CUDAPipelineOptions &options);
/// CUDA stage 2: library calls, whole-batch destination-passing kernels,
/// storage (with converted library operands).
void buildCUDAKernelPipeline(mlir::OpPassManager &pm,
                             const CUDAPipelineOptions &options);
/// CUDA stage 3: linalg, bufferization, GPU launches of many threads, the
/// kernels gathered into one gpu.module, the launches recorded in the plan
/// and the buffers assigned (the plan is final).
void buildCUDAGPUPipeline(mlir::OpPassManager &pm,
                          const CUDAPipelineOptions &options);
/// CUDA stage 4: the gpu.module lowered to NVVM for `arch`, with libdevice
/// (when given). Then the plan is serialized and gpu-module-to-binary makes
/// the PTX (CUDATarget.cpp).
void buildCUDANVVMPipeline(mlir::OpPassManager &pm,
                           const CUDAPipelineOptions &options);

/// Registers resnetc's passes, the upstream passes the pipelines above use
/// and the named pipelines (`rn-inference-fusion`, `rn-inference-to-linalg`,
/// `rn-cpu-pipeline`, `rn-cuda-pipeline` and `rn-cuda-nvvm-pipeline`) with
/// the global registry, for resnet-opt.
void registerAllResnetcPasses();

} // namespace resnetc

#endif // RESNETC_PIPELINE_PIPELINES_H
