// RUN: resnet-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(rn-destination-passing))" -verify-diagnostics | FileCheck %s
// RUN: resnet-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(rn-destination-passing{per-image=1}))" -verify-diagnostics | FileCheck %s --check-prefix=IMAGE

// Whole batch: the result is written into a new last argument.
// CHECK-LABEL: func.func @k0(
// CHECK-SAME: %[[X:.*]]: tensor<2x4xf32> {rn.activation}, %[[OUT:.*]]: tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK: %[[R:.*]] = rn.relu %[[X]]
// CHECK: %[[W:.*]] = bufferization.materialize_in_destination %[[R]] in %[[OUT]]
// CHECK: return %[[W]]
// Per image: the activation is sliced at image n, the result inserted there.
// IMAGE-LABEL: func.func @k0(
// IMAGE-SAME: %[[X:.*]]: tensor<2x4xf32> {rn.activation}, %[[OUT:.*]]: tensor<2x4xf32>, %[[N:.*]]: index) -> tensor<2x4xf32>
// IMAGE: %[[S:.*]] = tensor.extract_slice %[[X]][%[[N]], 0] [1, 4] [1, 1] : tensor<2x4xf32> to tensor<1x4xf32>
// IMAGE: %[[R:.*]] = rn.relu %[[S]] : tensor<1x4xf32>
// IMAGE: %[[I:.*]] = tensor.insert_slice %[[R]] into %[[OUT]][%[[N]], 0] [1, 4] [1, 1]
// IMAGE: return %[[I]]
func.func private @k0(%x: tensor<2x4xf32> {rn.activation}) -> tensor<2x4xf32> attributes {rn.kernel} {
  %r = rn.relu %x : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// Whole-batch kernels are not sliced, even per image (they still get n).
// IMAGE-LABEL: func.func @k1(
// IMAGE-SAME: %{{.*}}: tensor<2x4xf32> {rn.activation}, %{{.*}}: tensor<2x4xf32>, %{{.*}}: index)
// IMAGE-NOT: tensor.extract_slice
// IMAGE: bufferization.materialize_in_destination
func.func private @k1(%x: tensor<2x4xf32> {rn.activation}) -> tensor<2x4xf32> attributes {rn.kernel, rn.whole_batch} {
  %r = rn.relu %x : tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// Functions that are not kernels are left alone.
// CHECK-LABEL: func.func @helper(%{{.*}}: tensor<2x4xf32>) -> tensor<2x4xf32>
// IMAGE-LABEL: func.func @helper(%{{.*}}: tensor<2x4xf32>) -> tensor<2x4xf32>
func.func @helper(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  return %x : tensor<2x4xf32>
}

// -----

// expected-error@+1 {{rn-destination-passing: kernel 'k2' is not one op followed by its return}}
func.func private @k2(%x: tensor<2x4xf32>) -> tensor<2x4xf32> attributes {rn.kernel} {
  %r = rn.relu %x : tensor<2x4xf32>
  %s = rn.relu %r : tensor<2x4xf32>
  return %s : tensor<2x4xf32>
}

// -----

// A gradient op's activation shape (input_shape) is one image's too.
// IMAGE-LABEL: func.func @k3(
// IMAGE: %[[S:.*]] = tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0, 0] [1, 4, 1, 1] [1, 1, 1, 1] : tensor<2x4x1x1xf32> to tensor<1x4x1x1xf32>
// IMAGE: rn.global_avg_pool_backward %[[S]] input_shape [1, 4, 8, 8] : tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
func.func private @k3(%g: tensor<2x4x1x1xf32> {rn.activation}) -> tensor<2x4x8x8xf32> attributes {rn.kernel} {
  %r = rn.global_avg_pool_backward %g input_shape [2, 4, 8, 8] : tensor<2x4x1x1xf32> -> tensor<2x4x8x8xf32>
  return %r : tensor<2x4x8x8xf32>
}

// -----

// A kernel of rows (rn.rows) computes row n of every tensor operand and
// result, parameters included; its scalars stay whole.
// IMAGE-LABEL: func.func @t4(
// IMAGE-SAME: %[[P:[a-z0-9]+]]: tensor<8x3x3x3xf32>, %[[G:[a-z0-9]+]]: tensor<8x3x3x3xf32> {rn.activation}, %[[LR:[a-z0-9]+]]: tensor<f32>, %[[OUT:[a-z0-9]+]]: tensor<8x3x3x3xf32>, %[[N:[a-z0-9]+]]: index)
// IMAGE-DAG: %[[PN:.*]] = tensor.extract_slice %[[P]][%[[N]], 0, 0, 0] [1, 3, 3, 3] [1, 1, 1, 1] : tensor<8x3x3x3xf32> to tensor<1x3x3x3xf32>
// IMAGE-DAG: %[[GN:.*]] = tensor.extract_slice %[[G]][%[[N]], 0, 0, 0] [1, 3, 3, 3] [1, 1, 1, 1] : tensor<8x3x3x3xf32> to tensor<1x3x3x3xf32>
// IMAGE: %[[U:.*]] = rn.sgd_update %[[PN]], %[[GN]], %[[LR]] momentum 0.000000e+00 weight_decay 0.000000e+00 : (tensor<1x3x3x3xf32>, tensor<1x3x3x3xf32>, tensor<f32>) -> tensor<1x3x3x3xf32>
// IMAGE: %[[R:.*]] = tensor.insert_slice %[[U]] into %[[OUT]][%[[N]], 0, 0, 0] [1, 3, 3, 3] [1, 1, 1, 1]
// IMAGE: return %[[R]]
func.func private @t4(%p: tensor<8x3x3x3xf32>, %g: tensor<8x3x3x3xf32> {rn.activation}, %lr: tensor<f32>) -> tensor<8x3x3x3xf32> attributes {rn.kernel, rn.whole_batch, rn.rows = 8 : i64} {
  %u = rn.sgd_update %p, %g, %lr momentum 0.0 weight_decay 0.0 : (tensor<8x3x3x3xf32>, tensor<8x3x3x3xf32>, tensor<f32>) -> tensor<8x3x3x3xf32>
  return %u : tensor<8x3x3x3xf32>
}
