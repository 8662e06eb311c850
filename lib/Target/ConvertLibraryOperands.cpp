//===- ConvertLibraryOperands.cpp - rn-convert-library-operands -----------===//
//
// A library call (cuDNN) takes all its 4-D tensors in one type and one
// layout, those of its output, and its bias in that type too; its other
// operands stored otherwise get copies made by conversion steps.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"
#include "resnetc/Target/Storage.h"

#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// Whether `a` and `b` are stored alike.
static bool sameStorage(const PlanBuffer &a, const PlanBuffer &b) {
  return a.dtype == b.dtype && a.layout == b.layout;
}

/// The name of a copy of `from` stored as `like`.
static std::string copyName(const std::string &from, const PlanBuffer &like) {
  std::string name = from;
  if (like.layout != Layout::NCHW)
    name += std::string(".") + getLayoutName(like.layout);
  if (like.dtype == DType::BF16)
    name += ".bf16";
  return name;
}

/// Gives every library call of `plan` operands stored as its output is (a
/// bias only takes its data type): an operand stored otherwise is replaced
/// by a copy (a buffer named `<buffer>[.nhwc][.bf16]`) made by a conversion
/// step (kernel `c<N>_<call's kernel>`, added to `module`). In `infer`,
/// copies of parameters and derived weights are persistent (role derived)
/// and made once, at the end of `prepare`; the others, one per entry and
/// buffer, just before the first call of the entry that needs each.
static LogicalResult convertLibraryOperands(ModuleOp module, Plan &plan,
                                            bool keepFilterLayout) {
  if (!plan.findEntry("prepare"))
    plan.entries.insert(plan.entries.begin(), PlanEntry{"prepare", {}});
  std::vector<PlanStep> prepared;
  int conversions = 0;
  for (PlanEntry &entry : plan.entries) {
    // (source buffer, storage) -> its copy.
    llvm::DenseMap<std::pair<int64_t, int64_t>, int64_t> copyOf;
    std::vector<PlanStep> steps;
    for (PlanStep &step : entry.steps) {
      if (!step.library) {
        steps.push_back(std::move(step));
        continue;
      }
      int64_t output = step.args.back();
      if (plan.buffers[output].role != BufferRole::Activation)
        return module.emitError("internal error: the output of library "
                                "call '")
               << step.kernel << "' is not a temporary";
      bool backwardFilter =
          step.library->name.find("backward_filter") != std::string::npos;
      // The storage of the call's images: its output's but for a backward
      // filter call, whose output is a filter, when the library reorders
      // filters itself; then its images are stored as the gradient it reads.
      int64_t images =
          keepFilterLayout && backwardFilter ? step.args.front() : output;
      for (size_t i = 0; i + 1 < step.args.size(); ++i) {
        int64_t source = step.args[i];
        // Copies: the buffers may grow below.
        PlanBuffer from = plan.buffers[source];
        PlanBuffer like = plan.buffers[images];
        // A bias (rank 1) takes the call's data type: cuDNN's fused
        // convolution wants it of y's type (a bf16 bias for bf16 data).
        if (from.shape.size() == 1)
          like.layout = Layout::NCHW;
        else if (from.shape.size() != 4)
          continue;
        // The filter of a forward or backward-data call, when the library
        // reorders filters itself (oneDNN), keeps its layout.
        bool filter = i == 1 && !backwardFilter;
        if (keepFilterLayout && filter)
          like.layout = from.layout;
        if (sameStorage(from, like))
          continue;
        if (from.dtype != DType::F32)
          return module.emitError("internal error: operand ")
                 << i << " of library call '" << step.kernel
                 << "' cannot be converted";
        auto key =
            std::make_pair(source, static_cast<int64_t>(like.dtype) * 2 +
                                       static_cast<int64_t>(like.layout));
        auto [it, isNew] = copyOf.try_emplace(key, -1);
        if (isNew) {
          bool once =
              entry.name == "infer" && (from.role == BufferRole::Param ||
                                        from.role == BufferRole::Derived);
          PlanBuffer copy = from;
          copy.name =
              copyName(once ? from.name : entry.name + ":" + from.name, like);
          copy.role = once ? BufferRole::Derived : BufferRole::Activation;
          copy.dtype = like.dtype;
          copy.layout = like.layout;
          copy.bytes =
              from.bytes / 4 * static_cast<int64_t>(getDTypeSize(like.dtype));
          PlanStep convert;
          convert.kernel =
              "c" + std::to_string(conversions++) + "_" + step.kernel;
          convert.layer = step.layer;
          convert.perImage = false;
          createConversionKernel(module, convert.kernel, from, copy);
          plan.buffers.push_back(std::move(copy));
          it->second = static_cast<int64_t>(plan.buffers.size()) - 1;
          convert.args = {source, it->second};
          (once ? prepared : steps).push_back(std::move(convert));
        }
        int64_t found = it->second;
        step.args[i] = found;
      }
      steps.push_back(std::move(step));
    }
    entry.steps = std::move(steps);
  }
  for (PlanEntry &entry : plan.entries)
    if (entry.name == "prepare")
      entry.steps.insert(entry.steps.end(), prepared.begin(), prepared.end());
  if (plan.entries.front().steps.empty())
    plan.entries.erase(plan.entries.begin());
  return success();
}

namespace resnetc {
#define GEN_PASS_DEF_RNCONVERTLIBRARYOPERANDS
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNConvertLibraryOperands
    : resnetc::impl::RNConvertLibraryOperandsBase<RNConvertLibraryOperands> {
  using RNConvertLibraryOperandsBase::RNConvertLibraryOperandsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan) ||
        failed(convertLibraryOperands(module, *plan, keepFilterLayout)))
      return signalPassFailure();
    setPlan(module, *plan);
    if (imageIndex)
      for (auto kernel : module.getOps<func::FuncOp>())
        if (kernel->hasAttr("rn.storage_conversion") &&
            kernel.getNumArguments() == 2)
          (void)kernel.insertArgument(2, IndexType::get(&getContext()), {},
                                      kernel.getLoc());
  }
};
} // namespace
