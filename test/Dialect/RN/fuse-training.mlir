// RUN: resnet-opt %s -split-input-file -rn-fuse-training -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s

// The end of a basic block: bn2, the residual add and the ReLU become one
// batch norm (at the ReLU, with its layer path); the ReLU's backward is
// read by batch norm's backward through its mask, and stays for the
// shortcut's gradient, its other user.
// CHECK-LABEL: func @block_tail
// CHECK-NOT: rn.add
// CHECK-NOT: rn.relu %
// CHECK: %[[O:[^,]*]], %[[M:[^,]*]], %[[I:[^,]*]], %{{.*}}, %{{.*}} = rn.batch_norm_train %arg0, %arg1, %arg1, %arg1, %arg1 residual %arg2 epsilon {{.*}} momentum {{.*}} relu : {{.*}} loc("stage1.block0.relu2")
// CHECK: %[[D:.*]] = rn.relu_backward %arg3, %[[O]]
// CHECK: rn.batch_norm_train_backward %arg3, %arg0, %arg1, %[[M]], %[[I]] relu_output %[[O]]
// CHECK: return %[[O]], %{{.*}}, %[[D]]
func.func @block_tail(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %r: tensor<2x4x3x3xf32>, %dy: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) loc("stage1.block0.bn2")
  %s = rn.add %y, %r : tensor<2x4x3x3xf32>
  %o = rn.relu %s : tensor<2x4x3x3xf32> loc("stage1.block0.relu2")
  %d = rn.relu_backward %dy, %o : tensor<2x4x3x3xf32>
  %dx, %dg, %db = rn.batch_norm_train_backward %d, %x, %v, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %o, %dx, %d : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}

// -----

// A batch norm followed by its ReLU (the sum's other operand order is
// covered too: add(r, bn)); a relu_backward whose only users are batch
// norm backwards (a projection shortcut's) disappears.
// CHECK-LABEL: func @relu_only_and_two_masks
// CHECK: %[[O:[^,]*]], %{{.*}} = rn.batch_norm_train %arg0, {{.*}} momentum {{.*}} relu :
// CHECK: %[[P:[^,]*]], %{{.*}} = rn.batch_norm_train %arg0, %arg1, %arg1, %arg1, %arg1 residual %[[O]] epsilon {{.*}} relu :
// CHECK-NOT: rn.relu_backward
// CHECK: rn.batch_norm_train_backward %arg2, {{.*}} relu_output %[[P]]
// CHECK: rn.batch_norm_train_backward %arg2, {{.*}} relu_output %[[P]]
func.func @relu_only_and_two_masks(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %dy: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %o = rn.relu %y : tensor<2x4x3x3xf32>
  %y2, %m2, %i2, %rm2, %rv2 = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %s = rn.add %o, %y2 : tensor<2x4x3x3xf32>
  %p = rn.relu %s : tensor<2x4x3x3xf32>
  %d = rn.relu_backward %dy, %p : tensor<2x4x3x3xf32>
  %dx, %dg, %db = rn.batch_norm_train_backward %d, %x, %v, %m2, %i2 : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  %dx2, %dg2, %db2 = rn.batch_norm_train_backward %d, %x, %v, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx, %dx2 : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}

// -----

// Not fused: the normalized output has another use; the sum has another
// use; a ReLU of something else; an add without a ReLU; a gradient that is
// not a ReLU's backward.
// CHECK-LABEL: func @not_fused
// CHECK-NOT: relu :
// CHECK-NOT: relu_output
// CHECK-COUNT-2: rn.relu %
// CHECK: rn.add
// CHECK: rn.batch_norm_train_backward %arg2, %arg0, %arg1, %{{[^ ]*}}, %{{[^ ]*}} :
func.func @not_fused(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %dy: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %o = rn.relu %y : tensor<2x4x3x3xf32>
  %q = rn.relu %x : tensor<2x4x3x3xf32>
  %s = rn.add %y, %q : tensor<2x4x3x3xf32>
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %v, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %o, %y, %s, %q, %dx : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}

// -----

// An identity shortcut's gradient: once batch norm's backward reads dy
// through the mask, the ReLU's backward only feeds the sum of the block
// input's gradients, and joins it. With another user it stays as it is.
// CHECK-LABEL: func @shortcut_gradient
// CHECK: %[[O:[^,]*]], %[[M:[^,]*]], %[[I:[^,]*]], %{{.*}}, %{{.*}} = rn.batch_norm_train
// CHECK: %[[DX:[^,]*]], %{{.*}}, %{{.*}} = rn.batch_norm_train_backward %arg3, %arg0, %arg1, %[[M]], %[[I]] relu_output %[[O]]
// CHECK: %[[G:.*]] = rn.relu_backward %arg3, %[[O]] add %[[DX]] : tensor<2x4x3x3xf32>
// CHECK-NOT: rn.add
// CHECK: %[[K:.*]] = rn.relu_backward %arg3, %arg2 : tensor<2x4x3x3xf32>
// CHECK: %[[S:.*]] = rn.add %[[K]], %[[DX]]
// CHECK: return %[[G]], %[[S]], %[[K]]
func.func @shortcut_gradient(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %r: tensor<2x4x3x3xf32>, %dy: tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  %s = rn.add %y, %r : tensor<2x4x3x3xf32>
  %o = rn.relu %s : tensor<2x4x3x3xf32>
  %d = rn.relu_backward %dy, %o : tensor<2x4x3x3xf32>
  %dx, %dg, %db = rn.batch_norm_train_backward %d, %x, %v, %m, %i : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  %g = rn.add %dx, %d : tensor<2x4x3x3xf32>
  %k = rn.relu_backward %dy, %r : tensor<2x4x3x3xf32>
  %t = rn.add %k, %dx : tensor<2x4x3x3xf32>
  return %g, %t, %k : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}

// -----

// A ReLU backward that already carries an addend keeps it: its mask is not
// moved into a batch norm's backward (which would drop the addend).
// CHECK-LABEL: func @addend_kept
// CHECK: %[[G:.*]] = rn.relu_backward %arg3, %arg2 add %arg3
// CHECK: rn.batch_norm_train_backward %[[G]], %arg0, %arg1, %arg1, %arg1 :
func.func @addend_kept(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %o: tensor<2x4x3x3xf32>, %dy: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %g = rn.relu_backward %dy, %o add %dy : tensor<2x4x3x3xf32>
  %dx, %dg, %db = rn.batch_norm_train_backward %g, %x, %v, %v, %v : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<2x4x3x3xf32>
}
