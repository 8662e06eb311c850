//===- RNOps.cpp - The rn dialect and its operations ----------------------===//
//
// Dialect registration and the shape inference of every op. The window
// arithmetic is shared with the front end through ShapeRules.h.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Support/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::rn;

#include "resnetc/Dialect/RN/IR/RNInterfaces.cpp.inc"
#include "resnetc/Dialect/RN/IR/RNOpsDialect.cpp.inc"

void RNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "resnetc/Dialect/RN/IR/RNOps.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Discardable attributes
//===----------------------------------------------------------------------===//

/// Checks that `attr` (named `name`) is a non-empty string.
static LogicalResult verifyName(function_ref<InFlightDiagnostic()> emitError,
                                NamedAttribute attr) {
  auto s = dyn_cast<StringAttr>(attr.getValue());
  if (!s || s.getValue().empty())
    return emitError() << "'" << attr.getName().getValue()
                       << "' must be a non-empty string";
  return success();
}

/// Checks that `attr` is a unit attribute.
static LogicalResult verifyUnit(function_ref<InFlightDiagnostic()> emitError,
                                NamedAttribute attr) {
  if (!isa<UnitAttr>(attr.getValue()))
    return emitError() << "'" << attr.getName().getValue()
                       << "' must be a unit attribute";
  return success();
}

/// Checks that `attr` is a positive i64 integer.
static LogicalResult
verifyPositive(function_ref<InFlightDiagnostic()> emitError,
               NamedAttribute attr) {
  auto i = dyn_cast<IntegerAttr>(attr.getValue());
  if (!i || !i.getType().isInteger(64) || i.getInt() <= 0)
    return emitError() << "'" << attr.getName().getValue()
                       << "' must be a positive i64 integer";
  return success();
}

LogicalResult RNDialect::verifyOperationAttribute(Operation *op,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  auto emitError = [&] { return op->emitError(); };
  auto onModule = [&]() -> LogicalResult {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << name << "' may only mark a module";
    return success();
  };
  if (name == "rn.model")
    return failure(failed(onModule()) || failed(verifyName(emitError, attr)));
  if (name == "rn.batch" || name == "rn.classes")
    return failure(failed(onModule()) ||
                   failed(verifyPositive(emitError, attr)));
  if (name == "rn.input_shape") {
    if (failed(onModule()))
      return failure();
    auto shape = dyn_cast<DenseI64ArrayAttr>(attr.getValue());
    if (!shape || shape.size() != 3 ||
        llvm::any_of(shape.asArrayRef(), [](int64_t d) { return d <= 0; }))
      return op->emitError() << "'rn.input_shape' must be three positive "
                                "sizes (array<i64: C, H, W>)";
    return success();
  }
  if (name == "rn.plan") {
    if (failed(onModule()))
      return failure();
    auto plan = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!plan || !plan.getAs<ArrayAttr>("buffers") ||
        !plan.getAs<ArrayAttr>("entries"))
      return op->emitError() << "'rn.plan' must be a dictionary with "
                                "'buffers' and 'entries' arrays";
    return success();
  }
  if (name == "rn.kernel" || name == "rn.prepare" || name == "rn.whole_batch" ||
      name == "rn.storage_conversion") {
    // Kernels stay kernels as they are lowered (func.func, llvm.func).
    if (!isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name << "' may only mark a function";
    return verifyUnit(emitError, attr);
  }
  if (name == "rn.rows") {
    auto rows = dyn_cast<IntegerAttr>(attr.getValue());
    if (!isa<FunctionOpInterface>(op) || !rows || rows.getInt() <= 0)
      return op->emitError() << "'rn.rows' must be a positive integer on a "
                                "function";
    return success();
  }
  return op->emitError() << "unknown rn attribute '" << name << "'";
}

