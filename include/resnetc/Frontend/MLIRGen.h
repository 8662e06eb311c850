//===- MLIRGen.h - Emitting the rn dialect from a Network -------*- C++ -*-===//
//
// Builds `func.func @forward` in the rn dialect: one op per layer, each with a
// location `loc("stage2.block0.conv1"(callsite(...)))` that names the layer
// path and points into the .rn file (through the block definition and every
// instantiation site). Parameters and batch-norm statistics are function
// arguments annotated with their names.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_MLIRGEN_H
#define RESNETC_FRONTEND_MLIRGEN_H

#include "resnetc/Frontend/Network.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace resnetc {

/// Argument attribute naming a trainable parameter: {rn.param = "name"}.
constexpr const char *kParamAttrName = "rn.param";
/// A parameter that starts at zero (zero_init_residual).
constexpr const char *kZeroInitAttrName = "rn.zero_init";
/// Argument attribute naming a non-trainable state tensor (BN statistics).
constexpr const char *kStateAttrName = "rn.state";
/// Unit argument attribute marking the input batch.
constexpr const char *kInputAttrName = "rn.input";

/// Emits the model for a (maximum) batch of `batch` images. The caller must
/// have loaded the rn and func dialects into `context`.
mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &context,
                                          const Network &net,
                                          const SourceManager &sm,
                                          int64_t batch);

} // namespace resnetc

#endif // RESNETC_FRONTEND_MLIRGEN_H
