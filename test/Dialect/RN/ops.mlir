// RUN: resnet-opt %s | FileCheck %s
// Round trip: print, parse again, print again must be identical.
// RUN: resnet-opt %s | resnet-opt | FileCheck %s
// RUN: resnet-opt %s --mlir-print-op-generic | resnet-opt | FileCheck %s

// CHECK-LABEL: func @conv_bias
func.func @conv_bias(%x: tensor<2x1x96x96xf32>, %w: tensor<64x1x7x7xf32>, %b: tensor<64xf32>) -> tensor<2x64x48x48xf32> {
  // CHECK: rn.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [2, 2] padding [3, 3] dilation [1, 1] groups 1 : (tensor<2x1x96x96xf32>, tensor<64x1x7x7xf32>, tensor<64xf32>) -> tensor<2x64x48x48xf32>
  %y = rn.conv2d %x, %w, %b stride [2, 2] padding [3, 3] dilation [1, 1] groups 1 : (tensor<2x1x96x96xf32>, tensor<64x1x7x7xf32>, tensor<64xf32>) -> tensor<2x64x48x48xf32>
  return %y : tensor<2x64x48x48xf32>
}

// CHECK-LABEL: func @conv_grouped_dilated
func.func @conv_grouped_dilated(%x: tensor<1x128x56x56xf32>, %w: tensor<128x4x3x3xf32>) -> tensor<1x128x28x28xf32> {
  // CHECK: rn.conv2d %{{.*}}, %{{.*}} stride [2, 2] padding [2, 2] dilation [2, 2] groups 32 :
  %y = rn.conv2d %x, %w stride [2, 2] padding [2, 2] dilation [2, 2] groups 32 : (tensor<1x128x56x56xf32>, tensor<128x4x3x3xf32>) -> tensor<1x128x28x28xf32>
  return %y : tensor<1x128x28x28xf32>
}

// CHECK-LABEL: func @conv_bf16
func.func @conv_bf16(%x: tensor<4x64x8x8xbf16>, %w: tensor<32x64x1x1xbf16>) -> tensor<4x32x8x8xbf16> {
  // CHECK: rn.conv2d {{.*}} -> tensor<4x32x8x8xbf16>
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<4x64x8x8xbf16>, tensor<32x64x1x1xbf16>) -> tensor<4x32x8x8xbf16>
  return %y : tensor<4x32x8x8xbf16>
}

// CHECK-LABEL: func @batch_norm
func.func @batch_norm(%x: tensor<2x64x8x8xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>) -> tensor<2x64x8x8xf32> {
  // CHECK: rn.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epsilon 1.000000e-05 momentum 1.000000e-01 :
  %y = rn.batch_norm %x, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}

// CHECK-LABEL: func @elementwise
func.func @elementwise(%x: tensor<2x64x8x8xf32>, %s: tensor<2x64x8x8xf32>) -> tensor<2x64x8x8xf32> {
  // CHECK: %[[A:.*]] = rn.add %{{.*}}, %{{.*}} : tensor<2x64x8x8xf32>
  // CHECK: rn.relu %[[A]] : tensor<2x64x8x8xf32>
  %a = rn.add %x, %s : tensor<2x64x8x8xf32>
  %r = rn.relu %a : tensor<2x64x8x8xf32>
  return %r : tensor<2x64x8x8xf32>
}

// CHECK-LABEL: func @pools
func.func @pools(%x: tensor<2x64x48x48xf32>) -> tensor<2x64x1x1xf32> {
  // CHECK: rn.max_pool2d %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<2x64x48x48xf32> -> tensor<2x64x24x24xf32>
  // CHECK: rn.avg_pool2d %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x64x24x24xf32> -> tensor<2x64x12x12xf32>
  // CHECK: rn.global_avg_pool %{{.*}} : tensor<2x64x12x12xf32> -> tensor<2x64x1x1xf32>
  %m = rn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<2x64x48x48xf32> -> tensor<2x64x24x24xf32>
  %a = rn.avg_pool2d %m kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<2x64x24x24xf32> -> tensor<2x64x12x12xf32>
  %g = rn.global_avg_pool %a : tensor<2x64x12x12xf32> -> tensor<2x64x1x1xf32>
  return %g : tensor<2x64x1x1xf32>
}

