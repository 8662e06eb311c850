//===- Passes.td - Conversions out of the rn dialect -------*- tablegen -*-===//
//
// Lowerings shared by every target.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_CONVERSION_PASSES_TD
#define RESNETC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRNToLinalg : Pass<"convert-rn-to-linalg", "::mlir::func::FuncOp"> {
  let summary = "Lowers rn ops to linalg, tensor and arith on tensors";
  let description = [{
    Every rn op becomes linalg ops on tensors, shared by the CPU and GPU
    targets:
    - convolutions: `tensor.pad`, then `linalg.conv_2d_nchw_fchw` (or
      `linalg.conv_2d_ngchw_gfchw` on grouped views for groups > 1) whose
      output starts as the broadcast bias; the epilogue of `rn.fused_conv2d`
      (residual add, ReLU) is one `linalg.generic`;
    - batch norm (inference) and its folding into weights: `linalg.generic`;
    - pooling: `linalg.pooling_nchw_max` on -inf padding,
      `linalg.pooling_nchw_sum` then a division (padding counted, as
      PyTorch), global average pooling as a reduction;
    - `rn.linear`: `linalg.matmul_transpose_b` onto the broadcast bias;
      `rn.flatten`: `tensor.collapse_shape`;
    - elementwise ops: `linalg.generic`.

    Before:
    ```mlir
    %y = rn.relu %x : tensor<2x8x4x4xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<2x8x4x4xf32>
    %y = linalg.generic {...} ins(%x : tensor<2x8x4x4xf32>) outs(%e : ...) {
    ^bb0(%in: f32, %out: f32):
      %r = arith.maximumf %in, %cst : f32
      linalg.yield %r : f32
    } -> tensor<2x8x4x4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // RESNETC_CONVERSION_PASSES_TD
