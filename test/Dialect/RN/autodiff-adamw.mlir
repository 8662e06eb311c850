// RUN: resnet-opt %s -rn-autodiff='optimizer=adamw weight-decay=0.01 beta2=0.99 epsilon=0.001' -canonicalize | FileCheck %s
// RUN: not resnet-opt %s -rn-autodiff='optimizer=adam' 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// AdamW: the bias corrections after the other hyperparameters, then two
// moments per parameter (in parameter order), updated after the parameters.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<3x8xf32> {rn.param = "fc.weight"}
// CHECK-SAME: %[[B:[a-z0-9]+]]: tensor<3xf32> {rn.param = "fc.bias"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<f32> {rn.hyper = "lr"}
// CHECK-SAME: {rn.hyper = "label_smoothing"}
// CHECK-SAME: %[[BC1:[a-z0-9]+]]: tensor<f32> {rn.hyper = "bias_correction1"}
// CHECK-SAME: %[[BC2:[a-z0-9]+]]: tensor<f32> {rn.hyper = "bias_correction2"}
// CHECK-SAME: %[[MW:[a-z0-9]+]]: tensor<3x8xf32> {rn.optimizer_state = "fc.weight.exp_avg"}
// CHECK-SAME: %[[VW:[a-z0-9]+]]: tensor<3x8xf32> {rn.optimizer_state = "fc.weight.exp_avg_sq"}
// CHECK-SAME: {rn.optimizer_state = "fc.bias.exp_avg"}
// CHECK-SAME: {rn.optimizer_state = "fc.bias.exp_avg_sq"}
// CHECK-SAME: -> (tensor<f32> {rn.loss}, tensor<i64> {rn.correct}, tensor<3x8xf32> {rn.update = "fc.weight"}, tensor<3xf32> {rn.update = "fc.bias"},
// CHECK-SAME: tensor<3x8xf32> {rn.update = "fc.weight.exp_avg"}, tensor<3x8xf32> {rn.update = "fc.weight.exp_avg_sq"}, tensor<3xf32> {rn.update = "fc.bias.exp_avg"}, tensor<3xf32> {rn.update = "fc.bias.exp_avg_sq"})
// CHECK: %[[DX:.*]], %[[DW:.*]] = rn.linear_backward
// CHECK: %[[NW:.*]], %[[NMW:.*]], %[[NVW:.*]] = rn.adamw_update %[[W]], %[[DW]], %[[MW]], %[[VW]], %[[LR]], %[[BC1]], %[[BC2]] beta1 9.000000e-01 beta2 0.98999999999999999 epsilon 1.000000e-03 weight_decay 1.000000e-02
// CHECK: %[[NB:.*]], %[[NMB:.*]], %[[NVB:.*]] = rn.adamw_update %[[B]],
// CHECK-NOT: rn.sgd_update
// CHECK: return %{{.*}}, %{{.*}}, %[[NW]], %[[NB]], %[[NMW]], %[[NVW]], %[[NMB]], %[[NVB]]
// UNKNOWN: error: unknown optimizer 'adam' (sgd or adamw)
func.func @forward(%x: tensor<2x8xf32> {rn.input}, %w: tensor<3x8xf32> {rn.param = "fc.weight"}, %b: tensor<3xf32> {rn.param = "fc.bias"}) -> tensor<2x3xf32> {
  %l = rn.linear %x, %w, %b : (tensor<2x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %l : tensor<2x3xf32>
}
