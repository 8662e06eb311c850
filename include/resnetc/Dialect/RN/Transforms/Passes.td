//===- Passes.td - Transformations of the rn dialect -------*- tablegen -*-===//
//
// Graph-level rewrites on rn: inference-time fusions. Each pass has its own
// file in lib/Dialect/RN/Transforms and its own lit test.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_TRANSFORMS_PASSES_TD
#define RESNETC_DIALECT_RN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def RNEraseDropout : Pass<"rn-erase-dropout", "::mlir::func::FuncOp"> {
  let summary = "Removes dropout, the identity at inference";
  let description = [{
    Every `rn.dropout` is replaced by its input, so that the inference
    fusions see the convolution, batch norm and ReLU around it as
    neighbours (a Wide-ResNet block's `conv dropout bn relu` folds like
    `conv bn relu`). Runs first in the inference fusions; in `@train_step`
    the autodiff pass has already turned every dropout into
    `rn.dropout_train`, which this pass leaves alone.

    Before:
    ```mlir
    %d = rn.dropout %c rate 3.0e-01 stream 0 : tensor<8x64x24x24xf32>
    %y = rn.batch_norm %d, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : ...
    ```
    After:
    ```mlir
    %y = rn.batch_norm %c, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : ...
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNTrimConvTaps : Pass<"rn-trim-conv-taps", "::mlir::func::FuncOp"> {
  let summary = "Drops the filter taps of a convolution that only ever meet "
                "its zero padding";
  let description = [{
    A convolution whose input is small next to its window (a 3x3 convolution
    with padding 1 on a 1x1 input, as in the last stage of a ResNet on 28x28
    or 32x32 images) multiplies some taps of its filter by the zero padding
    at every output position: for a 1x1 input, eight of nine. This pass
    finds, along each spatial axis, the range of taps that meet the input at
    some output position and, where it is narrower than the window, computes
    the convolution with those taps alone (a smaller filter and padding, the
    same output). Before the fusions, on every function:
    - `rn.conv2d %x, %w` and `rn.conv2d_backward_data %dy, %w` take
      `rn.crop_filter %w`;
    - `rn.conv2d_backward_filter` computes the cropped filter's gradient and
      `rn.pad_filter` places it in the full window, with zeros at the taps
      dropped (their gradient, exactly).
    The products dropped are all with zeros, so the results are those of the
    full convolution up to the order of the sums. A convolution is left
    whole where the trimmed one would need unequal padding on the two sides
    of an axis.

    Before:
    ```mlir
    %y = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1]
        groups 1 : (tensor<8x512x1x1xf32>, tensor<512x512x3x3xf32>)
          -> tensor<8x512x1x1xf32>
    ```
    After:
    ```mlir
    %c = rn.crop_filter %w offset [1, 1] size [1, 1]
        : tensor<512x512x3x3xf32> -> tensor<512x512x1x1xf32>
    %y = rn.conv2d %x, %c stride [1, 1] padding [0, 0] dilation [1, 1]
        groups 1 : (tensor<8x512x1x1xf32>, tensor<512x512x1x1xf32>)
          -> tensor<8x512x1x1xf32>
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNFoldBatchNorm : Pass<"rn-fold-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Folds inference batch norms into the preceding convolution";
  let description = [{
    For inference only (batch norm uses its running statistics): a
    `rn.batch_norm` whose input is a `rn.conv2d` used by nothing else becomes
    a convolution with new weights and bias, computed by
    `rn.fold_batch_norm` from the parameters alone.

    Before:
    ```mlir
    %c = rn.conv2d %x, %w stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : ...
    %y = rn.batch_norm %c, %g, %b, %m, %v epsilon 1.0e-05 momentum 1.0e-01 : ...
    ```
    After:
    ```mlir
    %w2, %b2 = rn.fold_batch_norm %w scale %g shift %b mean %m var %v epsilon 1.0e-05 : ...
    %y = rn.conv2d %x, %w2, %b2 stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : ...
    ```
    A batch norm that follows anything else (the pre-activation blocks of
    ResNet v2 normalize a residual sum) or a convolution whose output is also
    used elsewhere is left alone.
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNFuseConvReLU : Pass<"rn-fuse-conv-relu", "::mlir::func::FuncOp"> {
  let summary = "Fuses a convolution and the ReLU after it";
  let description = [{
    `rn.relu(rn.conv2d(...))`, where the convolution has no other use,
    becomes one `rn.fused_conv2d ... relu`: bias and activation are applied in
    the convolution's epilogue instead of in a separate pass over memory.

    Before:
    ```mlir
    %c = rn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : ...
    %y = rn.relu %c : tensor<8x64x24x24xf32>
    ```
    After:
    ```mlir
    %y = rn.fused_conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 relu : ...
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNFuseAddReLU : Pass<"rn-fuse-add-relu", "::mlir::func::FuncOp"> {
  let summary = "Fuses a residual add and the ReLU after it";
  let description = [{
    `rn.relu(rn.add(a, b))`, where the sum has no other use, becomes
    `rn.add_relu a, b`.

    Before:
    ```mlir
    %s = rn.add %a, %b : tensor<8x64x24x24xf32>
    %y = rn.relu %s : tensor<8x64x24x24xf32>
    ```
    After:
    ```mlir
    %y = rn.add_relu %a, %b : tensor<8x64x24x24xf32>
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNFuseResidualIntoConv
    : Pass<"rn-fuse-residual-into-conv", "::mlir::func::FuncOp"> {
  let summary = "Moves a residual add (and its ReLU) into a convolution";
  let description = [{
    A residual add whose operand is a convolution used by nothing else is
    folded into that convolution's epilogue: `rn.add_relu(conv(x), s)` and
    `rn.add(conv(x), s)` become `rn.fused_conv2d x ... residual s [relu]`, so
    the block's output is written once. The main path (the add's first
    operand) is preferred when both operands are convolutions.

    Before:
    ```mlir
    %c = rn.conv2d %x, %w, %b stride [1, 1] padding [1, 1] dilation [1, 1] groups 1 : ...
    %y = rn.add_relu %c, %s : tensor<8x64x24x24xf32>
    ```
    After:
    ```mlir
    %y = rn.fused_conv2d %x, %w, %b residual %s stride [1, 1] padding [1, 1]
           dilation [1, 1] groups 1 relu : ...
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNFuseTraining : Pass<"rn-fuse-training", "::mlir::func::FuncOp"> {
  let summary = "Fuses batch norm's epilogue and the ReLU mask of its "
                "gradient in a training step";
  let description = [{
    Runs on `@train_step` after `rn-autodiff`, so that every gradient rule
    sees the plain ops:
    - `relu(batch_norm_train(x).output)` and
      `relu(add(batch_norm_train(x).output, r))` (either operand order),
      where the normalized output and the sum have no other use, become one
      `rn.batch_norm_train ... [residual r] ... relu`: normalization, the
      residual add and the ReLU in one elementwise pass;
    - `batch_norm_train_backward(relu_backward(dy, o), ...)` becomes
      `batch_norm_train_backward(dy, ... relu_output o)`: the ReLU's mask is
      applied where batch norm's backward reads the gradient;
    - then `add(g, relu_backward(dy, o))`, where the ReLU's backward has no
      other use (an identity shortcut's gradient joining the main path's),
      becomes `relu_backward(dy, o, add g)`. The masked gradient is never
      stored.

    Before:
    ```mlir
    %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %g, %b, %mean, %var
        epsilon 1.0e-05 momentum 1.0e-01 : ...
    %s = rn.add %y, %r : tensor<8x64x24x24xf32>
    %o = rn.relu %s : tensor<8x64x24x24xf32>
    ...
    %d = rn.relu_backward %dy, %o : tensor<8x64x24x24xf32>
    %dx, %dg, %db = rn.batch_norm_train_backward %d, %x, %g, %m, %i : ...
    ```
    After:
    ```mlir
    %o, %m, %i, %rm, %rv = rn.batch_norm_train %x, %g, %b, %mean, %var
        residual %r epsilon 1.0e-05 momentum 1.0e-01 relu : ...
    ...
    %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %m, %i
        relu_output %o : ...
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNSplitBatchNorm : Pass<"rn-split-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Splits training batch norms into per-image steps and small "
                "whole-batch combines";
  let description = [{
    For the CPU, whose per-image kernels run the images on every thread:
    batch norm's statistics and gradient sums span the batch, so as one op
    each runs on one thread. After `rn-fuse-training`, this pass rewrites
    - `rn.batch_norm_train` into `rn.batch_norm_image_stats` (per image: the
      mean and the sum of squared deviations of each channel),
      `rn.batch_norm_combine_stats` (whole batch, over N x C values: the
      batch's mean, invstd and running statistics) and
      `rn.batch_norm_normalize` (per image, with the residual and ReLU the
      op had fused);
    - `rn.batch_norm_train_backward` into `rn.batch_norm_grad_image_sums`
      (per image; each sum kept as an f32 pair, the value rounded and the
      rounded remainder), two `rn.reduce_to_channels` (whole batch, over
      N x C x 2 values: `grad_bias` and `grad_scale`) and
      `rn.batch_norm_input_grad` (per image, with the ReLU mask the op had
      fused).
    The results are those of the unsplit ops up to rounding: every sum is
    accumulated in f64, per image and then over the images.

    Before:
    ```mlir
    %y, %m, %i, %rm, %rv = rn.batch_norm_train %x, %g, %b, %mean, %var
        epsilon 1.0e-05 momentum 1.0e-01 relu : ...
    %dx, %dg, %db = rn.batch_norm_train_backward %dy, %x, %g, %m, %i
        relu_output %y : ...
    ```
    After:
    ```mlir
    %im, %im2 = rn.batch_norm_image_stats %x : ...
    %m, %i, %rm, %rv = rn.batch_norm_combine_stats %im, %im2, %mean, %var
        image_size 576 epsilon 1.0e-05 momentum 1.0e-01 : ...
    %y = rn.batch_norm_normalize %x, %m, %i, %g, %b relu : ...
    %s, %sx = rn.batch_norm_grad_image_sums %dy, %x, %m, %i relu_output %y
        : ...
    %db = rn.reduce_to_channels %s : tensor<8x64x2xf32> -> tensor<64xf32>
    %dg = rn.reduce_to_channels %sx : tensor<8x64x2xf32> -> tensor<64xf32>
    %dx = rn.batch_norm_input_grad %dy, %x, %g, %m, %i, %dg, %db
        relu_output %y count 4608 : ...
    ```
  }];
  let dependentDialects = ["::mlir::rn::RNDialect"];
}

def RNOutlineKernels : Pass<"rn-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outlines every rn op of @forward into its own kernel function";
  let description = [{
    The unit of execution of resnetc's targets is a kernel: one (fused) rn
    op. This pass moves each rn op of `@forward` into a private function
    `@k<N>_<layer path>` and replaces it with a `func.call`, so that
    `@forward` becomes the ordered list of steps of the execution plan.

    Kernels whose operands derive only from parameters and state (for
    example `rn.fold_batch_norm`) are marked `rn.prepare`: they run once,
    when the weights are loaded, not for every batch; but not in a training
    step (`whole-batch`), whose update changes the parameters every time.
    Every other kernel marks each argument that carries activations with
    `rn.activation`.

    Before:
    ```mlir
    func.func @forward(%x: tensor<1x3x8x8xf32> {rn.input}, ...) -> ... {
      %y = rn.relu %x : tensor<1x3x8x8xf32> loc("stem.relu1")
      ...
    ```
    After:
    ```mlir
    func.func @forward(%x: tensor<1x3x8x8xf32> {rn.input}, ...) -> ... {
      %y = call @k0_stem_relu1(%x) : (tensor<1x3x8x8xf32>) -> tensor<1x3x8x8xf32>
      ...
    func.func private @k0_stem_relu1(%a: tensor<1x3x8x8xf32> {rn.activation})
        -> tensor<1x3x8x8xf32> attributes {rn.kernel} {
      %y = rn.relu %a : tensor<1x3x8x8xf32>
      return %y : tensor<1x3x8x8xf32>
    }
    ```
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"forward\"",
           "The function whose rn ops are outlined">,
    Option<"prefix", "prefix", "std::string", /*default=*/"\"k\"",
           "Prefix of the kernel names">,
    Option<"wholeBatch", "whole-batch", "bool", /*default=*/"false",
           "Mark the kernels rn.whole_batch: they compute over the whole "
           "batch at once (training: statistics and weight gradients span "
           "the batch); kernels of ops that compute each image alone "
           "(RN_PerImage) stay per image">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def RNAutodiff : Pass<"rn-autodiff", "::mlir::ModuleOp"> {
  let summary = "Builds @train_step from @forward by reverse-mode autodiff";
  let description = [{
    Adds `func.func @train_step` next to `@forward`: the forward model with
    batch norm in training mode (`rn.batch_norm_train`), the mean softmax
    cross-entropy of its logits against the `labels` argument, the gradient
    of every parameter, and one step of the optimizer (SGD or AdamW). The
    gradients come from a reverse
    walk that asks each op for its gradient rule (the `Differentiable`
    interface, declared with the op); gradients of values used several times
    are summed.

    New arguments: `labels` (N integers, `rn.labels`), `lr` (a scalar,
    `rn.hyper = "lr"`), `label_smoothing` (a scalar, `rn.hyper =
    "label_smoothing"`; the loss's `smoothing`), with dropout `dropout_seed`
    (an i64 scalar, `rn.hyper = "dropout_seed"`; every `rn.dropout` becomes
    an `rn.dropout_train` drawing its mask from it), with AdamW the bias
    corrections (`rn.hyper = "bias_correction1"` and `"bias_correction2"`)
    and, per parameter, its optimizer state (`rn.optimizer_state =
    "<parameter>.velocity"` for SGD; `"<parameter>.exp_avg"` and
    `"<parameter>.exp_avg_sq"` for AdamW). Results: the loss (`rn.loss`),
    the number of correct predictions (`rn.correct`), then every parameter,
    optimizer state and running statistic after the step, each named by
    `rn.update = "<name>"`, so the plan can write them back in place.

    Before:
    ```mlir
    func.func @forward(%x: tensor<2x3x8x8xf32> {rn.input},
                       %w: tensor<4x3x1x1xf32> {rn.param = "c.weight"}, ...)
    ```
    After (added):
    ```mlir
    func.func @train_step(%x: ..., %w: ..., %labels: tensor<2xi64> {rn.labels},
                          %lr: tensor<f32> {rn.hyper = "lr"},
                          %s: tensor<f32> {rn.hyper = "label_smoothing"},
                          %v: tensor<4x3x1x1xf32>
                              {rn.optimizer_state = "c.weight.velocity"})
        -> (tensor<f32> {rn.loss}, tensor<i64> {rn.correct},
            tensor<4x3x1x1xf32> {rn.update = "c.weight"}, ...)
    ```
  }];
  let options = [
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "The update: sgd (rn.sgd_update) or adamw (rn.adamw_update)">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0",
           "SGD momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"0.0",
           "SGD weight decay (L2 penalty); AdamW's decoupled weight decay">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false",
           "Nesterov momentum">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9",
           "AdamW's first-moment decay">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999",
           "AdamW's second-moment decay">,
    Option<"epsilon", "epsilon", "double", /*default=*/"1e-8",
           "AdamW's epsilon">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // RESNETC_DIALECT_RN_TRANSFORMS_PASSES_TD
