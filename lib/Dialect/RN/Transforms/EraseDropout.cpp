//===- EraseDropout.cpp - Dropout is the identity at inference ------------===//
//
// rn.dropout(x) becomes x (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Dialect/RN/IR/RNOps.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"

namespace mlir::rn {
#define GEN_PASS_DEF_RNERASEDROPOUT
#include "resnetc/Dialect/RN/Transforms/Passes.h.inc"
} // namespace mlir::rn

using namespace mlir;
using namespace mlir::rn;

namespace {
struct RNEraseDropoutPass : rn::impl::RNEraseDropoutBase<RNEraseDropoutPass> {
  void runOnOperation() override {
    getOperation().walk([](DropoutOp op) {
      op.replaceAllUsesWith(op.getInput());
      op.erase();
    });
  }
};
} // namespace
