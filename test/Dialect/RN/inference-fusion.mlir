// The whole inference fusion pipeline on a basic residual block.
// RUN: resnet-opt %s -rn-inference-fusion | FileCheck %s

// CHECK-LABEL: func @basic_block
// CHECK: %[[W1:.*]], %[[B1:.*]] = rn.fold_batch_norm %arg1 scale
// CHECK: %[[Y1:.*]] = rn.fused_conv2d %arg0, %[[W1]], %[[B1]] stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu
// CHECK: %[[W2:.*]], %[[B2:.*]] = rn.fold_batch_norm %arg2 scale
// CHECK: %[[Y2:.*]] = rn.fused_conv2d %[[Y1]], %[[W2]], %[[B2]] residual %arg0 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu
// CHECK-NEXT: return %[[Y2]]
func.func @basic_block(%x: tensor<1x8x6x6xf32>, %w1: tensor<8x8x3x3xf32>, %w2: tensor<8x8x3x3xf32>, %g: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  %c1 = rn.conv2d %x, %w1 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  %n1 = rn.batch_norm %c1, %g, %g, %g, %g epsilon 1.0e-05 momentum 1.0e-01 : (tensor<1x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  %r1 = rn.relu %n1 : tensor<1x8x6x6xf32>
  %c2 = rn.conv2d %r1, %w2 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  %n2 = rn.batch_norm %c2, %g, %g, %g, %g epsilon 1.0e-05 momentum 1.0e-01 : (tensor<1x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  %s = rn.add %n2, %x : tensor<1x8x6x6xf32>
  %y = rn.relu %s : tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}
