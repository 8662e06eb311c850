//===- ResnetOptMain.cpp - The resnet-opt driver --------------------------===//
//
// mlir-opt for resnetc: parses, verifies, transforms and prints rn IR. Used
// by the lit tests of the dialect and its passes.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Driver/Driver.h"
#include "resnetc/Pipeline/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int resnetc::resnetOptMain(int argc, char **argv) {
  mlir::registerTransformsPasses();
  registerAllResnetcPasses();
  mlir::DialectRegistry registry;
  registerAllResnetcDialects(registry);
  registerTargetDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "resnetc optimizer driver\n", registry));
}
