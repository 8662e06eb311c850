// RUN: resnet-opt %s -split-input-file -rn-autodiff='momentum=0.9 weight-decay=0.0005' -canonicalize -verify-diagnostics | FileCheck %s

// conv -> bn -> relu -> residual add -> pool -> flatten -> linear.
// CHECK-LABEL: func.func @forward
// CHECK: rn.batch_norm {{.*}}epsilon
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x4x4x4xf32> {rn.input}
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x4x3x3xf32> {rn.param = "c.weight"}
// CHECK-SAME: %[[G:[a-z0-9]+]]: tensor<4xf32> {rn.param = "b.weight"}
// CHECK-SAME: %[[B:[a-z0-9]+]]: tensor<4xf32> {rn.param = "b.bias"}
// CHECK-SAME: %[[RM:[a-z0-9]+]]: tensor<4xf32> {rn.state = "b.running_mean"}
// CHECK-SAME: %[[RV:[a-z0-9]+]]: tensor<4xf32> {rn.state = "b.running_var"}
// CHECK-SAME: %[[FW:[a-z0-9]+]]: tensor<3x4xf32> {rn.param = "fc.weight"}
// CHECK-SAME: %[[FB:[a-z0-9]+]]: tensor<3xf32> {rn.param = "fc.bias"}
// CHECK-SAME: %[[Y:[a-z0-9]+]]: tensor<2xi64> {rn.labels}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<f32> {rn.hyper = "lr"}
// CHECK-SAME: %[[VW:[a-z0-9]+]]: tensor<4x4x3x3xf32> {rn.optimizer_state = "c.weight.velocity"}
// CHECK-SAME: -> (tensor<f32> {rn.loss}, tensor<i64> {rn.correct}, tensor<4x4x3x3xf32> {rn.update = "c.weight"}
// CHECK-SAME: tensor<4x4x3x3xf32> {rn.update = "c.weight.velocity"}
// CHECK-SAME: tensor<4xf32> {rn.update = "b.running_mean"}, tensor<4xf32> {rn.update = "b.running_var"})
//
// Forward with batch statistics:
// CHECK: %[[C:.*]] = rn.conv2d %[[X]], %[[W]] stride
// CHECK: %[[BN:.*]], %[[MEAN:.*]], %[[INV:.*]], %[[NRM:.*]], %[[NRV:.*]] = rn.batch_norm_train %[[C]], %[[G]], %[[B]], %[[RM]], %[[RV]]
// CHECK: %[[R:.*]] = rn.relu %[[BN]]
// CHECK: %[[S:.*]] = rn.add %[[R]], %[[X]]
// CHECK: %[[P:.*]] = rn.global_avg_pool %[[S]]
// CHECK: %[[F:.*]] = rn.flatten %[[P]]
// CHECK: %[[L:.*]] = rn.linear %[[F]], %[[FW]], %[[FB]]
// The loss, then the gradients in reverse order:
// CHECK: %[[LOSS:.*]], %[[CORRECT:.*]] = rn.softmax_cross_entropy %[[L]], %[[Y]]
// CHECK: %[[DL:.*]] = rn.softmax_cross_entropy_backward %[[L]], %[[Y]]
// CHECK: %[[DF:.*]], %[[DFW:.*]] = rn.linear_backward %[[DL]], %[[F]], %[[FW]]
// CHECK: %[[DFB:.*]] = rn.reduce_to_channels %[[DL]]
// CHECK: %[[DP:.*]] = tensor.expand_shape %[[DF]]
// CHECK: %[[DS:.*]] = rn.global_avg_pool_backward %[[DP]] input_shape [2, 4, 4, 4]
// CHECK: %[[DR:.*]] = rn.relu_backward %[[DS]], %[[R]]
// CHECK: %[[DC:.*]], %[[DG:.*]], %[[DB:.*]] = rn.batch_norm_train_backward %[[DR]], %[[C]], %[[G]], %[[MEAN]], %[[INV]]
// The input gradient is not needed and is removed; the filter gradient is:
// CHECK-NOT: rn.conv2d_backward_data
// CHECK: %[[DW:.*]] = rn.conv2d_backward_filter %[[DC]], %[[X]] {{.*}} weight_shape [4, 4, 3, 3]
// One SGD step per parameter:
// CHECK: %[[NW:.*]], %[[NVW:.*]] = rn.sgd_update %[[W]], %[[DW]], %[[LR]] velocity %[[VW]] momentum 9.000000e-01 weight_decay 5.000000e-04
// CHECK: rn.sgd_update %[[G]], %[[DG]],
// CHECK: rn.sgd_update %[[B]], %[[DB]],
// CHECK: rn.sgd_update %[[FW]], %[[DFW]],
// CHECK: rn.sgd_update %[[FB]], %[[DFB]],
// CHECK: return %[[LOSS]], %[[CORRECT]], %[[NW]], {{.*}}, %[[NVW]], {{.*}}, %[[NRM]], %[[NRV]]
func.func @forward(%x: tensor<2x4x4x4xf32> {rn.input}, %w: tensor<4x4x3x3xf32> {rn.param = "c.weight"}, %g: tensor<4xf32> {rn.param = "b.weight"}, %b: tensor<4xf32> {rn.param = "b.bias"}, %m: tensor<4xf32> {rn.state = "b.running_mean"}, %v: tensor<4xf32> {rn.state = "b.running_var"}, %fw: tensor<3x4xf32> {rn.param = "fc.weight"}, %fb: tensor<3xf32> {rn.param = "fc.bias"}) -> tensor<2x3xf32> {
  %c = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x4x4x4xf32>, tensor<4x4x3x3xf32>) -> tensor<2x4x4x4xf32>
  %n = rn.batch_norm %c, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
  %r = rn.relu %n : tensor<2x4x4x4xf32>
  %s = rn.add %r, %x : tensor<2x4x4x4xf32>
  %p = rn.global_avg_pool %s : tensor<2x4x4x4xf32> -> tensor<2x4x1x1xf32>
  %f = rn.flatten %p : tensor<2x4x1x1xf32> -> tensor<2x4xf32>
  %l = rn.linear %f, %fw, %fb : (tensor<2x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %l : tensor<2x3xf32>
}

