//===- Passes.td - Conversions out of the rn dialect -------*- tablegen -*-===//
//
// Lowerings out of rn shared by every target, and the mapping of parallel
// loops onto GPU threads used by the CUDA target.
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

def MapParallelLoopsToGPU
    : Pass<"map-parallel-loops-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Maps each outermost scf.parallel nest onto blocks of many "
                "threads";
  let description = [{
    Every outermost `scf.parallel` (from `convert-linalg-to-parallel-loops`)
    is collapsed into one dimension over all its iterations, tiled by
    `threads`, and marked for `convert-parallel-loops-to-gpu`: tiles become
    blocks (grid x) and the iterations of a tile threads (block x), with a
    guard for the last partial tile. Consecutive threads take consecutive
    innermost indices, so a kernel over a contiguous tensor reads and writes
    coalesced memory. Reduction loops (`scf.for`) stay inside each thread.
    Upstream's `gpu-map-parallel-loops` alone maps loops without tiling them,
    which launches one thread per block.

    Before:
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c100) step (%c1, %c1) {
      ...
    }
    ```
    After (800 iterations, 4 blocks of 256 threads):
    ```mlir
    scf.parallel (%b) = (%c0) to (%c800) step (%c256) {
      scf.parallel (%t) = (%c0) to (%c256) step (%c1) {
        %k = arith.addi %t, %b : index
        %in = arith.cmpi ult, %k, %c800 : index
        scf.if %in { ... }   // %i = %k / 100, %j = %k % 100
      } {mapping = [#gpu.loop_dim_map<processor = thread_x, ...>]}
    } {mapping = [#gpu.loop_dim_map<processor = block_x, ...>]}
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def ConvertLinalgReductionsToGPU
    : Pass<"convert-linalg-reductions-to-gpu", "::mlir::func::FuncOp"> {
  let summary = "Lowers reductions with few outputs to one block of "
                "cooperating threads per output";
  let description = [{
    A `linalg` op on buffers with reduction loops, fewer than `min-outputs`
    output elements and a body of the form `out = combine(out, term)`
    (`combine` an associative arith op with a neutral element: addf, addi,
    maximumf, minimumf, ...; one per output) becomes a `gpu.launch` with one
    block per output element. Each of the block's `threads` threads folds
    the terms k = tid, tid + threads, ... of the linearized reduction domain
    (consecutive threads read consecutive elements), the partial results are
    combined by a tree in workgroup memory, and thread 0 writes
    `combine(init, total)`. A `linalg.fill` that only initializes the output
    is folded into `init`. The order of the sums is fixed: results do not
    depend on scheduling. A reduction of a single term is lowered only when
    it has no parallel loop (a loss summed over a batch of one): with one,
    `map-parallel-loops-to-gpu` maps it; without, nothing else would put it
    on the GPU.

    When the op has one parallel loop and its largest input stores that
    loop innermost (per-channel sums of an NHWC tensor), a block per output
    would read with a stride; such a reduction is mapped by *columns*
    instead: blocks of 32 lanes x `threads`/32 rows, the lanes on 32
    consecutive outputs (a warp reads consecutive elements), the rows
    striding over the terms. So that enough blocks run, the terms are split
    among up to `min-blocks` / (outputs / 32) blocks per tile of outputs
    (each thread keeping at least 32 terms); each writes its partial
    results to a scratch buffer, and a second launch, one thread per
    output, combines them in order of the split, then with `init`.

    Batch-norm statistics, bias and small weight gradients, the loss and
    small matrix products have too few outputs for a thread each to fill the
    GPU; other reductions (convolutions) keep one thread per output and are
    mapped by `map-parallel-loops-to-gpu`.

    Before:
    ```mlir
    linalg.fill ins(%zero : f64) outs(%sum : memref<64xf64>)
    linalg.generic {iterator_types = ["reduction", "parallel", "reduction",
                                      "reduction"]}
        ins(%x : memref<8x64x24x24xf32>) outs(%sum : memref<64xf64>) {
    ^bb0(%in: f32, %out: f64):
      %e = arith.extf %in : f32 to f64
      %s = arith.addf %out, %e : f64
      linalg.yield %s : f64
    }
    ```
    After (64 blocks of 256 threads, each over 8*24*24 terms):
    ```mlir
    gpu.launch blocks(%b, ...) in (%c64, %c1, %c1)
               threads(%t, ...) in (%c256, %c1, %c1)
               workgroup(%partial : memref<256xf64, #gpu.address_space<workgroup>>) {
      %p = scf.for %k = %t to %c4608 step %c256 iter_args(%acc = %zero) ...
      memref.store %p, %partial[%t]
      gpu.barrier
      scf.if (%t < 128) { %partial[%t] += %partial[%t + 128] }
      gpu.barrier
      ...
      scf.if (%t == 0) { %sum[%b] = %zero + %partial[0] }
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"256",
           "Threads per block (a power of two)">,
    Option<"minOutputs", "min-outputs", "int64_t", /*default=*/"65536",
           "Reductions with at least this many output elements keep one "
           "thread per output">,
    Option<"minBlocks", "min-blocks", "int64_t", /*default=*/"264",
           "Blocks a reduction mapped by columns aims for (its terms are "
           "split among them; 264 fills 132 multiprocessors twice)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

#endif // RESNETC_CONVERSION_PASSES_TD
