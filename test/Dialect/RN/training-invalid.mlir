// RUN: resnet-opt %s -split-input-file -verify-diagnostics

func.func @bn_train_channels(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %w: tensor<5xf32>) {
  // expected-error@+1 {{'rn.batch_norm_train' op running var must have 4 elements, got 'tensor<5xf32>'}}
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %w epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<5xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @bn_train_result(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{'rn.batch_norm_train' op result #2 type 'tensor<3xf32>' does not match the inferred type 'tensor<4xf32>'}}
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @conv_data_shape(%dy: tensor<2x6x4x4xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error@+1 {{'rn.conv2d_backward_data' op gradient 'tensor<2x6x4x4xf32>' is not what the forward op produces ('tensor<2x6x8x8xf32>')}}
  %dx = rn.conv2d_backward_data %dy, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 input_shape [2, 4, 8, 8] : (tensor<2x6x4x4xf32>, tensor<6x4x3x3xf32>) -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @conv_filter_groups(%dy: tensor<2x6x8x8xf32>, %x: tensor<2x4x8x8xf32>) {
  // expected-error@+1 {{'rn.conv2d_backward_filter' op input channels (4) must equal weight input channels (4) times groups (2)}}
  %dw = rn.conv2d_backward_filter %dy, %x stride [1, 1] padding [1, 1] dilation [1, 1] groups 2 weight_shape [6, 4, 3, 3] : (tensor<2x6x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<6x4x3x3xf32>
  return
}

// -----

func.func @max_pool_grad(%dy: tensor<2x4x3x3xf32>, %x: tensor<2x4x8x8xf32>) {
  // expected-error@+1 {{'rn.max_pool2d_backward' op gradient 'tensor<2x4x3x3xf32>' is not what the forward op produces ('tensor<2x4x4x4xf32>')}}
  %dx = rn.max_pool2d_backward %dy, %x kernel [3, 3] stride [2, 2] padding [1, 1] : (tensor<2x4x3x3xf32>, tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32>
  return
}

// -----

func.func @linear_grad(%dy: tensor<2x10xf32>, %x: tensor<2x4xf32>, %w: tensor<10x5xf32>) {
  // expected-error@+1 {{'rn.linear_backward' op gradient 'tensor<2x10xf32>', input 'tensor<2x4xf32>' and weight 'tensor<10x5xf32>' are not those of one linear layer}}
  %dx, %dw = rn.linear_backward %dy, %x, %w : (tensor<2x10xf32>, tensor<2x4xf32>, tensor<10x5xf32>) -> (tensor<2x4xf32>, tensor<10x5xf32>)
  return
}

// -----

func.func @labels(%l: tensor<2x10xf32>, %y: tensor<3xi64>) {
  // expected-error@+1 {{'rn.softmax_cross_entropy' op there are 3 labels for 2 rows of logits}}
  %loss, %c = rn.softmax_cross_entropy %l, %y : (tensor<2x10xf32>, tensor<3xi64>) -> (tensor<f32>, tensor<i64>)
  return
}

// -----

func.func @nesterov(%w: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{'rn.sgd_update' op Nesterov momentum needs a positive momentum}}
  %p, %v = rn.sgd_update %w, %w, %lr velocity %w momentum 0.0 weight_decay 0.0 nesterov : (tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @sgd_types(%w: tensor<4xf32>, %g: tensor<5xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{'rn.sgd_update' op gradient and velocity must have the parameter's type 'tensor<4xf32>'}}
  %p, %v = rn.sgd_update %w, %g, %lr velocity %w momentum 0.9 weight_decay 0.0 : (tensor<4xf32>, tensor<5xf32>, tensor<f32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @sgd_momentum_without_velocity(%w: tensor<4xf32>, %lr: tensor<f32>) {
  // expected-error@+1 {{'rn.sgd_update' op a momentum needs a velocity}}
  %p = rn.sgd_update %w, %w, %lr momentum 0.9 weight_decay 0.0 : (tensor<4xf32>, tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return
}

// -----

func.func @bn_train_residual(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %r: tensor<2x4x3x2xf32>) {
  // expected-error@+1 {{'rn.batch_norm_train' op residual 'tensor<2x4x3x2xf32>' differs from the input 'tensor<2x4x3x3xf32>'}}
  %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %v, %v, %v, %v residual %r epsilon 1.0e-05 momentum 1.0e-01 relu : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x2xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @bn_backward_mask(%dy: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %o: tensor<2x4x3x3xf64>) {
  // expected-error@+1 {{'rn.batch_norm_train_backward' op operand #5 must be}}
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %dy, %v, %v, %v relu_output %o : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x3xf64>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @bn_backward_mask_shape(%dy: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %o: tensor<1x4x3x3xf32>) {
  // expected-error@+1 {{'rn.batch_norm_train_backward' op ReLU output 'tensor<1x4x3x3xf32>' differs from the input 'tensor<2x4x3x3xf32>'}}
  %dx, %dg, %db = rn.batch_norm_train_backward %dy, %dy, %v, %v, %v relu_output %o : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<1x4x3x3xf32>) -> (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adamw_moment_type(%p: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<8xf32>, %lr: tensor<f32>) -> tensor<4xf32> {
  // expected-error@+1 {{'rn.adamw_update' op gradient and moments must have the parameter's type 'tensor<4xf32>'}}
  %p2, %m2, %v2 = rn.adamw_update %p, %g, %m, %p, %lr, %lr, %lr beta1 0.9 beta2 0.999 epsilon 1.0e-08 weight_decay 0.01 : (tensor<4xf32>, tensor<4xf32>, tensor<8xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<8xf32>, tensor<4xf32>)
  return %p2 : tensor<4xf32>
}

// -----

func.func @adamw_beta(%p: tensor<4xf32>, %lr: tensor<f32>) -> tensor<4xf32> {
  // expected-error@+1 {{'rn.adamw_update' op beta1 and beta2 must be in [0, 1)}}
  %p2, %m2, %v2 = rn.adamw_update %p, %p, %p, %p, %lr, %lr, %lr beta1 0.9 beta2 1.0 epsilon 1.0e-08 weight_decay 0.01 : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %p2 : tensor<4xf32>
}

// -----

func.func @adamw_epsilon(%p: tensor<4xf32>, %lr: tensor<f32>) -> tensor<4xf32> {
  // expected-error@+1 {{'rn.adamw_update' op epsilon must be positive}}
  %p2, %m2, %v2 = rn.adamw_update %p, %p, %p, %p, %lr, %lr, %lr beta1 0.9 beta2 0.999 epsilon 0.0 weight_decay 0.01 : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<f32>, tensor<f32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return %p2 : tensor<4xf32>
}

// -----

func.func @bn_combine_shapes(%m: tensor<2x4xf32>, %m2: tensor<2x3xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{'rn.batch_norm_combine_stats' op image sums of squares must be 'tensor<2x4xf32>', got 'tensor<2x3xf32>'}}
  %a, %b, %c, %d = rn.batch_norm_combine_stats %m, %m2, %v, %v image_size 9 epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4xf32>, tensor<2x3xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @bn_combine_image_size(%m: tensor<2x4xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{'rn.batch_norm_combine_stats' op attribute 'image_size' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %a, %b, %c, %d = rn.batch_norm_combine_stats %m, %m, %v, %v image_size 0 epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x4xf32>, tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @bn_normalize_mean(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>, %w: tensor<3xf32>) {
  // expected-error@+1 {{'rn.batch_norm_normalize' op mean must have 4 elements, got 'tensor<3xf32>'}}
  %y = rn.batch_norm_normalize %x, %w, %v, %v, %v : (tensor<2x4x3x3xf32>, tensor<3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  return
}

// -----

func.func @bn_grad_sums_result(%x: tensor<2x4x3x3xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{'rn.batch_norm_grad_image_sums' op result #1 type 'tensor<2x4x1xf32>' does not match the inferred type 'tensor<2x4x2xf32>'}}
  %s, %sx = rn.batch_norm_grad_image_sums %x, %x, %v, %v : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<2x4x2xf32>, tensor<2x4x1xf32>)
  return
}

// -----

func.func @bn_input_grad_relu(%x: tensor<2x4x3x3xf32>, %o: tensor<2x4x3x2xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{'rn.batch_norm_input_grad' op ReLU output 'tensor<2x4x3x2xf32>' differs from the input 'tensor<2x4x3x3xf32>'}}
  %dx = rn.batch_norm_input_grad %x, %x, %v, %v, %v, %v, %v relu_output %o count 18 : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x4x3x2xf32>) -> tensor<2x4x3x3xf32>
  return
}
