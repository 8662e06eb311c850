// RUN: resnet-opt %s --fuse-storage-conversions --canonicalize | FileCheck %s

// CHECK-DAG: #[[NHWC:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[NCHW:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CHANNELS:map[0-9]*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3, d0)>
// CHECK-DAG: #[[POOLIN:map[0-9]*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d3)>
// CHECK-DAG: #[[POOLOUT:map[0-9]*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>

#nchw = affine_map<(n, c, h, w) -> (n, c, h, w)>
#nhwc = affine_map<(n, c, h, w) -> (n, h, w, c)>
#chan = affine_map<(n, c, h, w) -> (c)>

// An NHWC bf16 input read by an elementwise op: one generic reading the
// stored tensor.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x4x8xbf16>)
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[NHWC]], #[[NCHW]]]
// CHECK-SAME: ins(%[[S]] : tensor<2x4x4x8xbf16>)
// CHECK: arith.extf
// CHECK: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @elementwise(%stored: tensor<2x4x4x8xbf16>) -> tensor<2x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%stored : tensor<2x4x4x8xbf16>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %f = arith.extf %in : bf16 to f32
    linalg.yield %f : f32
  } -> tensor<2x8x4x4xf32>
  %e2 = tensor.empty() : tensor<2x8x4x4xf32>
  %y = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x8x4x4xf32>) outs(%e2 : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// Per-channel sums of an NHWC input, and an NCHW result written NHWC. Both
// iterate in the stored order of their output: the channel loop first for
// the sums, N, H, W, C for the elementwise op (whose maps become
// identities).
// CHECK-LABEL: func.func @reduction
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x4x8xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[CHANNELS]], #{{map[0-9]*}}], iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[S]] : tensor<2x4x4x8xf32>)
// CHECK: %[[NEG:.*]] = linalg.generic {indexing_maps = [#[[NCHW]], #[[NCHW]]]
// CHECK-SAME: ins(%[[S]] : tensor<2x4x4x8xf32>) outs(%{{.*}} : tensor<2x4x4x8xf32>)
// CHECK: arith.negf
// CHECK: return %[[SUM]], %[[NEG]]
func.func @reduction(%stored: tensor<2x4x4x8xf32>) -> (tensor<8xf32>, tensor<2x4x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%stored : tensor<2x4x4x8xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x8x4x4xf32>
  %s0 = tensor.empty() : tensor<8xf32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<8xf32>) -> tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [#nchw, #chan], iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<2x8x4x4xf32>) outs(%s1 : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<2x8x4x4xf32>
  %neg = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x8x4x4xf32>) outs(%e2 : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<2x8x4x4xf32>
  %e3 = tensor.empty() : tensor<2x4x4x8xf32>
  %out = linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%neg : tensor<2x8x4x4xf32>) outs(%e3 : tensor<2x4x4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<2x4x4x8xf32>
  return %sum, %out : tensor<8xf32>, tensor<2x4x4x8xf32>
}

