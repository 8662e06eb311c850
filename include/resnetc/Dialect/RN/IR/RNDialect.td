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

    The dialect's discardable attributes, each checked by the dialect's
    verifiers (on the operation, argument or result it may mark):

    | Attribute | On | Value |
    |-----------|----|-------|
    | `rn.model`, `rn.batch`, `rn.classes`, `rn.input_shape` | `builtin.module` | model name; batch size (> 0); class count (> 0); `array<i64: C, H, W>` (> 0) |
    | `rn.plan` | `builtin.module` | the execution plan (a dictionary, see `rn-build-plan`) |
    | `rn.kernel`, `rn.prepare`, `rn.whole_batch`, `rn.storage_conversion` | a function (`func.func`, later `llvm.func`) | unit: an outlined kernel; one of parameters only; one over the whole batch; a storage conversion |
    | `rn.rows` | a function | the number of rows (> 0) a CPU kernel of an RN_RowWise op computes one at a time (`rn-build-plan`) |
    | `rn.input`, `rn.labels`, `rn.activation` | function argument | unit: the input batch; the labels; a per-image tensor of a kernel |
    | `rn.zero_init` | function argument with `rn.param` | unit: the parameter starts at zero whatever the initialization (`zero_init_residual`) |
    | `rn.param`, `rn.state`, `rn.optimizer_state`, `rn.hyper` | function argument | the (non-empty) name of a parameter; of a state tensor; of a parameter's optimizer state (`<parameter>.velocity`, `.exp_avg`, `.exp_avg_sq`); of a hyperparameter |
    | `rn.update` | function result | the (non-empty) name of the buffer it overwrites |
    | `rn.loss`, `rn.correct` | function result | unit: the mean loss; the count of correct predictions |
  }];
  let cppNamespace = "::mlir::rn";
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

#endif // RESNETC_DIALECT_RN_IR_RNDIALECT_TD
