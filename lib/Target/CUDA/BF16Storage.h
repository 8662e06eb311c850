//===- BF16Storage.h - Activations stored in bf16 ---------------*- C++ -*-===//
//
// `resnetc --precision bf16`: temporaries are stored in bf16 and computed
// in fp32; parameters, optimizer state and batch statistics stay fp32.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CUDA_BF16STORAGE_H
#define RESNETC_LIB_TARGET_CUDA_BF16STORAGE_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Stores every rank-4 temporary of `plan` (activations, their gradients,
/// convolution weight gradients) in bf16; a convolution's bias stays fp32. Kernels in destination-passing
/// form over the whole batch (after makeDestinationPassing) read such
/// arguments through arith.extf and write their results through
/// arith.truncf, computing in fp32 between. A cuDNN call gets bf16 copies
/// of its fp32 tensors (weights, the input images) from conversion steps,
/// whose kernels are added to `module`: for `infer`'s weights once, at the
/// end of `prepare`; otherwise before the first call of an entry that uses
/// each.
mlir::LogicalResult storeTemporariesInBF16(mlir::ModuleOp module,
                                           runtime::Plan &plan);

/// Fuses elementwise linalg ops of the kernels into their consumers, the
/// bf16 conversions into every linalg.generic that consumes them, so that
/// those do not store an fp32 copy of a bf16 buffer (conversions feeding
/// other ops, such as the padding of a generated convolution, still do).
void fuseConversions(mlir::ModuleOp module);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CUDA_BF16STORAGE_H
