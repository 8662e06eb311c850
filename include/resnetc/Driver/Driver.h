//===- Driver.h - Entry points of the resnetc tools -------------*- C++ -*-===//
//
// The tools in tools/ are one-line mains that call these functions.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_DRIVER_DRIVER_H
#define RESNETC_DRIVER_DRIVER_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace resnetc {

/// Registers every dialect resnetc produces or consumes.
void registerAllResnetcDialects(mlir::DialectRegistry &registry);

/// The `resnetc` compiler driver. Returns the process exit code.
int resnetcMain(int argc, char **argv);

/// The `resnet-opt` driver (MlirOptMain with resnetc's dialects and passes).
int resnetOptMain(int argc, char **argv);

} // namespace resnetc

#endif // RESNETC_DRIVER_DRIVER_H
