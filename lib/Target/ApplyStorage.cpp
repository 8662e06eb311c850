//===- ApplyStorage.cpp - The rn-apply-storage pass -----------------------===//
//
// Each kernel is retyped once, from the first step that runs it; every
// other step running it must store its buffers alike. Which arguments
// change is decided by the storage, not by the types: an NHWC tensor with
// C == H == W has the NCHW tensor's type.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"
#include "resnetc/Target/Storage.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// `values` (one per logical dimension of a rank-4 slice) in stored order.
static SmallVector<OpFoldResult> permuteFolds(ArrayRef<OpFoldResult> values,
                                              Layout layout) {
  SmallVector<OpFoldResult> result;
  for (int64_t d : getLayoutPermutation(layout))
    result.push_back(values[d]);
  return result;
}

/// Retypes argument `arg`, a kernel input stored as `buffer`: each
/// per-image slice of it becomes a slice of the stored tensor, converted;
/// other uses read one conversion of the whole.
static LogicalResult retypeInput(BlockArgument arg, const PlanBuffer &buffer,
                                 RankedTensorType stored) {
  auto logical = cast<RankedTensorType>(arg.getType());
  Block *body = arg.getOwner();
  OpBuilder b(arg.getContext());
  Location loc = arg.getLoc();
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : arg.getUses())
    uses.push_back(&use);
  arg.setType(stored);
  Value whole;
  for (OpOperand *use : uses) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(use->getOwner());
    if (slice && slice.getSource() == arg && slice.getType().getRank() == 4) {
      b.setInsertionPoint(slice);
      RankedTensorType sliceType = slice.getType();
      auto storedSlice = RankedTensorType::get(
          permuteShape(sliceType.getShape(), buffer.layout),
          stored.getElementType());
      Value part = b.create<tensor::ExtractSliceOp>(
          slice.getLoc(), storedSlice, arg,
          permuteFolds(slice.getMixedOffsets(), buffer.layout),
          permuteFolds(slice.getMixedSizes(), buffer.layout),
          permuteFolds(slice.getMixedStrides(), buffer.layout));
      Value converted = buildStorageConversion(
          b, slice.getLoc(), part, buffer.layout, sliceType, Layout::NCHW);
      slice.replaceAllUsesWith(converted);
      slice.erase();
      continue;
    }
    if (isa<tensor::ExtractSliceOp>(use->getOwner()))
      return use->getOwner()->emitError(
          "internal error: unexpected slice of a stored argument");
    if (!whole) {
      b.setInsertionPointToStart(body);
      whole = buildStorageConversion(b, loc, arg, buffer.layout, logical,
                                     Layout::NCHW);
    }
    use->set(whole);
  }
  return success();
}

/// Retypes argument `arg`, a kernel output stored as `buffer`: what is
/// written into it (whole, or one image's slice) is converted first.
static LogicalResult retypeOutput(BlockArgument arg, const PlanBuffer &buffer,
                                  RankedTensorType stored) {
  OpBuilder b(arg.getContext());
  SmallVector<Operation *> users(arg.getUsers());
  arg.setType(stored);
  for (Operation *user : users) {
    b.setInsertionPoint(user);
    if (auto write =
            dyn_cast<bufferization::MaterializeInDestinationOp>(user)) {
      if (write.getDest() != arg)
        return user->emitError("internal error: a stored result is read");
      Value converted =
          buildStorageConversion(b, user->getLoc(), write.getSource(),
                                 Layout::NCHW, stored, buffer.layout);
      write.getSourceMutable().assign(converted);
      write.getResult().setType(stored);
      continue;
    }
    auto insert = dyn_cast<tensor::InsertSliceOp>(user);
    if (!insert || insert.getDest() != arg ||
        insert.getSourceType().getRank() != 4)
      return user->emitError("internal error: unexpected use of a stored "
                             "result");
    RankedTensorType sliceType = insert.getSourceType();
    auto storedSlice =
        RankedTensorType::get(permuteShape(sliceType.getShape(), buffer.layout),
                              stored.getElementType());
    Value converted =
        buildStorageConversion(b, insert.getLoc(), insert.getSource(),
                               Layout::NCHW, storedSlice, buffer.layout);
    Value inserted = b.create<tensor::InsertSliceOp>(
        insert.getLoc(), converted, arg,
        permuteFolds(insert.getMixedOffsets(), buffer.layout),
        permuteFolds(insert.getMixedSizes(), buffer.layout),
        permuteFolds(insert.getMixedStrides(), buffer.layout));
    insert.replaceAllUsesWith(inserted);
    insert.erase();
  }
  return success();
}

