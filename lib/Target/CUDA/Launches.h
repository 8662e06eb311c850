//===- Launches.h - GPU launches of the CUDA plan ---------------*- C++ -*-===//
//
// Records, for each step of a plan, the GPU launches its host kernel makes.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CUDA_LAUNCHES_H
#define RESNETC_LIB_TARGET_CUDA_LAUNCHES_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Fills `launches` of every step of `plan` that is not a library call from
/// its host kernel in `module` (after gpu-kernel-outlining): each
/// gpu.launch_func with its
/// constant grid and block sizes and its arguments, which are the step's
/// buffers (or views of them), constants, or scratch buffers that the host
/// kernel allocates and which become plan buffers of role scratch. Any
/// other host operation is an error: the runtime executes launches only.
mlir::LogicalResult recordLaunches(mlir::ModuleOp module, runtime::Plan &plan);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CUDA_LAUNCHES_H
