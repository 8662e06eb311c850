// RUN: resnet-opt %s -rn-copies-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @copy(
// CHECK-SAME: %[[A:.*]]: memref<4xf32, strided<[2]>>, %[[B:.*]]: memref<4xf32>)
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[A]] : memref<4xf32, strided<[2]>>) outs(%[[B]] : memref<4xf32>)
func.func @copy(%a: memref<4xf32, strided<[2]>>, %b: memref<4xf32>) {
  memref.copy %a, %b : memref<4xf32, strided<[2]>> to memref<4xf32>
  return
}
