//===- RNGradients.cpp - Gradient rules of the rn ops ---------------------===//
//
// buildGradients of every differentiable rn op: the ops computing the
// gradients of its operands from the gradients of its results. Used by the
// rn-autodiff pass. A null result gradient means none flows into that
// result; a null operand gradient means the operand has none.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::rn;

static RankedTensorType tensorOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// The shape of `v` as an attribute (for the backward ops' *_shape).
static DenseI64ArrayAttr shapeOf(OpBuilder &b, Value v) {
  return b.getDenseI64ArrayAttr(tensorOf(v).getShape());
}

/// The gradient of a conv2d or linear bias: the output gradient summed over
/// everything but the channels.
static Value biasGradient(OpBuilder &b, Location loc, Value grad) {
  auto type = RankedTensorType::get({tensorOf(grad).getDimSize(1)},
                                    tensorOf(grad).getElementType());
  return b.create<ReduceToChannelsOp>(loc, type, grad);
}

LogicalResult Conv2DOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  Location loc = getLoc();
  operandGrads.push_back(b.create<Conv2DBackwardDataOp>(
      loc, getInput().getType(), dy, getWeight(), getStridesAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr(),
      shapeOf(b, getInput())));
  operandGrads.push_back(b.create<Conv2DBackwardFilterOp>(
      loc, getWeight().getType(), dy, getInput(), getStridesAttr(),
      getPaddingAttr(), getDilationAttr(), getGroupsAttr(),
      shapeOf(b, getWeight())));
  if (getBias())
    operandGrads.push_back(biasGradient(b, loc, dy));
  return success();
}

LogicalResult
BatchNormTrainOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                 SmallVectorImpl<Value> &operandGrads) {
  if (getResidual() || getRelu())
    return emitOpError("fused with its residual add or ReLU has no gradient "
                       "rule; rn-fuse-training runs after rn-autodiff");
  // Only the normalized output carries a gradient; the statistics feed the
  // running averages, which are not differentiated.
  Value dy = resultGrads[0];
  auto back = b.create<BatchNormTrainBackwardOp>(
      getLoc(),
      TypeRange{getInput().getType(), getScale().getType(),
                getBias().getType()},
      dy, getInput(), getScale(), getSavedMean(), getSavedInvstd(),
      /*relu_output=*/Value());
  operandGrads.append({back.getGradInput(), back.getGradScale(),
                       back.getGradBias(), Value(), Value()});
  return success();
}

LogicalResult ReLUOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                     SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(b.create<ReLUBackwardOp>(getLoc(), resultGrads[0],
                                                  getOutput(),
                                                  /*addend=*/Value()));
  return success();
}

LogicalResult
DropoutTrainOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                               SmallVectorImpl<Value> &operandGrads) {
  // The same mask and scale: the op is linear in its input.
  operandGrads.push_back(
      b.create<DropoutTrainOp>(getLoc(), getType(), resultGrads[0], getSeed(),
                               getRateAttr(), getStreamAttr()));
  operandGrads.push_back(Value());
  return success();
}

LogicalResult AddOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.append({resultGrads[0], resultGrads[0]});
  return success();
}

LogicalResult
MaxPool2DOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(b.create<MaxPool2DBackwardOp>(
      getLoc(), getInput().getType(), resultGrads[0], getInput(),
      getKernelAttr(), getStridesAttr(), getPaddingAttr(), getCeilModeAttr()));
  return success();
}

LogicalResult
AvgPool2DOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                            SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(b.create<AvgPool2DBackwardOp>(
      getLoc(), getInput().getType(), resultGrads[0], getKernelAttr(),
      getStridesAttr(), getPaddingAttr(), shapeOf(b, getInput()),
      getCeilModeAttr(), getExcludePaddingAttr()));
  return success();
}

LogicalResult
GlobalAvgPoolOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                SmallVectorImpl<Value> &operandGrads) {
  operandGrads.push_back(b.create<GlobalAvgPoolBackwardOp>(
      getLoc(), getInput().getType(), resultGrads[0], shapeOf(b, getInput())));
  return success();
}

LogicalResult FlattenOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                        SmallVectorImpl<Value> &operandGrads) {
  auto inType = tensorOf(getInput());
  if (inType.getRank() == 2) {
    operandGrads.push_back(resultGrads[0]);
    return success();
  }
  ReassociationIndices rest;
  for (int64_t i = 1; i < inType.getRank(); ++i)
    rest.push_back(i);
  SmallVector<ReassociationIndices> groups = {{0}, rest};
  operandGrads.push_back(b.create<tensor::ExpandShapeOp>(
      getLoc(), inType, resultGrads[0], groups));
  return success();
}

LogicalResult LinearOp::buildGradients(OpBuilder &b, ValueRange resultGrads,
                                       SmallVectorImpl<Value> &operandGrads) {
  Value dy = resultGrads[0];
  auto back = b.create<LinearBackwardOp>(
      getLoc(), TypeRange{getInput().getType(), getWeight().getType()}, dy,
      getInput(), getWeight());
  operandGrads.append({back.getGradInput(), back.getGradWeight()});
  if (getBias())
    operandGrads.push_back(biasGradient(b, getLoc(), dy));
  return success();
}
