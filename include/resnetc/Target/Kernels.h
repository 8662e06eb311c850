//===- Kernels.h - The stages shared by the targets ------------*- C++ -*-===//
//
// The first stages of every target: training derived by rn-autodiff, the
// inference fusions, one kernel function per rn op (rn-outline-kernels), the
// execution plan, then each kernel rewritten into destination-passing form.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_KERNELS_H
#define RESNETC_TARGET_KERNELS_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// The entries to compile and the SGD settings of `train_step`.
struct EntryOptions {
  bool train = false;
  double momentum = 0, weightDecay = 0;
  bool nesterov = false;
};

/// Registers, once, the upstream and resnetc passes the targets' pipelines
/// name.
void registerTargetPipelinePasses();

/// Loads into `ctx` the dialects, interface models and LLVM IR translations
/// the targets' pipelines need.
void prepareTargetContext(mlir::MLIRContext &ctx);

/// Parses `pipeline` (a module-level textual pass pipeline) and runs it on
/// `module`.
mlir::LogicalResult runPipeline(mlir::ModuleOp module,
                                const std::string &pipeline);

/// Runs rn-autodiff and rn-fuse-training (when training), the inference
/// fusions and rn-outline-kernels on `module` and returns the plan for
/// `target`.
/// @forward and @train_step remain (as sequences of kernel calls).
mlir::FailureOr<runtime::Plan> outlineKernels(mlir::ModuleOp module,
                                              const EntryOptions &options,
                                              llvm::StringRef target);

/// Erases @forward and @train_step, leaving the kernels (public).
void keepOnlyKernels(mlir::ModuleOp module);

/// Rewrites one outlined kernel into destination-passing form:
/// (args..., outs...) -> outs, results written into the `outs` arguments.
/// With `perImage`, a kernel that is neither `rn.prepare` nor
/// `rn.whole_batch` also takes the image index n (a last `index` argument),
/// slices its `rn.activation` operands to image n and inserts its results
/// at n; other kernels still get the (unused) n argument.
void makeDestinationPassing(mlir::func::FuncOp kernel, bool perImage);

/// Replaces every memref.copy (strided ones come from padding and slicing)
/// by linalg.copy, which lowers to loops like every other kernel body
/// instead of to a call into MLIR's runner library.
void copiesToLinalg(mlir::ModuleOp module);

/// Bufferization of destination-passing kernels: one-shot, function
/// boundaries with identity layouts, buffers freed where they die.
extern const char *const kBufferizePipeline;

} // namespace resnetc

#endif // RESNETC_TARGET_KERNELS_H
