//===- Kernels.h - What the targets share ----------------------*- C++ -*-===//
//
// The entries a target compiles and the MLIR context its pipelines need.
// The pipelines themselves are assembled in Pipeline/Pipelines.h from the
// passes of Target/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_KERNELS_H
#define RESNETC_TARGET_KERNELS_H

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// The entries to compile and the optimizer of `train_step`.
struct EntryOptions {
  bool train = false;
  std::string optimizer = "sgd"; ///< "sgd" or "adamw".
  double momentum = 0, weightDecay = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8; ///< AdamW.
};

/// Adds to `registry` the dialects, interface models and LLVM IR
/// translations the targets' pipelines need.
void registerTargetDialects(mlir::DialectRegistry &registry);

/// Loads into `ctx` the dialects, interface models and LLVM IR translations
/// the targets' pipelines need.
void prepareTargetContext(mlir::MLIRContext &ctx);

} // namespace resnetc

#endif // RESNETC_TARGET_KERNELS_H
