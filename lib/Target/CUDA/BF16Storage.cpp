//===- BF16Storage.cpp - Activations stored in bf16 -----------------------===//
//
// See BF16Storage.h. The conversions are elementwise arith ops on tensors;
// after convert-elementwise-to-linalg, fuseConversions folds them into the
// kernels' own loops.
//
//===----------------------------------------------------------------------===//

#include "BF16Storage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// `type` with bf16 elements.
static RankedTensorType toBF16(Type type) {
  auto t = cast<RankedTensorType>(type);
  return RankedTensorType::get(t.getShape(),
                               BFloat16Type::get(type.getContext()));
}

/// Retypes the arguments of `kernel` (destination-passing: inputs, then
/// one output per result) whose buffers are bf16.
static void retypeKernel(func::FuncOp kernel, const PlanStep &step,
                         const Plan &plan) {
  Block &body = kernel.front();
  unsigned numOuts = kernel.getNumResults();
  unsigned numInputs = body.getNumArguments() - numOuts;
  OpBuilder b(kernel.getContext());
  for (auto [i, buffer] : llvm::enumerate(step.args)) {
    if (plan.buffers[buffer].dtype != DType::BF16)
      continue;
    BlockArgument arg = body.getArgument(i);
    Type f32Type = arg.getType();
    if (cast<RankedTensorType>(f32Type).getElementType().isBF16())
      continue; // a conversion kernel's output
    arg.setType(toBF16(f32Type));
    if (i < numInputs) {
      // Read as fp32.
      b.setInsertionPointToStart(&body);
      auto wide = b.create<arith::ExtFOp>(kernel.getLoc(), f32Type, arg);
      arg.replaceAllUsesExcept(wide, wide);
      continue;
    }
    // Written from fp32.
    for (OpOperand &use : llvm::make_early_inc_range(arg.getUses())) {
      auto store =
          dyn_cast<bufferization::MaterializeInDestinationOp>(use.getOwner());
      if (!store)
        continue;
      b.setInsertionPoint(store);
      Value narrow = b.create<arith::TruncFOp>(kernel.getLoc(), arg.getType(),
                                               store.getSource());
      store.getSourceMutable().assign(narrow);
      store.getResult().setType(cast<TensorType>(arg.getType()));
    }
  }
  Operation *ret = body.getTerminator();
  kernel.setType(FunctionType::get(kernel.getContext(), body.getArgumentTypes(),
                                   ret->getOperandTypes()));
}

/// A kernel converting an fp32 tensor of `type` to bf16.
static func::FuncOp createConversionKernel(ModuleOp module, StringRef name,
                                           RankedTensorType type,
                                           Location loc) {
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  RankedTensorType narrow = toBF16(type);
  auto kernel = b.create<func::FuncOp>(
      loc, name, b.getFunctionType({type, narrow}, {narrow}));
  kernel->setAttr("rn.kernel", b.getUnitAttr());
  kernel->setAttr("rn.whole_batch", b.getUnitAttr());
  Block *body = kernel.addEntryBlock();
  b.setInsertionPointToStart(body);
  Value converted =
      b.create<arith::TruncFOp>(loc, narrow, body->getArgument(0));
  Value stored =
      b.create<bufferization::MaterializeInDestinationOp>(
           loc, converted, body->getArgument(1))
          .getResult();
  b.create<func::ReturnOp>(loc, stored);
  return kernel;
}

