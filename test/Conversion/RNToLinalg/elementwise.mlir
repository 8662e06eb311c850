// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// CHECK-LABEL: func @relu
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<2x8xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.maximumf %[[X]], %[[Z]] : f32
// CHECK: linalg.yield %[[R]]
func.func @relu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = rn.relu %x : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func @add
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 :
// CHECK: arith.addf
// CHECK-NOT: arith.maximumf
func.func @add(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %y = rn.add %a, %b : tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// CHECK-LABEL: func @add_relu
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1 :
// CHECK: %[[S:.*]] = arith.addf
// CHECK: arith.maximumf %[[S]]
func.func @add_relu(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32> {
  %y = rn.add_relu %a, %b : tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}
