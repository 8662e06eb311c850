// RUN: resnet-opt %s -rn-apply-storage | FileCheck %s

// Buffer 1 is stored NHWC: the kernel's output argument takes the stored
// type and its result is permuted where it is written; the input (NCHW)
// keeps its type.
// CHECK-LABEL: func.func @k0(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4x5xf32> {rn.activation}, %[[OUT:.*]]: tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xf32>
// CHECK: %[[R:.*]] = rn.relu %[[X]] : tensor<2x3x4x5xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x4x5x3xf32>
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[R]] : tensor<2x3x4x5xf32>) outs(%[[E]] : tensor<2x4x5x3xf32>)
// CHECK: %[[W:.*]] = bufferization.materialize_in_destination %[[P]] in %[[OUT]]
// CHECK: return %[[W]]
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nhwc", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 2, 3, 4, 5>, bytes = 480 : i64, offset = 0 : i64},
    {name = "infer:r", role = "activation", dtype = "f32", layout = "nhwc", shape = array<i64: 2, 3, 4, 5>, bytes = 480 : i64, offset = 0 : i64}
  ],
  entries = [{name = "infer", steps = [{kernel = @k0, layer = "r", args = array<i64: 0, 1>, per_image = false}]}]}} {
  func.func @k0(%x: tensor<2x3x4x5xf32> {rn.activation}, %out: tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32> attributes {rn.kernel} {
    %r = rn.relu %x : tensor<2x3x4x5xf32>
    %w = bufferization.materialize_in_destination %r in %out : (tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) -> tensor<2x3x4x5xf32>
    return %w : tensor<2x3x4x5xf32>
  }
}
