// RUN: resnet-opt %s -split-input-file -rn-cpu-flatten-elementwise | FileCheck %s

// An SGD step over a filter: the parameter, its gradient and the output,
// contiguous and read in loop order, and the scalar lr; one loop.
// CHECK-LABEL: func @update
// CHECK-DAG: %[[P:.*]] = memref.collapse_shape %arg0 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK-DAG: %[[G:.*]] = memref.collapse_shape %arg1 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK-DAG: %[[O:.*]] = memref.collapse_shape %arg3 {{\[\[}}0, 1, 2, 3]] : memref<8x4x3x3xf32> into memref<288xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID:.*]], #[[ID]], #[[S:.*]], #[[ID]]], iterator_types = ["parallel"]} ins(%[[P]], %[[G]], %arg2 : memref<288xf32>, memref<288xf32>, memref<f32>) outs(%[[O]] : memref<288xf32>)
// CHECK: arith.mulf
// CHECK: arith.subf
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#scalar = affine_map<(d0, d1, d2, d3) -> ()>
func.func @update(%p: memref<8x4x3x3xf32>, %g: memref<8x4x3x3xf32>, %lr: memref<f32>, %out: memref<8x4x3x3xf32>) {
  linalg.generic {indexing_maps = [#id, #id, #scalar, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%p, %g, %lr : memref<8x4x3x3xf32>, memref<8x4x3x3xf32>, memref<f32>) outs(%out : memref<8x4x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %l: f32, %o: f32):
    %s = arith.mulf %l, %b : f32
    %n = arith.subf %a, %s : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// Negative: a strided view (one image's padded interior), a transposed
// operand, and a reduction keep their loops.
// CHECK-LABEL: func @kept
// CHECK-NOT: memref.collapse_shape
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#t = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#sum = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @kept(%v: memref<1x4x3x3xf32, strided<[100, 25, 5, 1], offset: 6>>, %x: memref<1x4x3x3xf32>, %y: memref<1x3x3x4xf32>, %c: memref<4xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x3x3xf32>) outs(%v : memref<1x4x3x3xf32, strided<[100, 25, 5, 1], offset: 6>>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #t], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : memref<1x4x3x3xf32>) outs(%y : memref<1x3x3x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["parallel", "reduction", "parallel", "parallel"]} ins(%x : memref<1x4x3x3xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}
