// RUN: resnet-opt %s -split-input-file -rn-serialize-plan -verify-diagnostics | FileCheck %s

// The plan leaves the module attributes for a NUL-terminated constant
// global holding the artifact's JSON.
// CHECK-NOT: rn.plan
// CHECK: llvm.mlir.global external constant @resnetc_plan("{
// CHECK-SAME: \22format\22:\22resnetc-plan\22
// CHECK-SAME: \22name\22:\22input\22
// CHECK-SAME: }\00")
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [{name = "input", role = "input", dtype = "f32", shape = array<i64: 2, 3, 4, 4>, bytes = 384 : i64, offset = 0 : i64}],
  entries = []}} {
}

// -----

// expected-error@+1 {{rn-serialize-plan: symbol 'resnetc_plan' already exists}}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = -1 : i64, output = -1 : i64, buffers = [], entries = []}} {
  func.func private @resnetc_plan()
}
