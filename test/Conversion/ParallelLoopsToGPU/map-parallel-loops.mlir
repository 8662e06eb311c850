// RUN: resnet-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(map-parallel-loops-to-gpu,sccp,cse))' | FileCheck %s
// RUN: resnet-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(map-parallel-loops-to-gpu{threads=128},sccp,cse))' | FileCheck %s --check-prefix=T128
// RUN: not resnet-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(map-parallel-loops-to-gpu{threads=2048}))' 2>&1 | FileCheck %s --check-prefix=BAD

// (sccp folds the tiling's constant arithmetic; canonicalize would merge the
// two loops back and drop their mapping.)

// A 2-D nest of 8 x 100 = 800 iterations: one dimension, tiles of 256 on
// blocks, their iterations on threads, a guard for the last partial tile,
// and the original indices recovered by division.
// CHECK-LABEL: func @two_dims
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C800:.*]] = arith.constant 800 : index
// CHECK: scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%[[C800]]) step (%[[C256]])
// CHECK: scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[C256]]) step
// CHECK: arith.addi %[[T]], %[[B]]
// CHECK: arith.cmpi ult, %{{.*}}, %[[C800]]
// CHECK: scf.if
// CHECK: arith.remsi
// CHECK: arith.divsi
// CHECK: memref.store
// CHECK: mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]
// CHECK: mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]
// T128-LABEL: func @two_dims
// T128: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%c128)
// BAD: threads per block must be 1 to 1024, got 2048
func.func @two_dims(%out: memref<8x100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c100 = arith.constant 100 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c100) step (%c1, %c1) {
    memref.store %f, %out[%i, %j] : memref<8x100xf32>
  }
  return
}

// -----

// Only outermost loops are mapped; a reduction stays a loop in each thread.
// CHECK-LABEL: func @reduction
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @reduction(%in: memref<64x9xf32>, %out: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c9 = arith.constant 9 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %s = scf.for %k = %c0 to %c9 step %c1 iter_args(%acc = %out) -> (memref<64xf32>) {
      %v = memref.load %in[%i, %k] : memref<64x9xf32>
      %o = memref.load %acc[%i] : memref<64xf32>
      %n = arith.addf %v, %o : f32
      memref.store %n, %acc[%i] : memref<64xf32>
      scf.yield %acc : memref<64xf32>
    }
  }
  return
}
