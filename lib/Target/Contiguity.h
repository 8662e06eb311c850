//===- Contiguity.h - Contiguous dimensions of memrefs ----------*- C++ -*-===//
//
// Which trailing dimensions of a memref are contiguous, and views of it
// with those dimensions collapsed into one: loops over them are then one
// loop, which LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CONTIGUITY_H
#define RESNETC_LIB_TARGET_CONTIGUITY_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace resnetc {

/// The first of the trailing dimensions that are contiguous in `type`
/// (each stride the next dimension's extent times its stride), or the rank
/// when the strides are not static.
int64_t firstContiguous(mlir::MemRefType type);

/// `value` (a memref) with dimensions `first`.. collapsed into one.
mlir::Value collapseFrom(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, int64_t first);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CONTIGUITY_H
