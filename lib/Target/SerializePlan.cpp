//===- SerializePlan.cpp - The rn-serialize-plan pass ---------------------===//
//
// The plan leaves the IR: its JSON becomes a constant global that the CPU
// target links into the shared library and the CUDA target puts in front
// of the PTX module.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

using namespace mlir;
using namespace resnetc;

namespace resnetc {
#define GEN_PASS_DEF_RNSERIALIZEPLAN
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNSerializePlan : resnetc::impl::RNSerializePlanBase<RNSerializePlan> {
  using RNSerializePlanBase::RNSerializePlanBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.lookupSymbol(symbol)) {
      module.emitError("rn-serialize-plan: symbol '")
          << symbol << "' already exists";
      return signalPassFailure();
    }
    FailureOr<runtime::Plan> plan = getPlan(module);
    if (failed(plan))
      return signalPassFailure();
    std::string json = writePlanJson(*plan);
    json.push_back('\0');
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), json.size());
    b.create<LLVM::GlobalOp>(module.getLoc(), type, /*isConstant=*/true,
                             LLVM::Linkage::External, symbol,
                             b.getStringAttr(json));
    module->removeAttr(kPlanAttrName);
  }
};
} // namespace
