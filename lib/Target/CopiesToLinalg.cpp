//===- CopiesToLinalg.cpp - The rn-copies-to-linalg pass ------------------===//
//
// memref.copy (of strided views, from padding and slicing) as linalg.copy,
// optionally over the fewest dimensions.
//
//===----------------------------------------------------------------------===//

#include "Contiguity.h"
#include "resnetc/Target/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace resnetc;

static void copiesToLinalg(ModuleOp module, bool collapse) {
  module.walk([&](memref::CopyOp copy) {
    OpBuilder b(copy);
    Location loc = copy.getLoc();
    Value source = copy.getSource(), target = copy.getTarget();
    auto sourceType = dyn_cast<MemRefType>(source.getType());
    auto targetType = dyn_cast<MemRefType>(target.getType());
    if (collapse && sourceType && targetType) {
      int64_t first =
          std::max(firstContiguous(sourceType), firstContiguous(targetType));
      if (first < sourceType.getRank() - 1) {
        source = collapseFrom(b, loc, source, first);
        target = collapseFrom(b, loc, target, first);
      }
    }
    b.create<linalg::CopyOp>(loc, source, target);
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
  using RNCopiesToLinalgBase::RNCopiesToLinalgBase;
  void runOnOperation() override {
    copiesToLinalg(getOperation(), collapseContiguous);
  }
};
} // namespace
