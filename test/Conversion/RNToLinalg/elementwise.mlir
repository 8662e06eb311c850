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

// -----

// Dropout in training: one generic over the logical shape, the seed read as
// a scalar; the element's row-major index ((n * 3 + c) * 2 + h) * 2 + w
// keys the hash; kept where (r >> 8) >= ceil(0.25 * 2^24) = 4194304, scaled
// by 1 / (1 - 0.25).
// CHECK-LABEL: func @dropout_train
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%arg0, %arg1 : tensor<2x3x2x2xf32>, tensor<i64>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[S:.*]]: i64, %{{.*}}: f32):
// CHECK: arith.trunci %[[S]] : i64 to i32
// CHECK: arith.constant 2146121005 : i32
// CHECK: arith.constant -2073254261 : i32
// CHECK: %[[I0:.*]] = linalg.index 0 : index
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: arith.muli %[[I0]], %[[C3]] : index
// CHECK: linalg.index 1 : index
// CHECK: linalg.index 3 : index
// CHECK: arith.index_castui {{.*}} : index to i32
// CHECK: %[[T:.*]] = arith.constant 4194304 : i32
// CHECK: %[[KEEP:.*]] = arith.cmpi uge, %{{.*}}, %[[T]] : i32
// CHECK: %[[SCALE:.*]] = arith.constant 1.33333337 : f32
// CHECK: %[[F:.*]] = arith.select %[[KEEP]], %[[SCALE]], %{{.*}} : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[X]], %[[F]] : f32
// CHECK: linalg.yield %[[Y]]
func.func @dropout_train(%x: tensor<2x3x2x2xf32>, %seed: tensor<i64>) -> tensor<2x3x2x2xf32> {
  %y = rn.dropout_train %x, %seed rate 2.5e-01 stream 4 : tensor<2x3x2x2xf32>, tensor<i64>
  return %y : tensor<2x3x2x2xf32>
}

// -----

// Rate 0 keeps everything: no computation.
// CHECK-LABEL: func @dropout_train_zero
// CHECK-NOT: linalg.generic
// CHECK: return %arg0
func.func @dropout_train_zero(%x: tensor<2x8xf32>, %seed: tensor<i64>) -> tensor<2x8xf32> {
  %y = rn.dropout_train %x, %seed rate 0.0 stream 0 : tensor<2x8xf32>, tensor<i64>
  return %y : tensor<2x8xf32>
}
