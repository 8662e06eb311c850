// RUN: resnet-opt %s -rn-convert-library-operands | FileCheck %s

// The call's output is NHWC, its input and weight NCHW. The input gets a
// copy in infer (buffer 3, an activation), made just before the call; the
// weight, a parameter, a persistent copy (buffer 4, role derived) made once
// by a conversion step in prepare. The call reads the copies.
// CHECK-LABEL: module attributes
// CHECK-SAME: {bytes = 384 : i64, dtype = "f32", layout = "nhwc", name = "infer:input.nhwc", offset = 0 : i64, role = "activation", shape = array<i64: 2, 3, 4, 4>}
// CHECK-SAME: {bytes = 432 : i64, dtype = "f32", layout = "nhwc", name = "c1.weight.nhwc", offset = 0 : i64, role = "derived", shape = array<i64: 4, 3, 3, 3>}
// CHECK-SAME: entries = [{name = "prepare", steps = [{args = array<i64: 1, 4>, kernel = @c1_k0_c1, layer = "c1", per_image = false}]},
// CHECK-SAME: {name = "infer", steps = [{args = array<i64: 0, 3>, kernel = @c0_k0_c1, layer = "c1", per_image = false}, {args = array<i64: 3, 4, 2>, kernel = @k0_c1, layer = "c1", library = {
// CHECK: func.func @c0_k0_c1(%{{.*}}: tensor<2x3x4x4xf32>, %{{.*}}: tensor<2x4x4x3xf32>) -> tensor<2x4x4x3xf32> attributes {rn.kernel, rn.storage_conversion, rn.whole_batch}
// CHECK: linalg.generic
// CHECK: bufferization.materialize_in_destination
// CHECK: func.func @c1_k0_c1(%{{.*}}: tensor<4x3x3x3xf32>, %{{.*}}: tensor<4x3x3x3xf32>) -> tensor<4x3x3x3xf32> attributes {rn.kernel, rn.storage_conversion, rn.whole_batch}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nhwc", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "c1.weight", role = "param", dtype = "f32", shape = array<i64: 4, 3, 3, 3>, bytes = 432 : i64, offset = 0 : i64},
    {name = "infer:c1", role = "activation", dtype = "f32", layout = "nhwc", shape = array<i64: 2, 4, 2, 2>, bytes = 128 : i64, offset = 0 : i64}
  ],
  entries = [{name = "infer", steps = [{kernel = @k0_c1, layer = "c1", args = array<i64: 0, 1, 2>, per_image = false,
    library = {name = "cudnn.conv2d_forward", strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, bias = false, residual = false, relu = false, math_type = "fma", compute_type = "float", mode = "cross_correlation"}}]}]}} {
}
