//===- PlanBuilder.cpp - Execution plans from outlined modules ------------===//
//
// Buffers: the input, the parameters and state (named as in checkpoints),
// the tensors derived from parameters by `prepare`, and the activations of
// `infer`. Persistent buffers are laid out first; activations share the
// rest of the arena by liveness: a step's results are placed first-fit in
// the free space, then the buffers whose last use was that step are freed.
// A result never shares memory with an operand of its own step.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/PlanBuilder.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

static int64_t alignUp(int64_t v) {
  return (v + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

static int64_t byteSize(RankedTensorType t) {
  return t.getNumElements() *
         static_cast<int64_t>(t.getElementTypeBitWidth() / 8);
}

namespace {
/// First-fit allocator over [0, infinity) with a high-water mark.
class ArenaAllocator {
public:
  int64_t allocate(int64_t bytes) {
    bytes = alignUp(bytes);
    for (auto it = freeBlocks.begin(); it != freeBlocks.end(); ++it) {
      if (it->second >= bytes) {
        int64_t offset = it->first, size = it->second;
        freeBlocks.erase(it);
        if (size > bytes)
          freeBlocks[offset + bytes] = size - bytes;
        return offset;
      }
    }
    // Extend the top, merging with a free block that ends there.
    int64_t offset = top;
    if (!freeBlocks.empty()) {
      auto last = std::prev(freeBlocks.end());
      if (last->first + last->second == top) {
        offset = last->first;
        freeBlocks.erase(last);
      }
    }
    top = offset + bytes;
    return offset;
  }
  void release(int64_t offset, int64_t bytes) {
    bytes = alignUp(bytes);
    auto it = freeBlocks.emplace(offset, bytes).first;
    // Merge with the next and previous blocks.
    auto next = std::next(it);
    if (next != freeBlocks.end() && it->first + it->second == next->first) {
      it->second += next->second;
      freeBlocks.erase(next);
    }
    if (it != freeBlocks.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        freeBlocks.erase(it);
      }
    }
  }
  int64_t highWater() const { return top; }

private:
  std::map<int64_t, int64_t> freeBlocks; // offset -> size
  int64_t top = 0;
};
} // namespace

FailureOr<Plan> resnetc::buildPlan(ModuleOp module, StringRef target) {
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

  llvm::DenseMap<Value, int64_t> bufferOf;
  auto addBuffer = [&](Value v, std::string name, BufferRole role) {
    auto type = cast<RankedTensorType>(v.getType());
    PlanBuffer b;
    b.name = std::move(name);
    b.role = role;
    b.shape.assign(type.getShape().begin(), type.getShape().end());
    b.bytes = byteSize(type);
    plan.buffers.push_back(std::move(b));
    int64_t index = static_cast<int64_t>(plan.buffers.size()) - 1;
    bufferOf[v] = index;
    return index;
  };

  for (auto [i, arg] : llvm::enumerate(forward.getArguments())) {
    if (auto name = forward.getArgAttrOfType<StringAttr>(i, "rn.param"))
      addBuffer(arg, name.str(), BufferRole::Param);
    else if (auto name = forward.getArgAttrOfType<StringAttr>(i, "rn.state"))
      addBuffer(arg, name.str(), BufferRole::State);
    else if (forward.getArgAttr(i, "rn.input"))
      plan.input = addBuffer(arg, "input", BufferRole::Input);
    else {
      forward.emitError("argument ") << i << " has no role";
      return failure();
    }
  }

  Operation *terminator = forward.getBody().front().getTerminator();
  PlanEntry prepare{"prepare", {}}, infer{"infer", {}};
  // Activation liveness, in steps of `infer`.
  llvm::DenseMap<int64_t, int64_t> lastUse;
  std::vector<std::vector<int64_t>> definedAt;

  for (Operation &op : forward.getBody().front()) {
    if (&op == terminator)
      break;
    auto call = dyn_cast<func::CallOp>(op);
    auto kernel =
        call ? module.lookupSymbol<func::FuncOp>(call.getCallee()) : nullptr;
    if (!kernel || !kernel->hasAttr("rn.kernel")) {
      op.emitError("expected a call to an rn kernel in @forward");
      return failure();
    }
    bool isPrepare = kernel->hasAttr("rn.prepare");
    PlanStep step;
    step.kernel = kernel.getName().str();
    step.layer = rn::getLayerPath(kernel.getLoc());
    step.batched = !isPrepare;
    int64_t stepIndex = static_cast<int64_t>(infer.steps.size());
    for (Value operand : call.getOperands()) {
      auto found = bufferOf.find(operand);
      if (found == bufferOf.end())
        return call.emitError("internal error: an operand has no buffer"),
               failure();
      int64_t b = found->second;
      step.args.push_back(b);
      if (!isPrepare && plan.buffers[b].role == BufferRole::Activation)
        lastUse[b] = stepIndex;
    }
    std::vector<int64_t> results;
    for (auto [i, result] : llvm::enumerate(call.getResults())) {
      std::string name = step.layer.empty() ? step.kernel : step.layer;
      if (call.getNumResults() > 1)
        name += "." + std::to_string(i);
      int64_t b =
          addBuffer(result, name,
                    isPrepare ? BufferRole::Derived : BufferRole::Activation);
      step.args.push_back(b);
      results.push_back(b);
    }
    if (isPrepare) {
      prepare.steps.push_back(std::move(step));
    } else {
      infer.steps.push_back(std::move(step));
      definedAt.push_back(std::move(results));
    }
  }
  if (terminator->getNumOperands() != 1) {
    forward.emitError("@forward must return the logits");
    return failure();
  }
  plan.output = bufferOf.lookup(terminator->getOperand(0));
  if (plan.buffers[plan.output].role != BufferRole::Activation) {
    forward.emitError("@forward must compute its output");
    return failure();
  }
  plan.buffers[plan.output].role = BufferRole::Output;
  // The output lives to the end of the entry, whatever reads it.
  lastUse.erase(plan.output);

  // Persistent buffers first.
  int64_t offset = 0;
  for (PlanBuffer &b : plan.buffers)
    if (b.role != BufferRole::Activation && b.role != BufferRole::Output) {
      b.offset = offset;
      offset += alignUp(b.bytes);
    }
  int64_t activationBase = offset;

  // Activations (and the output, alive to the end) by liveness.
  ArenaAllocator arena;
  for (size_t s = 0; s < definedAt.size(); ++s) {
    for (int64_t b : definedAt[s]) {
      PlanBuffer &buf = plan.buffers[b];
      buf.offset = activationBase + arena.allocate(buf.bytes);
      if (buf.role == BufferRole::Output)
        continue;
      if (!lastUse.count(b))
        lastUse[b] = static_cast<int64_t>(s); // dead result: free now
    }
    std::vector<int64_t> dying;
    for (auto &[b, last] : lastUse)
      if (last == static_cast<int64_t>(s))
        dying.push_back(b);
    std::sort(dying.begin(), dying.end());
    for (int64_t b : dying)
      arena.release(plan.buffers[b].offset - activationBase,
                    plan.buffers[b].bytes);
  }
  plan.peakActivationBytes = arena.highWater();
  plan.arenaBytes = activationBase + arena.highWater();
  if (!prepare.steps.empty())
    plan.entries.push_back(std::move(prepare));
  plan.entries.push_back(std::move(infer));
  return plan;
}
