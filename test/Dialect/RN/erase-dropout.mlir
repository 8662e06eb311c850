// RUN: resnet-opt %s -split-input-file -rn-erase-dropout | FileCheck %s
// RUN: resnet-opt %s -split-input-file -rn-erase-dropout -rn-fold-batch-norm -rn-fuse-conv-relu | FileCheck %s --check-prefix=FUSED

// Dropout between a convolution and its batch norm (a Wide-ResNet block):
// erased, the batch norm then folds into the convolution.
// CHECK-LABEL: func @conv_dropout_bn
// CHECK-NOT: rn.dropout
// CHECK: %[[C:.*]] = rn.conv2d %arg0, %arg1
// CHECK: rn.batch_norm %[[C]],
// FUSED-LABEL: func @conv_dropout_bn
// FUSED: rn.fold_batch_norm
// FUSED: rn.fused_conv2d %arg0, {{.*}} relu
// FUSED-NOT: rn.batch_norm
func.func @conv_dropout_bn(%x: tensor<2x4x6x6xf32>, %w: tensor<8x4x3x3xf32>,
    %g: tensor<8xf32>, %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>)
    -> tensor<2x8x6x6xf32> {
  %c = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x4x6x6xf32>, tensor<8x4x3x3xf32>) -> tensor<2x8x6x6xf32>
  %d = rn.dropout %c rate 3.0e-01 stream 0 : tensor<2x8x6x6xf32>
  %y = rn.batch_norm %d, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x6x6xf32>
  %r = rn.relu %y : tensor<2x8x6x6xf32>
  return %r : tensor<2x8x6x6xf32>
}

// -----

// A dropout whose output is returned, on flat features: the input is
// returned.
// CHECK-LABEL: func @returned
// CHECK-NEXT: return %arg0 : tensor<2x16xf32>
func.func @returned(%x: tensor<2x16xf32>) -> tensor<2x16xf32> {
  %d = rn.dropout %x rate 5.0e-01 stream 3 : tensor<2x16xf32>
  return %d : tensor<2x16xf32>
}

// -----

// The training form is left alone.
// CHECK-LABEL: func @train
// CHECK: rn.dropout_train %arg0, %arg1 rate 5.000000e-01 stream 0
func.func @train(%x: tensor<2x16xf32>, %s: tensor<i64>) -> tensor<2x16xf32> {
  %d = rn.dropout_train %x, %s rate 5.0e-01 stream 0 : tensor<2x16xf32>, tensor<i64>
  return %d : tensor<2x16xf32>
}
