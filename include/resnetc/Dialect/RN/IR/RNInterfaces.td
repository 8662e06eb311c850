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

def RN_PerImageOpInterface : OpInterface<"PerImage"> {
  let description = [{
    An op that computes each image of the batch from that image alone: every
    image operand, and every result, has the batch as dimension 0 (as has an
    `input_shape` attribute, the shape of an activation a gradient op is
    given), and image n of a result depends only on image n of the image
    operands. The other operands are the same for every image: parameters,
    or per-channel statistics of the whole batch computed by an earlier op
    (the mean a batch norm's normalization applies). The CPU runs such a
    kernel one image at a time, the images in parallel, also in training;
    the other kernels of train_step span the batch (`rn.whole_batch`).
  }];
  let cppNamespace = "::mlir::rn";
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Whether operand `index` holds one slice per image (dimension
                  0 is the batch) rather than values shared by every
                  image.}],
      /*retTy=*/"bool",
      /*methodName=*/"isImageOperand",
      /*args=*/(ins "unsigned":$index),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{ return true; }]>,
  ];
}

#endif // RESNETC_DIALECT_RN_IR_RNINTERFACES_TD