// -----

// A value used twice gets the sum of its gradients.
// CHECK-LABEL: func.func @train_step
// CHECK: %[[R:.*]] = rn.relu %{{.*}}
// CHECK: %[[D1:.*]] = rn.global_avg_pool_backward
// CHECK: %[[SUM:.*]] = rn.add %[[D1]], %[[D1]]
// CHECK: rn.relu_backward %[[SUM]], %[[R]]
// CHECK: rn.conv2d_backward_filter
func.func @forward(%x: tensor<1x2x2x2xf32> {rn.input}, %w: tensor<2x2x1x1xf32> {rn.param = "c.weight"}, %fw: tensor<2x2xf32> {rn.param = "fc.weight"}) -> tensor<1x2xf32> {
  %c = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %r = rn.relu %c : tensor<1x2x2x2xf32>
  %s = rn.add %r, %r : tensor<1x2x2x2xf32>
  %p = rn.global_avg_pool %s : tensor<1x2x2x2xf32> -> tensor<1x2x1x1xf32>
  %f = rn.flatten %p : tensor<1x2x1x1xf32> -> tensor<1x2xf32>
  %l = rn.linear %f, %fw : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %l : tensor<1x2xf32>
}

// -----

// Negative: fused ops are for inference; they have no gradient rule.
func.func @forward(%x: tensor<1x2x2x2xf32> {rn.input}, %fw: tensor<2x8xf32> {rn.param = "fc.weight"}) -> tensor<1x2xf32> {
  // expected-error@+1 {{no gradient rule for 'rn.add_relu'}}
  %s = rn.add_relu %x, %x : tensor<1x2x2x2xf32>
  %f = rn.flatten %s : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
  %l = rn.linear %f, %fw : (tensor<1x8xf32>, tensor<2x8xf32>) -> tensor<1x2xf32>
  return %l : tensor<1x2xf32>
}

// -----

// Negative: a parameter the loss does not depend on.
// expected-error@+1 {{parameter 'unused.weight' gets no gradient}}
func.func @forward(%x: tensor<1x8xf32> {rn.input}, %fw: tensor<2x8xf32> {rn.param = "fc.weight"}, %u: tensor<3xf32> {rn.param = "unused.weight"}) -> tensor<1x2xf32> {
  %l = rn.linear %x, %fw : (tensor<1x8xf32>, tensor<2x8xf32>) -> tensor<1x2xf32>
  return %l : tensor<1x2xf32>
}

// -----

// Dropout: the training form with a dropout_seed argument after the
// hyperparameters; its gradient is the same mask applied to the output's
// gradient. The dropout producing the logits is handled too.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: {rn.hyper = "label_smoothing"}, %[[SEED:[a-z0-9]+]]: tensor<i64> {rn.hyper = "dropout_seed"}
// CHECK-SAME: {rn.optimizer_state = "fc.weight.velocity"}
// CHECK: %[[D:.*]] = rn.dropout_train %{{.*}}, %[[SEED]] rate 3.000000e-01 stream 0 : tensor<2x8xf32>, tensor<i64>
// CHECK: %[[L:.*]] = rn.linear %[[D]]
// CHECK: %[[DL:.*]] = rn.dropout_train %[[L]], %[[SEED]] rate 5.000000e-01 stream 1
// CHECK: rn.softmax_cross_entropy %[[DL]]
// CHECK: %[[G:.*]] = rn.softmax_cross_entropy_backward
// CHECK: %[[GL:.*]] = rn.dropout_train %[[G]], %[[SEED]] rate 5.000000e-01 stream 1
// CHECK: rn.linear_backward %[[GL]], %[[D]]
// CHECK-NOT: rn.dropout
// CHECK: rn.sgd_update
func.func @forward(%x: tensor<2x8xf32> {rn.input}, %fw: tensor<3x8xf32> {rn.param = "fc.weight"}) -> tensor<2x3xf32> {
  %d = rn.dropout %x rate 3.0e-01 stream 0 : tensor<2x8xf32>
  %l = rn.linear %d, %fw : (tensor<2x8xf32>, tensor<3x8xf32>) -> tensor<2x3xf32>
  %o = rn.dropout %l rate 5.0e-01 stream 1 : tensor<2x3xf32>
  return %o : tensor<2x3xf32>
}
