//===- ChooseStorage.cpp - The rn-choose-storage pass ---------------------===//
//
// Decides, in the plan only, how the rank-4 temporaries are stored.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// The buffers of `plan` that hold filters: the results of the kernels whose
/// op has the trait RN_FilterResults.
static llvm::DenseSet<int64_t> findFilters(ModuleOp module, const Plan &plan) {
  llvm::DenseSet<int64_t> filters;
  for (const PlanEntry &entry : plan.entries)
    for (const PlanStep &step : entry.steps) {
      auto kernel = module.lookupSymbol<func::FuncOp>(step.kernel);
      if (!kernel || kernel.isExternal())
        continue;
      unsigned results = kernel.getNumResults();
      bool filterOp = llvm::any_of(kernel.front(), [](Operation &op) {
        return op.hasTrait<rn::FilterResults>();
      });
      if (!filterOp || results > step.args.size())
        continue;
      for (size_t i = step.args.size() - results; i < step.args.size(); ++i)
        filters.insert(step.args[i]);
    }
  return filters;
}

static void chooseTemporaryStorage(Plan &plan, Layout layout,
                                   Layout filterLayout,
                                   const llvm::DenseSet<int64_t> &filters,
                                   bool bf16) {
  for (auto [i, buffer] : llvm::enumerate(plan.buffers)) {
    if (buffer.role != BufferRole::Activation || buffer.shape.size() != 4 ||
        buffer.dtype != DType::F32)
      continue;
    buffer.layout =
        filters.contains(static_cast<int64_t>(i)) ? filterLayout : layout;
    if (bf16) {
      buffer.dtype = DType::BF16;
      buffer.bytes = buffer.bytes / 4 * 2;
    }
  }
  plan.layout = getLayoutName(layout);
}

namespace resnetc {
#define GEN_PASS_DEF_RNCHOOSESTORAGE
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNChooseStorage : resnetc::impl::RNChooseStorageBase<RNChooseStorage> {
  using RNChooseStorageBase::RNChooseStorageBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<Layout> parsed = parseLayoutName(layout);
    std::optional<Layout> parsedFilter =
        filterLayout.empty() ? parsed : parseLayoutName(filterLayout);
    if (!parsed || !parsedFilter) {
      module.emitError("rn-choose-storage: unknown layout '")
          << (parsed ? filterLayout : layout) << "' (nchw or nhwc)";
      return signalPassFailure();
    }
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan))
      return signalPassFailure();
    chooseTemporaryStorage(*plan, *parsed, *parsedFilter,
                           findFilters(module, *plan), bf16);
    setPlan(module, *plan);
  }
};
} // namespace
