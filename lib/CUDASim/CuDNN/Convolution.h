//===- Convolution.h - The simulated GPU's cuDNN convolutions ---*- C++ -*-===//
//
// What the stand-in cuDNN (CuDNN.cpp) computes and checks, apart from its
// handles and streams: the contents of tensor, filter, convolution and
// activation descriptors; the checks cuDNN documents for a convolution's
// descriptors against each other, for its data type configurations, for
// each algorithm and for the fused bias-activation form, each returning the
// status cuDNN returns with a message saying which rule failed; the
// algorithms' workspace sizes and determinism; and naive reference
// convolutions (forward, backward data, backward filter, grouped, strided,
// padded, dilated, NCHW or NHWC, convolution or cross-correlation) that
// accumulate in fp64 and round once to the output type. With TF32 permitted
// they first round the multiplied operands to TF32, as tensor cores may.
//
// Every rule is recorded where it is enforced with the documentation it
// comes from. Where the documentation does not settle a point, the rule is
// the conservative one (rejecting what cuDNN may reject) and says so.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_CUDNN_CONVOLUTION_H
#define RESNETC_LIB_CUDASIM_CUDNN_CONVOLUTION_H

#include "resnetc/CUDA/CuDNNAPI.h"

#include <cstdint>
#include <string>
#include <vector>

namespace resnetc::cudasim::dnn {

using cuda::cudnnActivationMode_t;
using cuda::cudnnConvolutionMode_t;
using cuda::cudnnDataType_t;
using cuda::cudnnDeterminism_t;
using cuda::cudnnMathType_t;
using cuda::cudnnNanPropagation_t;
using cuda::cudnnStatus_t;
using cuda::cudnnTensorFormat_t;

/// What a cuDNN call returns, with the message cudnnGetLastErrorString
/// gives for a failure.
struct Status {
  cudnnStatus_t code = cuda::CUDNN_STATUS_SUCCESS;
  std::string message;

  bool ok() const { return code == cuda::CUDNN_STATUS_SUCCESS; }
};

Status success();
Status badParam(std::string message);
Status notSupported(std::string message);

//===----------------------------------------------------------------------===//
// Data types
//===----------------------------------------------------------------------===//

/// The checks cudnnSetTensor4dDescriptor (`filter` false) and
/// cudnnSetFilter4dDescriptor (`filter` true) make of a data type and
/// format: BAD_PARAM for what cuDNN refuses; NOT_SUPPORTED for what cuDNN
/// accepts but the stand-in does not model (the vectorized
/// CUDNN_TENSOR_NCHW_VECT_C layout).
Status checkTypeAndFormat(int type, int format, bool filter);
/// Whether cudnnSetConvolution2dDescriptor accepts `type` as the compute
/// type.
bool isConvolutionComputeType(int type);
/// Whether tensors of `type` can be stored and computed on here: FLOAT,
/// DOUBLE, HALF and BFLOAT16.
bool isComputable(cudnnDataType_t type);
/// Bytes per element (INT8 and INT32 too); 0 for other types.
uint64_t elementBytes(cudnnDataType_t type);
/// "float", "double", "half", "bf16", "int8", "int32", "type N".
std::string typeName(cudnnDataType_t type);

/// Round to nearest, ties to even, of a double to bfloat16 (8 exponent and
/// 7 explicit mantissa bits), as its bits.
uint16_t bf16FromDouble(double value);
double bf16ToDouble(uint16_t bits);
/// The same to IEEE binary16 (5 exponent and 10 mantissa bits).
uint16_t halfFromDouble(double value);
double halfToDouble(uint16_t bits);
/// A float rounded to TF32 (float's exponent, 10 explicit mantissa bits),
/// ties to even; what tensor cores multiply.
float roundToTF32(float value);

/// Element `index` of an array of `type` at `base`, as a double.
double load(cudnnDataType_t type, const void *base, uint64_t index);
/// Stores `value` rounded to `type` (to nearest, ties to even).
void store(cudnnDataType_t type, void *base, uint64_t index, double value);

//===----------------------------------------------------------------------===//
// Descriptors
//===----------------------------------------------------------------------===//

/// A 4-d tensor descriptor set with cudnnSetTensor4dDescriptor: fully packed,
/// NCHW or NHWC (strides in the order N, H, W, C).
struct TensorDesc {
  cudnnDataType_t type = cuda::CUDNN_DATA_FLOAT;
  cudnnTensorFormat_t format = cuda::CUDNN_TENSOR_NCHW;
  int n = 0, c = 0, h = 0, w = 0;

  uint64_t elements() const { return uint64_t(n) * c * h * w; }
  uint64_t bytes() const { return elements() * elementBytes(type); }
  /// The element index of logical position (n, c, h, w).
  uint64_t index(int in, int ic, int ih, int iw) const;
  /// "2x16x14x14 nhwc float".
  std::string str() const;
};

/// A 4-d filter descriptor: k output channels, c input channels (per
/// group), r rows and s columns; NCHW is KCRS and NHWC is KRSC.
struct FilterDesc {
  cudnnDataType_t type = cuda::CUDNN_DATA_FLOAT;
  cudnnTensorFormat_t format = cuda::CUDNN_TENSOR_NCHW;
  int k = 0, c = 0, r = 0, s = 0;