LogicalResult RNDialect::verifyRegionArgAttribute(Operation *op,
                                                  unsigned regionIndex,
                                                  unsigned argIndex,
                                                  NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  auto emitError = [&] {
    return op->emitError() << "argument " << argIndex << ": ";
  };
  if (name == "rn.input" || name == "rn.labels" || name == "rn.activation")
    return verifyUnit(emitError, attr);
  if (name == "rn.zero_init") {
    auto fn = dyn_cast<FunctionOpInterface>(op);
    if (!fn || !fn.getArgAttr(argIndex, "rn.param"))
      return emitError() << "'rn.zero_init' may only mark a parameter "
                            "(rn.param) of a function";
    return verifyUnit(emitError, attr);
  }
  if (name == "rn.param" || name == "rn.state" ||
      name == "rn.optimizer_state" || name == "rn.hyper")
    return verifyName(emitError, attr);
  return emitError() << "unknown rn argument attribute '" << name << "'";
}

LogicalResult RNDialect::verifyRegionResultAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned resultIndex,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  auto emitError = [&] {
    return op->emitError() << "result " << resultIndex << ": ";
  };
  if (name == "rn.loss" || name == "rn.correct")
    return verifyUnit(emitError, attr);
  if (name == "rn.update")
    return verifyName(emitError, attr);
  return emitError() << "unknown rn result attribute '" << name << "'";
}

