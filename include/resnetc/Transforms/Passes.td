//===- Passes.td - Transforms on linalg shared by the targets -*- tablegen -*-===//
//
// Transforms of the kernels once they are linalg on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TRANSFORMS_PASSES_TD
#define RESNETC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseStorageConversions
    : Pass<"fuse-storage-conversions", "::mlir::func::FuncOp"> {
  let summary = "Folds the storage conversions at a kernel's edges into the "
                "kernel's own loops";
  let description = [{
    A kernel reads and writes temporaries as the plan stores them (bf16,
    NHWC) and computes on logical f32 NCHW tensors; the conversions between
    the two are *storage conversions*: a `linalg.generic` with one input,
    all loops parallel, permutation indexing maps and a body that only
    yields its input (through `arith.extf` or `arith.truncf`). This pass
    removes them as separate loops:

    - a conversion is fused into every `linalg.generic` that reads it (which
      then reads the stored tensor through a permuted map); a named linalg
      op that reads one (a convolution or pooling) is first generalized;
    - a `tensor.pad` of a conversion pads the stored tensor instead (the
      padding value converted), so that the conversion can move into the
      padded tensor's consumer;
    - a conversion of the result of a generic with reduction loops (which
      cannot be fused into its consumer) permutes that generic's output map
      instead, so the reduction writes the stored order directly; a change
      of element type stays a separate conversion, so sums are still
      accumulated in the generic's own type;
    - other producers are fused into their one consumer, as
      `linalg-fuse-elementwise-ops` does;
    - a generic whose outputs are all written through one projected
      permutation has its loops interchanged to iterate over the output's
      dimensions first, in their stored order: consecutive iterations of
      the innermost parallel loop (consecutive GPU threads) write
      consecutive elements.

    A kernel whose temporaries are stored as it computes has no storage
    conversions, and the pass leaves it as it is but for that last fusion.

    Before (an NHWC bf16 input read by an NCHW f32 ReLU):
    ```mlir
    %x = linalg.generic {indexing_maps = [(n, c, h, w) -> (n, h, w, c),
                                          (n, c, h, w) -> (n, c, h, w)], ...}
        ins(%stored : tensor<8x4x4x16xbf16>) outs(%e : tensor<8x16x4x4xf32>) {
    ^bb0(%in: bf16, %out: f32):
      %f = arith.extf %in : bf16 to f32
      linalg.yield %f : f32
    }
    %y = linalg.generic {...} ins(%x : tensor<8x16x4x4xf32>) ... // max(x, 0)
    ```
    After:
    ```mlir
    %y = linalg.generic {indexing_maps = [(n, c, h, w) -> (n, h, w, c),
                                          (n, c, h, w) -> (n, c, h, w)], ...}
        ins(%stored : tensor<8x4x4x16xbf16>) outs(%e : tensor<8x16x4x4xf32>) {
    ^bb0(%in: bf16, %out: f32):
      %f = arith.extf %in : bf16 to f32
      %r = arith.maximumf %f, %zero : f32
      linalg.yield %r : f32
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RESNETC_TRANSFORMS_PASSES_TD
