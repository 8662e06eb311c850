// RUN: resnet-opt %s -rn-cpu-convolutions | FileCheck %s

// A per-image convolution (wide rows: the register-blocked form) becomes
// loops over vectors with fused multiply-adds.
// CHECK-LABEL: func.func @image
// CHECK-NOT: rn.conv2d
// CHECK: scf.for
// CHECK: vector.fma
func.func @image(%x: tensor<1x2x16x16xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x16x16xf32> {
  %y = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x16x16xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x16x16xf32>
  return %y : tensor<1x4x16x16xf32>
}

// A convolution over a batch of two is not the CPU's per-image form and
// stays for the shared lowering.
// CHECK-LABEL: func.func @batch
// CHECK: rn.conv2d
func.func @batch(%x: tensor<2x2x16x16xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<2x4x16x16xf32> {
  %y = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x2x16x16xf32>, tensor<4x2x3x3xf32>) -> tensor<2x4x16x16xf32>
  return %y : tensor<2x4x16x16xf32>
}

// A rectangular window is left alone too.
// CHECK-LABEL: func.func @rect
// CHECK: rn.conv2d
func.func @rect(%x: tensor<1x2x16x16xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x8x16xf32> {
  %y = rn.conv2d %x, %w stride [2, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x2x16x16xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}
