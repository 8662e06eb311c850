// RUN: resnet-opt %s -split-input-file -convert-linalg-reductions-to-gpu | FileCheck %s
// RUN: resnet-opt %s -split-input-file -convert-linalg-reductions-to-gpu="min-outputs=4" | FileCheck %s --check-prefix=FEW
// RUN: not resnet-opt %s -convert-linalg-reductions-to-gpu="threads=100" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: threads per block must be a power of two from 32 to 1024, got 100

// Per-channel sums in f64 (batch statistics): one block per channel, the
// terms strided over the threads, a tree in workgroup memory, thread 0
// writes. The fill that initialized the sums is folded into the write.
// CHECK-LABEL: func @channel_sums
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch blocks(%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}) in (%{{[^ ]*}} = %c4, %{{[^ ]*}} = %c1, %{{[^ ]*}} = %c1) threads(%[[T:[^,]*]], %{{[^,]*}}, %{{[^,]*}}) in (%{{[^ ]*}} = %c256, %{{[^ ]*}} = %c1, %{{[^ ]*}} = %c1) workgroup(%[[P:[^ ]*]] : memref<256xf64, #gpu.address_space<workgroup>>)
// CHECK: %[[ACC:.*]] = scf.for %[[K:.*]] = %[[T]] to %c18 step %c256{{[_0-9]*}} iter_args(%[[A:.*]] = %cst{{.*}}) -> (f64)
// CHECK: memref.load %arg0
// CHECK: arith.extf
// CHECK: arith.addf %[[A]]
// CHECK: memref.store %[[ACC]], %[[P]][%[[T]]]
// CHECK-NEXT: gpu.barrier
// CHECK: arith.cmpi ult, %[[T]], %c128{{[_0-9]*}}
// CHECK-COUNT-7: gpu.barrier
// CHECK: arith.cmpi eq, %[[T]], %c0{{[_0-9]*}}
// CHECK: %[[TOTAL:.*]] = memref.load %[[P]][%c0
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[S:.*]] = arith.addf %[[Z]], %[[TOTAL]] : f64
// CHECK: memref.store %[[S]], %alloc[
// CHECK: gpu.terminator
// CHECK-NOT: linalg.generic
// FEW-LABEL: func @channel_sums
// FEW-NOT: gpu.launch
// FEW: linalg.fill
// FEW: linalg.generic
func.func @channel_sums(%x: memref<2x4x3x3xf32>, %result: memref<4xf64>) {
  %zero = arith.constant 0.0 : f64
  %sum = memref.alloc() : memref<4xf64>
  linalg.fill ins(%zero : f64) outs(%sum : memref<4xf64>)
  linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>],
                  iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : memref<2x4x3x3xf32>) outs(%sum : memref<4xf64>) {
  ^bb0(%in: f32, %out: f64):
    %e = arith.extf %in : f32 to f64
    %s = arith.addf %out, %e : f64
    linalg.yield %s : f64
  }
  memref.copy %sum, %result : memref<4xf64> to memref<4xf64>
  return
}

// -----

// Two outputs (a loss and a count), each with its own combiner, and a
// linalg.index; without a fill, thread 0 combines with the output's value.
// CHECK-LABEL: func @two_outputs
// CHECK: gpu.launch {{.*}} workgroup(%[[P:.*]] : memref<256xf32, #gpu.address_space<workgroup>>, %[[Q:.*]] : memref<256xi64, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} -> (f32, i64)
// CHECK: arith.index_cast
// CHECK: arith.addf
// CHECK: arith.addi
// CHECK: memref.load %[[P]]
// CHECK: memref.load %[[P]]
// CHECK: arith.addf
// CHECK: memref.load %[[Q]]
// CHECK: memref.load %[[Q]]
// CHECK: arith.addi
// CHECK: %[[L:.*]] = memref.load %arg1[]
// CHECK: arith.addf %[[L]]
// CHECK: memref.store {{.*}}, %arg1[]
// CHECK: %[[C:.*]] = memref.load %arg2[]
// CHECK: arith.addi %[[C]]
// CHECK: memref.store {{.*}}, %arg2[]
func.func @two_outputs(%x: memref<8xf32>, %loss: memref<f32>, %count: memref<i64>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%loss, %count : memref<f32>, memref<i64>) {
  ^bb0(%in: f32, %l: f32, %c: i64):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %s = arith.addf %l, %in : f32
    %t = arith.addi %c, %ii : i64
    linalg.yield %s, %t : f32, i64
  }
  return
}

// -----