std::string mlir::rn::getLayerPath(Location loc) {
  std::string found;
  loc->walk([&](Location l) {
    if (auto named = dyn_cast<NameLoc>(l)) {
      found = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
}

LogicalResult mlir::rn::detail::verifyShapeInference(Operation *op) {
  auto iface = cast<ShapeInference>(op);
  FailureOr<SmallVector<Type>> inferred =
      iface.inferResultTypes([op]() { return op->emitOpError(); });
  if (failed(inferred))
    return failure();
  for (auto [i, result] : llvm::enumerate(op->getResults())) {
    Type actual = result.getType(), expected = (*inferred)[i];
    if (actual == expected)
      continue;
    if (op->getNumResults() == 1)
      return op->emitOpError("result type ")
             << actual << " does not match the inferred type " << expected;
    return op->emitOpError("result #")
           << i << " type " << actual << " does not match the inferred type "
           << expected;
  }
  return success();
}

using EmitFn = llvm::function_ref<InFlightDiagnostic()>;

static RankedTensorType getTensor(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Checks that `t` has a static shape; all rn tensors must.
static LogicalResult requireStatic(RankedTensorType t, StringRef what,
                                   EmitFn emitError) {
  if (!t.hasStaticShape())
    return emitError() << what << " must have a static shape, got " << t;
  return success();
}

/// Checks a 1-D per-channel operand of `channels` elements.
static LogicalResult requireVector(Value v, int64_t channels, StringRef what,
                                   Type elementType, EmitFn emitError) {
  auto t = getTensor(v);
  if (t.getShape() != ArrayRef<int64_t>{channels})
    return emitError() << what << " must have " << channels << " elements, got "
                       << t;
  if (t.getElementType() != elementType)
    return emitError() << what << " element type " << t.getElementType()
                       << " differs from the input's " << elementType;
  return success();
}

/// Checks the epsilon and momentum of a batch norm.
static LogicalResult requireNormOptions(double epsilon, double momentum,
                                        EmitFn emitError) {
  if (!(epsilon > 0))
    return emitError() << "epsilon must be positive";
  if (!(momentum >= 0 && momentum <= 1))
    return emitError() << "momentum must be in [0, 1]";
  return success();
}

/// Output extent of a window op along both spatial axes, with diagnostics.
static FailureOr<std::pair<int64_t, int64_t>>
windowOutput(RankedTensorType input, ArrayRef<int64_t> kernel,
             ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
             ArrayRef<int64_t> dilation, EmitFn emitError,
             bool ceilMode = false) {
  for (int i = 0; i < 2; ++i) {
    if (kernel[i] <= 0)
      return emitError() << "kernel sizes must be positive";
    if (strides[i] <= 0)
      return emitError() << "strides must be positive";
    if (padding[i] < 0)
      return emitError() << "padding must be non-negative";
    if (dilation[i] <= 0)
      return emitError() << "dilation must be positive";
    if (kernel[i] > resnetc::kMaxDimension ||
        strides[i] > resnetc::kMaxDimension ||
        padding[i] > resnetc::kMaxDimension ||
        dilation[i] > resnetc::kMaxDimension)
      return emitError() << "window sizes must be at most "
                         << resnetc::kMaxDimension;
  }
  int64_t oh =
      resnetc::windowOutputSize(input.getDimSize(2), kernel[0], strides[0],
                                padding[0], dilation[0], ceilMode);
  int64_t ow =
      resnetc::windowOutputSize(input.getDimSize(3), kernel[1], strides[1],
                                padding[1], dilation[1], ceilMode);
  if (oh <= 0 || ow <= 0)
    return emitError() << "window " << kernel[0] << "x" << kernel[1]
                       << " does not fit in the padded input "
                       << input.getDimSize(2) << "x" << input.getDimSize(3);
  return std::make_pair(oh, ow);
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

/// Result type of a convolution; shared by conv2d and fused_conv2d.
static FailureOr<RankedTensorType>
convOutputType(RankedTensorType input, RankedTensorType weight, Value biasV,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
               ArrayRef<int64_t> dilation, int64_t groups, EmitFn emitError) {
  if (failed(requireStatic(input, "input", emitError)) ||
      failed(requireStatic(weight, "weight", emitError)))
    return failure();
  if (weight.getElementType() != input.getElementType())
    return emitError() << "weight element type " << weight.getElementType()
                       << " differs from the input's "
                       << input.getElementType();
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (weight.getDimSize(1) * groups != channels)
    return emitError() << "input channels (" << channels
                       << ") must equal weight input channels ("
                       << weight.getDimSize(1) << ") times groups (" << groups
                       << ")";
  if (outChannels % groups != 0)
    return emitError() << "output channels (" << outChannels
                       << ") must be divisible by groups (" << groups << ")";
  if (biasV && failed(requireVector(biasV, outChannels, "bias",
                                    input.getElementType(), emitError)))
    return failure();
  auto hw = windowOutput(input, {weight.getDimSize(2), weight.getDimSize(3)},
                         strides, padding, dilation, emitError);
  if (failed(hw))
    return failure();
  return RankedTensorType::get(
      {input.getDimSize(0), outChannels, hw->first, hw->second},
      input.getElementType());
}

static FailureOr<RankedTensorType>
inferConvType(Value inputV, Value weightV, Value biasV,
              ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
              ArrayRef<int64_t> dilation, int64_t groups, EmitFn emitError) {
  return convOutputType(getTensor(inputV), getTensor(weightV), biasV, strides,
                        padding, dilation, groups, emitError);
}

FailureOr<RankedTensorType> Conv2DOp::inferResultType(EmitFn emitError) {
  return inferConvType(getInput(), getWeight(), getBias(), getStrides(),
                       getPadding(), getDilation(), getGroups(), emitError);
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType> BatchNormOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  if (failed(requireNormOptions(getEpsilon().convertToDouble(),
                                getMomentum().convertToDouble(), emitError)))
    return failure();
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getBias(), c, "bias", et, emitError)) ||
      failed(requireVector(getMean(), c, "mean", et, emitError)) ||
      failed(requireVector(getVar(), c, "var", et, emitError)))
    return failure();
  return input;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType> ReLUOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  return input;
}

/// Both dropout ops: the input's type, for a rate below 1 (at 1 nothing is
/// kept and the scale 1 / (1 - rate) is infinite).
static FailureOr<RankedTensorType> inferDropoutType(Value input, APFloat rate,
                                                    EmitFn emitError) {
  auto type = getTensor(input);
  if (failed(requireStatic(type, "input", emitError)))
    return failure();
  double r = rate.convertToDouble();
  if (!(r >= 0 && r < 1))
    return emitError() << "dropout rate must be in [0, 1), got " << r;
  return type;
}

FailureOr<RankedTensorType> DropoutOp::inferResultType(EmitFn emitError) {
  return inferDropoutType(getInput(), getRate(), emitError);
}

FailureOr<RankedTensorType> DropoutTrainOp::inferResultType(EmitFn emitError) {
  return inferDropoutType(getInput(), getRate(), emitError);
}

FailureOr<RankedTensorType> AddOp::inferResultType(EmitFn emitError) {
  auto lhs = getTensor(getLhs());
  if (failed(requireStatic(lhs, "operands", emitError)))
    return failure();
  return lhs;
}

//===----------------------------------------------------------------------===//
// Pooling and reshaping
//===----------------------------------------------------------------------===//

static FailureOr<RankedTensorType>
poolOutputType(RankedTensorType input, ArrayRef<int64_t> kernel,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> padding,
               bool ceilMode, EmitFn emitError) {
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  for (int i = 0; i < 2; ++i)
    if (kernel[i] > 0 && padding[i] > kernel[i] / 2)
      return emitError() << "padding (" << padding[i]
                         << ") must be at most half the kernel (" << kernel[i]
                         << ")";
  auto hw = windowOutput(input, kernel, strides, padding, {1, 1}, emitError,
                         ceilMode);
  if (failed(hw))
    return failure();
  return RankedTensorType::get(
      {input.getDimSize(0), input.getDimSize(1), hw->first, hw->second},
      input.getElementType());
}

template <typename PoolOp>
static FailureOr<RankedTensorType> inferPool(PoolOp op, EmitFn emitError) {
  return poolOutputType(getTensor(op.getInput()), op.getKernel(),
                        op.getStrides(), op.getPadding(), op.getCeilMode(),
                        emitError);
}

FailureOr<RankedTensorType> MaxPool2DOp::inferResultType(EmitFn emitError) {
  return inferPool(*this, emitError);
}

FailureOr<RankedTensorType> AvgPool2DOp::inferResultType(EmitFn emitError) {
  return inferPool(*this, emitError);
}

FailureOr<RankedTensorType> GlobalAvgPoolOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  return RankedTensorType::get({input.getDimSize(0), input.getDimSize(1), 1, 1},
                               input.getElementType());
}

FailureOr<RankedTensorType> FlattenOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  int64_t features = 1;
  for (int64_t d : input.getShape().drop_front())
    features *= d;
  return RankedTensorType::get({input.getDimSize(0), features},
                               input.getElementType());
}

