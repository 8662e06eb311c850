//===- Pipelines.cpp - The named pass pipelines of resnetc ----------------===//
//
// Assembly of resnetc's pass pipelines.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Pipeline/Pipelines.h"
#include "resnetc/Conversion/Passes.h"
#include "resnetc/Dialect/RN/Transforms/Passes.h"
#include "resnetc/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void resnetc::buildInferenceFusionPipeline(OpPassManager &pm) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(rn::createRNFoldBatchNorm());
  fn.addPass(rn::createRNFuseConvReLU());
  fn.addPass(rn::createRNFuseAddReLU());
  fn.addPass(rn::createRNFuseResidualIntoConv());
  fn.addPass(createCSEPass());
}

void resnetc::buildInferenceToLinalgPipeline(OpPassManager &pm) {
  buildInferenceFusionPipeline(pm);
  OpPassManager &fn = pm.nest<func::FuncOp>();
  fn.addPass(createConvertRNToLinalg());
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
}

void resnetc::registerAllResnetcPasses() {
  rn::registerRNPasses();
  registerConversionPasses();
  registerResnetcTransformsPasses();
  PassPipelineRegistration<>(
      "rn-inference-to-linalg",
      "The inference fusions, then rn lowered to linalg on tensors",
      [](OpPassManager &pm) { buildInferenceToLinalgPipeline(pm); });
  PassPipelineRegistration<>(
      "rn-inference-fusion",
      "Inference fusions on rn: fold batch norm, fuse conv+relu, add+relu "
      "and residual adds into convolutions",
      [](OpPassManager &pm) { buildInferenceFusionPipeline(pm); });
}
