//===- RNToLinalg.cpp - The convert-rn-to-linalg pass ---------------------===//
//
// Collects the per-family patterns and requires every rn op to be lowered.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Conversion/RNToLinalg/RNToLinalg.h"
#include "resnetc/Conversion/Passes.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

namespace resnetc {
#define GEN_PASS_DEF_CONVERTRNTOLINALG
#include "resnetc/Conversion/Passes.h.inc"
} // namespace resnetc

using namespace mlir;

namespace {
struct ConvertRNToLinalgPass
    : resnetc::impl::ConvertRNToLinalgBase<ConvertRNToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    resnetc::populateRNConvToLinalgPatterns(patterns);
    resnetc::populateRNNormalizationToLinalgPatterns(patterns);
    resnetc::populateRNPoolingToLinalgPatterns(patterns);
    resnetc::populateRNLinearToLinalgPatterns(patterns);
    resnetc::populateRNElementwiseToLinalgPatterns(patterns);
    resnetc::populateRNTrainingToLinalgPatterns(patterns);
    ConversionTarget target(*ctx);
    target.addIllegalDialect<rn::RNDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addLegalOp<func::FuncOp, func::ReturnOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
