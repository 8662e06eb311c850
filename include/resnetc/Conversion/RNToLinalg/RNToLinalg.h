//===- RNToLinalg.h - rn to linalg patterns, by op family -------*- C++ -*-===//
//
// Each op family has its own file and populate function; the pass
// (convert-rn-to-linalg) only collects them.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_CONVERSION_RNTOLINALG_RNTOLINALG_H
#define RESNETC_CONVERSION_RNTOLINALG_RNTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace resnetc {

/// rn.conv2d and rn.fused_conv2d, and their data and filter gradients
/// (Conv.cpp).
void populateRNConvToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.batch_norm, rn.fold_batch_norm, and batch norm in training mode with
/// its backward (Normalization.cpp).
void populateRNNormalizationToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.max_pool2d, rn.avg_pool2d, rn.global_avg_pool and their gradients
/// (Pooling.cpp).
void populateRNPoolingToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.linear, its gradients, and rn.flatten (Linear.cpp).
void populateRNLinearToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// The loss and its gradient, the SGD update, the per-channel reduction of
/// gradients (Training.cpp).
void populateRNTrainingToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.relu, rn.add, rn.add_relu, rn.relu_backward (Elementwise.cpp).
void populateRNElementwiseToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace resnetc

#endif // RESNETC_CONVERSION_RNTOLINALG_RNTOLINALG_H
