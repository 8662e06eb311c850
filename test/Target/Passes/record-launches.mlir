// RUN: resnet-opt %s -split-input-file -rn-record-launches -verify-diagnostics | FileCheck %s

// The step gets its host kernel's launch: constant sizes, its buffers (a
// subview passes its base buffer), a scalar constant, and a scratch buffer
// that becomes a plan buffer of role scratch.
// CHECK-LABEL: module attributes
// CHECK-SAME: {bytes = 64 : i64, dtype = "u8", name = "infer:l0.scratch0", offset = 0 : i64, role = "scratch", shape = array<i64: 64>}
// CHECK-SAME: {args = array<i64: 0, 1>, kernel = @k0, launches = [{args = [{buffer = 0 : i64, bytes = 64 : i64}, {buffer = 1 : i64, bytes = 64 : i64}, {buffer = 2 : i64, bytes = 64 : i64}, {bits = 7 : i64, kind = "i64"}], block = array<i64: 16, 1, 1>, grid = array<i64: 2, 1, 1>, kernel = "k0_kernel"}], layer = "l0", per_image = false}
module attributes {gpu.container_module, rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [
    {name = "input", role = "input", dtype = "f32", shape = array<i64: 16>, bytes = 64 : i64, offset = 0 : i64},
    {name = "infer:l0", role = "activation", dtype = "f32", shape = array<i64: 16>, bytes = 64 : i64, offset = 0 : i64}
  ],
  entries = [{name = "infer", steps = [{kernel = @k0, layer = "l0", args = array<i64: 0, 1>, per_image = false}]}]}} {
  func.func @k0(%a: memref<16xf32>, %b: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c16 = arith.constant 16 : index
    %c7 = arith.constant 7 : i64
    %s = memref.alloc() : memref<16xf32>
    %v = memref.subview %b[0] [16] [1] : memref<16xf32> to memref<16xf32, strided<[1]>>
    gpu.launch_func @resnetc_kernels::@k0_kernel blocks in (%c2, %c1, %c1) threads in (%c16, %c1, %c1) args(%a : memref<16xf32>, %v : memref<16xf32, strided<[1]>>, %s : memref<16xf32>, %c7 : i64)
    memref.dealloc %s : memref<16xf32>
    return
  }
  gpu.module @resnetc_kernels {
    gpu.func @k0_kernel(%a: memref<16xf32>, %b: memref<16xf32, strided<[1]>>, %s: memref<16xf32>, %n: i64) kernel {
      gpu.return
    }
  }
}

// -----

// Host code other than launches cannot be in the plan.
module attributes {gpu.container_module, rn.plan = {version = 2 : i64, model = "m", target = "cuda", precision = "fp32", layout = "nchw", batch = 2 : i64, input_shape = array<i64: 3, 4, 4>, classes = 4 : i64, arena_bytes = 0 : i64, peak_activation_bytes = 0 : i64, momentum = 0.0 : f64, weight_decay = 0.0 : f64, nesterov = false, input = 0 : i64, output = -1 : i64,
  buffers = [{name = "input", role = "input", dtype = "f32", shape = array<i64: 16>, bytes = 64 : i64, offset = 0 : i64}],
  entries = [{name = "infer", steps = [{kernel = @k0, layer = "l0", args = array<i64: 0>, per_image = false}]}]}} {
  func.func @k0(%a: memref<16xf32>) {
    %c0 = arith.constant 0 : index
    %f = arith.constant 1.0 : f32
    // expected-error@+1 {{internal error: host code that the CUDA plan cannot express (only launches run on the host): memref.store}}
    memref.store %f, %a[%c0] : memref<16xf32>
    return
  }
}