// A named op with a reduction (a small matrix product) is generalized
// first; its maximum-of-products variant would work alike.
// CHECK-LABEL: func @matmul
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c6
// CHECK: scf.for {{.*}} to %c5 step %c256{{[_0-9]*}}
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul(%a: memref<2x5xf32>, %b: memref<5x3xf32>, %c: memref<2x3xf32>) {
  linalg.matmul ins(%a, %b : memref<2x5xf32>, memref<5x3xf32>) outs(%c : memref<2x3xf32>)
  return
}

// -----

// Not lowered: the output is read by more than its combiner, a combiner
// without a neutral element (select), a reduction on tensors, and ops
// without reduction loops.
// CHECK-LABEL: func @not_lowered
// CHECK-NOT: gpu.launch
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: gpu.launch
func.func @not_lowered(%x: memref<8xf32>, %y: memref<f32>, %t: tensor<8xf32>, %u: tensor<f32>, %z: memref<8xf32>) -> tensor<f32> {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %out, %out : f32
    %s = arith.addf %m, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %gt = arith.cmpf ogt, %in, %out : f32
    %s = arith.select %gt, %in, %out : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%t : tensor<8xf32>) outs(%u : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%z : memref<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return %r : tensor<f32>
}

// -----

// A reduction of one term without parallel loops (a loss summed over a
// batch of one) is still lowered: nothing else would put it on the GPU. One
// term with a parallel loop is left to map-parallel-loops-to-gpu.
// CHECK-LABEL: func @one_term
// CHECK: gpu.launch
// CHECK-NOT: gpu.launch
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
func.func @one_term(%x: memref<1xf32>, %y: memref<f32>, %m: memref<4x1xf32>, %n: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<1xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%m : memref<4x1xf32>) outs(%n : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// The fill is kept when the buffer is read between it and the reduction,
// and when the reduction reads the buffer itself; an argument's fill is
// folded.
// CHECK-LABEL: func @fill_kept
// CHECK: linalg.fill
// CHECK: memref.load %[[A:.*]][]
// CHECK: gpu.launch
// CHECK: memref.load %[[A]][]
// CHECK: arith.addf
// CHECK: linalg.fill
// CHECK: gpu.launch
// CHECK-NOT: linalg.fill
// CHECK: gpu.launch
// CHECK: arith.constant 0.000000e+00 : f32
// CHECK: arith.addf
// CHECK: memref.store {{.*}}, %arg1[]
func.func @fill_kept(%x: memref<8xf32>, %y: memref<f32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<f32>
  linalg.fill ins(%zero : f32) outs(%a : memref<f32>)
  %v = memref.load %a[] : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%a : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  %b = memref.alloc() : memref<9xf32>
  %b0 = memref.subview %b[0] [1] [1] : memref<9xf32> to memref<f32, strided<[], offset: 0>>
  %b1 = memref.subview %b[1] [8] [1] : memref<9xf32> to memref<8xf32, strided<[1], offset: 1>>
  linalg.fill ins(%zero : f32) outs(%b0 : memref<f32, strided<[], offset: 0>>)
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%b1 : memref<8xf32, strided<[1], offset: 1>>) outs(%b0 : memref<f32, strided<[], offset: 0>>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%y : memref<f32>)
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<8xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return %v : f32
}

// -----

