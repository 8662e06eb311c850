// RUN: resnet-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op input channels (3) must equal weight input channels (4) times groups (1)}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_out_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op output channels (6) must be divisible by groups (4)}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 4 : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %y : tensor<1x6x6x6xf32>
}

// -----

func.func @conv_result(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'rn.conv2d' op result type 'tensor<1x8x8x8xf32>' does not match the inferred type 'tensor<1x8x6x6xf32>'}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// -----

func.func @conv_window(%x: tensor<1x3x2x2xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32> {
  // expected-error@+1 {{'rn.conv2d' op window 3x3 does not fit in the padded input 2x2}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x2x2xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x1x1xf32>
  return %y : tensor<1x8x1x1xf32>
}

// -----

func.func @conv_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op strides must be positive}}
  %y = rn.conv2d %x, %w stride [0, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_pair(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op attribute 'strides' failed to satisfy constraint: i64 dense array attribute with exactly 2 elements}}
  %y = rn.conv2d %x, %w stride [1, 1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op bias must have 8 elements, got 'tensor<4xf32>'}}
  %y = rn.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<4xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_mixed(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xbf16>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op weight element type 'bf16' differs from the input's 'f32'}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xbf16>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_dynamic(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op input must have a static shape, got 'tensor<?x3x8x8xf32>'}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32>
  return %y : tensor<?x8x6x6xf32>
}

// -----

