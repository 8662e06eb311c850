// RUN: resnet-opt %s -rn-autodiff -rn-outline-kernels -rn-outline-kernels="entry=train_step prefix=t whole-batch=1" -rn-build-plan="target=cpu" | FileCheck %s
// RUN: resnet-opt %s -rn-autodiff -rn-outline-kernels -rn-outline-kernels="entry=train_step prefix=t whole-batch=1" -rn-build-plan="target=cuda" | FileCheck %s --check-prefix=CUDA

// On the CPU, the update of the 512x128 filter (65,536 elements, an
// RN_RowWise op) runs as 512 rows; that of the 512 biases, too small to be
// worth waking threads for, once. CUDA launches span every element anyway.
// CHECK: {args = array<i64: 1, {{[0-9]+}}, {{[0-9]+}}, 1>, kernel = @[[W:t[0-9]+]], layer = "", per_image = false, rows = 512 : i64}
// CHECK-SAME: {args = array<i64: 2, {{[0-9]+}}, {{[0-9]+}}, 2>, kernel = @[[B:t[0-9]+]], layer = "", per_image = false}
// CHECK: func.func private @[[W]]({{.*}}) -> tensor<512x128x1x1xf32> attributes {rn.kernel, rn.rows = 512 : i64, rn.whole_batch}
// CHECK: rn.sgd_update
// CHECK: func.func private @[[B]]({{.*}}) -> tensor<512xf32> attributes {rn.kernel, rn.whole_batch}
// CUDA-NOT: rows
module attributes {rn.model = "tiny", rn.batch = 2 : i64, rn.classes = 512 : i64, rn.input_shape = array<i64: 128, 1, 1>} {
  func.func @forward(%x: tensor<2x128x1x1xf32> {rn.input}, %w: tensor<512x128x1x1xf32> {rn.param = "c.weight"}, %b: tensor<512xf32> {rn.param = "c.bias"}) -> tensor<2x512xf32> {
    %c = rn.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<2x128x1x1xf32>, tensor<512x128x1x1xf32>, tensor<512xf32>) -> tensor<2x512x1x1xf32> loc("c")
    %f = rn.flatten %c : tensor<2x512x1x1xf32> -> tensor<2x512xf32> loc("f")
    return %f : tensor<2x512xf32>
  }
}
