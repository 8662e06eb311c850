// RUN: resnet-opt %s -split-input-file -rn-gather-gpu-kernels -verify-diagnostics | FileCheck %s

// Two outlined modules become one, their functions named after them; the
// launches follow.
// CHECK-LABEL: func.func @k0
// CHECK: gpu.launch_func @resnetc_kernels::@k0_kernel
// CHECK: gpu.launch_func @resnetc_kernels::@k0_kernel_0
// CHECK-NOT: gpu.module @k0_kernel
// CHECK: gpu.module @resnetc_kernels {
// CHECK: gpu.func @k0_kernel(%{{.*}}: memref<4xf32>) kernel
// CHECK: gpu.func @k0_kernel_0(%{{.*}}: memref<4xf32>) kernel
module attributes {gpu.container_module} {
  func.func @k0(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0_kernel::@k0_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @k0_kernel_0::@k0_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @k0_kernel {
    gpu.func @k0_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k0_kernel_0 {
    gpu.func @k0_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// expected-error@+1 {{rn-gather-gpu-kernels: symbol 'resnetc_kernels' already exists}}
module attributes {gpu.container_module} {
  gpu.module @resnetc_kernels {
  }
}