func.func @conv_rank(%x: tensor<3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error@+1 {{'rn.conv2d' op operand #0 must be 4D tensor of 32-bit float or 16-bit float or bfloat16 type values}}
  %y = rn.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] groups 1 : (tensor<3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @bn_channels(%x: tensor<2x64x8x8xf32>, %g: tensor<32xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>) -> tensor<2x64x8x8xf32> {
  // expected-error@+1 {{'rn.batch_norm' op scale must have 64 elements, got 'tensor<32xf32>'}}
  %y = rn.batch_norm %x, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : (tensor<2x64x8x8xf32>, tensor<32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}

// -----

func.func @bn_eps(%x: tensor<2x64x8x8xf32>, %g: tensor<64xf32>) -> tensor<2x64x8x8xf32> {
  // expected-error@+1 {{'rn.batch_norm' op epsilon must be positive}}
  %y = rn.batch_norm %x, %g, %g, %g, %g epsilon 0.0 momentum 1.0e-01 : (tensor<2x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}

// -----

func.func @bn_momentum(%x: tensor<2x64x8x8xf32>, %g: tensor<64xf32>) -> tensor<2x64x8x8xf32> {
  // expected-error@+1 {{'rn.batch_norm' op momentum must be in [0, 1]}}
  %y = rn.batch_norm %x, %g, %g, %g, %g epsilon 1.0e-05 momentum 2.0 : (tensor<2x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}

// -----

func.func @add_types(%x: tensor<2x64x8x8xf32>, %s: tensor<2x64x4x4xf32>) -> tensor<2x64x8x8xf32> {
  // expected-error@+1 {{'rn.add' op requires the same type for all operands and results}}
  %y = "rn.add"(%x, %s) : (tensor<2x64x8x8xf32>, tensor<2x64x4x4xf32>) -> tensor<2x64x8x8xf32>
  return %y : tensor<2x64x8x8xf32>
}

// -----

func.func @pool_padding(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x5x5xf32> {
  // expected-error@+1 {{'rn.max_pool2d' op padding (2) must be at most half the kernel (3)}}
  %y = rn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [2, 2] : tensor<1x8x8x8xf32> -> tensor<1x8x5x5xf32>
  return %y : tensor<1x8x5x5xf32>
}

// -----

// Without ceil_mode, 7 rows in windows of 2 give 3.
func.func @pool_floor(%x: tensor<1x8x7x7xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error@+1 {{'rn.max_pool2d' op result type 'tensor<1x8x4x4xf32>' does not match the inferred type 'tensor<1x8x3x3xf32>'}}
  %y = rn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x8x7x7xf32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// With ceil_mode the last window must start inside the input or its left
// padding: 5 rows, kernel 2, stride 2, padding 1 give 3, not 4.
func.func @pool_ceil_last_window(%x: tensor<1x8x5x5xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error@+1 {{'rn.avg_pool2d' op result type 'tensor<1x8x4x4xf32>' does not match the inferred type 'tensor<1x8x3x3xf32>'}}
  %y = rn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [1, 1] ceil_mode : tensor<1x8x5x5xf32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

func.func @avgpool_result(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error@+1 {{'rn.avg_pool2d' op result type 'tensor<1x8x8x8xf32>' does not match the inferred type 'tensor<1x8x4x4xf32>'}}
  %y = rn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<1x8x8x8xf32> -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// -----

func.func @gap(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x2x2xf32> {
  // expected-error@+1 {{'rn.global_avg_pool' op result type 'tensor<1x8x2x2xf32>' does not match the inferred type 'tensor<1x8x1x1xf32>'}}
  %y = rn.global_avg_pool %x : tensor<1x8x8x8xf32> -> tensor<1x8x2x2xf32>
  return %y : tensor<1x8x2x2xf32>
}

// -----

func.func @flatten(%x: tensor<1x8x2x2xf32>) -> tensor<1x16xf32> {
  // expected-error@+1 {{'rn.flatten' op result type 'tensor<1x16xf32>' does not match the inferred type 'tensor<1x32xf32>'}}
  %y = rn.flatten %x : tensor<1x8x2x2xf32> -> tensor<1x16xf32>
  return %y : tensor<1x16xf32>
}

// -----

func.func @linear_features(%x: tensor<2x512xf32>, %w: tensor<10x256xf32>) -> tensor<2x10xf32> {
  // expected-error@+1 {{'rn.linear' op input features (512) must equal weight input features (256)}}
  %y = rn.linear %x, %w : (tensor<2x512xf32>, tensor<10x256xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

func.func @linear_bias(%x: tensor<2x512xf32>, %w: tensor<10x512xf32>, %b: tensor<5xf32>) -> tensor<2x10xf32> {
  // expected-error@+1 {{'rn.linear' op bias must have 10 elements, got 'tensor<5xf32>'}}
  %y = rn.linear %x, %w, %b : (tensor<2x512xf32>, tensor<10x512xf32>, tensor<5xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

func.func @fused_residual(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %s: tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error@+1 {{'rn.fused_conv2d' op residual type 'tensor<1x4x6x6xf32>' differs from the convolution's output type 'tensor<1x4x8x8xf32>'}}
  %y = rn.fused_conv2d %x, %w residual %s stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

func.func @fold_bn_channels(%w: tensor<4x4x3x3xf32>, %g: tensor<8xf32>, %b: tensor<4xf32>) -> tensor<4x4x3x3xf32> {
  // expected-error@+1 {{'rn.fold_batch_norm' op scale must have 4 elements, got 'tensor<8xf32>'}}
  %w2, %b2 = rn.fold_batch_norm %w scale %g shift %b mean %b var %b epsilon 1.0e-05 : (tensor<4x4x3x3xf32>, tensor<8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x4x3x3xf32>, tensor<4xf32>)
  return %w2 : tensor<4x4x3x3xf32>
}

// -----

func.func @fold_bn_bias_type(%w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<4x4x3x3xf32> {
  // expected-error@+1 {{'rn.fold_batch_norm' op result #1 type 'tensor<8xf32>' does not match the inferred type 'tensor<4xf32>'}}
  %w2, %b2 = rn.fold_batch_norm %w scale %b shift %b mean %b var %b epsilon 1.0e-05 : (tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<4x4x3x3xf32>, tensor<8xf32>)
  return %w2 : tensor<4x4x3x3xf32>
}

// -----

// expected-error@+1 {{'rn.batch' must be a positive i64 integer}}
module attributes {rn.batch = 0 : i64} {
}

// -----

// expected-error@+1 {{'rn.input_shape' must be three positive sizes (array<i64: C, H, W>)}}
module attributes {rn.input_shape = array<i64: 3, 96>} {
}

// -----

// expected-error@+1 {{'rn.plan' must be a dictionary with 'buffers' and 'entries' arrays}}
module attributes {rn.plan = {buffers = []}} {
}

// -----

// expected-error@+1 {{unknown rn attribute 'rn.kernels'}}
func.func private @k0() attributes {rn.kernels}

// -----

// expected-error@+1 {{'rn.kernel' must be a unit attribute}}
func.func private @k0() attributes {rn.kernel = 1 : i64}

// -----

// expected-error@+1 {{argument 0: 'rn.param' must be a non-empty string}}
func.func private @f(%w: tensor<4xf32> {rn.param = 1 : i64})

// -----

// expected-error@+1 {{argument 0: unknown rn argument attribute 'rn.parameter'}}
func.func private @f(%w: tensor<4xf32> {rn.parameter = "w"})

// -----

// expected-error@+1 {{result 0: 'rn.update' must be a non-empty string}}
func.func private @f() -> (tensor<4xf32> {rn.update = ""})

// -----

// expected-error@+1 {{result 0: 'rn.loss' must be a unit attribute}}
func.func private @f() -> (tensor<f32> {rn.loss = "mean"})

// -----

// expected-error@+1 {{'rn.kernel' may only mark a function}}
module attributes {rn.kernel} {
}

// -----

// expected-error@+1 {{argument 0: 'rn.zero_init' may only mark a parameter (rn.param) of a function}}
func.func @zero_init_on_input(%x: tensor<1x3x8x8xf32> {rn.input, rn.zero_init}) {
  return
}

// -----

func.func @dropout_rate_one(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'rn.dropout' op dropout rate must be in [0, 1), got 1.000000e+00}}
  %y = rn.dropout %x rate 1.0 stream 0 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @dropout_negative_stream(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'rn.dropout' op attribute 'stream' failed to satisfy constraint}}
  %y = rn.dropout %x rate 0.5 stream -1 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @dropout_train_rate(%x: tensor<2x8xf32>, %s: tensor<i64>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'rn.dropout_train' op dropout rate must be in [0, 1), got -1.000000e-01}}
  %y = rn.dropout_train %x, %s rate -0.1 stream 0 : tensor<2x8xf32>, tensor<i64>
  return %y : tensor<2x8xf32>
}

// -----

func.func @crop_outside(%w: tensor<4x4x3x3xf32>) -> tensor<4x4x2x2xf32> {
  // expected-error@+1 {{'rn.crop_filter' op cropped taps [2, 4) x [1, 3) do not fit in the 3x3 window}}
  %c = rn.crop_filter %w offset [2, 1] size [2, 2] : tensor<4x4x3x3xf32> -> tensor<4x4x2x2xf32>
  return %c : tensor<4x4x2x2xf32>
}

// -----

func.func @crop_result(%w: tensor<4x4x3x3xf32>) -> tensor<4x4x2x2xf32> {
  // expected-error@+1 {{'rn.crop_filter' op}}
  %c = rn.crop_filter %w offset [1, 1] size [1, 1] : tensor<4x4x3x3xf32> -> tensor<4x4x2x2xf32>
  return %c : tensor<4x4x2x2xf32>
}

// -----

func.func @pad_negative(%w: tensor<4x4x1x1xf32>) -> tensor<4x4x3x3xf32> {
  // expected-error@+1 {{'rn.pad_filter' op offsets must be in [0, 1048576]}}
  %p = rn.pad_filter %w offset [-1, 1] size [3, 3] : tensor<4x4x1x1xf32> -> tensor<4x4x3x3xf32>
  return %p : tensor<4x4x3x3xf32>
}

// -----

func.func @pad_outside(%w: tensor<4x4x2x2xf32>) -> tensor<4x4x3x3xf32> {
  // expected-error@+1 {{'rn.pad_filter' op the filter's taps [0, 2) x [2, 4) do not fit in the 3x3 window}}
  %p = rn.pad_filter %w offset [0, 2] size [3, 3] : tensor<4x4x2x2xf32> -> tensor<4x4x3x3xf32>
  return %p : tensor<4x4x3x3xf32>
}
