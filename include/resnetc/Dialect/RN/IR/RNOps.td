//===- RNOps.td - Operations of the rn dialect -------------*- tablegen -*-===//
//
// One op per CNN layer. All tensors are static and ranked; activations are
// NCHW (batch, channels, height, width).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DIALECT_RN_IR_RNOPS_TD
#define RESNETC_DIALECT_RN_IR_RNOPS_TD

include "resnetc/Dialect/RN/IR/RNDialect.td"
include "resnetc/Dialect/RN/IR/RNInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Base classes and types
//===----------------------------------------------------------------------===//

/// A static tensor of floating-point elements.
def RN_Tensor : TensorRankOf<[F32, F16, BF16], [1, 2, 3, 4]>;
def RN_Tensor4D : 4DTensorOf<[F32, F16, BF16]>;
def RN_Tensor1D : 1DTensorOf<[F32, F16, BF16]>;
def RN_Tensor2D : 2DTensorOf<[F32, F16, BF16]>;
def RN_Tensor3D : 3DTensorOf<[F32, F16, BF16]>;

/// Two non-negative integers (height, width).
def RN_Pair : ConfinedAttr<DenseI64ArrayAttr, [DenseArrayCount<2>]>;

/// Ops with a gradient rule implement buildGradients (RNGradients.cpp).
def RN_Differentiable
    : DeclareOpInterfaceMethods<RN_DifferentiableOpInterface>;

/// An op whose rank-4 results are filters (OxIxKhxKw), not images: the
/// targets store them as they store the parameters, not as activations.
def RN_FilterResults : NativeOpTrait<"FilterResults"> {
  let cppNamespace = "::mlir::rn";
}

/// An op that computes each slice of dimension 0 of its results (each row)
/// from the same row of each operand of the results' rank, and its rank-0
/// operands: an optimizer's update over the output channels of a filter.
/// The CPU runs a large one as independent rows on its threads.
def RN_RowWise : NativeOpTrait<"RowWise"> {
  let cppNamespace = "::mlir::rn";
}

/// An op that computes each image of the batch from that image alone (see
/// RN_PerImageOpInterface).
def RN_PerImage : DeclareOpInterfaceMethods<RN_PerImageOpInterface>;

/// An rn op with one result: it implements `inferResultType`.
class RN_Op<string mnemonic, list<Trait> traits = []>
    : Op<RN_Dialect, mnemonic,
         !listconcat(traits, [Pure, RN_ShapeInferenceOpInterface])> {
  let extraClassDeclaration = [{
    /// The result type implied by the operands and attributes.
    ::mlir::FailureOr<::mlir::RankedTensorType>
    inferResultType(::llvm::function_ref<::mlir::InFlightDiagnostic()>);
  }];
}

/// An rn op with several results: it implements `inferResultTypes`.
class RN_MultiResultOp<string mnemonic, list<Trait> traits = []>
    : Op<RN_Dialect, mnemonic,
         !listconcat(traits, [Pure, DeclareOpInterfaceMethods<
                                        RN_ShapeInferenceOpInterface,
                                        ["inferResultTypes"]>])>;

//===----------------------------------------------------------------------===//
// Convolution and normalization
//===----------------------------------------------------------------------===//

