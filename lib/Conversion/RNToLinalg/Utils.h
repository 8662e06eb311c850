//===- Utils.h - Helpers shared by the rn-to-linalg patterns ----*- C++ -*-===//
//
// Small builders used by several op families: empty and filled tensors,
// padding, per-channel broadcasts and elementwise linalg.generic ops; for
// the gradients, reductions accumulated in f64.
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
/// both sides with `value`, and by (`extraH`, `extraW`) more at the bottom
/// and right; returns `input` unchanged when all are zero.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::Value input, int64_t padH, int64_t padW,
                       double value, int64_t extraH = 0, int64_t extraW = 0);

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

//===----------------------------------------------------------------------===//
// Training: gradients and reductions
//===----------------------------------------------------------------------===//

/// The ranked tensor type of `v`.
mlir::RankedTensorType tensorOf(mlir::Value v);

/// Iterator types: a reduction where `isReduction` is true, else parallel.
llvm::SmallVector<mlir::utils::IteratorType>
iterators(llvm::ArrayRef<bool> isReduction);

/// One linalg.generic over the channels of `vecType` (a vector) computing
/// `numResults` vectors of its element type from one scalar per input.
llvm::SmallVector<mlir::Value>
perChannel(mlir::OpBuilder &b, mlir::Location loc,
           mlir::RankedTensorType vecType, mlir::ValueRange inputs,
           unsigned numResults,
           llvm::function_ref<llvm::SmallVector<mlir::Value>(
               mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>
               body);

/// `wide` (f64) rounded to the element type of `type`, elementwise.
mlir::Value narrowTo(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::RankedTensorType type, mlir::Value wide);

/// A reduction `result[...] = sum over the reduction loops of term(...)`,
/// accumulated in f64 and rounded once to the element type of `type`. The
/// per-channel reductions of training run over N*H*W terms (hundreds of
/// thousands for a batch of 128 at 96x96); summed in f32 one after another,
/// their rounding error grows with that count and visibly moves gradients
/// (a value near a ReLU's kink changes side). `maps` has one map per input
/// and a last one for the result; `term` receives one scalar per input.
mlir::Value reduceInF64(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type, mlir::ValueRange inputs,
                        llvm::ArrayRef<mlir::AffineMap> maps,
                        llvm::ArrayRef<bool> isReduction, ScalarBody term);

/// Sum over every dimension but `keep` of `x` (any rank), as a vector:
/// of `body` applied to x and `extraChannelInputs` (indexed by `keep`)
/// when given, else of x.
mlir::Value sumExcept(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                      int64_t keep, ScalarBody body = nullptr,
                      mlir::ValueRange extraChannelInputs = {});

/// The gradient `dy` where the ReLU's output `out` is positive, else zero
/// (a ReLU's backward, on scalars).
mlir::Value maskedGradient(mlir::OpBuilder &b, mlir::Location l, mlir::Value dy,
                           mlir::Value out);

/// Per-channel (dim 1) sums over N, H and W of two terms of the same
/// inputs, in one pass: one reduction with two outputs, each accumulated in
/// f64 (see reduceInF64; a term may already be f64); returns the two f64
/// vectors. `inputs[0]` is 4-D, the others 4-D or per-channel vectors.
/// With `perImage`, the sums run over H and W only: N x C (f64) each.
std::pair<mlir::Value, mlir::Value>
channelSumsInF64(mlir::OpBuilder &b, mlir::Location loc,
                 mlir::ValueRange inputs, ScalarBody first, ScalarBody second,
                 bool perImage = false);

} // namespace resnetc

#endif // RESNETC_LIB_CONVERSION_RNTOLINALG_UTILS_H
