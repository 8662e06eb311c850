// RUN: resnet-opt %s -split-input-file -rn-assign-buffers -verify-diagnostics | FileCheck %s

// Persistent buffers first, each aligned to 64 bytes (input at 0, the
// parameter at 128: 192 bytes). Temporaries by liveness above them: step 1's
// result never overlaps its operand (buffer 2 at 192, buffer 3 at 256);
// buffer 2 dies after step 1, so the output of step 2 reuses its place.
// CHECK-LABEL: module attributes
// CHECK-SAME: arena_bytes = 320 : i64
// CHECK-SAME: {bytes = 100 : i64, dtype = "f32", name = "input", offset = 0 : i64
// CHECK-SAME: {bytes = 10 : i64, dtype = "f32", name = "w", offset = 128 : i64
// CHECK-SAME: {bytes = 64 : i64, dtype = "f32", name = "a", offset = 192 : i64
// CHECK-SAME: {bytes = 64 : i64, dtype = "f32", name = "b", offset = 256 : i64
// CHECK-SAME: {bytes = 32 : i64, dtype = "f32", name = "logits", offset = 192 : i64
// CHECK-SAME: peak_activation_bytes = 128 : i64
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cpu", precision = "fp32", layout = "nchw", batch = 1 : i64, input_shape = array<i64: 25>, classes = 8 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, input = 0 : i64, output = 4 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 25>, bytes = 100 : i64, offset = 0 : i64},
    {name = "w", role = "param", dtype = "f32", shape = array<i64: 2>, bytes = 10 : i64, offset = 0 : i64},
    {name = "a", role = "activation", dtype = "f32", shape = array<i64: 16>, bytes = 64 : i64, offset = 0 : i64},
    {name = "b", role = "activation", dtype = "f32", shape = array<i64: 16>, bytes = 64 : i64, offset = 0 : i64},
    {name = "logits", role = "output", dtype = "f32", shape = array<i64: 8>, bytes = 32 : i64, offset = 0 : i64}
  ],
  entries = [{name = "infer", steps = [
    {kernel = @k0, layer = "l0", args = array<i64: 0, 1, 2>, per_image = true},
    {kernel = @k1, layer = "l1", args = array<i64: 2, 3>, per_image = true},
    {kernel = @k2, layer = "l2", args = array<i64: 3, 4>, per_image = true}
  ]}]}} {
}

// -----

// expected-error@+1 {{no execution plan (rn.plan): run rn-build-plan first}}
module {
}

// -----

// expected-error@+1 {{malformed execution plan: rn.plan.entries[0].steps[0].args buffer 7 does not exist}}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cpu", precision = "fp32", layout = "nchw", batch = 1 : i64, input_shape = array<i64: 25>, classes = 8 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, input = 0 : i64, output = -1 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false,
  buffers = [{name = "input", role = "input", dtype = "f32", shape = array<i64: 25>, bytes = 100 : i64, offset = 0 : i64}],
  entries = [{name = "infer", steps = [{kernel = @k0, layer = "l0", args = array<i64: 0, 7>, per_image = true}]}]}} {
}

// -----

// expected-error@+1 {{malformed execution plan: rn.plan.buffers[0].role unknown buffer role 'weights'}}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cpu", precision = "fp32", layout = "nchw", batch = 1 : i64, input_shape = array<i64: 25>, classes = 8 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, input = 0 : i64, output = -1 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false,
  buffers = [{name = "input", role = "weights", dtype = "f32", shape = array<i64: 25>, bytes = 100 : i64, offset = 0 : i64}],
  entries = []}} {
}

// -----

// expected-error@+1 {{malformed execution plan: rn.plan.batch is missing}}
module attributes {rn.plan = {version = 2 : i64, model = "m", target = "cpu", precision = "fp32", layout = "nchw", input_shape = array<i64: 25>, classes = 8 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, input = 0 : i64, output = -1 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, buffers = [], entries = []}} {
}
