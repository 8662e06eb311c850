// RUN: resnet-opt %s -split-input-file -convert-rn-to-linalg | FileCheck %s

// The data gradient of a strided convolution: the output gradient spread out
// by the stride into a padded zero tensor, convolved at stride 1 with the
// transposed, flipped weights.
// CHECK-LABEL: func @conv_backward_data
// CHECK: %[[Z:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [2, 6, 4, 4] [1, 1, 2, 2] : tensor<2x6x4x4xf32> into tensor<2x6x10x10xf32>
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<6x2x3x3xf32>) outs(%{{.*}} : tensor<4x3x3x3xf32>)
// CHECK: linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
func.func @conv_backward_data(%dy: tensor<2x6x4x4xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<2x4x8x8xf32> {
  %dx = rn.conv2d_backward_data %dy, %w stride [2, 2] padding [1, 1] dilation [1, 1] groups 2 input_shape [2, 4, 8, 8] : (tensor<2x6x4x4xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x8x8xf32>
  return %dx : tensor<2x4x8x8xf32>
}

// -----

// The filter gradient is one reduction over (n, p, q).
// CHECK-LABEL: func @conv_backward_filter
// The sum over n, p, q runs in f64 and is rounded to f32 once.
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%arg0, %{{.*}} : tensor<2x4x8x8xf32>, tensor<2x3x10x10xf32>) outs(%{{.*}} : tensor<4x3x3x3xf64>)
// CHECK: arith.mulf {{.*}} : f32
// CHECK: arith.extf {{.*}} : f32 to f64
// CHECK: arith.addf {{.*}} : f64
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<4x3x3x3xf64>) outs(%{{.*}} : tensor<4x3x3x3xf32>)
// CHECK: arith.truncf {{.*}} : f64 to f32
func.func @conv_backward_filter(%dy: tensor<2x4x8x8xf32>, %x: tensor<2x3x8x8xf32>) -> tensor<4x3x3x3xf32> {
  %dw = rn.conv2d_backward_filter %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 weight_shape [4, 3, 3, 3] : (tensor<2x4x8x8xf32>, tensor<2x3x8x8xf32>) -> tensor<4x3x3x3xf32>
  return %dw : tensor<4x3x3x3xf32>
}

// -----

