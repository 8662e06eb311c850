//===- DestinationPassing.cpp - The rn-destination-passing pass -----------===//
//
// An outlined kernel holds one rn op over its arguments; its results are
// written into new `outs` arguments, per image (sliced at the image index
// n) or whole (bufferization.materialize_in_destination).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace resnetc;

/// Gives the results of `op` one slice of dimension 0 (one image, one row).
static void sliceResults(Operation *op) {
  for (Value r : op->getResults()) {
    auto type = cast<RankedTensorType>(r.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape[0] = 1;
    r.setType(RankedTensorType::get(shape, type.getElementType()));
  }
}

/// Rewrites `kernel`: (args...) -> results becomes (args..., outs...[, n:
/// index]) -> outs.
static void makeDestinationPassing(func::FuncOp kernel, bool perImage) {
  OpBuilder b(kernel.getContext());
  Block &body = kernel.front();
  Operation *op = &body.front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Location loc = kernel.getLoc();
  // Whether this kernel runs once per image, on image n of its
  // activations.
  bool sliceImages = perImage && !kernel->hasAttr("rn.prepare") &&
                     !kernel->hasAttr("rn.whole_batch");
  // Whether it runs once per row n of all its tensors (rn.rows).
  bool sliceRows = perImage && kernel->hasAttr("rn.rows");

  SmallVector<Value> outs;
  for (Type t : op->getResultTypes())
    outs.push_back(body.addArgument(t, loc));
  Value n = perImage ? body.addArgument(b.getIndexType(), loc) : Value();

  auto slice = [&](Value full, bool extract, Value into = Value()) {
    auto type = cast<RankedTensorType>(full.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    offsets[0] = n;
    SmallVector<OpFoldResult> sizes;
    for (int64_t d : type.getShape())
      sizes.push_back(b.getIndexAttr(d));
    sizes[0] = b.getIndexAttr(1);
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    if (extract) {
      SmallVector<int64_t> shape(type.getShape());
      shape[0] = 1;
      auto sliced = RankedTensorType::get(shape, type.getElementType());
      return b
          .create<tensor::ExtractSliceOp>(loc, sliced, full, offsets, sizes,
                                          strides)
          .getResult();
    }
    return b
        .create<tensor::InsertSliceOp>(loc, into, full, offsets, sizes, strides)
        .getResult();
  };

  SmallVector<Value> results;
  b.setInsertionPoint(op);
  if (sliceRows) {
    llvm::SmallDenseMap<Value, Value> sliced;
    for (OpOperand &operand : op->getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || cast<RankedTensorType>(arg.getType()).getRank() == 0)
        continue;
      Value &s = sliced[arg];
      if (!s)
        s = slice(arg, /*extract=*/true);
      operand.set(s);
    }
    sliceResults(op);
    b.setInsertionPointAfter(op);
    for (auto [r, out] : llvm::zip(op->getResults(), outs))
      results.push_back(slice(out, /*extract=*/false, r));
  } else if (sliceImages) {
    llvm::SmallDenseMap<Value, Value> sliced;
    for (OpOperand &operand : op->getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || !kernel.getArgAttr(arg.getArgNumber(), "rn.activation"))
        continue;
      Value &s = sliced[arg];
      if (!s)
        s = slice(arg, /*extract=*/true);
      operand.set(s);
    }
    // The activation shape a gradient op is given (`input_shape`) is one
    // image's too.
    if (auto shape = op->getAttrOfType<DenseI64ArrayAttr>("input_shape")) {
      SmallVector<int64_t> image(shape.asArrayRef());
      image[0] = 1;
      op->setAttr("input_shape", b.getDenseI64ArrayAttr(image));
    }
    sliceResults(op);
    b.setInsertionPointAfter(op);
    for (auto [r, out] : llvm::zip(op->getResults(), outs))
      results.push_back(slice(out, /*extract=*/false, r));
  } else {
    b.setInsertionPointAfter(op);
    for (auto [r, out] : llvm::zip(op->getResults(), outs))
      results.push_back(
          b.create<bufferization::MaterializeInDestinationOp>(loc, r, out)
              .getResult());
  }
  ret->setOperands(results);
  kernel.setType(b.getFunctionType(body.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
  kernel.setPublic();
}

namespace resnetc {
#define GEN_PASS_DEF_RNDESTINATIONPASSING
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNDestinationPassing
    : resnetc::impl::RNDestinationPassingBase<RNDestinationPassing> {
  using RNDestinationPassingBase::RNDestinationPassingBase;

  void runOnOperation() override {
    func::FuncOp kernel = getOperation();
    if (!kernel->hasAttr("rn.kernel") || kernel.isExternal())
      return;
    Block &body = kernel.front();
    Operation *op = &body.front();
    if (op == body.getTerminator() ||
        op->getNextNode() != body.getTerminator()) {
      kernel.emitError("rn-destination-passing: kernel '")
          << kernel.getName() << "' is not one op followed by its return";
      return signalPassFailure();
    }
    makeDestinationPassing(kernel, perImage);
  }
};
} // namespace
