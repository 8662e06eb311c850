// RUN: resnet-opt %s -split-input-file -rn-select-library-calls -verify-diagnostics | FileCheck %s
// RUN: resnet-opt %s -split-input-file -rn-select-library-calls="library=onednn" -verify-diagnostics | FileCheck %s --check-prefix=ONEDNN

// The convolution kernel becomes the library call of its step and is
// erased; the ReLU kernel stays a kernel. fp32 plans use FMA math.
// CHECK-LABEL: module attributes
// CHECK-SAME: {args = array<i64: 0, 1, 2, 3>, kernel = @k0_c1, layer = "c1", library = {bias = true, compute_type = "float", dilation = array<i64: 1, 1>, groups = 1 : i64, math_type = "fma", mode = "cross_correlation", name = "cudnn.conv2d_forward", padding = array<i64: 1, 1>, relu = false, residual = false, strides = array<i64: 2, 2>}, per_image = false}
// CHECK-SAME: {args = array<i64: 3, 4>, kernel = @k1_r1, layer = "r1", per_image = false}
// CHECK-NOT: func.func private @k0_c1
// CHECK: func.func private @k1_r1
// The library names the calls.
// ONEDNN: name = "onednn.conv2d_forward"
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = 4 : i64,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "c1.weight", role = "param", dtype = "f32", shape = array<i64: 4, 3, 3, 3>, bytes = 432 : i64, offset = 0 : i64},
    {name = "c1.bias", role = "param", dtype = "f32", shape = array<i64: 4>, bytes = 16 : i64, offset = 0 : i64},
    {name = "infer:c1", role = "activation", dtype = "f32", shape = array<i64: 2, 4, 2, 2>, bytes = 128 : i64, offset = 0 : i64},
    {name = "logits", role = "output", dtype = "f32", shape = array<i64: 2, 4, 2, 2>, bytes = 128 : i64, offset = 0 : i64}
  ],
  entries = [{name = "infer", steps = [
    {kernel = @k0_c1, layer = "c1", args = array<i64: 0, 1, 2, 3>, per_image = false},
    {kernel = @k1_r1, layer = "r1", args = array<i64: 3, 4>, per_image = false}
  ]}]}} {
  func.func private @k0_c1(%x: tensor<2x3x4x4xf32> {rn.activation}, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x2x2xf32> attributes {rn.kernel} {
    %c = rn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x2x2xf32>
    return %c : tensor<2x4x2x2xf32>
  }
  func.func private @k1_r1(%x: tensor<2x4x2x2xf32> {rn.activation}) -> tensor<2x4x2x2xf32> attributes {rn.kernel} {
    %r = rn.relu %x : tensor<2x4x2x2xf32>
    return %r : tensor<2x4x2x2xf32>
  }
}

// -----

// Plans of other precisions let the library use tensor cores. A backward
// convolution is a call too.
// CHECK-LABEL: module attributes
// CHECK-SAME: library = {bias = false, {{.*}}math_type = "tensor_op", mode = "cross_correlation", name = "cudnn.conv2d_backward_data"
// ONEDNN: name = "onednn.conv2d_backward_data"
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "tf32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [
    {name = "g", role = "activation", dtype = "f32", shape = array<i64: 2, 4, 2, 2>, bytes = 128 : i64, offset = 0 : i64},
    {name = "w", role = "param", dtype = "f32", shape = array<i64: 4, 3, 3, 3>, bytes = 432 : i64, offset = 0 : i64},
    {name = "dx", role = "activation", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64}
  ],
  entries = [{name = "train_step", steps = [{kernel = @t0, layer = "c1", args = array<i64: 0, 1, 2>, per_image = false}]}]}} {
  func.func private @t0(%g: tensor<2x4x2x2xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x3x4x4xf32> attributes {rn.kernel, rn.whole_batch} {
    %dx = rn.conv2d_backward_data %g, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 input_shape [2, 3, 4, 4] : (tensor<2x4x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<2x3x4x4xf32>
    return %dx : tensor<2x3x4x4xf32>
  }
}

// -----

// A convolution kernel must be the op alone over its arguments.
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "tf32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = -1 : i64, output = -1 : i64, buffers = [], entries = []}} {
  // expected-error@+1 {{internal error: convolution kernel 'k0' is not one op over its arguments}}
  func.func private @k0(%x: tensor<2x3x4x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x2x2xf32> attributes {rn.kernel} {
    %c = rn.conv2d %x, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 1 : (tensor<2x3x4x4xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x2x2xf32>
    %r = rn.relu %c : tensor<2x4x2x2xf32>
    return %r : tensor<2x4x2x2xf32>
  }
}
