//===- RNInterfaces.td - Interfaces of the rn dialect ------*- tablegen -*-===//
//
// Shape inference for rn ops: each op computes its result type from its
// operands and attributes, and the interface's verifier compares it with the
// declared result type.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_IR_RNINTERFACES_TD
#define RESNETC_DIALECT_RN_IR_RNINTERFACES_TD

include "mlir/IR/OpBase.td"

def RN_ShapeInferenceOpInterface : OpInterface<"ShapeInference"> {
  let description = [{
    Computes an op's result types from its operand types and attributes. The
    rules are shared with the front end (resnetc/Support/ShapeRules.h), so a
    model the front end accepts always verifies. Every inconsistency is
    reported through `emitError` with a precise message.
  }];
  let cppNamespace = "::mlir::rn";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Returns the types of all results implied by the operands
                  and attributes, or failure after reporting why.}],
      /*retTy=*/"::mlir::FailureOr<::llvm::SmallVector<::mlir::Type>>",
      /*methodName=*/"inferResultTypes",
      /*args=*/(ins
        "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        // Single-result ops implement inferResultType.
        auto type = $_op.inferResultType(emitError);
        if (::mlir::failed(type))
          return ::mlir::failure();
        return ::llvm::SmallVector<::mlir::Type>{*type};
      }]>,
  ];
  let verify = [{
    return ::mlir::rn::detail::verifyShapeInference($_op);
  }];
}

def RN_DifferentiableOpInterface : OpInterface<"Differentiable"> {
  let description = [{
    The gradient rule of an op, declared with the op: given the gradients of
    its results (null where none flows), build the ops computing the
    gradients of its operands (null where an operand has none, such as
    labels or running statistics). The autodiff pass is a reverse walk that
    calls this method; it has no list of op kinds.
  }];
  let cppNamespace = "::mlir::rn";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Builds the operand gradients at the builder's insertion
                  point. `operandGrads` receives one value per operand.}],
      /*retTy=*/"::mlir::LogicalResult",
      /*methodName=*/"buildGradients",
      /*args=*/(ins "::mlir::OpBuilder &":$builder,
                    "::mlir::ValueRange":$resultGrads,
                    "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>,
  ];
}

#endif // RESNETC_DIALECT_RN_IR_RNINTERFACES_TD
