// RUN: resnet-opt %s -split-input-file -rn-fuse-residual-into-conv | FileCheck %s

// A basic block's tail: conv, then add with the shortcut, then ReLU.
// CHECK-LABEL: func @add_relu_conv
// CHECK: %[[Y:.*]] = rn.fused_conv2d %arg0, %arg1, %arg2 residual %arg3 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu
// CHECK-NOT: rn.add_relu
// CHECK: return %[[Y]]
func.func @add_relu_conv(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %s: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %c = rn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.add_relu %c, %s : tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// The conv is the add's second operand; a plain add gives no ReLU.
// CHECK-LABEL: func @add_conv_rhs
// CHECK: rn.fused_conv2d %arg0, %arg1 residual %arg2 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 :
// CHECK-NOT: relu
func.func @add_conv_rhs(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %s: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.add %s, %c : tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Both operands are convolutions (a projection shortcut): the main path,
// the first operand, absorbs the add; the shortcut conv stays.
// CHECK-LABEL: func @both_convs
// CHECK: %[[SC:.*]] = rn.conv2d %arg0, %arg2
// CHECK: rn.fused_conv2d %arg0, %arg1 residual %[[SC]]
func.func @both_convs(%x: tensor<1x4x8x8xf32>, %w1: tensor<4x4x3x3xf32>, %w2: tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %m = rn.conv2d %x, %w1 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %sc = rn.conv2d %x, %w2 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.add_relu %m, %sc : tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Negative: the conv already has a ReLU in its epilogue; relu(conv) + s is
// not conv + s.
// CHECK-LABEL: func @conv_with_relu
// CHECK: rn.fused_conv2d {{.*}} relu
// CHECK: rn.add_relu
func.func @conv_with_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %s: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %c = rn.fused_conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 relu : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.add_relu %c, %s : tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Negative: the conv's output is also used by something else.
// CHECK-LABEL: func @conv_two_uses
// CHECK: rn.conv2d
// CHECK: rn.add
// CHECK-NOT: residual
func.func @conv_two_uses(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>, %s: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = rn.add %c, %s : tensor<1x4x8x8xf32>
  return %y, %c : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}