// Not lowered: an output that misses a parallel loop (blocks would race on
// its elements) and one that repeats a loop (a diagonal).
// CHECK-LABEL: func @outputs_not_one_to_one
// CHECK-NOT: gpu.launch
// CHECK-COUNT-2: linalg.generic
func.func @outputs_not_one_to_one(%x: memref<4x5x6xf32>, %y: memref<4xf32>, %z: memref<4x4xf32>, %w: memref<4x4x6xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<4x5x6xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, i, k)>, affine_map<(i, k) -> (i, i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%w : memref<4x4x6xf32>) outs(%z : memref<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Per-channel sums of an NHWC tensor (the channel stored innermost): mapped
// by columns. Blocks of 32 lanes (consecutive channels) x 8 rows; 64
// channels make 2 tiles, and the 8*24*24 = 4608 terms are split among
// min(264 / 2, 4608 / (8 * 32)) = 18 blocks per tile, whose partial sums go
// to a scratch buffer; a second launch, a thread per channel, adds the 18
// in order, then the fill's value.
// CHECK-LABEL: func @nhwc_channel_sums
// CHECK-NOT: linalg.fill
// CHECK: %[[SCRATCH:.*]] = memref.alloc() : memref<18x64xf32>
// CHECK: gpu.launch blocks(%[[BX:[^,]*]], %[[BY:[^,]*]], %{{[^,]*}}) in (%{{[^ ]*}} = %c2, %{{[^ ]*}} = %c18, %{{[^ ]*}} = %c1{{[_0-9]*}}) threads(%[[TX:[^,]*]], %[[TY:[^,]*]], %{{[^,]*}}) in (%{{[^ ]*}} = %c32, %{{[^ ]*}} = %c8, %{{[^ ]*}} = %c1{{[_0-9]*}}) workgroup(%[[P:[^ ]*]] : memref<256xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[TILE:.*]] = arith.muli %[[BX]], %c32
// CHECK: %[[C:.*]] = arith.addi %[[TILE]], %[[TX]]
// CHECK: %[[CLAMPED:.*]] = arith.minui %[[C]], %c63
// CHECK: %[[ROW0:.*]] = arith.muli %[[BY]], %c8
// CHECK: %[[ROW:.*]] = arith.addi %[[ROW0]], %[[TY]]
// CHECK: %[[ACC:.*]] = scf.for %{{.*}} = %[[ROW]] to %c4608 step %c144
// CHECK: affine.apply #{{.*}}(%[[CLAMPED]],
// CHECK: memref.load %arg0[{{.*}}] : memref<8x24x24x64xf32>
// CHECK: %[[SLOT0:.*]] = arith.muli %[[TY]], %c32
// CHECK: %[[SLOT:.*]] = arith.addi %[[SLOT0]], %[[TX]]
// CHECK: memref.store %[[ACC]], %[[P]][%[[SLOT]]]
// CHECK-NEXT: gpu.barrier
// CHECK: arith.cmpi ult, %[[TY]], %c4
// CHECK-COUNT-2: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[TY]], %c0
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[C]], %c64
// CHECK: arith.andi %[[FIRST]], %[[IN]]
// CHECK: %[[PART:.*]] = memref.load %[[P]][%[[TX]]]
// CHECK: memref.store %[[PART]], %[[SCRATCH]][%[[BY]], %[[C]]]
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks({{.*}}) in (%{{[^ ]*}} = %c1{{[_0-9]*}}, {{.*}}) threads(%[[T:[^,]*]], {{.*}}) in (%{{[^ ]*}} = %c256, {{.*}})
// CHECK: %[[FIRSTSPLIT:.*]] = memref.load %[[SCRATCH]][%c0{{[_0-9]*}}, %[[O:.*]]] : memref<18x64xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[S:.*]] = %c1{{[_0-9]*}} to %c18{{[_0-9]*}} step %c1{{[_0-9]*}} iter_args(%[[A:.*]] = %[[FIRSTSPLIT]])
// CHECK: %[[NEXT:.*]] = memref.load %[[SCRATCH]][%[[S]], %[[O]]]
// CHECK: arith.addf %[[A]], %[[NEXT]]
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.addf %[[Z]], %[[SUM]]
// CHECK: %[[AT:.*]] = affine.apply #{{.*}}(%[[O]],
// CHECK: memref.store %[[R]], %arg1[%[[AT]]]
// CHECK: memref.dealloc %[[SCRATCH]]
// CHECK-NOT: linalg.generic
func.func @nhwc_channel_sums(%x: memref<8x24x24x64xf32>, %sum: memref<64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%sum : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(c, n, h, w) -> (n, h, w, c)>, affine_map<(c, n, h, w) -> (c)>],
                  iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%x : memref<8x24x24x64xf32>) outs(%sum : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Few terms (2*2*2 = 8): one block per tile of 32 channels writes the
// results itself; 40 channels make 2 tiles, the second with 8 lanes past
// the end, which read channel 39 and write nothing.
// CHECK-LABEL: func @nhwc_few_terms
// CHECK-NOT: memref.alloc
// CHECK: gpu.launch {{.*}} in (%{{[^ ]*}} = %c2, %{{[^ ]*}} = %c1{{[_0-9]*}}, %{{[^ ]*}} = %c1{{[_0-9]*}}) threads({{.*}}) in (%{{[^ ]*}} = %c32, %{{[^ ]*}} = %c8
// CHECK: arith.minui %{{.*}}, %c39
// CHECK: arith.cmpi ult, %{{.*}}, %c40
// CHECK: arith.maximumf
// CHECK: memref.store %{{.*}}, %arg1[
// CHECK-NOT: gpu.launch
func.func @nhwc_few_terms(%x: memref<2x2x2x40xf32>, %max: memref<40xf32>) {
  linalg.generic {indexing_maps = [affine_map<(c, n, h, w) -> (n, h, w, c)>, affine_map<(c, n, h, w) -> (c)>],
                  iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%x : memref<2x2x2x40xf32>) outs(%max : memref<40xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  }
  return
}