LogicalResult resnetc::storeTemporariesInBF16(ModuleOp module, Plan &plan) {
  for (PlanBuffer &buffer : plan.buffers)
    if (buffer.role == BufferRole::Activation && buffer.shape.size() == 4 &&
        buffer.dtype == DType::F32) {
      buffer.dtype = DType::BF16;
      buffer.bytes = buffer.bytes / 4 * 2;
    }

  // cuDNN takes all its tensors in one type: bf16 copies of the fp32 ones
  // (weights, the input images), made by conversion steps. In `infer`, the
  // copies of parameters and derived weights are persistent (role
  // derived) and made once, at the end of `prepare`; the others, one per
  // entry and buffer, just before the first call that needs each.
  if (!plan.findEntry("prepare"))
    plan.entries.insert(plan.entries.begin(), PlanEntry{"prepare", {}});
  std::vector<PlanStep> prepared;
  int conversions = 0;
  for (PlanEntry &entry : plan.entries) {
    llvm::DenseMap<int64_t, int64_t> copyOf;
    std::vector<PlanStep> steps;
    for (PlanStep &step : entry.steps) {
      if (step.library && plan.buffers[step.args.back()].dtype != DType::BF16)
        return module.emitError("internal error: the output of cuDNN call '")
               << step.kernel << "' is not a bf16 buffer";
      for (size_t i = 0; step.library && i + 1 < step.args.size(); ++i) {
        int64_t source = step.args[i];
        PlanBuffer from = plan.buffers[source];
        if (from.shape.size() != 4 || from.dtype != DType::F32)
          continue;
        auto [it, isNew] = copyOf.try_emplace(source, -1);
        if (isNew) {
          bool once = entry.name == "infer" &&
                      (from.role == BufferRole::Param ||
                       from.role == BufferRole::Derived);
          PlanBuffer copy = from;
          copy.name =
              (once ? from.name : entry.name + ":" + from.name) + ".bf16";
          copy.role = once ? BufferRole::Derived : BufferRole::Activation;
          copy.dtype = DType::BF16;
          copy.bytes = from.bytes / 4 * 2;
          RankedTensorType type = RankedTensorType::get(
              from.shape, Float32Type::get(module.getContext()));
          plan.buffers.push_back(std::move(copy));
          it->second = static_cast<int64_t>(plan.buffers.size()) - 1;
          PlanStep convert;
          convert.kernel =
              "c" + std::to_string(conversions++) + "_" + step.kernel;
          convert.layer = step.layer;
          convert.batched = false;
          convert.args = {source, it->second};
          createConversionKernel(module, convert.kernel, type,
                                 module.getLoc());
          (once ? prepared : steps).push_back(std::move(convert));
        }
        step.args[i] = it->second;
      }
      steps.push_back(step);
    }
    entry.steps = std::move(steps);
  }
  for (PlanEntry &entry : plan.entries)
    if (entry.name == "prepare")
      entry.steps.insert(entry.steps.end(), prepared.begin(), prepared.end());
  if (plan.entries.front().steps.empty())
    plan.entries.erase(plan.entries.begin());

  for (const PlanEntry &entry : plan.entries)
    for (const PlanStep &step : entry.steps) {
      if (step.library)
        continue;
      auto kernel = module.lookupSymbol<func::FuncOp>(step.kernel);
      if (!kernel || kernel.getNumArguments() != step.args.size())
        return module.emitError("internal error: kernel '")
               << step.kernel << "' does not match its plan step";
      retypeKernel(kernel, step, plan);
    }
  return success();
}

/// Whether `op` is a linalg.generic that only converts its one input.
static bool isConversion(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1)
    return false;
  Block &body = generic.getRegion().front();
  return body.getOperations().size() == 2 &&
         isa<arith::ExtFOp, arith::TruncFOp>(body.front());
}

void resnetc::fuseConversions(ModuleOp module) {
  RewritePatternSet patterns(module.getContext());
  // A conversion is fused into every consumer (it is recomputed, never
  // stored in fp32); other producers only into their one consumer.
  linalg::populateElementwiseOpsFusionPatterns(
      patterns, [](OpOperand *operand) {
        Operation *producer = operand->get().getDefiningOp();
        return isConversion(producer) ||
               (producer && producer->hasOneUse());
      });
  // An optimization: should the driver not converge, the kernels are still
  // correct, only less fused.
  (void)applyPatternsAndFoldGreedily(module, std::move(patterns));
}
