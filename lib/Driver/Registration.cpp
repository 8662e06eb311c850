//===- Registration.cpp - Dialects and passes of resnetc ------------------===//
//
// The one list of what resnetc's tools register.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Driver/Driver.h"
#include "resnetc/Dialect/RN/IR/RNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

void resnetc::registerAllResnetcDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::rn::RNDialect, mlir::func::FuncDialect>();
}
