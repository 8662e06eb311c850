// RUN: resnet-opt %s -rn-build-plan="cpu=x86-64-v3 cpu-features=avx,avx2,fma" | FileCheck %s
// RUN: resnet-opt %s -rn-build-plan | FileCheck %s --check-prefix=NONE
// RUN: not resnet-opt %s -rn-build-plan="target=cuda cpu=x86-64-v3" 2>&1 | FileCheck %s --check-prefix=CUDA
// RUN: not resnet-opt %s -rn-build-plan="cpu-features=avx2" 2>&1 | FileCheck %s --check-prefix=NO-CPU
// RUN: not resnet-opt %s -rn-build-plan="cpu=x86-64-v3 cpu-features=avx2,sse9" 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// A CPU plan records the CPU its code is generated for and the extensions
// the code may use, which resnet-run checks before loading the artifact.
// CHECK: rn.plan = {
// CHECK-SAME: cpu = "x86-64-v3"
// CHECK-SAME: cpu_features = ["avx", "avx2", "fma"]
// CHECK-SAME: target = "cpu"

// Without them, the plan names no CPU.
// NONE-NOT: cpu =
// NONE-NOT: cpu_features

// CUDA: rn-build-plan: cpu and cpu-features are for CPU plans
// NO-CPU: rn-build-plan: cpu-features without a cpu
// UNKNOWN: rn-build-plan: unknown CPU feature 'sse9'
module attributes {rn.model = "tiny", rn.batch = 2 : i64, rn.classes = 4 : i64, rn.input_shape = array<i64: 1, 2, 2>} {
  func.func @forward(%x: tensor<2x1x2x2xf32> {rn.input}) -> tensor<2x1x2x2xf32> {
    %0 = call @k0_relu(%x) : (tensor<2x1x2x2xf32>) -> tensor<2x1x2x2xf32>
    return %0 : tensor<2x1x2x2xf32>
  }
  func.func private @k0_relu(%x: tensor<2x1x2x2xf32> {rn.activation}) -> tensor<2x1x2x2xf32> attributes {rn.kernel} {
    %0 = rn.relu %x : tensor<2x1x2x2xf32>
    return %0 : tensor<2x1x2x2xf32>
  } loc("relu")
}
