// RUN: resnet-opt %s -split-input-file -rn-outline-kernels="entry=train_step prefix=t whole-batch=true" | FileCheck %s

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

// -----

// Batch norm split over the images (rn-split-batch-norm): the statistics
// and the normalization are per image; their combine over the batch is not.
// The normalization's shared operands (the batch's mean and invstd, which
// are activations, not parameters) are not sliced: only the image operands
// are marked rn.activation.
// CHECK-LABEL: func.func private @t0_bn({{.*}}{rn.activation}) -> (tensor<2x6xf32>, tensor<2x6xf32>) attributes {rn.kernel} {
// CHECK-NEXT: rn.batch_norm_image_stats
// CHECK-LABEL: func.func private @t1_bn(
// CHECK-SAME: attributes {rn.kernel, rn.whole_batch}
// CHECK-NEXT: rn.batch_norm_combine_stats
// CHECK-LABEL: func.func private @t2_bn(
// CHECK-SAME: %{{.*}}: tensor<2x6x4x4xf32> {rn.activation}, %{{.*}}: tensor<6xf32>, %{{.*}}: tensor<6xf32>, %{{.*}}: tensor<6xf32>, %{{.*}}: tensor<6xf32>, %{{.*}}: tensor<2x6x4x4xf32> {rn.activation})
// CHECK-SAME: attributes {rn.kernel} {
// CHECK-NEXT: rn.batch_norm_normalize
func.func @train_step(%x: tensor<2x6x4x4xf32> {rn.input}, %r: tensor<2x6x4x4xf32> {rn.input}, %g: tensor<6xf32> {rn.param = "g"}, %b: tensor<6xf32> {rn.param = "b"}, %rm: tensor<6xf32> {rn.state = "m"}, %rv: tensor<6xf32> {rn.state = "v"}) -> tensor<2x6x4x4xf32> {
  %im, %im2 = rn.batch_norm_image_stats %x : (tensor<2x6x4x4xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>) loc("bn")
  %m, %i, %nrm, %nrv = rn.batch_norm_combine_stats %im, %im2, %rm, %rv image_size 16 epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x6xf32>, tensor<2x6xf32>, tensor<6xf32>, tensor<6xf32>) -> (tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) loc("bn")
  %y = rn.batch_norm_normalize %x, %m, %i, %g, %b residual %r relu : (tensor<2x6x4x4xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32> loc("bn")
  return %y : tensor<2x6x4x4xf32>
}