/// Retypes the buffer arguments of `kernel` (destination-passing: inputs,
/// then one output per result, then on the CPU the image index).
static LogicalResult retypeKernel(func::FuncOp kernel, const PlanStep &step,
                                  const Plan &plan) {
  MLIRContext *ctx = kernel.getContext();
  Block &body = kernel.front();
  unsigned numOuts = kernel.getNumResults();
  if (body.getNumArguments() < step.args.size() || step.args.size() < numOuts)
    return kernel.emitError("internal error: kernel '")
           << kernel.getName() << "' does not match its plan step";
  unsigned numInputs = step.args.size() - numOuts;
  for (auto [i, index] : llvm::enumerate(step.args)) {
    const PlanBuffer &buffer = plan.buffers[index];
    BlockArgument arg = body.getArgument(i);
    RankedTensorType stored = getStoredType(ctx, buffer);
    auto logical = dyn_cast<RankedTensorType>(arg.getType());
    // Decided by the storage, not by the types: an NHWC tensor with
    // C == H == W has the NCHW tensor's type.
    if (!logical || (buffer.layout == Layout::NCHW &&
                     logical.getElementType() == stored.getElementType()))
      continue;
    if (logical.getShape() != ArrayRef<int64_t>(buffer.shape) ||
        !logical.getElementType().isF32())
      return kernel.emitError("internal error: argument ")
             << i << " of kernel '" << kernel.getName()
             << "' does not match buffer '" << buffer.name << "'";
    if (failed(i < numInputs ? retypeInput(arg, buffer, stored)
                             : retypeOutput(arg, buffer, stored)))
      return failure();
  }
  Operation *ret = body.getTerminator();
  kernel.setType(
      FunctionType::get(ctx, body.getArgumentTypes(), ret->getOperandTypes()));
  return success();
}

/// How a step's buffers are stored, argument by argument.
static std::vector<std::pair<DType, Layout>> getStorage(const PlanStep &step,
                                                        const Plan &plan) {
  std::vector<std::pair<DType, Layout>> storage;
  for (int64_t index : step.args)
    storage.emplace_back(plan.buffers[index].dtype, plan.buffers[index].layout);
  return storage;
}

/// Retypes the arguments of every kernel of `plan` to the stored types of
/// their buffers (library calls excepted).
static LogicalResult applyStorage(ModuleOp module, const Plan &plan) {
  llvm::StringMap<std::vector<std::pair<DType, Layout>>> done;
  for (const PlanEntry &entry : plan.entries)
    for (const PlanStep &step : entry.steps) {
      if (step.library)
        continue;
      auto [it, isNew] = done.try_emplace(step.kernel, getStorage(step, plan));
      if (!isNew) {
        // A kernel is retyped once: every step running it must agree.
        if (it->second != getStorage(step, plan))
          return module.emitError("internal error: kernel '")
                 << step.kernel << "' runs on buffers stored differently";
        continue;
      }
      auto kernel = module.lookupSymbol<func::FuncOp>(step.kernel);
      if (!kernel)
        return module.emitError("internal error: no kernel '")
               << step.kernel << "' for its plan step";
      if (kernel->hasAttr("rn.storage_conversion"))
        continue;
      if (failed(retypeKernel(kernel, step, plan)))
        return failure();
    }
  return success();
}

namespace resnetc {
#define GEN_PASS_DEF_RNAPPLYSTORAGE
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNApplyStorage : resnetc::impl::RNApplyStorageBase<RNApplyStorage> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan) || failed(applyStorage(module, *plan)))
      return signalPassFailure();
  }
};
} // namespace