// SGD is one elementwise generic with two results.
// CHECK-LABEL: func @sgd
// CHECK: %[[U:.*]]:2 = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2, %arg3 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>)
// CHECK: return %[[U]]#0, %[[U]]#1
func.func @sgd(%p: tensor<4xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %p2, %v2 = rn.sgd_update %p, %g, %lr velocity %v momentum 0.9 weight_decay 0.0 : (tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %p2, %v2 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Without momentum, SGD reads no velocity: p - lr * g.
// CHECK-LABEL: func @sgd_plain
// CHECK: %[[U:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<4xf32>, tensor<4xf32>, tensor<f32>)
// CHECK: ^bb0(%[[P:[a-z0-9_]+]]: f32, %[[G:[a-z0-9_]+]]: f32, %[[LR:[a-z0-9_]+]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.mulf %[[LR]], %[[G]]
// CHECK: %[[N:.*]] = arith.subf %[[P]], %[[S]]
// CHECK: linalg.yield %[[N]]
// CHECK: return %[[U]]
func.func @sgd_plain(%p: tensor<4xf32>, %g: tensor<4xf32>, %lr: tensor<f32>) -> tensor<4xf32> {
  %p2 = rn.sgd_update %p, %g, %lr momentum 0.0 weight_decay 0.0 : (tensor<4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %p2 : tensor<4xf32>
}

// -----

// AdamW is one elementwise generic with three results: decoupled weight
// decay, the moments, the bias-corrected step.
// CHECK-LABEL: func @adamw
// CHECK: %[[U:.*]]:3 = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>)
// CHECK: ^bb0(%[[P:[a-z0-9_]+]]: f32, %[[G:[a-z0-9_]+]]: f32, %[[M:[a-z0-9_]+]]: f32, %[[V:[a-z0-9_]+]]: f32, %[[LR:[a-z0-9_]+]]: f32, %[[BC1:[a-z0-9_]+]]: f32, %[[BC2:[a-z0-9_]+]]: f32,
// CHECK: %[[WD:.*]] = arith.constant 0.00999999977 : f32
// CHECK: %[[LRWD:.*]] = arith.mulf %[[LR]], %[[WD]]
// CHECK: %[[DECAY:.*]] = arith.subf %{{.*}}, %[[LRWD]]
// CHECK: %[[PD:.*]] = arith.mulf %[[P]], %[[DECAY]]
// CHECK: arith.mulf %{{.*}}, %[[M]]
// CHECK: arith.mulf %{{.*}}, %[[G]]
// CHECK: %[[NM:.*]] = arith.addf
// CHECK: arith.mulf %{{.*}}, %[[V]]
// CHECK: arith.mulf %[[G]], %[[G]]
// CHECK: %[[NV:.*]] = arith.addf
// CHECK: %[[S:.*]] = math.sqrt %[[NV]]
// CHECK: %[[S2:.*]] = math.sqrt %[[BC2]]
// CHECK: arith.divf %[[S]], %[[S2]]
// CHECK: %[[DEN:.*]] = arith.addf
// CHECK: %[[SS:.*]] = arith.divf %[[LR]], %[[BC1]]
// CHECK: %[[R:.*]] = arith.divf %[[NM]], %[[DEN]]
// CHECK: %[[ST:.*]] = arith.mulf %[[SS]], %[[R]]
// CHECK: %[[NP:.*]] = arith.subf %[[PD]], %[[ST]]
// CHECK: linalg.yield %[[NP]], %[[NM]], %[[NV]]
// CHECK: return %[[U]]#0, %[[U]]#1, %[[U]]#2
func.func @adamw(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %lr: tensor<f32>, %bc1: tensor<f32>, %bc2: tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %p2, %m2, %v2 = rn.adamw_update %p, %g, %m, %v, %lr, %bc1, %bc2 beta1 0.9 beta2 0.999 epsilon 1.0e-08 weight_decay 0.01 : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %p2, %m2, %v2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Max pooling's gradient: first, once per window, where its first maximum
// is (its offset in the window, i32; four candidates for kernel 2); then
// the gradient is gathered, one parallel iteration per element of dx, which
// finds the windows covering it (here exactly one: kernel 2, stride 2) and
// takes their gradient where their first maximum is it.
// CHECK-LABEL: func @max_pool_backward
// CHECK-NOT: scf.for
// CHECK: %[[A:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%{{.*}} : tensor<1x1x2x2xi32>)
// CHECK-COUNT-4: arith.cmpf ogt
// CHECK-NOT: arith.cmpf
// CHECK: linalg.yield
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%{{.*}} : tensor<1x1x4x4xf32>)
// CHECK-NOT: arith.cmpf
// CHECK: tensor.extract %[[A]]
// CHECK: arith.cmpi eq
// CHECK: arith.select
// CHECK-NOT: tensor.insert
// CHECK: linalg.yield
func.func @max_pool_backward(%dy: tensor<1x1x2x2xf32>, %x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %dx = rn.max_pool2d_backward %dy, %x kernel [2, 2] stride [2, 2] padding [0, 0] : (tensor<1x1x2x2xf32>, tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %dx : tensor<1x1x4x4xf32>
}

// -----

// Average pooling's gradient, kernel 3, stride 2, padding 1: each position
// lies in at most 2x2 windows, each contributing gradient/9 when valid.
// CHECK-LABEL: func @avg_pool_backward
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x5x5xf32>)
// CHECK-COUNT-4: arith.divf %{{.*}}, %cst
// CHECK-NOT: arith.divf
// CHECK: linalg.yield
func.func @avg_pool_backward(%dy: tensor<1x2x3x3xf32>) -> tensor<1x2x5x5xf32> {
  %dx = rn.avg_pool2d_backward %dy kernel [3, 3] stride [2, 2] padding [1, 1] input_shape [1, 2, 5, 5] : tensor<1x2x3x3xf32> -> tensor<1x2x5x5xf32>
  return %dx : tensor<1x2x5x5xf32>
}

// -----

// Batch statistics in one pass over x: the sums of x and x*x over (n, h, w),
// two outputs of one reduction accumulated in f64, then the mean and the
// variance E[x^2] - E[x]^2 computed in f64 and rounded once.
// CHECK-LABEL: func @batch_norm_train
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x4x3x3xf32>) outs(%{{.*}}, %{{.*}} : tensor<4xf64>, tensor<4xf64>)
// CHECK: arith.extf
// CHECK: arith.extf
// CHECK: arith.mulf {{.*}} : f64
// CHECK: linalg.yield
// Then one pass over the channels: mean, invstd and both running
// statistics; then the output.
// CHECK: %[[C:.*]]:4 = linalg.generic {{.*}} ins(%[[S]]#0, %[[S]]#1, %arg1, %arg1 : tensor<4xf64>, tensor<4xf64>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.subf {{.*}} : f64
// CHECK: arith.maximumf {{.*}} : f64
// CHECK: arith.truncf
// CHECK: arith.truncf
// CHECK: math.rsqrt
// CHECK: linalg.yield
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%arg0, %[[C]]#0, %[[C]]#1, %arg1, %arg1 :
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]], %[[C]]#0, %[[C]]#1, %[[C]]#2, %[[C]]#3
func.func @batch_norm_train(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %y, %m, %i, %rm, %rv : tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Fused by rn-fuse-training: the residual add and the ReLU in the same
// elementwise pass as the normalization.
// CHECK-LABEL: func @batch_norm_train_fused
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%arg0, %{{.*}}, %{{.*}}, %arg1, %arg1, %arg2 : tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>)
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: linalg.yield
func.func @batch_norm_train_fused(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %r: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v residual %r epsilon 1.0e-05 momentum 1.0e-01 relu : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %y : tensor<2x4x3x3xf32>
}

