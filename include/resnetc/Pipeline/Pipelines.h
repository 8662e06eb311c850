//===- Pipelines.h - The named pass pipelines of resnetc --------*- C++ -*-===//
//
// Pipelines are assembled here, once, and shared by resnetc, resnet-opt and
// the tests.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_PIPELINE_PIPELINES_H
#define RESNETC_PIPELINE_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace resnetc {

/// Inference-time graph fusions on rn, run on every function: batch-norm
/// folding, conv+ReLU, add+ReLU, residual add into the convolution.
void buildInferenceFusionPipeline(mlir::OpPassManager &pm);

/// The inference model lowered to linalg on tensors: the fusions above, then
/// convert-rn-to-linalg and canonicalization. Shared by every target.
void buildInferenceToLinalgPipeline(mlir::OpPassManager &pm);

/// Registers resnetc's passes and the named pipelines (as
/// `rn-inference-fusion` and `rn-inference-to-linalg`) with the global
/// registry, for resnet-opt.
void registerAllResnetcPasses();

} // namespace resnetc

#endif // RESNETC_PIPELINE_PIPELINES_H
