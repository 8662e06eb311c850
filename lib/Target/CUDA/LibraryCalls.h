//===- LibraryCalls.h - Convolutions as library calls -----------*- C++ -*-===//
//
// The CUDA target's convolutions run as cuDNN calls recorded in the plan
// (the runtime chooses each call's algorithm), and the CPU target's, with
// --conv=onednn, as oneDNN calls.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CUDA_LIBRARYCALLS_H
#define RESNETC_LIB_TARGET_CUDA_LIBRARYCALLS_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Records every outlined kernel of `module` whose op is a convolution
/// (rn.conv2d, rn.fused_conv2d with its bias, residual and ReLU epilogue,
/// rn.conv2d_backward_data, rn.conv2d_backward_filter) as the library call
/// of its plan step (cuDNN for a "cuda" plan, oneDNN for a "cpu" one), over
/// the whole batch, and erases the kernel: no code is generated for it.
mlir::LogicalResult recordLibraryCalls(mlir::ModuleOp module,
                                       runtime::Plan &plan);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CUDA_LIBRARYCALLS_H