// PyTorch's ceil_mode (the output size rounds up: 7 -> 4) and
// count_include_pad=False (exclude_padding).
// CHECK-LABEL: func @pool_options
func.func @pool_options(%x: tensor<2x4x7x7xf32>) -> (tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>) {
  // CHECK: rn.max_pool2d %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] ceil_mode : tensor<2x4x7x7xf32> -> tensor<2x4x4x4xf32>
  // CHECK: rn.avg_pool2d %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1] ceil_mode exclude_padding : tensor<2x4x7x7xf32> -> tensor<2x4x4x4xf32>
  %m = rn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] ceil_mode : tensor<2x4x7x7xf32> -> tensor<2x4x4x4xf32>
  %a = rn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] ceil_mode exclude_padding : tensor<2x4x7x7xf32> -> tensor<2x4x4x4xf32>
  return %m, %a : tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>
}

// CHECK-LABEL: func @head
func.func @head(%x: tensor<2x512x1x1xf32>, %w: tensor<10x512xf32>, %b: tensor<10xf32>) -> (tensor<2x10xf32>, tensor<2x10xf32>) {
  // CHECK: %[[F:.*]] = rn.flatten %{{.*}} : tensor<2x512x1x1xf32> -> tensor<2x512xf32>
  // CHECK: rn.linear %[[F]], %{{.*}}, %{{.*}} : (tensor<2x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  // CHECK: rn.linear %[[F]], %{{.*}} : (tensor<2x512xf32>, tensor<10x512xf32>) -> tensor<2x10xf32>
  %f = rn.flatten %x : tensor<2x512x1x1xf32> -> tensor<2x512xf32>
  %y = rn.linear %f, %w, %b : (tensor<2x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<2x10xf32>
  %z = rn.linear %f, %w : (tensor<2x512xf32>, tensor<10x512xf32>) -> tensor<2x10xf32>
  return %y, %z : tensor<2x10xf32>, tensor<2x10xf32>
}

// CHECK-LABEL: func @fused
func.func @fused(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %s: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  // CHECK: %[[W:.*]], %[[B:.*]] = rn.fold_batch_norm %{{.*}} bias %{{.*}} scale %{{.*}} shift %{{.*}} mean %{{.*}} var %{{.*}} epsilon 1.000000e-05 : (tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x4x3x3xf32>, tensor<4xf32>)
  // CHECK: rn.fused_conv2d %{{.*}}, %[[W]], %[[B]] residual %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu :
  // CHECK: rn.fused_conv2d %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 :
  // CHECK: rn.add_relu %{{.*}}, %{{.*}} : tensor<1x4x8x8xf32>
  %w2, %b2 = rn.fold_batch_norm %w bias %b scale %b shift %b mean %b var %b epsilon 1.0e-05 : (tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x4x3x3xf32>, tensor<4xf32>)
  %y = rn.fused_conv2d %x, %w2, %b2 residual %s stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %z = rn.fused_conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %a = rn.add_relu %y, %z : tensor<1x4x8x8xf32>
  return %y, %z, %a : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// CHECK-LABEL: func @filter_windows
func.func @filter_windows(%w: tensor<8x4x3x3xf32>, %g: tensor<8x4x1x2xf32>) -> (tensor<8x4x1x2xf32>, tensor<8x4x3x3xf32>) {
  // CHECK: rn.crop_filter %{{.*}} offset [1, 0] size [1, 2] : tensor<8x4x3x3xf32> -> tensor<8x4x1x2xf32>
  // CHECK: rn.pad_filter %{{.*}} offset [1, 0] size [3, 3] : tensor<8x4x1x2xf32> -> tensor<8x4x3x3xf32>
  %c = rn.crop_filter %w offset [1, 0] size [1, 2] : tensor<8x4x3x3xf32> -> tensor<8x4x1x2xf32>
  %p = rn.pad_filter %g offset [1, 0] size [3, 3] : tensor<8x4x1x2xf32> -> tensor<8x4x3x3xf32>
  return %c, %p : tensor<8x4x1x2xf32>, tensor<8x4x3x3xf32>
}
