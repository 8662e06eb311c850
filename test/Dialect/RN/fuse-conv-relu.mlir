// RUN: resnet-opt %s -split-input-file -rn-fuse-conv-relu | FileCheck %s

// CHECK-LABEL: func @conv_relu
// CHECK: %[[Y:.*]] = rn.fused_conv2d %arg0, %arg1, %arg2 stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 relu : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
// CHECK-NOT: rn.relu
// CHECK-NOT: rn.conv2d
// CHECK: return %[[Y]]
func.func @conv_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x8x8xf32> {
  %c = rn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x8x8xf32>
  %y = rn.relu %c : tensor<1x6x8x8xf32>
  return %y : tensor<1x6x8x8xf32>
}

// -----

// Without a bias.
// CHECK-LABEL: func @conv_nobias_relu
// CHECK: rn.fused_conv2d %arg0, %arg1 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 relu :
func.func @conv_nobias_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x1x1xf32>) -> tensor<1x6x8x8xf32> {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<6x4x1x1xf32>) -> tensor<1x6x8x8xf32>
  %y = rn.relu %c : tensor<1x6x8x8xf32>
  return %y : tensor<1x6x8x8xf32>
}

// -----

// Negative: the conv's output is needed before the ReLU too.
// CHECK-LABEL: func @conv_two_uses
// CHECK: rn.conv2d
// CHECK: rn.relu
// CHECK-NOT: rn.fused_conv2d
func.func @conv_two_uses(%x: tensor<1x4x8x8xf32>, %w: tensor<6x4x1x1xf32>) -> (tensor<1x6x8x8xf32>, tensor<1x6x8x8xf32>) {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<6x4x1x1xf32>) -> tensor<1x6x8x8xf32>
  %y = rn.relu %c : tensor<1x6x8x8xf32>
  return %y, %c : tensor<1x6x8x8xf32>, tensor<1x6x8x8xf32>
}

// -----

// Negative: a ReLU after something other than a convolution.
// CHECK-LABEL: func @relu_of_input
// CHECK: rn.relu
// CHECK-NOT: rn.fused_conv2d
func.func @relu_of_input(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %y = rn.relu %x : tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}
