//===- RNOps.h - The rn dialect and its operations --------------*- C++ -*-===//
//
// Declarations generated from RNDialect.td, RNInterfaces.td and RNOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_IR_RNOPS_H
#define RESNETC_DIALECT_RN_IR_RNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "resnetc/Dialect/RN/IR/RNOpsDialect.h.inc"

namespace mlir::rn {
/// The layer path (`stage2.block0.conv1`) that MLIRGen attached to a
/// location as a NameLoc, looking through fused and call-site locations;
/// empty if there is none.
std::string getLayerPath(Location loc);
} // namespace mlir::rn

namespace mlir::rn::detail {
/// Verifies that an op's declared result type equals its inferred one.
LogicalResult verifyShapeInference(Operation *op);
} // namespace mlir::rn::detail

namespace mlir::rn {
/// The trait RN_FilterResults: the op's rank-4 results are filters.
template <typename ConcreteType>
class FilterResults : public OpTrait::TraitBase<ConcreteType, FilterResults> {};

/// The trait RN_RowWise: each row (slice of dimension 0) of the results
/// depends on the same row of the operands alone.
template <typename ConcreteType>
class RowWise : public OpTrait::TraitBase<ConcreteType, RowWise> {};
} // namespace mlir::rn

#include "resnetc/Dialect/RN/IR/RNInterfaces.h.inc"

#define GET_OP_CLASSES
#include "resnetc/Dialect/RN/IR/RNOps.h.inc"

#endif // RESNETC_DIALECT_RN_IR_RNOPS_H