  uint64_t elements() const { return uint64_t(k) * c * r * s; }
  uint64_t bytes() const { return elements() * elementBytes(type); }
  uint64_t index(int ik, int ic, int ir, int is) const;
  /// "32x16x3x3 krsc float".
  std::string str() const;
};

/// A 2-d convolution descriptor's settings.
struct ConvDesc {
  int padH = 0, padW = 0, strideH = 1, strideW = 1, dilationH = 1,
      dilationW = 1;
  cudnnConvolutionMode_t mode = cuda::CUDNN_CROSS_CORRELATION;
  cudnnDataType_t computeType = cuda::CUDNN_DATA_FLOAT;
  int groups = 1;
  cudnnMathType_t mathType = cuda::CUDNN_DEFAULT_MATH;
};

/// An activation descriptor's settings.
struct ActivationDesc {
  cudnnActivationMode_t mode = cuda::CUDNN_ACTIVATION_RELU;
  cudnnNanPropagation_t nan = cuda::CUDNN_NOT_PROPAGATE_NAN;
  double coef = 0;
};

//===----------------------------------------------------------------------===//
// Convolution checks
//===----------------------------------------------------------------------===//

enum class ConvKind { Forward, BackwardData, BackwardFilter };

/// A convolution whose descriptors were checked against each other: x
/// (N, C, H, W) convolved with w (K, C / G, R, S) gives y (N, K, P, Q). For
/// backward data, x is dx and y is dy; for backward filter, w is dw.
struct ConvProblem {
  ConvKind kind = ConvKind::Forward;
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;

  /// The type alpha and beta point to: double for DOUBLE_CONFIG, else
  /// float (cuDNN's "Scaling Parameters").
  cudnnDataType_t scaleType() const;
  /// "x 2x16x14x14 nhwc float, w 32x16x3x3 krsc float, y ...", with the
  /// names of `kind`'s arguments.
  std::string str() const;
};

/// Checks the descriptors of a `kind` convolution (for backward data, `x` is
/// dxDesc and `y` dyDesc; for backward filter `w` is dwDesc) against each
/// other and against cuDNN's data type configurations, for `ccMajor` and
/// `ccMinor` the device's compute capability; fills `problem`.
Status checkConvolution(ConvKind kind, const TensorDesc &x, const FilterDesc &w,
                        const ConvDesc &conv, const TensorDesc &y, int ccMajor,
                        int ccMinor, ConvProblem &problem);

/// The algorithms of `kind` (CUDNN_CONVOLUTION_*_ALGO_COUNT).
int algorithmCount(ConvKind kind);
/// "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM".
std::string algorithmName(ConvKind kind, int algo);
/// Every algorithm of `kind`, in the order cuDNN's heuristics would rank
/// them for a typical ResNet convolution.
std::vector<int> algorithmRanking(ConvKind kind);
/// cuDNN's header: BWD_DATA_ALGO_0 and BWD_FILTER_ALGO_0 and _3 are
/// non-deterministic; every other algorithm is deterministic.
cudnnDeterminism_t algorithmDeterminism(ConvKind kind, int algo);
/// CUDNN_STATUS_BAD_PARAM for a value that is no algorithm of `kind`,
/// CUDNN_STATUS_NOT_SUPPORTED (naming the rule) for one that does not
/// support `problem`.
Status checkAlgorithm(const ConvProblem &problem, int algo);
/// The workspace `algo` (supported for `problem`) needs: 0 for most,
/// deterministic non-zero sizes for those that transform or unfold their
/// operands (GEMM, FFT, WINOGRAD_NONFUSED, ...).
uint64_t workspaceBytes(const ConvProblem &problem, int algo);
/// Whether a GPU may multiply in TF32 when running `algo` on `problem`:
/// FLOAT data and compute type, a math type other than CUDNN_FMA_MATH, a
/// device of compute capability 8.0 or later, an algorithm that has tensor
/// core kernels, and no NVIDIA_TF32_OVERRIDE=0 in the environment.
bool permitsTF32(const ConvProblem &problem, int algo, int ccMajor);

/// The extra checks of cudnnConvolutionBiasActivationForward: its
/// activation, algorithm, bias and z descriptors (`problem` is checked).
Status checkBiasActivation(const ConvProblem &problem, int algo,
                           const TensorDesc &z, const TensorDesc &bias,
                           const ActivationDesc &activation);

/// The checks of cudnnAddTensor (C = alpha * A + beta * C, A broadcast).
Status checkAddTensor(const TensorDesc &a, const TensorDesc &c);

//===----------------------------------------------------------------------===//
// Computation (host pointers to the operands, checked by the caller)
//===----------------------------------------------------------------------===//

/// y = alpha * conv(x, w) + beta * y (y is not read when beta is 0).
void convolutionForward(const ConvProblem &problem, const void *x,
                        const void *w, double alpha, double beta, void *y,
                        bool tf32);
/// y = act(alpha1 * conv(x, w) + alpha2 * z + bias) (z is not read when
/// alpha2 is 0).
void convolutionBiasActivationForward(const ConvProblem &problem, const void *x,
                                      const void *w, double alpha1,
                                      const TensorDesc &zDesc, const void *z,
                                      double alpha2, const TensorDesc &biasDesc,
                                      const void *bias,
                                      const ActivationDesc &activation, void *y,
                                      bool tf32);
/// dx = alpha * (the gradient of conv(x, w) with respect to x, given dy) +
/// beta * dx.
void convolutionBackwardData(const ConvProblem &problem, const void *w,
                             const void *dy, double alpha, double beta,
                             void *dx, bool tf32);
/// dw = alpha * (the gradient with respect to w) + beta * dw.
void convolutionBackwardFilter(const ConvProblem &problem, const void *x,
                               const void *dy, double alpha, double beta,
                               void *dw, bool tf32);
/// C = alpha * A + beta * C, each dimension of A equal to C's or 1.
void addTensor(const TensorDesc &aDesc, const void *a, double alpha,
               const TensorDesc &cDesc, void *c, double beta);

} // namespace resnetc::cudasim::dnn

#endif // RESNETC_LIB_CUDASIM_CUDNN_CONVOLUTION_H
