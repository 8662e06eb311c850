//===- ConvCodegen.h - Register-blocked CPU convolutions --------*- C++ -*-===//
//
// The CPU target's own lowering of per-image convolutions (rn.conv2d and
// rn.fused_conv2d with a batch of one) to tiled, vectorized loops on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H
#define RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace resnetc {

/// Patterns rewriting per-image rn convolutions into register-blocked loop
/// nests (see ConvCodegen.cpp).
void populateCPUConvPatterns(mlir::RewritePatternSet &patterns);

} // namespace resnetc

#endif // RESNETC_LIB_TARGET_CPU_CONVCODEGEN_H