/// Checks that the `inner` window of taps (height, width), placed at
/// `offset`, lies within the `outer` window; `what` names the two.
static LogicalResult requireWindowWithin(ArrayRef<int64_t> inner,
                                         ArrayRef<int64_t> outer,
                                         ArrayRef<int64_t> offset,
                                         StringRef what, EmitFn emitError) {
  for (int i = 0; i < 2; ++i) {
    if (inner[i] <= 0 || outer[i] > resnetc::kMaxDimension)
      return emitError() << "window sizes must be in [1, "
                         << resnetc::kMaxDimension << "]";
    if (offset[i] < 0 || offset[i] > resnetc::kMaxDimension)
      return emitError() << "offsets must be in [0, " << resnetc::kMaxDimension
                         << "]";
    if (offset[i] + inner[i] > outer[i])
      return emitError() << what << " taps [" << offset[0] << ", "
                         << offset[0] + inner[0] << ") x [" << offset[1] << ", "
                         << offset[1] + inner[1] << ") do not fit in the "
                         << outer[0] << "x" << outer[1] << " window";
  }
  return success();
}

FailureOr<RankedTensorType> CropFilterOp::inferResultType(EmitFn emitError) {
  auto filter = getTensor(getFilter());
  if (failed(requireStatic(filter, "filter", emitError)) ||
      failed(requireWindowWithin(getSize(), filter.getShape().drop_front(2),
                                 getOffset(), "cropped", emitError)))
    return failure();
  return RankedTensorType::get(
      {filter.getDimSize(0), filter.getDimSize(1), getSize()[0], getSize()[1]},
      filter.getElementType());
}

FailureOr<RankedTensorType> PadFilterOp::inferResultType(EmitFn emitError) {
  auto filter = getTensor(getFilter());
  if (failed(requireStatic(filter, "filter", emitError)) ||
      failed(requireWindowWithin(filter.getShape().drop_front(2), getSize(),
                                 getOffset(), "the filter's", emitError)))
    return failure();
  return RankedTensorType::get(
      {filter.getDimSize(0), filter.getDimSize(1), getSize()[0], getSize()[1]},
      filter.getElementType());
}

