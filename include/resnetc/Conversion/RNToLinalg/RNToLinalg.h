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

/// rn.conv2d and rn.fused_conv2d (Conv.cpp).
void populateRNConvToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.batch_norm and rn.fold_batch_norm (Normalization.cpp).
void populateRNNormalizationToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.max_pool2d, rn.avg_pool2d, rn.global_avg_pool (Pooling.cpp).
void populateRNPoolingToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.linear and rn.flatten (Linear.cpp).
void populateRNLinearToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// Training ops: batch norm in training mode, gradients, loss, SGD
/// (Training.cpp).
void populateRNTrainingToLinalgPatterns(mlir::RewritePatternSet &patterns);
/// rn.relu, rn.add, rn.add_relu (Elementwise.cpp).
void populateRNElementwiseToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace resnetc

#endif // RESNETC_CONVERSION_RNTOLINALG_RNTOLINALG_H