def RN_Conv2DOp : RN_Op<"conv2d", [RN_PerImage, RN_Differentiable]> {
  let summary = "2-D convolution (NCHW input, OIHW filter)";
  let description = [{
    Cross-correlation as in PyTorch's `nn.Conv2d`: `input` is NxCxHxW,
    `weight` is OxIxKhxKw with `I = C / groups`, the optional `bias` has `O`
    elements. `strides`, `padding` (symmetric zero padding) and `dilation` are
    given as (height, width). The output is NxOxHoxWo with
    `Ho = floor((H + 2*padding - dilation*(Kh-1) - 1) / stride) + 1`.

    Example:
    ```mlir
    %y = rn.conv2d %x, %w, %b stride [2, 2] padding [3, 3] dilation [1, 1]
           groups 1
         : (tensor<8x1x96x96xf32>, tensor<64x1x7x7xf32>, tensor<64xf32>)
           -> tensor<8x64x48x48xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Tensor4D:$weight,
                   Optional<RN_Tensor1D>:$bias,
                   RN_Pair:$strides, RN_Pair:$padding, RN_Pair:$dilation,
                   ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $strides `padding` $padding
    `dilation` $dilation `groups` $groups attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_BatchNormOp : RN_Op<"batch_norm", [RN_PerImage]> {
  let summary = "batch normalization over the channels of an NCHW tensor";
  let description = [{
    PyTorch's `nn.BatchNorm2d` in inference form:
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, per channel.
    `scale`, `bias`, `mean` and `var` each have C elements. `momentum` is the
    factor used by training to update the running statistics.

    Example:
    ```mlir
    %y = rn.batch_norm %x, %gamma, %beta, %mean, %var
           epsilon 1.0e-05 momentum 1.0e-01
         : (tensor<8x64x48x48xf32>, tensor<64xf32>, tensor<64xf32>,
            tensor<64xf32>, tensor<64xf32>) -> tensor<8x64x48x48xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Tensor1D:$scale,
                   RN_Tensor1D:$bias, RN_Tensor1D:$mean, RN_Tensor1D:$var,
                   F64Attr:$epsilon,
                   F64Attr:$momentum);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $var `epsilon` $epsilon
    `momentum` $momentum attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def RN_ReLUOp : RN_Op<"relu", [RN_PerImage, SameOperandsAndResultType,
                                RN_Differentiable]> {
  let summary = "rectified linear unit, max(x, 0)";
  let description = [{
    Example:
    ```mlir
    %y = rn.relu %x : tensor<8x64x48x48xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$input);
  let results = (outs RN_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($output)";
}

def RN_AddOp : RN_Op<"add", [RN_PerImage, SameOperandsAndResultType, Commutative,
                              RN_Differentiable]> {
  let summary = "elementwise sum of two tensors of the same shape";
  let description = [{
    The residual connection: the sum of a block's main path and shortcut.

    Example:
    ```mlir
    %y = rn.add %main, %shortcut : tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$lhs, RN_Tensor:$rhs);
  let results = (outs RN_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($output)";
}

def RN_DropoutOp : RN_Op<"dropout", [SameOperandsAndResultType]> {
  let summary = "dropout: the identity at inference";
  let description = [{
    PyTorch's `nn.Dropout(rate)`. In `@forward` (inference) it is the
    identity, and `rn-erase-dropout` removes it before the fusions; the
    autodiff pass turns it into `rn.dropout_train` in `@train_step`.
    `stream` numbers the model's dropout layers from 0, so that each draws
    its own mask. `rate` is in [0, 1).

    Example:
    ```mlir
    %y = rn.dropout %x rate 3.0e-01 stream 0 : tensor<8x64x16x16xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$input, F64Attr:$rate,
                   ConfinedAttr<I64Attr, [IntNonNegative]>:$stream);
  let results = (outs RN_Tensor:$output);
  let assemblyFormat = [{
    $input `rate` $rate `stream` $stream attr-dict `:` type($output)
  }];
}

//===----------------------------------------------------------------------===//
// Pooling and reshaping
//===----------------------------------------------------------------------===//

def RN_MaxPool2DOp : RN_Op<"max_pool2d", [RN_PerImage, RN_Differentiable]> {
  let summary = "2-D max pooling with -inf padding";
  let description = [{
    PyTorch's `nn.MaxPool2d`: padded positions never win. `padding` may be at
    most half the kernel. With `ceil_mode`, the output size rounds up, as
    PyTorch's `ceil_mode=True`: a last window may reach past the padded
    input, and its positions there never win either.

    Example:
    ```mlir
    %y = rn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1]
         : tensor<8x64x48x48xf32> -> tensor<8x64x24x24xf32>
    %z = rn.max_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0]
         ceil_mode : tensor<8x64x7x7xf32> -> tensor<8x64x4x4xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Pair:$kernel, RN_Pair:$strides,
                   RN_Pair:$padding, UnitAttr:$ceil_mode);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $strides `padding` $padding
    (`ceil_mode` $ceil_mode^)? attr-dict `:` type($input) `->` type($output)
  }];
}

def RN_AvgPool2DOp : RN_Op<"avg_pool2d", [RN_PerImage, RN_Differentiable]> {
  let summary = "2-D average pooling";
  let description = [{
    PyTorch's `nn.AvgPool2d`: each window's sum divided by its size, zero
    padding counted (PyTorch's default `count_include_pad=True`) or, with
    `exclude_padding` (`count_include_pad=False`), by the number of input
    positions in the window. With `ceil_mode`, the output size rounds up as
    PyTorch's `ceil_mode=True`; the part of a last window past the padded
    input is never counted.

    Example:
    ```mlir
    %y = rn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0]
         : tensor<8x64x48x48xf32> -> tensor<8x64x24x24xf32>
    %z = rn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1]
         ceil_mode exclude_padding
         : tensor<8x64x8x8xf32> -> tensor<8x64x5x5xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Pair:$kernel, RN_Pair:$strides,
                   RN_Pair:$padding, UnitAttr:$ceil_mode,
                   UnitAttr:$exclude_padding);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $strides `padding` $padding
    (`ceil_mode` $ceil_mode^)? (`exclude_padding` $exclude_padding^)?
    attr-dict `:` type($input) `->` type($output)
  }];
}

def RN_GlobalAvgPoolOp : RN_Op<"global_avg_pool", [RN_PerImage, RN_Differentiable]> {
  let summary = "mean over the spatial dimensions, NxCxHxW -> NxCx1x1";
  let description = [{
    PyTorch's `nn.AdaptiveAvgPool2d((1, 1))`.

    Example:
    ```mlir
    %y = rn.global_avg_pool %x : tensor<8x512x3x3xf32> -> tensor<8x512x1x1xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def RN_FlattenOp : RN_Op<"flatten", [RN_PerImage, RN_Differentiable]> {
  let summary = "flattens all but the batch dimension";
  let description = [{
    Example:
    ```mlir
    %y = rn.flatten %x : tensor<8x512x1x1xf32> -> tensor<8x512xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$input);
  let results = (outs RN_Tensor2D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def RN_LinearOp : RN_Op<"linear", [RN_PerImage, RN_Differentiable]> {
  let summary = "fully connected layer, y = x W^T + b";
  let description = [{
    PyTorch's `nn.Linear`: `input` is NxI, `weight` is OxI, the optional
    `bias` has O elements.

    Example:
    ```mlir
    %y = rn.linear %x, %w, %b
         : (tensor<8x512xf32>, tensor<10x512xf32>, tensor<10xf32>)
           -> tensor<8x10xf32>
    ```
  }];
  let arguments = (ins RN_Tensor2D:$input, RN_Tensor2D:$weight,
                   Optional<RN_Tensor1D>:$bias);
  let results = (outs RN_Tensor2D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_CropFilterOp
    : RN_Op<"crop_filter", [RN_FilterResults, RN_RowWise]> {
  let summary = "a window of a filter's taps";
  let description = [{
    The taps `[offset, offset + size)` of an OxIxKhxKw filter along its two
    spatial dimensions (height, width): `output[o, i, h, w] =
    filter[o, i, offset[0] + h, offset[1] + w]`. Produced by
    `rn-trim-conv-taps` for the taps of a convolution that meet its input.

    Example:
    ```mlir
    %w1 = rn.crop_filter %w offset [1, 1] size [1, 1]
        : tensor<512x512x3x3xf32> -> tensor<512x512x1x1xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$filter, RN_Pair:$offset, RN_Pair:$size);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $filter `offset` $offset `size` $size attr-dict `:` type($filter) `->`
    type($output)
  }];
}

//===----------------------------------------------------------------------===//
// Fused forms (produced by the fusion passes)
//===----------------------------------------------------------------------===//

def RN_FoldBatchNormOp
    : RN_MultiResultOp<"fold_batch_norm", [RN_FilterResults]> {
  let summary = "folds an inference batch norm into a convolution's weights";
  let description = [{
    Computes the weight and bias of a convolution followed by an inference
    batch norm: with `s = scale / sqrt(var + epsilon)` per output channel,
    `new_weight[o] = weight[o] * s[o]` and
    `new_bias = (bias - mean) * s + shift` (`bias` is zero when absent).
    It reads parameters only, so it can run once after the weights are
    loaded rather than on every batch.

    Example:
    ```mlir
    %w2, %b2 = rn.fold_batch_norm %w bias %b scale %gamma shift %beta
                 mean %mean var %var epsilon 1.0e-05
               : (tensor<64x3x7x7xf32>, tensor<64xf32>, tensor<64xf32>,
                  tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
                 -> (tensor<64x3x7x7xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins RN_Tensor4D:$weight, Optional<RN_Tensor1D>:$bias,
                   RN_Tensor1D:$scale, RN_Tensor1D:$shift, RN_Tensor1D:$mean,
                   RN_Tensor1D:$var, F64Attr:$epsilon);
  let results = (outs RN_Tensor4D:$new_weight, RN_Tensor1D:$new_bias);
  let assemblyFormat = [{
    $weight (`bias` $bias^)? `scale` $scale `shift` $shift `mean` $mean
    `var` $var `epsilon` $epsilon attr-dict
    `:` functional-type(operands, results)
  }];
}

def RN_FusedConv2DOp : RN_Op<"fused_conv2d", [RN_PerImage, AttrSizedOperandSegments]> {
  let summary = "convolution with bias, residual add and ReLU in its epilogue";
  let description = [{
    `relu?(conv2d(input, weight) + bias + residual)`: the convolution of
    `rn.conv2d`, then in the same kernel the per-channel `bias`, an optional
    `residual` tensor of the output's shape (a block's shortcut), and an
    optional ReLU. Produced by `rn-fuse-conv-relu` and
    `rn-fuse-residual-into-conv`.

    Example:
    ```mlir
    %y = rn.fused_conv2d %x, %w, %b residual %s stride [1, 1] padding [1, 1]
           dilation [1, 1] groups 1 relu
         : (tensor<8x64x24x24xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>,
            tensor<8x64x24x24xf32>) -> tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor4D:$input, RN_Tensor4D:$weight,
                   Optional<RN_Tensor1D>:$bias, Optional<RN_Tensor4D>:$residual,
                   RN_Pair:$strides, RN_Pair:$padding, RN_Pair:$dilation,
                   ConfinedAttr<I64Attr, [IntPositive]>:$groups,
                   UnitAttr:$relu);
  let results = (outs RN_Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`residual` $residual^)?
    `stride` $strides `padding` $padding `dilation` $dilation `groups` $groups
    (`relu` $relu^)? attr-dict `:` functional-type(operands, results)
  }];
}

def RN_AddReLUOp : RN_Op<"add_relu", [RN_PerImage, SameOperandsAndResultType,
                                      Commutative]> {
  let summary = "max(lhs + rhs, 0) in one pass";
  let description = [{
    A residual add followed by its ReLU, produced by `rn-fuse-add-relu`.

    Example:
    ```mlir
    %y = rn.add_relu %main, %shortcut : tensor<8x64x24x24xf32>
    ```
  }];
  let arguments = (ins RN_Tensor:$lhs, RN_Tensor:$rhs);
  let results = (outs RN_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($output)";
}

include "resnetc/Dialect/RN/IR/RNTrainingOps.td"

#endif // RESNETC_DIALECT_RN_IR_RNOPS_TD