// Max pooling of an NHWC bf16 input to an NHWC bf16 output: the padding
// moves to the stored tensor, the pooling op is generalized to read it and
// writes the stored order, iterating over N, H, W, C, then the window; the
// narrowing to bf16 stays a separate loop after the max.
// CHECK-LABEL: func.func @pooling
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x4x8xbf16>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFF80 : bf16
// CHECK: %[[P:.*]] = tensor.pad %[[S]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: tensor.yield %[[NINF]] : bf16
// CHECK: } : tensor<2x4x4x8xbf16> to tensor<2x6x6x8xbf16>
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x2x2x8xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[POOLIN]], #{{map[0-9]*}}, #[[POOLOUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[P]], %{{.*}} : tensor<2x6x6x8xbf16>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<2x2x2x8xf32>)
// CHECK: arith.extf
// CHECK: arith.maximumf
// CHECK: linalg.generic {indexing_maps = [#[[NCHW]], #[[NCHW]]]
// CHECK-SAME: ins(%[[MAX]] : tensor<2x2x2x8xf32>) outs(%{{.*}} : tensor<2x2x2x8xbf16>)
// CHECK: arith.truncf
func.func @pooling(%stored: tensor<2x4x4x8xbf16>) -> tensor<2x2x2x8xbf16> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%stored : tensor<2x4x4x8xbf16>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %f = arith.extf %in : bf16 to f32
    linalg.yield %f : f32
  } -> tensor<2x8x4x4xf32>
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f32
  } : tensor<2x8x4x4xf32> to tensor<2x8x6x6xf32>
  %win = tensor.empty() : tensor<3x3xf32>
  %i0 = tensor.empty() : tensor<2x8x2x2xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%i0 : tensor<2x8x2x2xf32>) -> tensor<2x8x2x2xf32>
  %pool = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%padded, %win : tensor<2x8x6x6xf32>, tensor<3x3xf32>) outs(%init : tensor<2x8x2x2xf32>) -> tensor<2x8x2x2xf32>
  %e3 = tensor.empty() : tensor<2x2x2x8xbf16>
  %out = linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%pool : tensor<2x8x2x2xf32>) outs(%e3 : tensor<2x2x2x8xbf16>) {
  ^bb0(%in: f32, %o: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<2x2x2x8xbf16>
  return %out : tensor<2x2x2x8xbf16>
}

// A gather reads an NHWC tensor at permuted indices.
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[S:.*]]: tensor<2x4x4x8xf32>,
// CHECK: ^bb0(%[[I:.*]]: index,
// CHECK: %[[N:.*]] = linalg.index 0
// CHECK: %[[C:.*]] = linalg.index 1
// CHECK: tensor.extract %[[S]][%[[N]], %[[I]], %[[I]], %[[C]]] : tensor<2x4x4x8xf32>
func.func @gather(%stored: tensor<2x4x4x8xf32>, %idx: tensor<2x8xindex>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%stored : tensor<2x4x4x8xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x8x4x4xf32>
  %e2 = tensor.empty() : tensor<2x8xf32>
  %g = linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (n, c)>], iterator_types = ["parallel", "parallel"]}
      ins(%idx : tensor<2x8xindex>) outs(%e2 : tensor<2x8xf32>) {
  ^bb0(%i: index, %out: f32):
    %n = linalg.index 0 : index
    %c = linalg.index 1 : index
    %v = tensor.extract %x[%n, %c, %i, %i] : tensor<2x8x4x4xf32>
    linalg.yield %v : f32
  } -> tensor<2x8xf32>
  return %g : tensor<2x8xf32>
}

// Moving dimensions of size 1 keeps the memory order: a reshape.
// CHECK-LABEL: func.func @unit_dims
// CHECK-NEXT: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<2x1x1x8xf32> into tensor<2x8xf32>
// CHECK-NEXT: return
func.func @unit_dims(%stored: tensor<2x1x1x8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8x1x1xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%stored : tensor<2x1x1x8xf32>) outs(%e : tensor<2x8x1x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x8x1x1xf32>
  %f = tensor.collapse_shape %x [[0], [1, 2, 3]] : tensor<2x8x1x1xf32> into tensor<2x8xf32>
  return %f : tensor<2x8xf32>
}

// Not storage conversions: a generic that computes (negf), or one with two
// inputs, is fused only into a single consumer; with two consumers it
// stays.
// CHECK-LABEL: func.func @not_conversions
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[X]]
// CHECK: linalg.generic {{.*}} ins(%[[X]]
// CHECK: linalg.generic {{.*}} ins(%[[Y]]
// CHECK: linalg.generic {{.*}} ins(%[[Y]]
func.func @not_conversions(%a: tensor<2x4x4x8xf32>, %b: tensor<2x8x4x4xf32>) -> (tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>) {
  %e = tensor.empty() : tensor<2x8x4x4xf32>
  %x = linalg.generic {indexing_maps = [#nhwc, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : tensor<2x4x4x8xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<2x8x4x4xf32>
  %y = linalg.generic {indexing_maps = [#nhwc, #nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x4x8xf32>, tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %s = arith.addf %in, %in2 : f32
    linalg.yield %s : f32
  } -> tensor<2x8x4x4xf32>
  %x1 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x4xf32>
  %x2 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x4xf32>
  %y1 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.mulf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x4xf32>
  %y2 = linalg.generic {indexing_maps = [#nchw, #nchw], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<2x8x4x4xf32>) outs(%e : tensor<2x8x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x8x4x4xf32>
  return %x1, %x2, %y1, %y2 : tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>
}
