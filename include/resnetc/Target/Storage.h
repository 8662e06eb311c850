//===- Storage.h - How temporaries are stored ------------------*- C++ -*-===//
//
// The kernels compute on logical tensors (f32, N x C x H x W, filters
// K x C x R x S); the plan may store a rank-4 temporary otherwise: in bf16
// (`resnetc --precision bf16`) and/or channels innermost
// (`resnetc --layout nhwc`). A kernel then takes the buffer in its stored
// type and converts at its edges: a `linalg.generic` that permutes and
// widens (or narrows) and that fuse-storage-conversions folds into the
// kernel's own loops. Buffers the runtime reads or writes (the input,
// parameters, running statistics, velocities, the logits) keep the
// logical form; where a library call needs them otherwise, the target adds
// conversion steps. rn-choose-storage decides the storage, rn-apply-storage
// and rn-convert-library-operands apply it with the helpers below.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_STORAGE_H
#define RESNETC_TARGET_STORAGE_H

#include "resnetc/Runtime/Plan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace resnetc {

/// The tensor type `buffer` is stored as: its shape permuted by its layout,
/// its dtype's element type.
mlir::RankedTensorType getStoredType(mlir::MLIRContext *ctx,
                                     const runtime::PlanBuffer &buffer);

/// The permutation of logical dimensions that `layout` stores in order
/// (NCHW: 0 1 2 3; NHWC: 0 2 3 1).
llvm::SmallVector<int64_t, 4> getLayoutPermutation(runtime::Layout layout);

/// `shape` (logical) in the order `layout` stores it.
llvm::SmallVector<int64_t, 4> permuteShape(llvm::ArrayRef<int64_t> shape,
                                           runtime::Layout layout);

/// A storage conversion: a linalg.generic over the logical dimensions that
/// reads `value` (stored in `from`) and writes it as `type` (stored in
/// `to`), permuting and converting the element type. Returns `value` when
/// there is nothing to convert.
mlir::Value buildStorageConversion(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Value value, runtime::Layout from,
                                   mlir::RankedTensorType type,
                                   runtime::Layout to);

/// Adds to `module` a whole-batch kernel `name` (source, dest) -> dest that
/// copies buffer `from` into buffer `to` of the same logical shape,
/// converting storage; marked rn.storage_conversion.
void createConversionKernel(mlir::ModuleOp module, llvm::StringRef name,
                            const runtime::PlanBuffer &from,
                            const runtime::PlanBuffer &to);

} // namespace resnetc

#endif // RESNETC_TARGET_STORAGE_H
