//===- Passes.h - Transforms on linalg shared by the targets ----*- C++ -*-===//
//
// Declarations generated from Transforms/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TRANSFORMS_PASSES_H
#define RESNETC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace resnetc {

#define GEN_PASS_DECL
#include "resnetc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "resnetc/Transforms/Passes.h.inc"

} // namespace resnetc

#endif // RESNETC_TRANSFORMS_PASSES_H