FailureOr<RankedTensorType> LinearOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput()), weight = getTensor(getWeight());
  if (failed(requireStatic(input, "input", emitError)) ||
      failed(requireStatic(weight, "weight", emitError)))
    return failure();
  if (weight.getElementType() != input.getElementType())
    return emitError() << "weight element type " << weight.getElementType()
                       << " differs from the input's "
                       << input.getElementType();
  if (weight.getDimSize(1) != input.getDimSize(1))
    return emitError() << "input features (" << input.getDimSize(1)
                       << ") must equal weight input features ("
                       << weight.getDimSize(1) << ")";
  int64_t out = weight.getDimSize(0);
  if (getBias() && failed(requireVector(getBias(), out, "bias",
                                        input.getElementType(), emitError)))
    return failure();
  return RankedTensorType::get({input.getDimSize(0), out},
                               input.getElementType());
}

//===----------------------------------------------------------------------===//
// Fused forms
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Type>>
FoldBatchNormOp::inferResultTypes(EmitFn emitError) {
  auto weight = getTensor(getWeight());
  if (failed(requireStatic(weight, "weight", emitError)))
    return failure();
  if (!(getEpsilon().convertToDouble() > 0))
    return emitError() << "epsilon must be positive";
  int64_t c = weight.getDimSize(0);
  Type et = weight.getElementType();
  if ((getBias() &&
       failed(requireVector(getBias(), c, "bias", et, emitError))) ||
      failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getShift(), c, "shift", et, emitError)) ||
      failed(requireVector(getMean(), c, "mean", et, emitError)) ||
      failed(requireVector(getVar(), c, "var", et, emitError)))
    return failure();
  return SmallVector<Type>{weight, RankedTensorType::get({c}, et)};
}

FailureOr<RankedTensorType> FusedConv2DOp::inferResultType(EmitFn emitError) {
  auto type =
      inferConvType(getInput(), getWeight(), getBias(), getStrides(),
                    getPadding(), getDilation(), getGroups(), emitError);
  if (failed(type))
    return failure();
  if (getResidual() && getResidual().getType() != *type)
    return emitError() << "residual type " << getResidual().getType()
                       << " differs from the convolution's output type "
                       << *type;
  return type;
}

FailureOr<RankedTensorType> AddReLUOp::inferResultType(EmitFn emitError) {
  auto lhs = getTensor(getLhs());
  if (failed(requireStatic(lhs, "operands", emitError)))
    return failure();
  return lhs;
}

//===----------------------------------------------------------------------===//
// Training
//===----------------------------------------------------------------------===//

/// Checks that `actual` is what the forward op would have produced.
static LogicalResult requireForwardShape(RankedTensorType actual,
                                         FailureOr<RankedTensorType> forward,
                                         StringRef what, EmitFn emitError) {
  if (failed(forward))
    return failure();
  if (actual != *forward)
    return emitError() << what << " " << actual
                       << " is not what the forward op produces (" << *forward
                       << ")";
  return success();
}

static RankedTensorType shapeType(ArrayRef<int64_t> shape, Type element) {
  return RankedTensorType::get(shape, element);
}

FailureOr<SmallVector<Type>>
BatchNormTrainOp::inferResultTypes(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  if (failed(requireNormOptions(getEpsilon().convertToDouble(),
                                getMomentum().convertToDouble(), emitError)))
    return failure();
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getBias(), c, "bias", et, emitError)) ||
      failed(
          requireVector(getRunningMean(), c, "running mean", et, emitError)) ||
      failed(requireVector(getRunningVar(), c, "running var", et, emitError)))
    return failure();
  if (getResidual() && getResidual().getType() != input)
    return emitError() << "residual " << getResidual().getType()
                       << " differs from the input " << input;
  Type vec = shapeType({c}, et);
  return SmallVector<Type>{input, vec, vec, vec, vec};
}

