// RUN: resnet-opt %s -split-input-file -rn-choose-storage="layout=nhwc bf16=1" | FileCheck %s
// RUN: not resnet-opt %s -split-input-file -rn-choose-storage="layout=chwn" 2>&1 | FileCheck %s --check-prefix=BAD

// Rank-4 f32 activations take the storage (bf16 halves their size); the
// input, parameters and rank-2 activations keep theirs.
// CHECK-LABEL: module attributes
// CHECK-SAME: {bytes = 384 : i64, dtype = "f32", name = "input", offset = 0 : i64, role = "input", shape = array<i64: 2, 3, 4, 4>}
// CHECK-SAME: {bytes = 192 : i64, dtype = "bf16", layout = "nhwc", name = "infer:c1", offset = 0 : i64, role = "activation", shape = array<i64: 2, 3, 4, 4>}
// CHECK-SAME: {bytes = 32 : i64, dtype = "f32", name = "infer:fc", offset = 0 : i64, role = "activation", shape = array<i64: 2, 4>}
// CHECK-SAME: layout = "nhwc"
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "infer:c1", role = "activation", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "infer:fc", role = "activation", dtype = "f32", shape = array<i64: 2, 4>, bytes = 32 : i64, offset = 0 : i64}
  ],
  entries = []}} {
}

// -----

// An unknown layout is refused (the second RUN line).
// BAD: error: rn-choose-storage: unknown layout 'chwn' (nchw or nhwc)
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = -1 : i64, output = -1 : i64, buffers = [], entries = []}} {
}

// -----

// With filter-layout (the CPU's): a weight gradient, the result of an op
// with RN_FilterResults, is stored OIHW like its parameter; the images it
// is computed from take `layout`.
// RUN: resnet-opt %s -split-input-file -rn-choose-storage="layout=nhwc filter-layout=nchw" | FileCheck %s --check-prefix=FILTER
// FILTER: {bytes = 384 : i64, dtype = "f32", layout = "nhwc", name = "train_step:dy", offset = 0 : i64, role = "activation", shape = array<i64: 2, 3, 4, 4>}
// FILTER-SAME: {bytes = 384 : i64, dtype = "f32", layout = "nhwc", name = "train_step:x", offset = 0 : i64, role = "activation", shape = array<i64: 2, 3, 4, 4>}
// FILTER-SAME: {bytes = 324 : i64, dtype = "f32", name = "train_step:c1", offset = 0 : i64, role = "activation", shape = array<i64: 3, 3, 3, 3>}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cpu", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = -1 : i64, output = -1 : i64,
  buffers = [
    {name = "train_step:dy", role = "activation", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "train_step:x", role = "activation", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64},
    {name = "train_step:c1", role = "activation", dtype = "f32", shape = array<i64: 3, 3, 3, 3>, bytes = 324 : i64, offset = 0 : i64}
  ],
  entries = [{name = "train_step", steps = [{kernel = @t0_c1, layer = "c1", args = array<i64: 0, 1, 2>, per_image = false}]}]}} {
  func.func private @t0_c1(%dy: tensor<2x3x4x4xf32> {rn.activation}, %x: tensor<2x3x4x4xf32> {rn.activation}) -> tensor<3x3x3x3xf32> attributes {rn.kernel, rn.whole_batch} {
    %dw = rn.conv2d_backward_filter %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 weight_shape [3, 3, 3, 3] : (tensor<2x3x4x4xf32>, tensor<2x3x4x4xf32>) -> tensor<3x3x3x3xf32>
    return %dw : tensor<3x3x3x3xf32>
  }
}
