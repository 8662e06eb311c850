// RUN: resnet-opt %s -rn-copies-to-linalg | FileCheck %s
// RUN: resnet-opt %s -rn-copies-to-linalg="collapse-contiguous" | FileCheck %s --check-prefix=COLLAPSE

// CHECK-LABEL: func.func @copy(
// CHECK-SAME: %[[A:.*]]: memref<4xf32, strided<[2]>>, %[[B:.*]]: memref<4xf32>)
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[A]] : memref<4xf32, strided<[2]>>) outs(%[[B]] : memref<4xf32>)
func.func @copy(%a: memref<4xf32, strided<[2]>>, %b: memref<4xf32>) {
  memref.copy %a, %b : memref<4xf32, strided<[2]>> to memref<4xf32>
  return
}

// With collapse-contiguous, the trailing dimensions contiguous in both are
// one: an image copied into its padded buffer is 14 rows of 14 x 64 floats.
// COLLAPSE-LABEL: func.func @into_padding(
// COLLAPSE: %[[A:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<1x14x14x64xf32> into memref<1x14x896xf32>
// COLLAPSE: %[[B:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<1x14x14x64xf32, strided<[16384, 1024, 64, 1], offset: 1088>> into memref<1x14x896xf32, strided<[16384, 1024, 1], offset: 1088>>
// COLLAPSE: linalg.copy ins(%[[A]] : memref<1x14x896xf32>) outs(%[[B]] : memref<1x14x896xf32, strided<[16384, 1024, 1], offset: 1088>>)
// Without it, or when nothing is contiguous beyond the last dimension, the
// copy keeps its dimensions.
// CHECK-LABEL: func.func @into_padding(
// CHECK-NOT: memref.collapse_shape
// COLLAPSE-LABEL: func.func @strided_rows(
// COLLAPSE-NOT: memref.collapse_shape
// COLLAPSE: linalg.copy ins(%{{.*}} : memref<4x8xf32, strided<[16, 2]>>)
func.func @into_padding(%a: memref<1x14x14x64xf32>, %b: memref<1x14x14x64xf32, strided<[16384, 1024, 64, 1], offset: 1088>>) {
  memref.copy %a, %b : memref<1x14x14x64xf32> to memref<1x14x14x64xf32, strided<[16384, 1024, 64, 1], offset: 1088>>
  return
}
func.func @strided_rows(%a: memref<4x8xf32, strided<[16, 2]>>, %b: memref<4x8xf32>) {
  memref.copy %a, %b : memref<4x8xf32, strided<[16, 2]>> to memref<4x8xf32>
  return
}