FailureOr<SmallVector<Type>>
BatchNormTrainBackwardOp::inferResultTypes(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  if (getGradOutput().getType() != input)
    return emitError() << "gradient " << getGradOutput().getType()
                       << " differs from the input " << input;
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getSavedMean(), c, "saved mean", et, emitError)) ||
      failed(requireVector(getSavedInvstd(), c, "saved invstd", et, emitError)))
    return failure();
  if (getReluOutput() && getReluOutput().getType() != input)
    return emitError() << "ReLU output " << getReluOutput().getType()
                       << " differs from the input " << input;
  Type vec = shapeType({c}, et);
  return SmallVector<Type>{input, vec, vec};
}

//===----------------------------------------------------------------------===//
// Batch norm in training mode, split over the images
//===----------------------------------------------------------------------===//

/// Checks that `v`, an optional image operand named `what`, has the input's
/// type.
static LogicalResult requireLikeInput(Value v, RankedTensorType input,
                                      StringRef what, EmitFn emitError) {
  if (v && v.getType() != input)
    return emitError() << what << " " << v.getType()
                       << " differs from the input " << input;
  return success();
}

/// Checks one per-image statistic: N x C, the input's element type.
static LogicalResult requireImageStat(Value v, ArrayRef<int64_t> shape,
                                      Type elementType, StringRef what,
                                      EmitFn emitError) {
  auto t = getTensor(v);
  if (t.getShape() != shape || t.getElementType() != elementType)
    return emitError() << what << " must be " << shapeType(shape, elementType)
                       << ", got " << t;
  return success();
}

/// The split batch-norm ops' image operands are their 4-D ones.
static bool isFourDimensional(Value v) { return getTensor(v).getRank() == 4; }

FailureOr<SmallVector<Type>>
BatchNormImageStatsOp::inferResultTypes(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  Type stat = shapeType({input.getDimSize(0), input.getDimSize(1)},
                        input.getElementType());
  return SmallVector<Type>{stat, stat};
}

FailureOr<SmallVector<Type>>
BatchNormCombineStatsOp::inferResultTypes(EmitFn emitError) {
  auto mean = getTensor(getImageMean());
  if (failed(requireStatic(mean, "image means", emitError)) ||
      failed(requireImageStat(getImageM2(), mean.getShape(),
                              mean.getElementType(), "image sums of squares",
                              emitError)) ||
      failed(requireNormOptions(getEpsilon().convertToDouble(),
                                getMomentum().convertToDouble(), emitError)))
    return failure();
  int64_t c = mean.getDimSize(1);
  Type et = mean.getElementType();
  if (failed(
          requireVector(getRunningMean(), c, "running mean", et, emitError)) ||
      failed(requireVector(getRunningVar(), c, "running var", et, emitError)))
    return failure();
  Type vec = shapeType({c}, et);
  return SmallVector<Type>{vec, vec, vec, vec};
}

FailureOr<RankedTensorType>
BatchNormNormalizeOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(getMean(), c, "mean", et, emitError)) ||
      failed(requireVector(getInvstd(), c, "invstd", et, emitError)) ||
      failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getBias(), c, "bias", et, emitError)) ||
      failed(requireLikeInput(getResidual(), input, "residual", emitError)))
    return failure();
  return input;
}

bool BatchNormNormalizeOp::isImageOperand(unsigned index) {
  return isFourDimensional(getOperand(index));
}

/// Checks the operands every split batch-norm gradient op has: the input,
/// the gradient and the optional ReLU output alike, and the batch's mean
/// and invstd.
template <typename GradientOp>
static LogicalResult requireGradientOperands(GradientOp op, EmitFn emitError) {
  auto input = getTensor(op.getInput());
  if (failed(requireStatic(input, "input", emitError)) ||
      failed(
          requireLikeInput(op.getGradOutput(), input, "gradient", emitError)) ||
      failed(requireLikeInput(op.getReluOutput(), input, "ReLU output",
                              emitError)))
    return failure();
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(op.getMean(), c, "mean", et, emitError)) ||
      failed(requireVector(op.getInvstd(), c, "invstd", et, emitError)))
    return failure();
  return success();
}

FailureOr<SmallVector<Type>>
BatchNormGradImageSumsOp::inferResultTypes(EmitFn emitError) {
  if (failed(requireGradientOperands(*this, emitError)))
    return failure();
  auto input = getTensor(getInput());
  Type stat = shapeType({input.getDimSize(0), input.getDimSize(1), 2},
                        input.getElementType());
  return SmallVector<Type>{stat, stat};
}

