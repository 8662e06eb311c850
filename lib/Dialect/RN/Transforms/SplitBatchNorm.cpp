//===- SplitBatchNorm.cpp - Training batch norm as per-image steps --------===//
//
// rn.batch_norm_train and its backward become per-image ops around small
// whole-batch combines (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNSPLITBATCHNORM
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

/// Statistics, combine and normalization in place of `op`.
static void splitForward(BatchNormTrainOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getInput().getType());
  Type vec = op.getSavedMean().getType();
  Type stat = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1)},
                                    type.getElementType());
  auto stats = b.create<BatchNormImageStatsOp>(loc, stat, stat, op.getInput());
  auto combined = b.create<BatchNormCombineStatsOp>(
      loc, vec, vec, vec, vec, stats.getImageMean(), stats.getImageM2(),
      op.getRunningMean(), op.getRunningVar(),
      type.getDimSize(2) * type.getDimSize(3), op.getEpsilon(),
      op.getMomentum());
  auto normalized = b.create<BatchNormNormalizeOp>(
      loc, type, op.getInput(), combined.getMean(), combined.getInvstd(),
      op.getScale(), op.getBias(), op.getResidual(), op.getRelu());
  op.replaceAllUsesWith(ValueRange{
      normalized.getOutput(), combined.getMean(), combined.getInvstd(),
      combined.getNewRunningMean(), combined.getNewRunningVar()});
  op.erase();
}

/// Per-image sums, their totals and the input gradient in place of `op`.
static void splitBackward(BatchNormTrainBackwardOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getInput().getType());
  Type stat = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1), 2},
                                    type.getElementType());
  auto sums = b.create<BatchNormGradImageSumsOp>(
      loc, stat, stat, op.getGradOutput(), op.getInput(), op.getSavedMean(),
      op.getSavedInvstd(), op.getReluOutput());
  Type vec = op.getGradBias().getType();
  Value gradBias =
      b.create<ReduceToChannelsOp>(loc, vec, sums.getSumGrad()).getResult();
  Value gradScale =
      b.create<ReduceToChannelsOp>(loc, vec, sums.getSumGradXhat()).getResult();
  auto dx = b.create<BatchNormInputGradOp>(
      loc, type, op.getGradOutput(), op.getInput(), op.getScale(),
      op.getSavedMean(), op.getSavedInvstd(), gradScale, gradBias,
      op.getReluOutput(),
      type.getDimSize(0) * type.getDimSize(2) * type.getDimSize(3));
  op.replaceAllUsesWith(ValueRange{dx.getGradInput(), gradScale, gradBias});
  op.erase();
}

namespace {
struct RNSplitBatchNormPass
    : rn::impl::RNSplitBatchNormBase<RNSplitBatchNormPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (auto forward = dyn_cast<BatchNormTrainOp>(op))
        splitForward(forward);
      else if (auto backward = dyn_cast<BatchNormTrainBackwardOp>(op))
        splitBackward(backward);
    });
  }
};
} // namespace
