//===- RecordLaunches.cpp - The rn-record-launches pass -------------------===//
//
// Kernels take memrefs as bare pointers: a view (subview,
// reshape) passes the address of the buffer it views, and the kernel adds
// the view's static offset itself.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/DenseMap.h"

#include <cstring>

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

/// How many bytes from its base address a memref of `type` spans (its
/// static offset included); nullopt for dynamic layouts.
static std::optional<int64_t> spannedBytes(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0 ||
      !type.hasStaticShape() ||
      failed(getStridesAndOffset(type, strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  int64_t last = offset;
  for (auto [size, stride] : llvm::zip(type.getShape(), strides)) {
    if (size == 0)
      return 0;
    last += (size - 1) * stride;
  }
  return (last + 1) * static_cast<int64_t>(type.getElementTypeBitWidth() / 8);
}

/// A scalar launch argument from a constant.
static std::optional<LaunchArg> scalarArg(Attribute value) {
  LaunchArg arg;
  if (auto i = dyn_cast<IntegerAttr>(value)) {
    Type t = i.getType();
    if (t.isIndex() || t.isInteger(64))
      arg.kind = LaunchArg::Kind::I64;
    else if (t.isInteger(32))
      arg.kind = LaunchArg::Kind::I32;
    else
      return std::nullopt;
    arg.bits = static_cast<uint64_t>(i.getValue().getSExtValue());
    if (arg.kind == LaunchArg::Kind::I32)
      arg.bits &= 0xffffffffu;
    return arg;
  }
  if (auto f = dyn_cast<FloatAttr>(value)) {
    if (f.getType().isF32())
      arg.kind = LaunchArg::Kind::F32;
    else if (f.getType().isF64())
      arg.kind = LaunchArg::Kind::F64;
    else
      return std::nullopt;
    arg.bits = f.getValue().bitcastToAPInt().getZExtValue();
    return arg;
  }
  return std::nullopt;
}

/// Fills `launches` of every step of `plan` that is not a library call
/// from its host kernel in `module`.
static LogicalResult recordLaunches(ModuleOp module, Plan &plan) {
  for (PlanEntry &entry : plan.entries)
    for (PlanStep &step : entry.steps) {
      if (step.library)
        continue;
      auto host = module.lookupSymbol<func::FuncOp>(step.kernel);
      if (!host || host.getNumArguments() != step.args.size())
        return module.emitError("internal error: the host kernel of step '")
               << step.kernel << "' is missing or has other arguments";
      // The buffer each memref value addresses, and each constant.
      llvm::DenseMap<Value, int64_t> bufferOf;
      llvm::DenseMap<Value, Attribute> constants;
      for (auto [arg, buffer] : llvm::zip(host.getArguments(), step.args))
        bufferOf[arg] = buffer;
      int scratch = 0;
      std::string name =
          entry.name + ":" + (step.layer.empty() ? step.kernel : step.layer);
      for (Operation &op : host.getBody().front()) {
        if (auto c = dyn_cast<arith::ConstantOp>(op)) {
          constants[c.getResult()] = c.getValue();
        } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
          std::optional<int64_t> bytes = spannedBytes(alloc.getType());
          if (!bytes || !alloc.getType().getLayout().isIdentity())
            return alloc.emitError("internal error: a scratch buffer of "
                                   "dynamic size in a CUDA kernel");
          PlanBuffer b;
          b.name = name + ".scratch" + std::to_string(scratch++);
          b.role = BufferRole::Scratch;
          b.dtype = DType::U8;
          b.shape = {*bytes};
          b.bytes = *bytes;
          plan.buffers.push_back(std::move(b));
          bufferOf[alloc.getResult()] =
              static_cast<int64_t>(plan.buffers.size()) - 1;
        } else if (isa<memref::SubViewOp, memref::ExpandShapeOp,
                       memref::CollapseShapeOp, memref::CastOp,
                       memref::ReinterpretCastOp>(op)) {
          // Views that keep the base address (memref.view, which moves it,
          // is not among them).
          auto view = cast<ViewLikeOpInterface>(op);
          auto it = bufferOf.find(view.getViewSource());
          if (it == bufferOf.end() || op.getNumResults() != 1)
            return op.emitError("internal error: a view of an unknown buffer "
                                "in a CUDA host kernel");
          bufferOf[op.getResult(0)] = it->second;
        } else if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
          PlanLaunch l;
          l.kernel = launch.getKernelName().str();
          auto sizes = {launch.getGridSizeX(),  launch.getGridSizeY(),
                        launch.getGridSizeZ(),  launch.getBlockSizeX(),
                        launch.getBlockSizeY(), launch.getBlockSizeZ()};
          int i = 0;
          for (Value size : sizes) {
            auto it = constants.find(size);
            auto value = it == constants.end()
                             ? IntegerAttr()
                             : dyn_cast<IntegerAttr>(it->second);
            if (!value)
              return launch.emitError("internal error: a launch size that is "
                                      "not a constant");
            (i < 3 ? l.grid[i] : l.block[i - 3]) = value.getInt();
            ++i;
          }
          if (launch.getDynamicSharedMemorySize() || launch.getAsyncToken())
            return launch.emitError(
                "internal error: dynamic shared memory or "
                "asynchronous launches are not in the plan");
          for (Value operand : launch.getKernelOperands()) {
            if (auto type = dyn_cast<MemRefType>(operand.getType())) {
              auto it = bufferOf.find(operand);
              std::optional<int64_t> bytes = spannedBytes(type);
              if (it == bufferOf.end() || !bytes)
                return launch.emitError("internal error: a kernel argument "
                                        "that is not a static view of a "
                                        "plan buffer");
              LaunchArg arg;
              arg.buffer = it->second;
              arg.bytes = *bytes;
              l.args.push_back(arg);
              continue;
            }
            auto it = constants.find(operand);
            std::optional<LaunchArg> arg =
                it == constants.end() ? std::nullopt : scalarArg(it->second);
            if (!arg)
              return launch.emitError("internal error: a scalar kernel "
                                      "argument that is not a constant of "
                                      "type index, i32, i64, f32 or f64");
            l.args.push_back(*arg);
          }
          step.launches.push_back(std::move(l));
        } else if (!isa<memref::DeallocOp, func::ReturnOp>(op)) {
          return op.emitError("internal error: host code that the CUDA plan "
                              "cannot express (only launches run on the "
                              "host): ")
                 << op.getName();
        }
      }
      if (step.launches.empty())
        return host.emitError("internal error: kernel '")
               << step.kernel << "' launches nothing on the GPU";
    }
  return success();
}

namespace resnetc {
#define GEN_PASS_DEF_RNRECORDLAUNCHES
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNRecordLaunches
    : resnetc::impl::RNRecordLaunchesBase<RNRecordLaunches> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<Plan> plan = getPlan(module);
    if (failed(plan) || failed(recordLaunches(module, *plan)))
      return signalPassFailure();
    setPlan(module, *plan);
  }
};
} // namespace
