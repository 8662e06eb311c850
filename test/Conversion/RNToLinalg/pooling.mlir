// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// CHECK-LABEL: func @max_pool
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[P:.*]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[NINF]]
// CHECK: %[[NINF2:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[NINF2]] : f32)
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<3x3xf32>
// CHECK: linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[P]], %[[WIN]] : tensor<1x4x10x10xf32>, tensor<3x3xf32>) outs(%[[INIT]] : tensor<1x4x4x4xf32>)
func.func @max_pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %y = rn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// Average pooling counts the padding: the sum is divided by the window size.
// CHECK-LABEL: func @avg_pool
// CHECK: %[[S:.*]] = linalg.pooling_nchw_sum {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x10x10xf32>, tensor<3x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[S]] :
// CHECK: %[[N:.*]] = arith.constant 9.000000e+00 : f32
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
func.func @avg_pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %y = rn.avg_pool2d %x kernel [3, 3] stride [1, 1] padding [1, 1] : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// ceil_mode: the last window (rows 6-7) reaches one row past the input; the
// input is padded with -inf one more row at the bottom and right.
// CHECK-LABEL: func @max_pool_ceil
// CHECK: tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, 1, 1]
// CHECK: linalg.pooling_nchw_max {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x8x8xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<1x4x4x4xf32>)
func.func @max_pool_ceil(%x: tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32> {
  %y = rn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] ceil_mode : tensor<1x4x7x7xf32> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// Windows of their own size: each output divides by the extent of its window
// within the input (exclude_padding), computed from its position
// (linalg.index) as PyTorch does: start = o * stride - pad, end = min(start +
// kernel, in + pad), both clamped to the input.
// CHECK-LABEL: func @avg_pool_exclude_padding
// CHECK: %[[S:.*]] = linalg.pooling_nchw_sum {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x10x10xf32>, tensor<3x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[S]] :
// CHECK: linalg.index 2
// CHECK: linalg.index 3
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[N:.*]] = arith.sitofp %{{.*}} : i64 to f32
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
func.func @avg_pool_exclude_padding(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %y = rn.avg_pool2d %x kernel [3, 3] stride [1, 1] padding [1, 1] exclude_padding : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func @global_avg_pool
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x8x3x3xf32>) outs(%{{.*}} : tensor<2x8xf32>)
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<2x8xf32>)
// CHECK: arith.constant 9.000000e+00 : f32
// CHECK: %[[R:.*]] = tensor.expand_shape %[[M]] {{\[\[}}0], [1, 2, 3]] output_shape [2, 8, 1, 1] : tensor<2x8xf32> into tensor<2x8x1x1xf32>
// CHECK: return %[[R]]
func.func @global_avg_pool(%x: tensor<2x8x3x3xf32>) -> tensor<2x8x1x1xf32> {
  %y = rn.global_avg_pool %x : tensor<2x8x3x3xf32> -> tensor<2x8x1x1xf32>
  return %y : tensor<2x8x1x1xf32>
}