bool BatchNormGradImageSumsOp::isImageOperand(unsigned index) {
  return isFourDimensional(getOperand(index));
}

FailureOr<RankedTensorType>
BatchNormInputGradOp::inferResultType(EmitFn emitError) {
  if (failed(requireGradientOperands(*this, emitError)))
    return failure();
  auto input = getTensor(getInput());
  int64_t c = input.getDimSize(1);
  Type et = input.getElementType();
  if (failed(requireVector(getScale(), c, "scale", et, emitError)) ||
      failed(requireVector(getGradScale(), c, "grad_scale", et, emitError)) ||
      failed(requireVector(getGradBias(), c, "grad_bias", et, emitError)))
    return failure();
  return input;
}

bool BatchNormInputGradOp::isImageOperand(unsigned index) {
  return isFourDimensional(getOperand(index));
}

/// Checks that the output gradient of a convolution backward op has the shape
/// of the forward convolution of `input` by `weight` with the op's window.
template <typename ConvBackwardOp>
static LogicalResult
requireConvGradient(ConvBackwardOp op, RankedTensorType grad,
                    RankedTensorType input, RankedTensorType weight,
                    EmitFn emitError) {
  return requireForwardShape(
      grad,
      convOutputType(input, weight, Value(), op.getStrides(), op.getPadding(),
                     op.getDilation(), op.getGroups(), emitError),
      "gradient", emitError);
}

FailureOr<RankedTensorType>
Conv2DBackwardDataOp::inferResultType(EmitFn emitError) {
  auto grad = getTensor(getGradOutput()), weight = getTensor(getWeight());
  auto input = shapeType(getInputShape(), grad.getElementType());
  if (failed(requireConvGradient(*this, grad, input, weight, emitError)))
    return failure();
  return input;
}

FailureOr<RankedTensorType>
Conv2DBackwardFilterOp::inferResultType(EmitFn emitError) {
  auto grad = getTensor(getGradOutput()), input = getTensor(getInput());
  auto weight = shapeType(getWeightShape(), grad.getElementType());
  if (failed(requireConvGradient(*this, grad, input, weight, emitError)))
    return failure();
  return weight;
}

FailureOr<RankedTensorType>
ReduceToChannelsOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  if (input.getRank() < 2)
    return emitError() << "input must have a channel dimension (rank 2 or "
                          "more), got "
                       << input;
  return shapeType({input.getDimSize(1)}, input.getElementType());
}

FailureOr<RankedTensorType> ReLUBackwardOp::inferResultType(EmitFn emitError) {
  auto grad = getTensor(getGradOutput());
  if (failed(requireStatic(grad, "gradient", emitError)))
    return failure();
  return grad;
}

FailureOr<RankedTensorType>
MaxPool2DBackwardOp::inferResultType(EmitFn emitError) {
  auto input = getTensor(getInput());
  if (failed(requireForwardShape(getTensor(getGradOutput()),
                                 poolOutputType(input, getKernel(),
                                                getStrides(), getPadding(),
                                                getCeilMode(), emitError),
                                 "gradient", emitError)))
    return failure();
  return input;
}

FailureOr<RankedTensorType>
AvgPool2DBackwardOp::inferResultType(EmitFn emitError) {
  auto grad = getTensor(getGradOutput());
  auto input = shapeType(getInputShape(), grad.getElementType());
  if (failed(requireForwardShape(grad,
                                 poolOutputType(input, getKernel(),
                                                getStrides(), getPadding(),
                                                getCeilMode(), emitError),
                                 "gradient", emitError)))
    return failure();
  return input;
}

FailureOr<RankedTensorType>
GlobalAvgPoolBackwardOp::inferResultType(EmitFn emitError) {
  auto grad = getTensor(getGradOutput());
  auto input = shapeType(getInputShape(), grad.getElementType());
  if (failed(requireStatic(input, "input", emitError)))
    return failure();
  auto forward = shapeType({input.getDimSize(0), input.getDimSize(1), 1, 1},
                           grad.getElementType());
  if (failed(requireForwardShape(grad, forward, "gradient", emitError)))
    return failure();
  return input;
}

