//===- CopiesToLinalg.cpp - The rn-copies-to-linalg pass ------------------===//
//
// memref.copy (of strided views, from padding and slicing) as linalg.copy.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace resnetc;

static void copiesToLinalg(ModuleOp module) {
  module.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    b.create<linalg::CopyOp>(copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });
}

namespace resnetc {
#define GEN_PASS_DEF_RNCOPIESTOLINALG
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNCopiesToLinalg
    : resnetc::impl::RNCopiesToLinalgBase<RNCopiesToLinalg> {
  void runOnOperation() override { copiesToLinalg(getOperation()); }
};
} // namespace
