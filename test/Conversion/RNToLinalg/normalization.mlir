// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @batch_norm
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %arg1, %arg2, %arg3, %arg4 :
// CHECK: ^bb0(%[[X:.*]]: f32, %[[G:.*]]: f32, %[[B:.*]]: f32, %[[M:.*]]: f32, %[[V:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[XC:.*]] = arith.subf %[[X]], %[[M]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 1.000000e-03 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[V]], %[[EPS]] : f32
// CHECK: %[[SD:.*]] = math.sqrt %[[VE]] : f32
// CHECK: %[[F:.*]] = arith.divf %[[G]], %[[SD]] : f32
// CHECK: %[[P:.*]] = arith.mulf %[[XC]], %[[F]] : f32
// CHECK: %[[Y:.*]] = arith.addf %[[P]], %[[B]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @batch_norm(%x: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %y = rn.batch_norm %x, %g, %b, %m, %v epsilon 1.0e-03 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  return %y : tensor<2x4x3x3xf32>
}

// -----

// Folding: the weight is scaled along its output-channel dimension, the
// bias shifted; without a conv bias the mean is negated.
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func @fold
// CHECK: %[[NW:.*]] = linalg.generic {indexing_maps = [#[[W]], #[[O]], #[[O]], #[[W]]], {{.*}} ins(%arg0, %arg1, %arg4 :
// CHECK: arith.mulf
// CHECK: %[[NB:.*]] = linalg.generic {indexing_maps = [#[[V]], #[[V]], #[[V]], #[[V]], #[[V]]], {{.*}} ins(%arg1, %arg2, %arg3, %arg4 :
// CHECK: arith.negf
// CHECK: return %[[NW]], %[[NB]]
func.func @fold(%w: tensor<4x3x3x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<4x3x3x3xf32>, tensor<4xf32>) {
  %nw, %nb = rn.fold_batch_norm %w scale %g shift %b mean %m var %v epsilon 1.0e-05 : (tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x3x3xf32>, tensor<4xf32>)
  return %nw, %nb : tensor<4x3x3x3xf32>, tensor<4xf32>
}
