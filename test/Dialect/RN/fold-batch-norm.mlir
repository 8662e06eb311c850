// RUN: resnet-opt %s -split-input-file -rn-fold-batch-norm | FileCheck %s

// A conv followed by a batch norm: the weights are folded, the BN is gone.
// CHECK-LABEL: func @conv_bn
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[V:.*]]: tensor<4xf32>)
// CHECK: %[[NW:.*]], %[[NB:.*]] = rn.fold_batch_norm %[[W]] scale %[[G]] shift %[[B]] mean %[[M]] var %[[V]] epsilon 1.000000e-03
// CHECK-NEXT: %[[Y:.*]] = rn.conv2d %[[X]], %[[NW]], %[[NB]] stride [2, 2] padding [1, 1] dilation [1, 1] groups 1
// CHECK-NOT: rn.batch_norm
// CHECK: return %[[Y]]
func.func @conv_bn(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x4x4xf32> {
  %c = rn.conv2d %x, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32>
  %y = rn.batch_norm %c, %g, %b, %m, %v epsilon 1.0e-03 momentum 1.0e-01 : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}

// -----

// The conv's own bias takes part in the fold.
// CHECK-LABEL: func @conv_bias_bn
// CHECK: rn.fold_batch_norm %arg1 bias %arg2 scale %arg3 shift %arg3 mean %arg3 var %arg3 epsilon
// CHECK-NOT: rn.batch_norm
func.func @conv_bias_bn(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %cb: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %c = rn.conv2d %x, %w, %cb stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.batch_norm %c, %g, %g, %g, %g epsilon 1.0e-05 momentum 1.0e-01 : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Negative: the conv output is also used elsewhere, so it must stay.
// CHECK-LABEL: func @conv_two_uses
// CHECK: rn.conv2d
// CHECK: rn.batch_norm
// CHECK-NOT: rn.fold_batch_norm
func.func @conv_two_uses(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x1x1xf32>, %g: tensor<4xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.batch_norm %c, %g, %g, %g, %g epsilon 1.0e-05 momentum 1.0e-01 : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %y, %c : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// Negative: a pre-activation batch norm normalizes a residual sum.
// CHECK-LABEL: func @bn_after_add
// CHECK: rn.add
// CHECK: rn.batch_norm
// CHECK-NOT: rn.fold_batch_norm
func.func @bn_after_add(%a: tensor<1x4x8x8xf32>, %g: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %s = rn.add %a, %a : tensor<1x4x8x8xf32>
  %y = rn.batch_norm %s, %g, %g, %g, %g epsilon 1.0e-05 momentum 1.0e-01 : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}
