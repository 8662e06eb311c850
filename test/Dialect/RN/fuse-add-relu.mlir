// RUN: resnet-opt %s -split-input-file -rn-fuse-add-relu | FileCheck %s

// CHECK-LABEL: func @add_relu
// CHECK: %[[Y:.*]] = rn.add_relu %arg0, %arg1 : tensor<2x8x4x4xf32>
// CHECK-NOT: rn.relu
// CHECK: return %[[Y]]
func.func @add_relu(%a: tensor<2x8x4x4xf32>, %b: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %s = rn.add %a, %b : tensor<2x8x4x4xf32>
  %y = rn.relu %s : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

// Negative: the sum itself is also returned (a pre-activation block keeps it).
// CHECK-LABEL: func @sum_used_twice
// CHECK: rn.add
// CHECK: rn.relu
// CHECK-NOT: rn.add_relu
func.func @sum_used_twice(%a: tensor<2x8x4x4xf32>, %b: tensor<2x8x4x4xf32>) -> (tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>) {
  %s = rn.add %a, %b : tensor<2x8x4x4xf32>
  %y = rn.relu %s : tensor<2x8x4x4xf32>
  return %y, %s : tensor<2x8x4x4xf32>, tensor<2x8x4x4xf32>
}

// -----

// Negative: an add without a ReLU after it.
// CHECK-LABEL: func @add_only
// CHECK: rn.add
// CHECK-NOT: rn.add_relu
func.func @add_only(%a: tensor<2x8x4x4xf32>, %b: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %s = rn.add %a, %b : tensor<2x8x4x4xf32>
  return %s : tensor<2x8x4x4xf32>
}
