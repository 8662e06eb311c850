// RUN: resnet-opt %s | FileCheck %s
// RUN: resnet-opt %s | resnet-opt | FileCheck %s
// RUN: resnet-opt %s --mlir-print-op-generic | resnet-opt | FileCheck %s

// CHECK-LABEL: func @batch_norm_train
// CHECK: %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} = rn.batch_norm_train %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} epsilon 1.000000e-05 momentum 1.000000e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: rn.batch_norm_train_backward %{{.*}} : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
func.func @batch_norm_train(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %dx, %dg, %db = rn.batch_norm_train_backward %y, %x, %v, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<2x4x3x3xf32>
}

// CHECK-LABEL: func @conv_grads
// CHECK: rn.conv2d_backward_data %{{.*}}, %{{.*}} stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 input_shape [2, 4, 8, 8] : (tensor<2x6x4x4xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x8x8xf32>
// CHECK: rn.conv2d_backward_filter %{{.*}}, %{{.*}} stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 weight_shape [6, 2, 3, 3] : (tensor<2x6x4x4xf32>, tensor<2x4x8x8xf32>) -> tensor<6x2x3x3xf32>
// CHECK: rn.reduce_to_channels %{{.*}} : tensor<2x6x4x4xf32> -> tensor<6xf32>
func.func @conv_grads(%dy: tensor<2x6x4x4xf32>, %w: tensor<6x2x3x3xf32>, %x: tensor<2x4x8x8xf32>) -> (tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) {
  %dx = rn.conv2d_backward_data %dy, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 input_shape [2, 4, 8, 8] : (tensor<2x6x4x4xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x8x8xf32>
  %dw = rn.conv2d_backward_filter %dy, %x stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 weight_shape [6, 2, 3, 3] : (tensor<2x6x4x4xf32>, tensor<2x4x8x8xf32>) -> tensor<6x2x3x3xf32>
  %db = rn.reduce_to_channels %dy : tensor<2x6x4x4xf32> -> tensor<6xf32>
  return %dx, %dw, %db : tensor<2x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>
}

// CHECK-LABEL: func @other_grads
// CHECK: rn.relu_backward %{{.*}}, %{{.*}} : tensor<2x4x8x8xf32>
// CHECK: rn.max_pool2d_backward %{{.*}}, %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1] : (tensor<2x4x4x4xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
// CHECK: rn.avg_pool2d_backward %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] input_shape [2, 4, 8, 8] : tensor<2x4x4x4xf32> -> tensor<2x4x8x8xf32>
// CHECK: rn.global_avg_pool_backward %{{.*}} input_shape [2, 4, 8, 8] : tensor<2x4x1x1xf32> -> tensor<2x4x8x8xf32>
// CHECK: rn.max_pool2d_backward %{{.*}}, %{{.*}} kernel [2, 2] stride [2, 2] padding [0, 0] ceil_mode : (tensor<2x4x4x4xf32>, tensor<2x4x7x7xf32>) -> tensor<2x4x7x7xf32>
// CHECK: rn.avg_pool2d_backward %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1] input_shape [2, 4, 7, 7] ceil_mode exclude_padding : tensor<2x4x4x4xf32> -> tensor<2x4x7x7xf32>
// CHECK: rn.linear_backward %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x10xf32>, tensor<2x4xf32>, tensor<10x4xf32>) -> (tensor<2x4xf32>, tensor<10x4xf32>)
func.func @other_grads(%d: tensor<2x4x8x8xf32>, %p: tensor<2x4x4x4xf32>, %g: tensor<2x4x1x1xf32>, %dl: tensor<2x10xf32>, %x: tensor<2x4xf32>, %w: tensor<10x4xf32>) {
  %0 = rn.relu_backward %d, %d : tensor<2x4x8x8xf32>
  %1 = rn.max_pool2d_backward %p, %d kernel [3, 3] stride [2, 2] padding [1, 1] : (tensor<2x4x4x4xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  %2 = rn.avg_pool2d_backward %p kernel [2, 2] stride [2, 2] padding [0, 0] input_shape [2, 4, 8, 8] : tensor<2x4x4x4xf32> -> tensor<2x4x8x8xf32>
  %3 = rn.global_avg_pool_backward %g input_shape [2, 4, 8, 8] : tensor<2x4x1x1xf32> -> tensor<2x4x8x8xf32>
  %c = tensor.empty() : tensor<2x4x7x7xf32>
  %5 = rn.max_pool2d_backward %p, %c kernel [2, 2] stride [2, 2] padding [0, 0] ceil_mode : (tensor<2x4x4x4xf32>, tensor<2x4x7x7xf32>) -> tensor<2x4x7x7xf32>
  %6 = rn.avg_pool2d_backward %p kernel [3, 3] stride [2, 2] padding [1, 1] input_shape [2, 4, 7, 7] ceil_mode exclude_padding : tensor<2x4x4x4xf32> -> tensor<2x4x7x7xf32>
  %4:2 = rn.linear_backward %dl, %x, %w : (tensor<2x10xf32>, tensor<2x4xf32>, tensor<10x4xf32>) -> (tensor<2x4xf32>, tensor<10x4xf32>)
  return
}

// CHECK-LABEL: func @loss_and_update
// CHECK: rn.softmax_cross_entropy %{{.*}}, %{{.*}} : (tensor<2x10xf32>, tensor<2xi64>) -> (tensor<f32>, tensor<i64>)
// CHECK: rn.softmax_cross_entropy_backward %{{.*}}, %{{.*}} : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<2x10xf32>
// CHECK: rn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} velocity %{{.*}} momentum 9.000000e-01 weight_decay 5.000000e-04 nesterov : (tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>, tensor<10x4xf32>) -> (tensor<10x4xf32>, tensor<10x4xf32>)
// CHECK: rn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} velocity %{{.*}} momentum 0.000000e+00 weight_decay 0.000000e+00 :
// CHECK: rn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} momentum 0.000000e+00 weight_decay 0.000000e+00 : (tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>) -> tensor<10x4xf32>
func.func @loss_and_update(%l: tensor<2x10xf32>, %y: tensor<2xi64>, %w: tensor<10x4xf32>, %lr: tensor<f32>) {
  %loss, %correct = rn.softmax_cross_entropy %l, %y : (tensor<2x10xf32>, tensor<2xi64>) -> (tensor<f32>, tensor<i64>)
  %dl = rn.softmax_cross_entropy_backward %l, %y : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<2x10xf32>
  %p, %v = rn.sgd_update %w, %w, %lr velocity %w momentum 9.0e-01 weight_decay 5.0e-04 nesterov : (tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>, tensor<10x4xf32>) -> (tensor<10x4xf32>, tensor<10x4xf32>)
  %p2, %v2 = rn.sgd_update %w, %w, %lr velocity %w momentum 0.0 weight_decay 0.0 : (tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>, tensor<10x4xf32>) -> (tensor<10x4xf32>, tensor<10x4xf32>)
  %p3 = rn.sgd_update %w, %w, %lr momentum 0.0 weight_decay 0.0 : (tensor<10x4xf32>, tensor<10x4xf32>, tensor<f32>) -> tensor<10x4xf32>
  return
}

// CHECK-LABEL: func @dropout
// CHECK: rn.dropout %arg0 rate 3.000000e-01 stream 2 : tensor<2x4x8x8xf32>
// CHECK: rn.dropout_train %arg0, %arg1 rate 3.000000e-01 stream 2 : tensor<2x4x8x8xf32>, tensor<i64>
func.func @dropout(%x: tensor<2x4x8x8xf32>, %s: tensor<i64>) -> (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) {
  %0 = rn.dropout %x rate 3.0e-01 stream 2 : tensor<2x4x8x8xf32>
  %1 = rn.dropout_train %x, %s rate 3.0e-01 stream 2 : tensor<2x4x8x8xf32>, tensor<i64>
  return %0, %1 : tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>
}

// CHECK-LABEL: func @adamw
// CHECK: rn.adamw_update %arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6 beta1 9.000000e-01 beta2 0.99899999999999999 epsilon 1.000000e-08 weight_decay 1.000000e-02 : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
func.func @adamw(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %bc1: tensor<f32>, %bc2: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p2, %m2, %v2 = rn.adamw_update %p, %g, %m, %v, %lr, %bc1, %bc2 beta1 0.9 beta2 0.999 epsilon 1.0e-08 weight_decay 0.01 : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %p2, %m2, %v2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
