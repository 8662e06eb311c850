//===- LibraryOperands.h - Library calls' tensors in one storage -*- C++
//-*-===//
//
// A cuDNN call takes all its 4-D tensors in one type and one layout, those
// of its output (a temporary, stored as Storage.h chose), and its bias in
// that type too. Its other operands that are stored otherwise (weights,
// biases, the input images) get copies, made by conversion steps.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CUDA_LIBRARYOPERANDS_H
#define RESNETC_LIB_TARGET_CUDA_LIBRARYOPERANDS_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// Gives every library call of `plan` operands stored as its output is (a
/// bias only takes its data type): an operand stored otherwise is replaced
/// by a copy (a buffer named `<buffer>[.nhwc][.bf16]`) made by a conversion
/// step (kernel
/// `c<N>_<call's kernel>`, added to `module`). In `infer`, copies of
/// parameters and derived weights are persistent (role derived) and made
/// once, at the end of `prepare`; the others, one per entry and buffer,
/// just before the first call of the entry that needs each.
mlir::LogicalResult convertLibraryOperands(mlir::ModuleOp module,
                                           runtime::Plan &plan);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CUDA_LIBRARYOPERANDS_H
