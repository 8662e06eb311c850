//===- SelectLibraryCalls.cpp - The rn-select-library-calls pass ----------===//
//
// Which ops become library calls, and what each call records, is the same
// for every library; the library only names the calls. A kernel's arguments
// are its op's operands, in order, and the plan step's arguments are those
// followed by the op's result, which is the argument order of every call.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// The convolution attributes every call shares.
template <typename ConvOp>
static LibraryCall convCall(ConvOp op, StringRef library, StringRef name) {
  LibraryCall call;
  call.name = (library + "." + name).str();
  auto pair = [](ArrayRef<int64_t> v) {
    return std::array<int64_t, 2>{v[0], v[1]};
  };
  call.strides = pair(op.getStrides());
  call.padding = pair(op.getPadding());
  call.dilation = pair(op.getDilation());
  call.groups = op.getGroups();
  return call;
}

/// The library call of `op`, if it is a convolution.
static std::optional<LibraryCall> getLibraryCall(Operation *op,
                                                 StringRef library) {
  if (auto conv = dyn_cast<rn::Conv2DOp>(op)) {
    LibraryCall call = convCall(conv, library, "conv2d_forward");
    call.bias = static_cast<bool>(conv.getBias());
    return call;
  }
  if (auto conv = dyn_cast<rn::FusedConv2DOp>(op)) {
    LibraryCall call = convCall(conv, library, "conv2d_forward");
    call.bias = static_cast<bool>(conv.getBias());
    call.residual = static_cast<bool>(conv.getResidual());
    call.relu = conv.getRelu();
    return call;
  }
  if (auto conv = dyn_cast<rn::Conv2DBackwardDataOp>(op))
    return convCall(conv, library, "conv2d_backward_data");
  if (auto conv = dyn_cast<rn::Conv2DBackwardFilterOp>(op))
    return convCall(conv, library, "conv2d_backward_filter");
  return std::nullopt;
}

/// Turns the convolution kernels of `module` into library calls of
/// `plan`'s steps and erases them.
static LogicalResult selectLibraryCalls(ModuleOp module, Plan &plan,
                                        StringRef library) {
  // How the library computes, stated in every call: strict fp32 FMA math for
  // fp32 plans, tensor cores (TF32 for fp32 data) for tf32 and bf16; fp32
  // accumulation; PyTorch's cross-correlation.
  std::string mathType = plan.precision == "fp32" ? "fma" : "tensor_op";
  llvm::StringMap<LibraryCall> calls;
  SmallVector<func::FuncOp> done;
  for (auto kernel : module.getOps<func::FuncOp>()) {
    Block &body = kernel.front();
    Operation *op = &body.front();
    std::optional<LibraryCall> call = getLibraryCall(op, library);
    if (!call)
      continue;
    if (op->getNumResults() != 1 ||
        op->getOperands() != ValueRange(body.getArguments()) ||
        op->getNextNode() != body.getTerminator())
      return kernel.emitError("internal error: convolution kernel '")
             << kernel.getName() << "' is not one op over its arguments";
    call->mathType = mathType;
    call->computeType = "float";
    call->mode = "cross_correlation";
    calls[kernel.getName()] = *call;
    done.push_back(kernel);
  }
  for (PlanEntry &entry : plan.entries)
    for (PlanStep &step : entry.steps) {
      auto it = calls.find(step.kernel);
      if (it == calls.end())
        continue;
      if (step.args.size() != it->second.getNumArgs())
        return module.emitError("internal error: step '")
               << step.kernel << "' has " << step.args.size() << " buffers for "
               << it->second.name;
      step.library = it->second;
      // A library call covers the whole batch.
      step.perImage = false;
    }
  for (func::FuncOp kernel : done)
    kernel.erase();
  return success();
}

namespace resnetc {
#define GEN_PASS_DEF_RNSELECTLIBRARYCALLS
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNSelectLibraryCalls
    : resnetc::impl::RNSelectLibraryCallsBase<RNSelectLibraryCalls> {
  using RNSelectLibraryCallsBase::RNSelectLibraryCallsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan) || failed(selectLibraryCalls(module, *plan, library)))
      return signalPassFailure();
    setPlan(module, *plan);
  }
};
} // namespace
