// RUN: resnet-opt %s -rn-autodiff -canonicalize | FileCheck %s

// SGD without momentum (the default) keeps no velocity, as PyTorch keeps no
// momentum buffer: no optimizer state, one result per update.
// CHECK-LABEL: func.func @train_step(
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<3x8xf32> {rn.param = "fc.weight"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<f32> {rn.hyper = "lr"}
// CHECK-NOT: rn.optimizer_state
// CHECK-SAME: -> (tensor<f32> {rn.loss}, tensor<i64> {rn.correct}, tensor<3x8xf32> {rn.update = "fc.weight"}, tensor<3xf32> {rn.update = "fc.bias"})
// CHECK: %[[DX:.*]], %[[DW:.*]] = rn.linear_backward
// CHECK: %[[NW:.*]] = rn.sgd_update %[[W]], %[[DW]], %[[LR]] momentum 0.000000e+00 weight_decay 0.000000e+00 : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<f32>) -> tensor<3x8xf32>
// CHECK: %[[NB:.*]] = rn.sgd_update
// CHECK: return %{{.*}}, %{{.*}}, %[[NW]], %[[NB]] :
func.func @forward(%x: tensor<2x8xf32> {rn.input}, %w: tensor<3x8xf32> {rn.param = "fc.weight"}, %b: tensor<3xf32> {rn.param = "fc.bias"}) -> tensor<2x3xf32> {
  %l = rn.linear %x, %w, %b : (tensor<2x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %l : tensor<2x3xf32>
}
