// RUN: resnet-opt %s -rn-split-batch-norm | FileCheck %s

// A training batch norm with a fused residual and ReLU becomes per-image
// statistics, their combine over the batch (image_size = H*W = 9) and a
// per-image normalization that keeps the residual and the ReLU.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[RM:.*]]: tensor<4xf32>, %[[RV:.*]]: tensor<4xf32>, %[[R:.*]]: tensor<2x4x3x3xf32>)
// CHECK: %[[IM:.*]], %[[IM2:.*]] = rn.batch_norm_image_stats %[[X]] : (tensor<2x4x3x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK: %[[M:.*]], %[[I:.*]], %[[NRM:.*]], %[[NRV:.*]] = rn.batch_norm_combine_stats %[[IM]], %[[IM2]], %[[RM]], %[[RV]] image_size 9 epsilon 1.000000e-05 momentum 1.000000e-01
// CHECK: %[[Y:.*]] = rn.batch_norm_normalize %[[X]], %[[M]], %[[I]], %[[G]], %[[B]] residual %[[R]] relu
// CHECK-NOT: rn.batch_norm_train
// CHECK: return %[[Y]], %[[M]], %[[I]], %[[NRM]], %[[NRV]]
func.func @forward(%x: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>, %r: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y, %m, %i, %nrm, %nrv = rn.batch_norm_train %x, %g, %b, %rm, %rv residual %r epsilon 1.0e-05 momentum 1.0e-01 relu : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %y, %m, %i, %nrm, %nrv : tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// Its backward: per-image sums read through the ReLU's mask (each as a
// rounded value and its rounded remainder: N x C x 2), their totals over
// the images (grad_bias from sum(dy), grad_scale from sum(dy * xhat)), and
// the per-image input gradient over count = N*H*W = 18 values.
// CHECK-LABEL: func.func @backward
// CHECK-SAME: (%[[DY:.*]]: tensor<2x4x3x3xf32>, %[[X:.*]]: tensor<2x4x3x3xf32>, %[[G:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xf32>, %[[O:.*]]: tensor<2x4x3x3xf32>)
// CHECK: %[[S:.*]], %[[SX:.*]] = rn.batch_norm_grad_image_sums %[[DY]], %[[X]], %[[M]], %[[I]] relu_output %[[O]] : {{.*}} -> (tensor<2x4x2xf32>, tensor<2x4x2xf32>)
// CHECK: %[[DB:.*]] = rn.reduce_to_channels %[[S]] : tensor<2x4x2xf32> -> tensor<4xf32>
// CHECK: %[[DG:.*]] = rn.reduce_to_channels %[[SX]] : tensor<2x4x2xf32> -> tensor<4xf32>
// CHECK: %[[DX:.*]] = rn.batch_norm_input_grad %[[DY]], %[[X]], %[[G]], %[[M]], %[[I]], %[[DG]], %[[DB]] relu_output %[[O]] count 18
// CHECK-NOT: rn.batch_norm_train_backward
// CHECK: return %[[DX]], %[[DG]], %[[DB]]
func.func @backward(%dy: tensor<2x4x3x3xf32>, %x: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %i: tensor<4xf32>, %o: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) {
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %m, %i relu_output %o : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dg, %db : tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>
}

// Without the fused residual and ReLU, neither appears.
// CHECK-LABEL: func.func @plain
// CHECK: rn.batch_norm_normalize %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK: rn.batch_norm_grad_image_sums %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK: rn.batch_norm_input_grad %{{.*}} count 18 :
func.func @plain(%x: tensor<2x4x3x3xf32>, %dy: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %y, %m, %i, %nrm, %nrv = rn.batch_norm_train %x, %g, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %y, %dx : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}
