// RUN: resnet-opt %s -rn-outline-kernels="entry=train_step prefix=t whole-batch=true" | FileCheck %s

// In training, kernels span the batch (rn.whole_batch) unless their op
// computes each image alone (RN_PerImage): the ReLU gradient stays per
// image, the bias gradient (a sum over the batch) does not.
// CHECK: func.func private @t0_r1({{.*}}) -> tensor<2x6x4x4xf32> attributes {rn.kernel} {
// CHECK-NEXT: rn.relu_backward
// CHECK: func.func private @t1_b1({{.*}}) -> tensor<6xf32> attributes {rn.kernel, rn.whole_batch} {
// CHECK-NEXT: rn.reduce_to_channels
func.func @train_step(%dy: tensor<2x6x4x4xf32> {rn.input}, %y: tensor<2x6x4x4xf32> {rn.input}) -> tensor<6xf32> {
  %d = rn.relu_backward %dy, %y : tensor<2x6x4x4xf32> loc("r1")
  %db = rn.reduce_to_channels %d : tensor<2x6x4x4xf32> -> tensor<6xf32> loc("b1")
  return %db : tensor<6xf32>
}
