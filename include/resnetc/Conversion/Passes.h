//===- Passes.h - Conversions out of the rn dialect -------------*- C++ -*-===//
//
// Declarations generated from Conversion/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_CONVERSION_PASSES_H
#define RESNETC_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace resnetc {

#define GEN_PASS_DECL
#include "resnetc/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "resnetc/Conversion/Passes.h.inc"

} // namespace resnetc

#endif // RESNETC_CONVERSION_PASSES_H
