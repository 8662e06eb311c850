//===- Passes.h - The target passes of resnetc ------------------*- C++ -*-===//
//
// Declarations generated from Target/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_PASSES_H
#define RESNETC_TARGET_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace resnetc {

#define GEN_PASS_DECL
#include "resnetc/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "resnetc/Target/Passes.h.inc"

} // namespace resnetc

#endif // RESNETC_TARGET_PASSES_H
