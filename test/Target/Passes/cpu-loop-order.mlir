// RUN: resnet-opt %s -rn-cpu-loop-order | FileCheck %s

// Channel sums of an NHWC tensor, computed on logical (c, n, h, w) loops:
// the channel loop, innermost in memory, becomes the innermost loop.
// CHECK-DAG: #[[NHWC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[HWC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @channel_sums
// CHECK: linalg.generic {indexing_maps = [#[[NHWC]], #[[C]]], iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
func.func @channel_sums(%x: tensor<8x4x4x16xf32>, %acc: tensor<16xf32>) -> tensor<16xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(c, n, h, w) -> (n, h, w, c)>,
                       affine_map<(c, n, h, w) -> (c)>],
      iterator_types = ["parallel", "reduction", "reduction", "reduction"]}
      ins(%x : tensor<8x4x4x16xf32>) outs(%acc : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// An NHWC max pooling iterated as (n, oh, ow, c, kh, kw): the window loops
// move outside the channel loop, which walks the input's contiguous
// channels.
// CHECK-LABEL: func.func @max_pool
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
func.func @max_pool(%x: tensor<1x10x10x16xf32>, %init: tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32> {
  %window = tensor.empty() : tensor<3x3xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(n, oh, ow, c, kh, kw) -> (n, oh * 2 + kh, ow * 2 + kw, c)>,
                       affine_map<(n, oh, ow, c, kh, kw) -> (kh, kw)>,
                       affine_map<(n, oh, ow, c, kh, kw) -> (n, oh, ow, c)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %window : tensor<1x10x10x16xf32>, tensor<3x3xf32>) outs(%init : tensor<1x4x4x16xf32>) {
  ^bb0(%in: f32, %w: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x16xf32>
  return %r : tensor<1x4x4x16xf32>
}

// A stored dimension of size 1 is skipped: in a one-channel NHWC copy the
// width loop, not the channel loop, is the contiguous one, and it is
// already innermost, so the loops keep their order.
// CHECK-LABEL: func.func @one_channel
// CHECK: linalg.generic {indexing_maps = [#[[HWC]], #[[HWC]]]
func.func @one_channel(%x: tensor<2x5x5x1xf32>, %init: tensor<2x5x5x1xf32>) -> tensor<2x5x5x1xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(n, c, h, w) -> (n, h, w, c)>,
                       affine_map<(n, c, h, w) -> (n, h, w, c)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x5x5x1xf32>) outs(%init : tensor<2x5x5x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  } -> tensor<2x5x5x1xf32>
  return %r : tensor<2x5x5x1xf32>
}

// A reduction loop does not move past another reduction loop: an NHWC
// convolution's sums keep their (c, kh, kw) order.
// CHECK-LABEL: func.func @conv
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @conv(%x: tensor<1x6x6x8xf32>, %w: tensor<4x3x3x8xf32>, %init: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(n, oh, ow, k, c, kh, kw) -> (n, oh + kh, ow + kw, c)>,
                       affine_map<(n, oh, ow, k, c, kh, kw) -> (k, kh, kw, c)>,
                       affine_map<(n, oh, ow, k, c, kh, kw) -> (n, oh, ow, k)>],
      iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x6x6x8xf32>, tensor<4x3x3x8xf32>) outs(%init : tensor<1x4x4x4xf32>) {
  ^bb0(%in: f32, %f: f32, %out: f32):
    %m = arith.mulf %in, %f : f32
    %s = arith.addf %m, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

// A fill of a whole tensor is one loop over its elements.
// CHECK-LABEL: func.func @fill
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : tensor<1x24x24x64xf32> into tensor<36864xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[FLAT]] : tensor<36864xf32>)
// CHECK: tensor.expand_shape %[[F]] {{\[\[}}0, 1, 2, 3]] output_shape [1, 24, 24, 64]
func.func @fill(%init: tensor<1x24x24x64xf32>) -> tensor<1x24x24x64xf32> {
  %c = arith.constant 0xFF800000 : f32
  %r = linalg.fill ins(%c : f32) outs(%init : tensor<1x24x24x64xf32>) -> tensor<1x24x24x64xf32>
  return %r : tensor<1x24x24x64xf32>
}

// A padding is a (flat) fill and a copy of the source into it.
// CHECK-LABEL: func.func @pad
// CHECK-NOT: tensor.pad
// CHECK: %[[F:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1024xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[F]] {{\[\[}}0, 1, 2, 3]] output_shape [1, 4, 4, 64]
// CHECK: tensor.insert_slice %{{.*}} into %[[E]][0, 1, 1, 0] [1, 2, 2, 64] [1, 1, 1, 1]
func.func @pad(%x: tensor<1x2x2x64xf32>) -> tensor<1x4x4x64xf32> {
  %c = arith.constant 0xFF800000 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c : f32
  } : tensor<1x2x2x64xf32> to tensor<1x4x4x64xf32>
  return %p : tensor<1x4x4x64xf32>
}

// Ops with fewer than two loops stay as they are (a batch of one reduced to
// a scalar has one loop; a scalar copy none).
// CHECK-LABEL: func.func @few_loops
// CHECK: iterator_types = ["reduction"]
// CHECK: iterator_types = []
func.func @few_loops(%x: tensor<1xf32>, %acc: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {
      indexing_maps = [affine_map<(n) -> (n)>, affine_map<(n) -> ()>],
      iterator_types = ["reduction"]}
      ins(%x : tensor<1xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %c = linalg.generic {
      indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
      iterator_types = []}
      ins(%r : tensor<f32>) outs(%acc : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<f32>
  return %c : tensor<f32>
}
