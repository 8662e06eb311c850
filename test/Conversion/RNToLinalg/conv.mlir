// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// CHECK-LABEL: func @conv_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32>, %[[W:.*]]: tensor<4x3x3x3xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[ZERO]]
// CHECK: } : tensor<2x3x8x8xf32> to tensor<2x3x10x10xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%{{.*}} : tensor<2x4x4x4xf32>) dimensions = [0, 2, 3]
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%[[P]], %[[W]] : tensor<2x3x10x10xf32>, tensor<4x3x3x3xf32>) outs(%[[INIT]] : tensor<2x4x4x4xf32>)
// CHECK: return %[[C]]
func.func @conv_bias(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x4x4xf32> {
  %y = rn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  return %y : tensor<2x4x4x4xf32>
}

// -----

// No padding and no bias: no tensor.pad, the output starts at zero.
// CHECK-LABEL: func @conv_nopad_nobias
// CHECK-NOT: tensor.pad
// CHECK: %[[F:.*]] = linalg.fill
// CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<2> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%arg0, %arg1 : {{.*}}) outs(%[[F]] :
func.func @conv_nopad_nobias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32> {
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [2, 2] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// Grouped convolution on grouped views, then the fused epilogue.
// CHECK-LABEL: func @fused_grouped
// CHECK: %[[XG:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 2, 10, 10] : tensor<1x4x10x10xf32> into tensor<1x2x2x10x10xf32>
// CHECK: %[[WG:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK: %[[IG:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 3, 4, 4]
// CHECK: %[[CG:.*]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%[[XG]], %[[WG]] : {{.*}}) outs(%[[IG]] :
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[CG]] {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x3x4x4xf32> into tensor<1x6x4x4xf32>
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[C]], %arg3 : tensor<1x6x4x4xf32>, tensor<1x6x4x4xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[R:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[A]], %[[R]] : f32
// CHECK: %[[Y:.*]] = arith.maximumf %[[S]], %{{.*}} : f32
// CHECK: linalg.yield %[[Y]]
// CHECK: return %[[E]]
func.func @fused_grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %s: tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32> {
  %y = rn.fused_conv2d %x, %w, %b residual %s stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 relu : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>, tensor<1x6x4x4xf32>) -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}

// -----

// ReLU without a residual: a one-input epilogue.
// CHECK-LABEL: func @fused_relu
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw
// CHECK: linalg.generic {{.*}} ins(%[[C]] : tensor<1x4x8x8xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: arith.addf
func.func @fused_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32> {
  %y = rn.fused_conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 relu : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// A cropped filter is a slice of the window's taps; a padded one, the
// window placed in zeros.
// CHECK-LABEL: func @filter_windows
// CHECK: %[[C:.*]] = tensor.extract_slice %arg0[0, 0, 1, 0] [8, 4, 1, 2] [1, 1, 1, 1] : tensor<8x4x3x3xf32> to tensor<8x4x1x2xf32>
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P:.*]] = tensor.pad %arg1 low[0, 0, 1, 0] high[0, 0, 1, 1]
// CHECK: tensor.yield %[[Z]]
// CHECK: return %[[C]], %[[P]]
func.func @filter_windows(%w: tensor<8x4x3x3xf32>, %g: tensor<8x4x1x2xf32>) -> (tensor<8x4x1x2xf32>, tensor<8x4x3x3xf32>) {
  %c = rn.crop_filter %w offset [1, 0] size [1, 2] : tensor<8x4x3x3xf32> -> tensor<8x4x1x2xf32>
  %p = rn.pad_filter %g offset [1, 0] size [3, 3] : tensor<8x4x1x2xf32> -> tensor<8x4x3x3xf32>
  return %c, %p : tensor<8x4x1x2xf32>, tensor<8x4x3x3xf32>
}
