//===- ConvCodegen.h - Register-blocked CPU convolutions --------*- C++ -*-===//
//
// The CPU target's own lowering of per-image convolutions (rn.conv2d and
// rn.fused_conv2d with a batch of one) to tiled, vectorized loops on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H
#define RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace resnetc {

/// Patterns rewriting per-image rn convolutions into register-blocked loop
/// nests (see ConvCodegen.cpp), sized for a CPU with `vectorRegisters`
/// vector registers of `vectorFloats` floats each.
void populateCPUConvPatterns(mlir::RewritePatternSet &patterns,
                             int64_t vectorRegisters, int64_t vectorFloats);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H