// -----

// Batch norm's backward: sum(dy) and sum(dy * xhat) in one two-output
// reduction; with relu_output, dy is read through the ReLU's mask in the
// reduction and in the input gradient.
// CHECK-LABEL: func @batch_norm_train_backward_masked
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%arg0, %arg1, %arg3, %arg4, %arg5 : {{.*}}) outs(%{{.*}}, %{{.*}} : tensor<4xf64>, tensor<4xf64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK-NOT: "reduction"
// CHECK: %[[N:.*]]:2 = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4xf64>, tensor<4xf64>)
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1, %arg3, %arg4, %arg2, %[[N]]#0, %[[N]]#1, %arg5 : {{.*}})
// CHECK: arith.cmpf ogt
// CHECK: arith.select
func.func @batch_norm_train_backward_masked(%dy: tensor<2x4x3x3xf32>, %x: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %i: tensor<4xf32>, %o: tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32> {
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %m, %i relu_output %o : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return %dx : tensor<2x4x3x3xf32>
}

// -----

// relu_backward with an addend: g + (y > 0 ? dy : 0) in one elementwise pass.
// CHECK-LABEL: func @relu_backward_add
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.addf
// CHECK: linalg.yield
func.func @relu_backward_add(%dy: tensor<2x3xf32>, %y: tensor<2x3xf32>, %g: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %dx = rn.relu_backward %dy, %y add %g : tensor<2x3xf32>
  return %dx : tensor<2x3xf32>
}

// -----

// Batch norm split over the images. Per image: the channel means (a sum over
// h and w in f64, divided and rounded once), then the squared deviations
// from those means in f64.
// CHECK-LABEL: func @batch_norm_image_stats
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<2x4x3x3xf32>) outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<2x4xf64>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: arith.divf
// CHECK: arith.truncf
// CHECK: %[[D:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0, %[[M]] : tensor<2x4x3x3xf32>, tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xf64>)
// CHECK: arith.subf {{.*}} : f64
// CHECK: arith.mulf {{.*}} : f64
// CHECK: %[[M2:.*]] = linalg.generic {{.*}} ins(%[[D]] : tensor<2x4xf64>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: return %[[M]], %[[M2]]
func.func @batch_norm_image_stats(%x: tensor<2x4x3x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %m, %m2 = rn.batch_norm_image_stats %x : (tensor<2x4x3x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  return %m, %m2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Their combine over the images: the sum of the means, then Chan's update
// sum(M2_n) + image_size * sum((m_n - mean)^2), both in f64; then mean,
// invstd and the running statistics over the channels as the unsplit op
// (N*H*W = 2*9 = 18 values: the unbiased factor 18/17 times momentum 0.1).
// CHECK-LABEL: func @batch_norm_combine_stats
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%arg0 : tensor<2x4xf32>) outs(%{{.*}} : tensor<4xf64>)
// CHECK: %[[M2:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%arg0, %arg1, %[[S]] : tensor<2x4xf32>, tensor<2x4xf32>, tensor<4xf64>) outs(%{{.*}} : tensor<4xf64>)
// CHECK: arith.constant 2.000000e+00 : f64
// CHECK: arith.constant 9.000000e+00 : f64
// CHECK: %[[C:.*]]:4 = linalg.generic {{.*}} ins(%[[S]], %[[M2]], %arg2, %arg3 : tensor<4xf64>, tensor<4xf64>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.constant 1.800000e+01 : f64
// CHECK: math.rsqrt
// CHECK: arith.constant 0.105882354 : f32
// CHECK: return %[[C]]#0, %[[C]]#1, %[[C]]#2, %[[C]]#3
func.func @batch_norm_combine_stats(%m: tensor<2x4xf32>, %m2: tensor<2x4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %mean, %i, %nrm, %nrv = rn.batch_norm_combine_stats %m, %m2, %rm, %rv image_size 9 epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %mean, %i, %nrm, %nrv : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// The per-image backward: sum(dy) and sum(dy * xhat) over h and w of each
// image in one two-output reduction, read through the ReLU's mask; each
// f64 sum then becomes a pair of f32 (the sum rounded, and the rounded
// remainder) in its last dimension. Then the input gradient with count
// N*H*W = 18.
// CHECK-LABEL: func @batch_norm_grad_image_sums
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%arg0, %arg1, %arg2, %arg3, %arg4 : {{.*}}) outs(%{{.*}}, %{{.*}} : tensor<2x4xf64>, tensor<2x4xf64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: linalg.generic {{.*}} ins(%[[S]]#0 : tensor<2x4xf64>) outs(%{{.*}} : tensor<2x4x2xf32>)
// CHECK: %[[HI:.*]] = arith.truncf %[[IN:.*]] : f64 to f32
// CHECK: %[[BACK:.*]] = arith.extf %[[HI]] : f32 to f64
// CHECK: %[[REST:.*]] = arith.subf %[[IN]], %[[BACK]] : f64
// CHECK: %[[LO:.*]] = arith.truncf %[[REST]] : f64 to f32
// CHECK: arith.select %{{.*}}, %[[HI]], %[[LO]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[S]]#1 : tensor<2x4xf64>) outs(%{{.*}} : tensor<2x4x2xf32>)
func.func @batch_norm_grad_image_sums(%dy: tensor<2x4x3x3xf32>, %x: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %i: tensor<4xf32>, %o: tensor<2x4x3x3xf32>) -> (tensor<2x4x2xf32>, tensor<2x4x2xf32>) {
  %s, %sx = rn.batch_norm_grad_image_sums %dy, %x, %m, %i relu_output %o : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf32>) -> (tensor<2x4x2xf32>, tensor<2x4x2xf32>)
  return %s, %sx : tensor<2x4x2xf32>, tensor<2x4x2xf32>
}

// Their totals over the images: both parts of each pair summed in f64.
// CHECK-LABEL: func @reduce_pairs
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]} ins(%arg0 : tensor<2x4x2xf32>) outs(%{{.*}} : tensor<4xf64>)
func.func @reduce_pairs(%s: tensor<2x4x2xf32>) -> tensor<4xf32> {
  %t = rn.reduce_to_channels %s : tensor<2x4x2xf32> -> tensor<4xf32>
  return %t : tensor<4xf32>
}

// CHECK-LABEL: func @batch_norm_input_grad
// CHECK: linalg.generic {{.*}} ins(%arg0, %arg1, %arg3, %arg4, %arg2, %arg6, %arg5 : {{.*}})
// CHECK: arith.constant 1.800000e+01 : f32
// CHECK-NOT: linalg.generic
func.func @batch_norm_input_grad(%dy: tensor<2x4x3x3xf32>, %x: tensor<2x4x3x3xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %i: tensor<4xf32>, %dg: tensor<4xf32>, %db: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %dx = rn.batch_norm_input_grad %dy, %x, %g, %m, %i, %dg, %db count 18 : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  return %dx : tensor<2x4x3x3xf32>
}