FailureOr<SmallVector<Type>>
LinearBackwardOp::inferResultTypes(EmitFn emitError) {
  auto grad = getTensor(getGradOutput()), input = getTensor(getInput()),
       weight = getTensor(getWeight());
  if (failed(requireStatic(grad, "gradient", emitError)) ||
      failed(requireStatic(input, "input", emitError)) ||
      failed(requireStatic(weight, "weight", emitError)))
    return failure();
  if (grad.getDimSize(0) != input.getDimSize(0) ||
      grad.getDimSize(1) != weight.getDimSize(0) ||
      input.getDimSize(1) != weight.getDimSize(1))
    return emitError() << "gradient " << grad << ", input " << input
                       << " and weight " << weight
                       << " are not those of one linear layer";
  return SmallVector<Type>{input, weight};
}

/// Checks NxK logits against N labels.
static LogicalResult checkLogits(Value logits, Value labels, EmitFn emitError) {
  auto l = getTensor(logits), y = getTensor(labels);
  if (failed(requireStatic(l, "logits", emitError)) ||
      failed(requireStatic(y, "labels", emitError)))
    return failure();
  if (y.getDimSize(0) != l.getDimSize(0))
    return emitError() << "there are " << y.getDimSize(0) << " labels for "
                       << l.getDimSize(0) << " rows of logits";
  return success();
}

FailureOr<SmallVector<Type>>
SoftmaxCrossEntropyOp::inferResultTypes(EmitFn emitError) {
  if (failed(checkLogits(getLogits(), getLabels(), emitError)))
    return failure();
  Builder b(getContext());
  return SmallVector<Type>{shapeType({}, b.getF32Type()),
                           shapeType({}, b.getI64Type())};
}

FailureOr<RankedTensorType>
SoftmaxCrossEntropyBackwardOp::inferResultType(EmitFn emitError) {
  if (failed(checkLogits(getLogits(), getLabels(), emitError)))
    return failure();
  return getTensor(getLogits());
}

FailureOr<SmallVector<Type>> AdamWUpdateOp::inferResultTypes(EmitFn emitError) {
  auto param = getTensor(getParam());
  if (failed(requireStatic(param, "parameter", emitError)))
    return failure();
  if (getGrad().getType() != param || getExpAvg().getType() != param ||
      getExpAvgSq().getType() != param)
    return emitError() << "gradient and moments must have the parameter's "
                          "type "
                       << param;
  double beta1 = getBeta1().convertToDouble(),
         beta2 = getBeta2().convertToDouble();
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    return emitError() << "beta1 and beta2 must be in [0, 1)";
  if (!(getEpsilon().convertToDouble() > 0))
    return emitError() << "epsilon must be positive";
  if (!(getWeightDecay().convertToDouble() >= 0))
    return emitError() << "weight decay must be non-negative";
  return SmallVector<Type>{param, param, param};
}

FailureOr<SmallVector<Type>> SGDUpdateOp::inferResultTypes(EmitFn emitError) {
  auto param = getTensor(getParam());
  if (failed(requireStatic(param, "parameter", emitError)))
    return failure();
  if (getGrad().getType() != param ||
      (getVelocity() && getVelocity().getType() != param))
    return emitError() << "gradient and velocity must have the parameter's "
                          "type "
                       << param;
  double momentum = getMomentum().convertToDouble(),
         decay = getWeightDecay().convertToDouble();
  if (!(momentum >= 0) || !(decay >= 0))
    return emitError() << "momentum and weight decay must be non-negative";
  if (getNesterov() && !(momentum > 0))
    return emitError() << "Nesterov momentum needs a positive momentum";
  if (!getVelocity() && momentum != 0)
    return emitError() << "a momentum needs a velocity";
  if (!getVelocity())
    return SmallVector<Type>{param};
  return SmallVector<Type>{param, param};
}

#define GET_OP_CLASSES
#include "resnetc/Dialect/RN/IR/RNOps.cpp.inc"
