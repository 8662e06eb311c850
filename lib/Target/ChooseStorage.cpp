//===- ChooseStorage.cpp - The rn-choose-storage pass ---------------------===//
//
// Decides, in the plan only, how the rank-4 temporaries are stored.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

static void chooseTemporaryStorage(Plan &plan, Layout layout, bool bf16) {
  for (PlanBuffer &buffer : plan.buffers) {
    if (buffer.role != BufferRole::Activation || buffer.shape.size() != 4 ||
        buffer.dtype != DType::F32)
      continue;
    buffer.layout = layout;
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
    if (!parsed) {
      module.emitError("rn-choose-storage: unknown layout '")
          << layout << "' (nchw or nhwc)";
      return signalPassFailure();
    }
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan))
      return signalPassFailure();
    chooseTemporaryStorage(*plan, *parsed, bf16);
    setPlan(module, *plan);
  }
};
} // namespace
