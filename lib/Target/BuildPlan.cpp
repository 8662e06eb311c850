//===- BuildPlan.cpp - The rn-build-plan pass -----------------------------===//
//
// Buffers: the input, the parameters and state (named as in checkpoints),
// the tensors derived from parameters by `prepare`, and the activations of
// `infer` and `train_step`; steps: one per kernel call of the entries.
// Offsets are assigned later (rn-assign-buffers).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>
#include <set>

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

static int64_t byteSize(RankedTensorType t) {
  return t.getNumElements() *
         static_cast<int64_t>(t.getElementTypeBitWidth() / 8);
}

/// The fewest elements a CPU whole-batch kernel of an RN_RowWise op
/// computes before its rows are worth spreading over threads: waking a
/// worker costs about as much as updating 64K floats.
static constexpr int64_t kMinRowWiseElements = 1 << 16;

/// The rows a CPU whole-batch `kernel` runs as one call each: the extent of
/// dimension 0 of its results when its op is RN_RowWise, has results of
/// rank 1 or more all of that extent, and computes at least
/// kMinRowWiseElements elements; else 0.
static int64_t rowsOf(func::FuncOp kernel) {
  Operation *op = &kernel.front().front();
  if (!op->hasTrait<rn::RowWise>() || op->getNumResults() == 0)
    return 0;
  auto first = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!first || first.getRank() == 0 || first.getDimSize(0) < 2 ||
      first.getNumElements() < kMinRowWiseElements)
    return 0;
  auto sameRows = [&](Type t) {
    auto type = dyn_cast<RankedTensorType>(t);
    return type &&
           (type.getRank() == 0 || type.getDimSize(0) == first.getDimSize(0));
  };
  if (!llvm::all_of(op->getOperandTypes(), sameRows) ||
      !llvm::all_of(op->getResultTypes(), sameRows))
    return 0;
  return first.getDimSize(0);
}

namespace {
/// Builds a plan entry by entry; buffers of parameters and state are shared
/// by name, activations of each entry are laid out by liveness over the same
/// region (entries never run at the same time).
class PlanBuilder {
public:
  PlanBuilder(ModuleOp module, Plan &plan) : module(module), plan(plan) {}

  int64_t addBuffer(Type type, std::string name, BufferRole role) {
    auto t = cast<RankedTensorType>(type);
    PlanBuffer b;
    b.name = std::move(name);
    b.role = role;
    b.dtype = t.getElementType().isInteger(64) ? DType::I64 : DType::F32;
    b.shape.assign(t.getShape().begin(), t.getShape().end());
    b.bytes = byteSize(t);
    plan.buffers.push_back(std::move(b));
    int64_t index = static_cast<int64_t>(plan.buffers.size()) - 1;
    byName[plan.buffers.back().name] = index;
    return index;
  }

  /// Binds the arguments of an entry function to buffers.
  LogicalResult bindArguments(func::FuncOp fn,
                              llvm::DenseMap<Value, int64_t> &bufferOf) {
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      BlockArgument arg = fn.getArgument(i);
      auto named = [&](StringRef attr) {
        return fn.getArgAttrOfType<StringAttr>(i, attr);
      };
      auto reuse = [&](const std::string &name, BufferRole role) {
        auto it = byName.find(name);
        bufferOf[arg] = it != byName.end()
                            ? it->second
                            : addBuffer(arg.getType(), name, role);
      };
      if (auto name = named("rn.param")) {
        reuse(name.str(), BufferRole::Param);
        if (fn.getArgAttr(i, "rn.zero_init"))
          plan.buffers[bufferOf[arg]].zeroInit = true;
      } else if (auto name = named("rn.state"))
        reuse(name.str(), BufferRole::State);
      else if (auto name = named("rn.optimizer_state"))
        reuse(name.str(), BufferRole::OptimizerState);
      else if (auto name = named("rn.hyper"))
        reuse(name.str(), BufferRole::Hyper);
      else if (fn.getArgAttr(i, "rn.labels"))
        reuse("labels", BufferRole::Labels);
      else if (fn.getArgAttr(i, "rn.input")) {
        reuse("input", BufferRole::Input);
        plan.input = bufferOf[arg];
      } else {
        return fn.emitError("argument ") << i << " has no role";
      }
    }
    return success();
  }

