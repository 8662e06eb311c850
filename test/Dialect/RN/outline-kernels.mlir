// RUN: resnet-opt %s -rn-outline-kernels | FileCheck %s

// Each rn op becomes a kernel; @forward keeps only calls. The weight-only
// fold_batch_norm kernel is marked rn.prepare; activation arguments of the
// other kernels are marked rn.activation.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8x8xf32> {rn.input}, %[[W:.*]]: tensor<4x3x1x1xf32> {rn.param = "c.weight"}, %[[G:.*]]: tensor<4xf32> {rn.param = "b.weight"})
// CHECK: %[[F:.*]]:2 = call @k0_b1(%[[W]], %[[G]], %[[G]], %[[G]], %[[G]])
// CHECK: %[[C:.*]] = call @k1_c1(%[[X]], %[[F]]#0, %[[F]]#1)
// CHECK: %[[R:.*]] = call @k2_r1(%[[C]])
// CHECK: return %[[R]]
// CHECK-NOT: rn.
// CHECK: func.func private @k0_b1({{.*}}) -> (tensor<4x3x1x1xf32>, tensor<4xf32>) attributes {rn.kernel, rn.prepare}
// CHECK-NEXT: rn.fold_batch_norm
// CHECK: func.func private @k1_c1(%{{.*}}: tensor<2x3x8x8xf32> {rn.activation}, %{{.*}}: tensor<4x3x1x1xf32>, %{{.*}}: tensor<4xf32>) -> tensor<2x4x8x8xf32> attributes {rn.kernel}
// CHECK-NEXT: rn.conv2d
// CHECK: func.func private @k2_r1(%{{.*}}: tensor<2x4x8x8xf32> {rn.activation}) -> tensor<2x4x8x8xf32> attributes {rn.kernel}
// CHECK-NEXT: rn.relu
func.func @forward(%x: tensor<2x3x8x8xf32> {rn.input}, %w: tensor<4x3x1x1xf32> {rn.param = "c.weight"}, %g: tensor<4xf32> {rn.param = "b.weight"}) -> tensor<2x4x8x8xf32> {
  %w2, %b2 = rn.fold_batch_norm %w scale %g shift %g mean %g var %g epsilon 1.0e-05 : (tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x1x1xf32>, tensor<4xf32>) loc("b1")
  %c = rn.conv2d %x, %w2, %b2 stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x8x8xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<2x4x8x8xf32> loc("c1")
  %r = rn.relu %c : tensor<2x4x8x8xf32> loc("r1")
  return %r : tensor<2x4x8x8xf32>
}
