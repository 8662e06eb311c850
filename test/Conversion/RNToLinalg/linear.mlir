// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// CHECK-LABEL: func @linear
// CHECK: %[[F:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0], [1, 2, 3]] : tensor<2x8x1x1xf32> into tensor<2x8xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%arg2 : tensor<10xf32>) outs(%{{.*}} : tensor<2x10xf32>) dimensions = [0]
// CHECK: %[[Y:.*]] = linalg.matmul_transpose_b ins(%[[F]], %arg1 : tensor<2x8xf32>, tensor<10x8xf32>) outs(%[[INIT]] : tensor<2x10xf32>)
// CHECK: return %[[Y]]
func.func @linear(%x: tensor<2x8x1x1xf32>, %w: tensor<10x8xf32>, %b: tensor<10xf32>) -> tensor<2x10xf32> {
  %f = rn.flatten %x : tensor<2x8x1x1xf32> -> tensor<2x8xf32>
  %y = rn.linear %f, %w, %b : (tensor<2x8xf32>, tensor<10x8xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// Without a bias the product accumulates onto zeros; flattening a flat
// tensor is the identity.
// CHECK-LABEL: func @linear_nobias
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[Z:.*]] = linalg.fill
// CHECK: linalg.matmul_transpose_b ins(%arg0, %arg1 : {{.*}}) outs(%[[Z]] :
func.func @linear_nobias(%x: tensor<2x8xf32>, %w: tensor<10x8xf32>) -> tensor<2x10xf32> {
  %f = rn.flatten %x : tensor<2x8xf32> -> tensor<2x8xf32>
  %y = rn.linear %f, %w : (tensor<2x8xf32>, tensor<10x8xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}