  /// Turns the kernel calls of `fn` into steps. Results that `fn` returns
  /// with `rn.update = NAME` are written in place into buffer NAME, which
  /// must not be read by a later step; `rn.loss`/`rn.correct` results get
  /// their own buffers; the first result without attributes of @forward is
  /// the output.
  LogicalResult buildEntry(func::FuncOp fn, PlanEntry &prepare,
                           PlanEntry &entry, bool perImage) {
    llvm::DenseMap<Value, int64_t> bufferOf;
    if (failed(bindArguments(fn, bufferOf)))
      return failure();
    Operation *terminator = fn.getBody().front().getTerminator();
    // Where each returned value goes.
    llvm::DenseMap<Value, int64_t> destination;
    llvm::DenseMap<Value, BufferRole> resultRole;
    for (auto [i, v] : llvm::enumerate(terminator->getOperands())) {
      if (auto name = fn.getResultAttrOfType<StringAttr>(i, "rn.update")) {
        auto it = byName.find(name.str());
        if (it == byName.end())
          return fn.emitError("update of unknown buffer '") << name << "'";
        destination[v] = it->second;
      } else if (fn.getResultAttr(i, "rn.loss")) {
        resultRole[v] = BufferRole::Loss;
      } else if (fn.getResultAttr(i, "rn.correct")) {
        resultRole[v] = BufferRole::Correct;
      } else {
        resultRole[v] = BufferRole::Output;
      }
    }
    SmallVector<func::CallOp> calls;
    for (Operation &op : fn.getBody().front()) {
      if (&op == terminator)
        break;
      auto call = dyn_cast<func::CallOp>(op);
      auto kernel =
          call ? module.lookupSymbol<func::FuncOp>(call.getCallee()) : nullptr;
      if (!kernel || !kernel->hasAttr("rn.kernel"))
        return op.emitError("expected a call to an rn kernel in @")
               << fn.getName();
      calls.push_back(call);
    }
    // The last step reading each buffer, to check in-place updates.
    llvm::DenseMap<int64_t, size_t> lastReader;
    for (auto [s, call] : llvm::enumerate(calls))
      for (Value operand : call.getOperands())
        if (auto it = bufferOf.find(operand); it != bufferOf.end())
          lastReader[it->second] = s;

    for (auto [s, call] : llvm::enumerate(calls)) {
      auto kernel = module.lookupSymbol<func::FuncOp>(call.getCallee());
      bool isPrepare = kernel->hasAttr("rn.prepare");
      PlanStep step;
      step.kernel = kernel.getName().str();
      step.layer = rn::getLayerPath(kernel.getLoc());
      step.perImage =
          perImage && !isPrepare && !kernel->hasAttr("rn.whole_batch");
      // The CPU spreads a large row-wise kernel's rows over its threads.
      if (perImage && kernel->hasAttr("rn.whole_batch"))
        if (int64_t rows = rowsOf(kernel)) {
          step.rows = rows;
          kernel->setAttr(
              "rn.rows",
              IntegerAttr::get(IntegerType::get(fn.getContext(), 64), rows));
        }
      for (Value operand : call.getOperands()) {
        auto found = bufferOf.find(operand);
        if (found == bufferOf.end())
          return call.emitError("internal error: an operand has no buffer"),
                 failure();
        int64_t b = found->second;
        step.args.push_back(b);
      }
      for (auto [i, result] : llvm::enumerate(call.getResults())) {
        if (auto it = destination.find(result); it != destination.end()) {
          // Written in place: no later step may read the old value.
          auto reader = lastReader.find(it->second);
          if (reader != lastReader.end() && reader->second > s)
            return call.emitError("cannot update '")
                   << plan.buffers[it->second].name
                   << "' in place: a later step still reads it";
          bufferOf[result] = it->second;
          step.args.push_back(it->second);
          continue;
        }
        std::string name = step.layer.empty() ? step.kernel : step.layer;
        if (call.getNumResults() > 1)
          name += "." + std::to_string(i);
        BufferRole role =
            isPrepare ? BufferRole::Derived : BufferRole::Activation;
        if (auto it = resultRole.find(result);
            it != resultRole.end() && it->second != BufferRole::Output)
          role = it->second;
        int64_t b = addBuffer(result.getType(), entry.name + ":" + name, role);
        bufferOf[result] = b;
        step.args.push_back(b);
        if (auto it = resultRole.find(result);
            it != resultRole.end() && it->second == BufferRole::Output) {
          plan.buffers[b].role = BufferRole::Output;
          plan.buffers[b].name = "logits";
          plan.output = b;
        }
      }
      if (isPrepare) {
        prepare.steps.push_back(std::move(step));
      } else {
        entry.steps.push_back(std::move(step));
      }
    }
    return success();
  }

private:
  ModuleOp module;
  Plan &plan;
  std::map<std::string, int64_t> byName;
};
} // namespace

