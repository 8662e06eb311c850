//===- LibraryCalls.cpp - Convolutions as library calls of the plan -------===//
//
// See LibraryCalls.h. A kernel's arguments are its op's operands, in order,
// and the plan step's arguments are those followed by the op's result,
// which is the argument order of every library call.
//
//===----------------------------------------------------------------------===//

#include "LibraryCalls.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// The convolution attributes every call shares.
template <typename ConvOp>
static LibraryCall convCall(ConvOp op, const char *name) {
  LibraryCall call;
  call.name = name;
  auto pair = [](ArrayRef<int64_t> v) {
    return std::array<int64_t, 2>{v[0], v[1]};
  };
  call.strides = pair(op.getStrides());
  call.padding = pair(op.getPadding());
  call.dilation = pair(op.getDilation());
  call.groups = op.getGroups();
  return call;
}

/// The library call of `op`, if it is a convolution, named without its
/// library.
static std::optional<LibraryCall> getLibraryCall(Operation *op) {
  if (auto conv = dyn_cast<rn::Conv2DOp>(op)) {
    LibraryCall call = convCall(conv, "conv2d_forward");
    call.bias = static_cast<bool>(conv.getBias());
    return call;
  }
  if (auto conv = dyn_cast<rn::FusedConv2DOp>(op)) {
    LibraryCall call = convCall(conv, "conv2d_forward");
    call.bias = static_cast<bool>(conv.getBias());
    call.residual = static_cast<bool>(conv.getResidual());
    call.relu = conv.getRelu();
    return call;
  }
  if (auto conv = dyn_cast<rn::Conv2DBackwardDataOp>(op))
    return convCall(conv, "conv2d_backward_data");
  if (auto conv = dyn_cast<rn::Conv2DBackwardFilterOp>(op))
    return convCall(conv, "conv2d_backward_filter");
  return std::nullopt;
}

LogicalResult resnetc::recordLibraryCalls(ModuleOp module, Plan &plan) {
  // The library: cuDNN on the GPU, oneDNN on the CPU.
  std::string library = getConvolutionLibrary(plan.target);
  // How the library computes, stated in every call: strict fp32 FMA math
  // for fp32 plans, tensor cores (TF32 for fp32 data) for tf32 and bf16;
  // fp32 accumulation; PyTorch's cross-correlation.
  std::string mathType = plan.precision == "fp32" ? "fma" : "tensor_op";
  llvm::StringMap<LibraryCall> calls;
  SmallVector<func::FuncOp> done;
  for (auto kernel : module.getOps<func::FuncOp>()) {
    Block &body = kernel.front();
    Operation *op = &body.front();
    std::optional<LibraryCall> call = getLibraryCall(op);
    if (!call)
      continue;
    if (op->getNumResults() != 1 ||
        op->getOperands() != ValueRange(body.getArguments()) ||
        op->getNextNode() != body.getTerminator())
      return kernel.emitError("internal error: convolution kernel '")
             << kernel.getName() << "' is not one op over its arguments";
    call->name = library + "." + call->name;
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
      step.batched = false;
    }
  for (func::FuncOp kernel : done)
    kernel.erase();
  return success();
}
