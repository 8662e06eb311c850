//===- RNDialect.td - The rn dialect -----------------------*- tablegen -*-===//
//
// The graph-level IR of resnetc: one op per layer of a ResNet-family CNN.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_IR_RNDIALECT_TD
#define RESNETC_DIALECT_RN_IR_RNDIALECT_TD

include "mlir/IR/OpBase.td"

def RN_Dialect : Dialect {
  let name = "rn";
  let summary = "Graph-level IR for ResNet-family CNNs";
  let description = [{
    The `rn` dialect holds a CNN as a graph of layer-level ops on static,
    ranked tensors in NCHW order: `conv2d`, `batch_norm`, `relu`, `add`,
    pooling, `flatten` and `linear`. Each op carries the location of the layer
    in the `.rn` source, named by its layer path (`stage2.block0.conv1`).

    A model is a `func.func @forward` whose first argument is the input batch
    (marked `rn.input`) and whose other arguments are the parameters (marked
    `rn.param = "stem.conv1.weight"`) and batch-norm running statistics
    (marked `rn.state = "stem.bn1.running_mean"`).
  }];
  let cppNamespace = "::mlir::rn";
}

#endif // RESNETC_DIALECT_RN_IR_RNDIALECT_TD
