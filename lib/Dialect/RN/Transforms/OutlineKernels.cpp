//===- OutlineKernels.cpp - One kernel function per rn op -----------------===//
//
// Moves each rn op of the entry function into its own private function and
// calls it (see Passes.td). Also classifies kernels: those computing from
// parameters alone are marked rn.prepare.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNOUTLINEKERNELS
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;

/// The layer path of a location as part of a symbol name.
static std::string layerName(Location loc) {
  std::string found = rn::getLayerPath(loc);
  for (char &c : found)
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return found;
}

/// Whether operand `index` of `op` holds one slice per image: an image
/// operand of an RN_PerImage op (the shared per-channel statistics of a
/// batch norm's normalization are not).
static bool isImageOperand(Operation *op, unsigned index) {
  auto perImage = dyn_cast<rn::PerImage>(op);
  return !perImage || perImage.isImageOperand(index);
}

/// Whether `op` computes each image alone: an RN_PerImage op whose results
/// and image operands that carry activations all have the batch as
/// dimension 0.
static bool computesImagesAlone(Operation *op,
                                const llvm::DenseSet<Value> &isStatic) {
  if (!isa<rn::PerImage>(op))
    return false;
  std::optional<int64_t> batch;
  auto sameBatch = [&](Value v) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || type.getRank() == 0)
      return false;
    if (!batch)
      batch = type.getDimSize(0);
    return type.getDimSize(0) == *batch;
  };
  for (OpOperand &operand : op->getOpOperands())
    if (!isStatic.contains(operand.get()) &&
        isImageOperand(op, operand.getOperandNumber()) &&
        !sameBatch(operand.get()))
      return false;
  return batch && llvm::all_of(op->getResults(), sameBatch);
}

namespace {
struct RNOutlineKernelsPass
    : rn::impl::RNOutlineKernelsBase<RNOutlineKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>(entry);
    if (!forward) {
      module.emitError("no function @") << entry << " to outline";
      return signalPassFailure();
    }
    // Values computed from parameters and state alone.
    llvm::DenseSet<Value> isStatic;
    for (auto [i, arg] : llvm::enumerate(forward.getArguments()))
      if (forward.getArgAttr(i, "rn.param") ||
          forward.getArgAttr(i, "rn.state"))
        isStatic.insert(arg);

    SymbolTable symbols(module);
    OpBuilder builder(module.getContext());
    unsigned counter = 0;
    SmallVector<Operation *> ops;
    for (Operation &op : forward.getBody().front())
      if (!isa<func::ReturnOp, func::CallOp>(op))
        ops.push_back(&op);

    for (Operation *op : ops) {
      bool allStatic = llvm::all_of(
          op->getOperands(), [&](Value v) { return isStatic.contains(v); });
      std::string name = prefix + std::to_string(counter++);
      std::string layer = layerName(op->getLoc());
      if (!layer.empty())
        name += "_" + layer;

      builder.setInsertionPointToEnd(module.getBody());
      auto type =
          builder.getFunctionType(op->getOperandTypes(), op->getResultTypes());
      auto kernel = builder.create<func::FuncOp>(op->getLoc(), name, type);
      kernel.setPrivate();
      kernel->setAttr("rn.kernel", builder.getUnitAttr());
      // A training step updates the parameters: nothing of it runs once.
      if (allStatic && !wholeBatch)
        kernel->setAttr("rn.prepare", builder.getUnitAttr());
      bool imagesAlone = computesImagesAlone(op, isStatic);
      if (wholeBatch && (allStatic || !imagesAlone))
        kernel->setAttr("rn.whole_batch", builder.getUnitAttr());
      Block *body = kernel.addEntryBlock();
      IRMapping mapping;
      for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
        mapping.map(operand, body->getArgument(i));
        // Of a per-image kernel, only the image operands are sliced; the
        // statistics it shares are whole.
        if (!allStatic && !isStatic.contains(operand) &&
            (!imagesAlone || isImageOperand(op, i)))
          kernel.setArgAttr(i, "rn.activation", builder.getUnitAttr());
      }
      builder.setInsertionPointToEnd(body);
      Operation *clone = builder.clone(*op, mapping);
      builder.create<func::ReturnOp>(op->getLoc(), clone->getResults());
      symbols.insert(kernel);

      builder.setInsertionPoint(op);
      auto call =
          builder.create<func::CallOp>(op->getLoc(), kernel, op->getOperands());
      op->replaceAllUsesWith(call.getResults());
      if (allStatic)
        for (Value r : call.getResults())
          isStatic.insert(r);
      op->erase();
    }
  }
};
} // namespace
