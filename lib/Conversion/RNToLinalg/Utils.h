//===- Utils.h - Helpers shared by the rn-to-linalg patterns ----*- C++ -*-===//
//
// Small builders used by several op families: empty and filled tensors,
// padding, per-channel broadcasts and elementwise linalg.generic ops.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CONVERSION_RNTOLINALG_UTILS_H
#define RESNETC_LIB_CONVERSION_RNTOLINALG_UTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace resnetc {

/// A tensor.empty of `type`.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type);

/// A tensor of `type` filled with `value`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, double value);

/// Pads the two spatial dimensions of an NCHW tensor by (`padH`, `padW`) on
/// both sides with `value`; returns `input` unchanged when both are zero.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value input, int64_t padH, int64_t padW,
                       double value);

/// Broadcasts a vector along dimension `dim` of a tensor of `type` (a
/// per-channel bias to NCHW when dim = 1, to NxF when dim = 1 of rank 2).
mlir::Value broadcastAlong(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value vector, mlir::RankedTensorType type,
                           int64_t dim);

/// Body of an elementwise generic: receives one scalar per input (same
/// order as `inputs`) and returns the result scalar.
using ScalarBody = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A linalg.generic over all dimensions of `type`. Each input is either of
/// `type` (identity map) or a vector indexed by `channelDim` (a per-channel
/// operand); the body computes the result from one scalar per input.
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::RankedTensorType type,
                             mlir::ValueRange inputs, ScalarBody body,
                             int64_t channelDim = 1);

/// max(x, 0), propagating NaN as PyTorch's ReLU does.
mlir::Value buildReLU(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// A floating-point constant of `type`.
mlir::Value floatConstant(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Type type, double value);

} // namespace resnetc

#endif // RESNETC_LIB_CONVERSION_RNTOLINALG_UTILS_H