/// The plan of `module` for `target` ("cpu" or "cuda"), without offsets.
static FailureOr<Plan> buildPlan(ModuleOp module, StringRef target) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward) {
    module.emitError("no @forward function to build a plan from");
    return failure();
  }
  Plan plan;
  plan.target = target.str();
  if (auto a = module->getAttrOfType<StringAttr>("rn.model"))
    plan.model = a.str();
  if (auto a = module->getAttrOfType<IntegerAttr>("rn.batch"))
    plan.batch = a.getInt();
  if (auto a = module->getAttrOfType<IntegerAttr>("rn.classes"))
    plan.classes = a.getInt();
  if (auto a = module->getAttrOfType<DenseI64ArrayAttr>("rn.input_shape"))
    plan.inputShape.assign(a.asArrayRef().begin(), a.asArrayRef().end());

  PlanBuilder builder(module, plan);
  PlanEntry prepare{"prepare", {}}, infer{"infer", {}}, train{"train_step", {}};
  // CPU kernels run per image, but for those marked rn.whole_batch (in
  // train_step: statistics, weight gradients, the loss and the update);
  // CUDA kernels span the batch.
  bool perImage = target == "cpu";
  if (failed(builder.buildEntry(forward, prepare, infer, perImage)))
    return failure();
  if (plan.output < 0) {
    forward.emitError("@forward must compute its output");
    return failure();
  }
  auto trainStep = module.lookupSymbol<func::FuncOp>("train_step");
  if (trainStep &&
      failed(builder.buildEntry(trainStep, prepare, train, perImage)))
    return failure();
  if (!prepare.steps.empty())
    plan.entries.push_back(std::move(prepare));
  plan.entries.push_back(std::move(infer));
  if (trainStep)
    plan.entries.push_back(std::move(train));
  return plan;
}

namespace resnetc {
#define GEN_PASS_DEF_RNBUILDPLAN
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNBuildPlan : resnetc::impl::RNBuildPlanBase<RNBuildPlan> {
  using RNBuildPlanBase::RNBuildPlanBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (target != "cpu" && target != "cuda") {
      module.emitError("rn-build-plan: unknown target '") << target << "'";
      return signalPassFailure();
    }
    if (failed(checkCPU()))
      return signalPassFailure();
    FailureOr<Plan> plan = buildPlan(module, target);
    if (failed(plan))
      return signalPassFailure();
    plan->cpu = cpu;
    plan->cpuFeatures.assign(cpuFeatures.begin(), cpuFeatures.end());
    plan->precision = precision;
    plan->optimizer = optimizer;
    plan->momentum = momentum;
    plan->weightDecay = weightDecay;
    plan->nesterov = nesterov;
    plan->beta1 = beta1;
    plan->beta2 = beta2;
    plan->epsilon = epsilon;
    // The plan replaces the entry functions.
    for (StringRef name : {"forward", "train_step"})
      if (auto fn = module.lookupSymbol<func::FuncOp>(name))
        fn.erase();
    setPlan(module, *plan);
  }

  /// The CPU options name a CPU for a CPU plan, and only extensions that
  /// resnet-run checks.
  LogicalResult checkCPU() {
    ModuleOp module = getOperation();
    if ((!cpu.empty() || !cpuFeatures.empty()) && target != "cpu")
      return module.emitError("rn-build-plan: cpu and cpu-features are for "
                              "CPU plans");
    if (!cpuFeatures.empty() && cpu.empty())
      return module.emitError("rn-build-plan: cpu-features without a cpu");
    const std::vector<std::string> &checked = getCheckedCPUFeatures();
    for (const std::string &feature : cpuFeatures)
      if (!llvm::is_contained(checked, feature))
        return module.emitError("rn-build-plan: unknown CPU feature '")
               << feature << "'";
    return success();
  }
};
} // namespace
