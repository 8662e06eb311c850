// RUN: resnet-opt %s -split-input-file -rn-build-plan -verify-diagnostics | FileCheck %s
// RUN: resnet-opt %s -split-input-file -rn-build-plan="target=cuda" -verify-diagnostics | FileCheck %s --check-prefix=CUDA

// Arguments become buffers named and typed by their attributes, each call a
// step over its operands' and results' buffers; @forward is erased. On the
// CPU, infer's steps run per image, prepare's (rn.prepare) once.
// CHECK-LABEL: module attributes
// CHECK-SAME: rn.plan = {
// CHECK-SAME: batch = 2 : i64
// CHECK-SAME: buffers = [
// CHECK-SAME: {bytes = 384 : i64, dtype = "f32", name = "input", offset = 0 : i64, role = "input", shape = array<i64: 2, 3, 4, 4>}
// CHECK-SAME: {bytes = 48 : i64, dtype = "f32", name = "c.weight", offset = 0 : i64, role = "param", shape = array<i64: 4, 3, 1, 1>}
// CHECK-SAME: {bytes = 16 : i64, dtype = "f32", name = "b.weight", offset = 0 : i64, role = "param", shape = array<i64: 4>}
// CHECK-SAME: {bytes = 48 : i64, dtype = "f32", name = "infer:b1.0", offset = 0 : i64, role = "derived", shape = array<i64: 4, 3, 1, 1>}
// CHECK-SAME: {bytes = 16 : i64, dtype = "f32", name = "infer:b1.1", offset = 0 : i64, role = "derived", shape = array<i64: 4>}
// CHECK-SAME: {bytes = 512 : i64, dtype = "f32", name = "logits", offset = 0 : i64, role = "output", shape = array<i64: 2, 4, 4, 4>}
// CHECK-SAME: classes = 4 : i64
// CHECK-SAME: entries = [{name = "prepare", steps = [{args = array<i64: 1, 2, 2, 2, 2, 3, 4>, kernel = @k0_b1, layer = "b1", per_image = false}]},
// CHECK-SAME: {name = "infer", steps = [{args = array<i64: 0, 3, 4, 5>, kernel = @k1_c1, layer = "c1", per_image = true}]}]
// CHECK-SAME: input = 0 : i64
// CHECK-SAME: model = "tiny"
// CHECK-SAME: output = 5 : i64
// CHECK-SAME: target = "cpu"
// CHECK-NOT: func.func @forward
// CHECK: func.func private @k0_b1
// CHECK: func.func private @k1_c1
// CUDA: {args = array<i64: 0, 3, 4, 5>, kernel = @k1_c1, layer = "c1", per_image = false}
// CUDA-SAME: target = "cuda"
module attributes {rn.model = "tiny", rn.batch = 2 : i64, rn.classes = 4 : i64, rn.input_shape = array<i64: 3, 4, 4>} {
  func.func @forward(%x: tensor<2x3x4x4xf32> {rn.input}, %w: tensor<4x3x1x1xf32> {rn.param = "c.weight"}, %g: tensor<4xf32> {rn.param = "b.weight"}) -> tensor<2x4x4x4xf32> {
    %f:2 = call @k0_b1(%w, %g, %g, %g, %g) : (tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x1x1xf32>, tensor<4xf32>)
    %c = call @k1_c1(%x, %f#0, %f#1) : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32>
    return %c : tensor<2x4x4x4xf32>
  }
  func.func private @k0_b1(%w: tensor<4x3x1x1xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<4x3x1x1xf32>, tensor<4xf32>) attributes {rn.kernel, rn.prepare} {
    %w2, %b2 = rn.fold_batch_norm %w scale %g shift %b mean %m var %v epsilon 1.0e-05 : (tensor<4x3x1x1xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x3x1x1xf32>, tensor<4xf32>) loc("b1")
    return %w2, %b2 : tensor<4x3x1x1xf32>, tensor<4xf32>
  } loc("b1")
  func.func private @k1_c1(%x: tensor<2x3x4x4xf32> {rn.activation}, %w: tensor<4x3x1x1xf32>, %b: tensor<4xf32>) -> tensor<2x4x4x4xf32> attributes {rn.kernel} {
    %c = rn.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x1x1xf32>, tensor<4xf32>) -> tensor<2x4x4x4xf32> loc("c1")
    return %c : tensor<2x4x4x4xf32>
  } loc("c1")
}

// -----

// An argument without a role cannot become a buffer.
// expected-error@+1 {{argument 1 has no role}}
func.func @forward(%x: tensor<2x4xf32> {rn.input}, %y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  return %x : tensor<2x4xf32>
}

// -----

// @forward must be a sequence of kernel calls.
func.func @forward(%x: tensor<2x4xf32> {rn.input}) -> tensor<2x4xf32> {
  // expected-error@+1 {{expected a call to an rn kernel in @forward}}
  %r = rn.relu %x : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// expected-error@+1 {{no @forward function to build a plan from}}
module {
}
