// RUN: resnet-opt %s -split-input-file -rn-trim-conv-taps | FileCheck %s

// A 3x3 window with padding 1 over a 1x1 input: only the centre tap meets
// the input, so the convolution is a 1x1 one without padding.
// CHECK-LABEL: func @one_by_one
// CHECK: %[[C:.*]] = rn.crop_filter %arg1 offset [1, 1] size [1, 1] : tensor<16x8x3x3xf32> -> tensor<16x8x1x1xf32>
// CHECK: %[[Y:.*]] = rn.conv2d %arg0, %[[C]], %arg2 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<2x8x1x1xf32>, tensor<16x8x1x1xf32>, tensor<16xf32>) -> tensor<2x16x1x1xf32>
// CHECK: return %[[Y]]
func.func @one_by_one(%x: tensor<2x8x1x1xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<16xf32>) -> tensor<2x16x1x1xf32> {
  %y = rn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x8x1x1xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<2x16x1x1xf32>
  return %y : tensor<2x16x1x1xf32>
}

// -----

// Stride 2 from 2x2 to 1x1: the one output position meets input rows and
// columns 0 and 1 with taps 1 and 2; grouped.
// CHECK-LABEL: func @strided
// CHECK: %[[C:.*]] = rn.crop_filter %arg1 offset [1, 1] size [2, 2] : tensor<8x2x3x3xf32> -> tensor<8x2x2x2xf32>
// CHECK: rn.conv2d %arg0, %[[C]] stride [2, 2] padding [0, 0] dilation [1, 1] groups 2 : (tensor<1x4x2x2xf32>, tensor<8x2x2x2xf32>) -> tensor<1x8x1x1xf32>
func.func @strided(%x: tensor<1x4x2x2xf32>, %w: tensor<8x2x3x3xf32>) -> tensor<1x8x1x1xf32> {
  %y = rn.conv2d %x, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 : (tensor<1x4x2x2xf32>, tensor<8x2x3x3xf32>) -> tensor<1x8x1x1xf32>
  return %y : tensor<1x8x1x1xf32>
}

// -----

// One axis only: a 1x5 input under a 3x3 window keeps every column tap.
// CHECK-LABEL: func @one_axis
// CHECK: %[[C:.*]] = rn.crop_filter %arg1 offset [1, 0] size [1, 3] : tensor<4x4x3x3xf32> -> tensor<4x4x1x3xf32>
// CHECK: rn.conv2d %arg0, %[[C]] stride [1, 1] padding [0, 1] dilation [1, 1] groups 1 : (tensor<1x4x1x5xf32>, tensor<4x4x1x3xf32>) -> tensor<1x4x1x5xf32>
func.func @one_axis(%x: tensor<1x4x1x5xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x1x5xf32> {
  %y = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x1x5xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x1x5xf32>
  return %y : tensor<1x4x1x5xf32>
}

// -----

// Negative: on a 2x2 input every tap of a 3x3 window with padding 1 meets
// the input at some output position.
// CHECK-LABEL: func @all_taps_live
// CHECK-NOT: rn.crop_filter
// CHECK: rn.conv2d %arg0, %arg1 stride [1, 1] padding [1, 1]
func.func @all_taps_live(%x: tensor<1x4x2x2xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x2x2xf32> {
  %y = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x2x2xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

// Negative: 3x3, padding 2, stride 3 over 2x2 (outputs 2x2): taps 2 and 0
// meet the input (at outputs 0 and 1), tap 1 never does, but the taps kept
// are a range, here the whole window. A 2x2 window of dilation 3 with
// padding 2 over a 1x1 input meets only padding: left as it is.
// CHECK-LABEL: func @nothing_to_drop
// CHECK-NOT: rn.crop_filter
func.func @nothing_to_drop(%x: tensor<1x4x2x2xf32>, %w: tensor<4x4x3x3xf32>, %x1: tensor<1x4x1x1xf32>, %w2: tensor<4x4x2x2xf32>) -> (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) {
  %y = rn.conv2d %x, %w stride [3, 3] padding [2, 2] dilation [1, 1] groups 1 : (tensor<1x4x2x2xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x2x2xf32>
  %z = rn.conv2d %x1, %w2 stride [1, 1] padding [2, 2] dilation [3, 3] groups 1 : (tensor<1x4x1x1xf32>, tensor<4x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  return %y, %z : tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>
}

// -----

// The gradients: the input's is computed with the cropped filter, the
// filter's for the cropped window and placed in the whole one.
// CHECK-LABEL: func @gradients
// CHECK: %[[C:.*]] = rn.crop_filter %arg1 offset [1, 1] size [1, 1] : tensor<16x8x3x3xf32> -> tensor<16x8x1x1xf32>
// CHECK: %[[DX:.*]] = rn.conv2d_backward_data %arg2, %[[C]] stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 input_shape [2, 8, 1, 1] : (tensor<2x16x1x1xf32>, tensor<16x8x1x1xf32>) -> tensor<2x8x1x1xf32>
// CHECK: %[[G:.*]] = rn.conv2d_backward_filter %arg2, %arg0 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 weight_shape [16, 8, 1, 1] : (tensor<2x16x1x1xf32>, tensor<2x8x1x1xf32>) -> tensor<16x8x1x1xf32>
// CHECK: %[[DW:.*]] = rn.pad_filter %[[G]] offset [1, 1] size [3, 3] : tensor<16x8x1x1xf32> -> tensor<16x8x3x3xf32>
// CHECK: return %[[DX]], %[[DW]]
func.func @gradients(%x: tensor<2x8x1x1xf32>, %w: tensor<16x8x3x3xf32>, %dy: tensor<2x16x1x1xf32>) -> (tensor<2x8x1x1xf32>, tensor<16x8x3x3xf32>) {
  %dx = rn.conv2d_backward_data %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 input_shape [2, 8, 1, 1] : (tensor<2x16x1x1xf32>, tensor<16x8x3x3xf32>) -> tensor<2x8x1x1xf32>
  %dw = rn.conv2d_backward_filter %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 weight_shape [16, 8, 3, 3] : (tensor<2x16x1x1xf32>, tensor<2x8x1x1xf32>) -> tensor<16x8x3x3xf32>
  return %dx, %dw : tensor<2x8x1x1xf32>, tensor<16x8x3x3xf32>
}
