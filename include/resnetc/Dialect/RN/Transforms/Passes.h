//===- Passes.h - Transformations of the rn dialect -------------*- C++ -*-===//
//
// Declarations generated from Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_TRANSFORMS_PASSES_H
#define RESNETC_DIALECT_RN_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::rn {

#define GEN_PASS_DECL
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"

} // namespace mlir::rn

#endif // RESNETC_DIALECT_RN_TRANSFORMS_PASSES_H
