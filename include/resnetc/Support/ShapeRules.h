//===- ShapeRules.h - Output-size arithmetic of CNN layers ------*- C++ -*-===//
//
// The one place where the output size of a convolution or pooling window is
// computed. The front end (for diagnostics) and the `rn` dialect (for type
// inference and verification) both use these functions, so the two can never
// disagree. Header-only and free of MLIR and LLVM.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_SUPPORT_SHAPERULES_H
#define RESNETC_SUPPORT_SHAPERULES_H

#include <cstdint>

namespace resnetc {

/// Output extent of a sliding window along one axis, PyTorch's floor rule:
///   out = floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1,
/// or with `ceilMode` (pooling's `ceil_mode`) its ceil rule: the division
/// rounds up, but the last window must start inside the input or its left
/// padding. Returns a value <= 0 when the (dilated) window does not fit in
/// the padded input; callers report that as an error. All arguments must be
/// positive except `pad`, which must be non-negative.
inline int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                int64_t pad, int64_t dilation = 1,
                                bool ceilMode = false) {
  int64_t effective = dilation * (kernel - 1) + 1;
  int64_t span = in + 2 * pad - effective;
  if (span < 0)
    return 0;
  if (!ceilMode)
    return span / stride + 1;
  int64_t out = (span + stride - 1) / stride + 1;
  if ((out - 1) * stride >= in + pad)
    --out;
  return out;
}

/// Multiply-accumulates of a 2-D convolution for one image, the way
/// torchvision's model documentation counts them (bias excluded).
inline int64_t convMACs(int64_t inChannels, int64_t outChannels,
                        int64_t kernelH, int64_t kernelW, int64_t groups,
                        int64_t outH, int64_t outW) {
  return outChannels * outH * outW * (inChannels / groups) * kernelH * kernelW;
}

/// Largest value the front end accepts for any size (channels, extents,
/// kernels...). Keeps every derived product (parameters, MACs, bytes) far
/// from int64 overflow.
constexpr int64_t kMaxDimension = 1 << 20;

} // namespace resnetc

#endif // RESNETC_SUPPORT_SHAPERULES_H
