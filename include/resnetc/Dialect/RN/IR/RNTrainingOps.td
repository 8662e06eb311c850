//===- RNTrainingOps.td - Training ops of the rn dialect ---*- tablegen -*-===//
//
// Batch norm in training mode, the loss, the gradient of every forward op,
// and the optimizer update: what the autodiff pass builds a train_step from.
// Semantics follow PyTorch's.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_IR_RNTRAININGOPS_TD
#define RESNETC_DIALECT_RN_IR_RNTRAININGOPS_TD

def RN_Scalar : 0DTensorOf<[F32]>;
def RN_Labels : 1DTensorOf<[I64]>;
def RN_Shape4 : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<4>]>;

//===----------------------------------------------------------------------===//
// Batch norm in training mode
//===----------------------------------------------------------------------===//

def RN_BatchNormTrainOp
    : RN_MultiResultOp<"batch_norm_train", [RN_Differentiable]> {
  let summary = "batch normalization with batch statistics (training mode)";
  let description = [{
    PyTorch's `nn.BatchNorm2d` in training mode: per channel, the batch mean
    and biased variance over N, H and W normalize the input;
    `y = (x - mean) * invstd * scale + bias` with
    `invstd = 1 / sqrt(var + epsilon)`. The running statistics are updated
    with `momentum` as PyTorch does, using the unbiased variance:
    `new_running_mean = (1 - momentum) * running_mean + momentum * mean` and
    `new_running_var = (1 - momentum) * running_var +
    momentum * var * n / (n - 1)` with n = N*H*W. `saved_mean` and
    `saved_invstd` are kept for the backward pass.

    `rn-fuse-training` folds the residual add and the ReLU that follow into
    the op: with `residual %r` the output is `y + r`, with `relu` it is
    `max(0, ...)`, in one elementwise pass. The fused forms are made after
    differentiation and have no gradient rule.

    Example:
    ```mlir
    %y, %mean, %invstd, %rm, %rv = rn.batch_norm_train %x, %g, %b, %m, %v
        epsilon 1.0e-05 momentum 1.0e-01
        : (tensor<8x64x24x24xf32>, tensor<64xf32>, tensor<64xf32>,
           tensor<64xf32>, tensor<64xf32>)
          -> (tensor<8x64x24x24xf32>, tensor<64xf32>, tensor<64xf32>,
              tensor<64xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Tensor1D:$scale,
                   RN_Tensor1D:$bias, RN_Tensor1D:$running_mean,
                   RN_Tensor1D:$running_var, Optional<RN_Tensor4D>:$residual,
                   F64Attr:$epsilon, F64Attr:$momentum, UnitAttr:$relu);
  let results = (outs RN_Tensor4D:$output, RN_Tensor1D:$saved_mean,
                 RN_Tensor1D:$saved_invstd, RN_Tensor1D:$new_running_mean,
                 RN_Tensor1D:$new_running_var);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $running_mean `,` $running_var
    (`residual` $residual^)? `epsilon` $epsilon `momentum` $momentum
    (`relu` $relu^)? attr-dict `:` functional-type(operands, results)
  }];
}

def RN_BatchNormTrainBackwardOp
    : RN_MultiResultOp<"batch_norm_train_backward"> {
  let summary = "gradient of rn.batch_norm_train";
  let description = [{
    With `xhat = (x - saved_mean) * saved_invstd` and n = N*H*W per channel:
    `grad_bias = sum(dy)`, `grad_scale = sum(dy * xhat)`, and
    `grad_input = scale * invstd / n * (n * dy - grad_bias - xhat *
    grad_scale)`.

    With `relu_output %o` (made by `rn-fuse-training` from the
    `rn.relu_backward` that produced the gradient), `dy` is the gradient
    where `o` is positive and zero elsewhere: the ReLU's mask is applied as
    the gradient is read, and the masked gradient is never stored.

    Example:
    ```mlir
    %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %mean, %invstd
        : (tensor<8x64x24x24xf32>, tensor<8x64x24x24xf32>, tensor<64xf32>,
           tensor<64xf32>, tensor<64xf32>)
          -> (tensor<8x64x24x24xf32>, tensor<64xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$input,
                   RN_Tensor1D:$scale, RN_Tensor1D:$saved_mean,
                   RN_Tensor1D:$saved_invstd,
                   Optional<RN_Tensor4D>:$relu_output);
  let results = (outs RN_Tensor4D:$grad_input, RN_Tensor1D:$grad_scale,
                 RN_Tensor1D:$grad_bias);
  let assemblyFormat = [{
    $grad_output `,` $input `,` $scale `,` $saved_mean `,` $saved_invstd
    (`relu_output` $relu_output^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Batch norm in training mode, split over the images
//===----------------------------------------------------------------------===//

/// A per-image op some of whose operands are shared by every image: its
/// 4-D operands are its image operands, its vectors are per-channel
/// statistics of the whole batch, scales or biases.
def RN_PerImageWithSharedOperands
    : DeclareOpInterfaceMethods<RN_PerImageOpInterface, ["isImageOperand"]>;

def RN_BatchNormImageStatsOp
    : RN_MultiResultOp<"batch_norm_image_stats", [RN_PerImage]> {
  let summary = "per-image, per-channel mean and sum of squared deviations";
  let description = [{
    The first step of `rn.batch_norm_train` split over the images
    (`rn-split-batch-norm`): for each image n and channel c, the mean of its
    H x W values and the sum of their squared deviations from that mean,
    both accumulated in f64 and rounded once. Image n of the results
    depends on image n of the input alone, so the CPU computes the images in
    parallel; `rn.batch_norm_combine_stats` merges them.

    Example:
    ```mlir
    %mean, %m2 = rn.batch_norm_image_stats %x
        : (tensor<8x64x24x24xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input);
  let results = (outs RN_Tensor2D:$image_mean, RN_Tensor2D:$image_m2);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
}

def RN_BatchNormCombineStatsOp
    : RN_MultiResultOp<"batch_norm_combine_stats"> {
  let summary = "batch statistics from per-image ones, and running statistics";
  let description = [{
    Merges the per-image means m_n and sums of squared deviations M2_n of
    `rn.batch_norm_image_stats` (each over `image_size` = H*W values) into
    the batch's: `mean = sum(m_n) / N` and the biased variance
    `var = (sum(M2_n) + image_size * sum((m_n - mean)^2)) / (N * image_size)`
    (Chan et al.'s pairwise update, exact in real arithmetic), in f64. The
    results are those of `rn.batch_norm_train` but its output: `mean`,
    `invstd = 1 / sqrt(var + epsilon)` and the running statistics updated
    with `momentum` and the unbiased variance.

    Example:
    ```mlir
    %mean, %invstd, %rm, %rv = rn.batch_norm_combine_stats %m, %m2, %rm0, %rv0
        image_size 576 epsilon 1.0e-05 momentum 1.0e-01
        : (tensor<8x64xf32>, tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32>)
          -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor2D:$image_mean, RN_Tensor2D:$image_m2,
                   RN_Tensor1D:$running_mean, RN_Tensor1D:$running_var,
                   ConfinedAttr<I64Attr, [IntPositive]>:$image_size,
                   F64Attr:$epsilon, F64Attr:$momentum);
  let results = (outs RN_Tensor1D:$mean, RN_Tensor1D:$invstd,
                 RN_Tensor1D:$new_running_mean, RN_Tensor1D:$new_running_var);
  let assemblyFormat = [{
    $image_mean `,` $image_m2 `,` $running_mean `,` $running_var
    `image_size` $image_size `epsilon` $epsilon `momentum` $momentum
    attr-dict `:` functional-type(operands, results)
  }];
}

def RN_BatchNormNormalizeOp
    : RN_Op<"batch_norm_normalize", [RN_PerImageWithSharedOperands]> {
  let summary = "batch norm's output from the batch statistics, per image";
  let description = [{
    `y = (x - mean) * invstd * scale + bias`, then `+ residual` and `max(0,
    ...)` where given, as the output of `rn.batch_norm_train`. The input and
    the residual are image operands; `mean` and `invstd` (of the whole
    batch, from `rn.batch_norm_combine_stats`), `scale` and `bias` are the
    same for every image.

    Example:
    ```mlir
    %y = rn.batch_norm_normalize %x, %mean, %invstd, %g, %b relu
        : (tensor<8x64x24x24xf32>, tensor<64xf32>, tensor<64xf32>,
           tensor<64xf32>, tensor<64xf32>) -> tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Tensor1D:$mean,
                   RN_Tensor1D:$invstd, RN_Tensor1D:$scale, RN_Tensor1D:$bias,
                   Optional<RN_Tensor4D>:$residual, UnitAttr:$relu);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $mean `,` $invstd `,` $scale `,` $bias
    (`residual` $residual^)? (`relu` $relu^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_BatchNormGradImageSumsOp
    : RN_MultiResultOp<"batch_norm_grad_image_sums",
                       [RN_PerImageWithSharedOperands]> {
  let summary = "per-image, per-channel sums of batch norm's gradient terms";
  let description = [{
    The first step of `rn.batch_norm_train_backward` split over the images:
    for each image n and channel c, `sum(dy)` and `sum(dy * xhat)` over its
    H x W values, with `xhat = (x - mean) * invstd` from the batch's
    statistics, accumulated in f64. With `relu_output`, `dy` is read
    through the ReLU's mask as in `rn.batch_norm_train_backward`.

    Each sum is kept as an unevaluated pair of its element type, N x C x 2:
    `[n, c, 0]` the f64 sum rounded, `[n, c, 1]` the rounded remainder. The
    images' sums of a channel largely cancel (the gradients of a bias and a
    scale that batch norm's output barely depends on), so rounding each to
    f32 would lose what the unsplit op keeps; `rn.reduce_to_channels` sums
    both parts over the images in f64 into `grad_bias` and `grad_scale`.

    Example:
    ```mlir
    %sdy, %sdyx = rn.batch_norm_grad_image_sums %dy, %x, %mean, %invstd
        : (tensor<8x64x24x24xf32>, tensor<8x64x24x24xf32>, tensor<64xf32>,
           tensor<64xf32>) -> (tensor<8x64x2xf32>, tensor<8x64x2xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$input,
                   RN_Tensor1D:$mean, RN_Tensor1D:$invstd,
                   Optional<RN_Tensor4D>:$relu_output);
  let results = (outs RN_Tensor3D:$sum_grad, RN_Tensor3D:$sum_grad_xhat);
  let assemblyFormat = [{
    $grad_output `,` $input `,` $mean `,` $invstd
    (`relu_output` $relu_output^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_BatchNormInputGradOp
    : RN_Op<"batch_norm_input_grad", [RN_PerImageWithSharedOperands]> {
  let summary = "batch norm's input gradient from the batch's sums, per image";
  let description = [{
    `grad_input = scale * invstd / count * (count * dy - grad_bias - xhat *
    grad_scale)` with `xhat = (x - mean) * invstd` and `count` = N*H*W, the
    input gradient of `rn.batch_norm_train_backward` once `grad_scale` and
    `grad_bias` (sums over the whole batch) are known. `dy`, `x` and
    `relu_output` (the ReLU's mask, as in the unsplit op) are image
    operands.

    Example:
    ```mlir
    %dx = rn.batch_norm_input_grad %dy, %x, %g, %mean, %invstd, %dg, %db
        count 4608
        : (tensor<8x64x24x24xf32>, tensor<8x64x24x24xf32>, tensor<64xf32>,
           tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
          -> tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$input,
                   RN_Tensor1D:$scale, RN_Tensor1D:$mean, RN_Tensor1D:$invstd,
                   RN_Tensor1D:$grad_scale, RN_Tensor1D:$grad_bias,
                   Optional<RN_Tensor4D>:$relu_output,
                   ConfinedAttr<I64Attr, [IntPositive]>:$count);
  let results = (outs RN_Tensor4D:$grad_input);
  let assemblyFormat = [{
    $grad_output `,` $input `,` $scale `,` $mean `,` $invstd `,` $grad_scale
    `,` $grad_bias (`relu_output` $relu_output^)? `count` $count attr-dict
    `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Gradients of convolutions, pooling, linear and elementwise ops
//===----------------------------------------------------------------------===//

def RN_Conv2DBackwardDataOp : RN_Op<"conv2d_backward_data", [RN_PerImage]> {
  let summary = "gradient of a convolution with respect to its input";
  let description = [{
    The transposed convolution of `grad_output` with `weight` for a forward
    rn.conv2d whose input had shape `input_shape` (same strides, padding,
    dilation and groups).

    Example:
    ```mlir
    %dx = rn.conv2d_backward_data %dy, %w stride [2, 2] padding [1, 1]
        dilation [1, 1] groups 1 input_shape [8, 64, 24, 24]
        : (tensor<8x128x12x12xf32>, tensor<128x64x3x3xf32>)
          -> tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$weight,
                   RN_Pair:$strides, RN_Pair:$padding, RN_Pair:$dilation,
                   ConfinedAttr<I64Attr, [IntPositive]>:$groups,
                   RN_Shape4:$input_shape);
  let results = (outs RN_Tensor4D:$grad_input);
  let assemblyFormat = [{
    $grad_output `,` $weight `stride` $strides `padding` $padding
    `dilation` $dilation `groups` $groups `input_shape` $input_shape attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_Conv2DBackwardFilterOp
    : RN_Op<"conv2d_backward_filter", [RN_FilterResults]> {
  let summary = "gradient of a convolution with respect to its weight";
  let description = [{
    `grad_weight[o, c, i, j] = sum_{n, p, q} grad_output[n, o, p, q] *
    xpad[n, g*C/G + c, p*s + i*d, q*s + j*d]` for a forward rn.conv2d whose
    weight had shape `weight_shape`.

    Example:
    ```mlir
    %dw = rn.conv2d_backward_filter %dy, %x stride [1, 1] padding [1, 1]
        dilation [1, 1] groups 1 weight_shape [64, 64, 3, 3]
        : (tensor<8x64x24x24xf32>, tensor<8x64x24x24xf32>)
          -> tensor<64x64x3x3xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$input,
                   RN_Pair:$strides, RN_Pair:$padding, RN_Pair:$dilation,
                   ConfinedAttr<I64Attr, [IntPositive]>:$groups,
                   RN_Shape4:$weight_shape);
  let results = (outs RN_Tensor4D:$grad_weight);
  let assemblyFormat = [{
    $grad_output `,` $input `stride` $strides `padding` $padding
    `dilation` $dilation `groups` $groups `weight_shape` $weight_shape
    attr-dict `:` functional-type(operands, results)
  }];
}

def RN_PadFilterOp
    : RN_Op<"pad_filter", [RN_FilterResults, RN_RowWise]> {
  let summary = "a filter's window placed in a larger window of zeros";
  let description = [{
    The inverse placement of `rn.crop_filter`, for the gradient of a cropped
    filter: the result is an OxIx`size[0]`x`size[1]` filter of zeros with
    `filter` at taps `[offset, offset + filter's window)`.

    Example:
    ```mlir
    %dw = rn.pad_filter %dw1 offset [1, 1] size [3, 3]
        : tensor<512x512x1x1xf32> -> tensor<512x512x3x3xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$filter, RN_Pair:$offset, RN_Pair:$size);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $filter `offset` $offset `size` $size attr-dict `:` type($filter) `->`
    type($output)
  }];
}

def RN_ReduceToChannelsOp : RN_Op<"reduce_to_channels"> {
  let summary = "sum over every dimension but the channels (dimension 1)";
  let description = [{
    The gradient of a per-channel bias: NxC(xHxW) -> C.

    Example:
    ```mlir
    %db = rn.reduce_to_channels %dy : tensor<8x64x24x24xf32> -> tensor<64xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$input);
  let results = (outs RN_Tensor1D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def RN_ReLUBackwardOp : RN_Op<"relu_backward", [RN_PerImage, SameOperandsAndResultType]> {
  let summary = "gradient of ReLU: grad where the ReLU's output is positive";
  let description = [{
    `grad_input = output > 0 ? grad_output : 0`, as PyTorch's
    `threshold_backward` on the ReLU's result. With `add %g` (made by
    `rn-fuse-training` from the sum of gradients at a residual block's
    input), `grad_input = g + (output > 0 ? grad_output : 0)`.

    Example:
    ```mlir
    %dx = rn.relu_backward %dy, %y : tensor<8x64x24x24xf32>
    %dx2 = rn.relu_backward %dy, %y add %g : tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$grad_output, RN_Tensor:$output,
                   Optional<RN_Tensor>:$addend);
  let results = (outs RN_Tensor:$grad_input);
  let assemblyFormat = [{
    $grad_output `,` $output (`add` $addend^)? attr-dict `:` type($grad_input)
  }];
}

def RN_DropoutTrainOp
    : RN_Op<"dropout_train", [RN_Differentiable,
                              AllTypesMatch<["input", "output"]>]> {
  let summary = "dropout in training: a seeded Bernoulli mask, scaled";
  let description = [{
    `output[i] = keep(i) ? input[i] / (1 - rate) : 0`, where element `i`
    (its index in the row-major order of the logical shape, over the whole
    batch) is kept when a counter-based hash of (`seed`, `stream`, `i`),
    read as a uniform number `u` in [0, 1), has `u >= rate`. With
    `mix(x)` the 32-bit hash `x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15;
    x *= 0x846ca68b; x ^= x >> 16`, the seed's low and high 32-bit halves
    `lo` and `hi`:
    `key = mix(lo ^ mix(hi ^ mix(stream)))`, `r = mix(mix(i ^ key) + key)`
    (all arithmetic modulo 2^32) and `u = (r >> 8) * 2^-24`. The mask is
    a function of the seed alone, so any target, layout or schedule draws
    the same one, and the gradient is the same op applied to the output's
    gradient: `grad_input[i] = keep(i) ? grad_output[i] / (1 - rate) : 0`.
    The seed is an operand (`train_step`'s `dropout_seed`), set per step by
    the runtime.

    Example:
    ```mlir
    %y = rn.dropout_train %x, %seed rate 3.0e-01 stream 0
         : tensor<8x64x16x16xf32>, tensor<i64>
    ```
  }];
  let arguments = (ins RN_Tensor:$input, 0DTensorOf<[I64]>:$seed,
                   F64Attr:$rate,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$stream);
  let results = (outs RN_Tensor:$output);
  let assemblyFormat = [{
    $input `,` $seed `rate` $rate `stream` $stream attr-dict `:` type($output)
    `,` type($seed)
  }];
}

def RN_MaxPool2DBackwardOp : RN_Op<"max_pool2d_backward", [RN_PerImage]> {
  let summary = "gradient of max pooling";
  let description = [{
    Each window's gradient goes to its maximum; on ties, to the first
    maximum in row-major window order, as PyTorch. `ceil_mode` as the
    forward's.

    Example:
    ```mlir
    %dx = rn.max_pool2d_backward %dy, %x kernel [3, 3] stride [2, 2]
        padding [1, 1]
        : (tensor<8x64x24x24xf32>, tensor<8x64x48x48xf32>)
          -> tensor<8x64x48x48xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Tensor4D:$input,
                   RN_Pair:$kernel, RN_Pair:$strides, RN_Pair:$padding,
                   UnitAttr:$ceil_mode);
  let results = (outs RN_Tensor4D:$grad_input);
  let assemblyFormat = [{
    $grad_output `,` $input `kernel` $kernel `stride` $strides
    `padding` $padding (`ceil_mode` $ceil_mode^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_AvgPool2DBackwardOp : RN_Op<"avg_pool2d_backward", [RN_PerImage]> {
  let summary = "gradient of average pooling";
  let description = [{
    Each output gradient, divided by the forward's divisor of its window
    (`ceil_mode` and `exclude_padding` as the forward's), is added to every
    input position of its window.

    Example:
    ```mlir
    %dx = rn.avg_pool2d_backward %dy kernel [2, 2] stride [2, 2]
        padding [0, 0] input_shape [8, 64, 48, 48]
        : tensor<8x64x24x24xf32> -> tensor<8x64x48x48xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Pair:$kernel,
                   RN_Pair:$strides, RN_Pair:$padding,
                   RN_Shape4:$input_shape, UnitAttr:$ceil_mode,
                   UnitAttr:$exclude_padding);
  let results = (outs RN_Tensor4D:$grad_input);
  let assemblyFormat = [{
    $grad_output `kernel` $kernel `stride` $strides `padding` $padding
    `input_shape` $input_shape (`ceil_mode` $ceil_mode^)?
    (`exclude_padding` $exclude_padding^)? attr-dict
    `:` type($grad_output) `->` type($grad_input)
  }];
}

def RN_GlobalAvgPoolBackwardOp : RN_Op<"global_avg_pool_backward", [RN_PerImage]> {
  let summary = "gradient of global average pooling";
  let description = [{
    `grad_input[n, c, h, w] = grad_output[n, c, 0, 0] / (H * W)`.

    Example:
    ```mlir
    %dx = rn.global_avg_pool_backward %dy input_shape [8, 512, 3, 3]
        : tensor<8x512x1x1xf32> -> tensor<8x512x3x3xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$grad_output, RN_Shape4:$input_shape);
  let results = (outs RN_Tensor4D:$grad_input);
  let assemblyFormat = [{
    $grad_output `input_shape` $input_shape attr-dict
    `:` type($grad_output) `->` type($grad_input)
  }];
}

def RN_LinearBackwardOp : RN_MultiResultOp<"linear_backward"> {
  let summary = "gradients of rn.linear with respect to input and weight";
  let description = [{
    `grad_input = grad_output * weight` (NxO by OxI) and
    `grad_weight = grad_output^T * input` (OxN by NxI). The bias gradient is
    rn.reduce_to_channels of grad_output.

    Example:
    ```mlir
    %dx, %dw = rn.linear_backward %dy, %x, %w
        : (tensor<8x10xf32>, tensor<8x512xf32>, tensor<10x512xf32>)
          -> (tensor<8x512xf32>, tensor<10x512xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor2D:$grad_output, RN_Tensor2D:$input,
                   RN_Tensor2D:$weight);
  let results = (outs RN_Tensor2D:$grad_input, RN_Tensor2D:$grad_weight);
  let assemblyFormat = [{
    $grad_output `,` $input `,` $weight attr-dict
    `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Loss and optimizer
//===----------------------------------------------------------------------===//

def RN_SoftmaxCrossEntropyOp : RN_MultiResultOp<"softmax_cross_entropy"> {
  let summary = "mean softmax cross-entropy loss and number of correct labels";
  let description = [{
    PyTorch's `F.cross_entropy(logits, labels, label_smoothing=s)` with
    mean reduction, and the number of rows whose largest logit (the first on
    ties) is the label. With `smoothing %s` (a scalar, so that it needs no
    recompilation), each row's target is `(1 - s) * onehot + s / K` over K
    classes: its loss is `lse - (1 - s) * z[label] - s * mean(z)`.

    Example:
    ```mlir
    %loss, %correct = rn.softmax_cross_entropy %logits, %labels
        : (tensor<8x10xf32>, tensor<8xi64>) -> (tensor<f32>, tensor<i64>)
    %loss2, %correct2 = rn.softmax_cross_entropy %logits, %labels
        smoothing %s
        : (tensor<8x10xf32>, tensor<8xi64>, tensor<f32>)
          -> (tensor<f32>, tensor<i64>)
    ```
  }];
  let arguments = (ins RN_Tensor2D:$logits, RN_Labels:$labels,
                   Optional<RN_Scalar>:$smoothing);
  let results = (outs RN_Scalar:$loss, 0DTensorOf<[I64]>:$correct);
  let assemblyFormat = [{
    $logits `,` $labels (`smoothing` $smoothing^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_SoftmaxCrossEntropyBackwardOp
    : RN_Op<"softmax_cross_entropy_backward"> {
  let summary = "gradient of the mean softmax cross-entropy loss";
  let description = [{
    `grad_logits = (softmax(logits) - target) / N`, with `target =
    onehot(labels)`, or with `smoothing %s` `(1 - s) * onehot(labels) +
    s / K` over K classes.

    Example:
    ```mlir
    %dl = rn.softmax_cross_entropy_backward %logits, %labels
        : (tensor<8x10xf32>, tensor<8xi64>) -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins RN_Tensor2D:$logits, RN_Labels:$labels,
                   Optional<RN_Scalar>:$smoothing);
  let results = (outs RN_Tensor2D:$grad_logits);
  let assemblyFormat = [{
    $logits `,` $labels (`smoothing` $smoothing^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_SGDUpdateOp : RN_MultiResultOp<"sgd_update", [RN_RowWise]> {
  let summary = "one step of SGD with momentum, weight decay and Nesterov";
  let description = [{
    PyTorch's `torch.optim.SGD` without dampening: `d = grad + weight_decay *
    param`; `new_velocity = momentum * velocity + d`; the step is `d +
    momentum * new_velocity` with `nesterov`, else `new_velocity` (or `d`
    when momentum is 0); `new_param = param - lr * step`. The velocity
    starts at zero, which matches PyTorch's first step. `lr` is an operand
    so that a schedule needs no recompilation. Without momentum the velocity
    may be left out (as PyTorch keeps no momentum buffer then); the op then
    has the new parameter as its only result.

    Example:
    ```mlir
    %p2, %v2 = rn.sgd_update %p, %g, %lr velocity %v momentum 9.0e-01
        weight_decay 5.0e-04
        : (tensor<64x3x7x7xf32>, tensor<64x3x7x7xf32>, tensor<f32>,
           tensor<64x3x7x7xf32>) -> (tensor<64x3x7x7xf32>, tensor<64x3x7x7xf32>)
    %p3 = rn.sgd_update %p, %g, %lr momentum 0.0 weight_decay 0.0
        : (tensor<64x3x7x7xf32>, tensor<64x3x7x7xf32>, tensor<f32>)
          -> tensor<64x3x7x7xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$param, RN_Tensor:$grad, RN_Scalar:$lr,
                   Optional<RN_Tensor>:$velocity, F64Attr:$momentum,
                   F64Attr:$weight_decay, UnitAttr:$nesterov);
  let results = (outs RN_Tensor:$new_param, Optional<RN_Tensor>:$new_velocity);
  let assemblyFormat = [{
    $param `,` $grad `,` $lr (`velocity` $velocity^)? `momentum` $momentum
    `weight_decay` $weight_decay (`nesterov` $nesterov^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_AdamWUpdateOp : RN_MultiResultOp<"adamw_update", [RN_RowWise]> {
  let summary = "one step of AdamW";
  let description = [{
    PyTorch's `torch.optim.AdamW` (without amsgrad):
    `new_exp_avg = beta1 * exp_avg + (1 - beta1) * grad`;
    `new_exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad`;
    `denom = sqrt(new_exp_avg_sq) / sqrt(bias_correction2) + epsilon`;
    `new_param = param * (1 - lr * weight_decay)
                 - (lr / bias_correction1) * new_exp_avg / denom`.
    The moments start at zero; `bias_correction1` and `bias_correction2`
    are `1 - beta1^t` and `1 - beta2^t` for the step's number t (from 1),
    operands like `lr`, set by the runtime each step.

    Example:
    ```mlir
    %p2, %m2, %v2 = rn.adamw_update %p, %g, %m, %v, %lr, %bc1, %bc2
        beta1 9.0e-01 beta2 9.990e-01 epsilon 1.0e-08 weight_decay 1.0e-02
        : (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>,
           tensor<f32>, tensor<f32>, tensor<f32>)
          -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor:$param, RN_Tensor:$grad, RN_Tensor:$exp_avg,
                   RN_Tensor:$exp_avg_sq, RN_Scalar:$lr,
                   RN_Scalar:$bias_correction1, RN_Scalar:$bias_correction2,
                   F64Attr:$beta1, F64Attr:$beta2, F64Attr:$epsilon,
                   F64Attr:$weight_decay);
  let results = (outs RN_Tensor:$new_param, RN_Tensor:$new_exp_avg,
                      RN_Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,`
    $bias_correction1 `,` $bias_correction2 `beta1` $beta1 `beta2` $beta2
    `epsilon` $epsilon `weight_decay` $weight_decay attr-dict
    `:` functional-type(operands, results)
  }];
}

#endif // RESNETC_DIALECT_RN_IR_RNTRAININGOPS_TD
