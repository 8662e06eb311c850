//===- Convolution.cpp - The simulated GPU's cuDNN convolutions -----------===//
//
// See Convolution.h. The rules below cite, by short name:
//
// - [cnn]: the cuDNN 9 API reference, cudnn_cnn library,
//   https://docs.nvidia.com/deeplearning/cudnn/latest/api/cudnn-cnn-library.html
//   (cudnnConvolutionForward, cudnnConvolutionBackwardData,
//   cudnnConvolutionBackwardFilter, cudnnConvolutionBiasActivationForward
//   and cudnnGet*WorkspaceSize: their "Supported Configurations",
//   algorithm tables and "Returns" lists, unchanged in substance since
//   cuDNN 7.6);
// - [ops]: the same reference, cudnn_ops and cudnn_graph libraries
//   (cudnnAddTensor, cudnnSetTensor4dDescriptor, cudnnDataType_t,
//   cudnnMathType_t, cudnnActivationMode_t);
// - [legacy]: the cuDNN developer guide, Legacy API, "Tensor Core
//   Operations",
//   https://docs.nvidia.com/deeplearning/cudnn/latest/developer/legacy-api.html;
// - [forum]: NVIDIA's answer on which algorithms exist,
//   https://forums.developer.nvidia.com/t/cudnn-status-not-supported-for-algo-6-and-3/165802/3.
//
//===----------------------------------------------------------------------===//

#include "Convolution.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace resnetc::cudasim::dnn;
using namespace resnetc::cuda;

Status resnetc::cudasim::dnn::success() { return {}; }
Status resnetc::cudasim::dnn::badParam(std::string message) {
  return {CUDNN_STATUS_BAD_PARAM, std::move(message)};
}
Status resnetc::cudasim::dnn::notSupported(std::string message) {
  return {CUDNN_STATUS_NOT_SUPPORTED, std::move(message)};
}

//===----------------------------------------------------------------------===//
// Data types
//===----------------------------------------------------------------------===//

// What the setters accept was measured with cuDNN 9.19.0's own library
// (the descriptor setters run without a GPU), every data type against every
// format: tensors take CUDNN_DATA_FLOAT (0) to CUDNN_DATA_BFLOAT16 (9) in
// NCHW and NHWC, and NCHW_VECT_C only with INT8x4 (5) or UINT8x4 (7);
// filters the same but INT32 (4), and NCHW_VECT_C with INT8x4, UINT8x4 or
// INT8x32 (8); every other value is CUDNN_STATUS_BAD_PARAM. The compute
// type of cudnnSetConvolution2dDescriptor is FLOAT, DOUBLE, HALF or INT32;
// anything else, BFLOAT16 included, is BAD_PARAM. A type accepted but not
// computed here (INT8, UINT8, ...) is refused where it is used.
Status resnetc::cudasim::dnn::checkTypeAndFormat(int type, int format,
                                                 bool filter) {
  std::string kind = filter ? "a filter" : "a tensor";
  if (format == CUDNN_TENSOR_NCHW || format == CUDNN_TENSOR_NHWC) {
    if (type < CUDNN_DATA_FLOAT || type > CUDNN_DATA_BFLOAT16 ||
        (filter && type == CUDNN_DATA_INT32))
      return badParam("dataType " + typeName(cudnnDataType_t(type)) +
                      " is not one of " + kind + "'s data types");
    return success();
  }
  if (format == 2) { // CUDNN_TENSOR_NCHW_VECT_C.
    bool vector = type == 5 || type == 7 || (filter && type == 8);
    if (!vector)
      return badParam("CUDNN_TENSOR_NCHW_VECT_C needs a vector data type, "
                      "not " +
                      typeName(cudnnDataType_t(type)));
    return notSupported("CUDNN_TENSOR_NCHW_VECT_C is not simulated");
  }
  return badParam("format " + std::to_string(format) +
                  " is not a cudnnTensorFormat_t");
}

bool resnetc::cudasim::dnn::isConvolutionComputeType(int type) {
  return type == CUDNN_DATA_FLOAT || type == CUDNN_DATA_DOUBLE ||
         type == CUDNN_DATA_HALF || type == CUDNN_DATA_INT32;
}

bool resnetc::cudasim::dnn::isComputable(cudnnDataType_t type) {
  return type == CUDNN_DATA_FLOAT || type == CUDNN_DATA_DOUBLE ||
         type == CUDNN_DATA_HALF || type == CUDNN_DATA_BFLOAT16;
}

uint64_t resnetc::cudasim::dnn::elementBytes(cudnnDataType_t type) {
  switch (type) {
  case CUDNN_DATA_FLOAT:
  case CUDNN_DATA_INT32:
    return 4;
  case CUDNN_DATA_DOUBLE:
    return 8;
  case CUDNN_DATA_HALF:
  case CUDNN_DATA_BFLOAT16:
    return 2;
  case CUDNN_DATA_INT8:
    return 1;
  }
  return 0;
}

std::string resnetc::cudasim::dnn::typeName(cudnnDataType_t type) {
  switch (type) {
  case CUDNN_DATA_FLOAT:
    return "float";
  case CUDNN_DATA_DOUBLE:
    return "double";
  case CUDNN_DATA_HALF:
    return "half";
  case CUDNN_DATA_BFLOAT16:
    return "bf16";
  case CUDNN_DATA_INT8:
    return "int8";
  case CUDNN_DATA_INT32:
    return "int32";
  }
  return "type " + std::to_string(int(type));
}

/// `value` rounded to nearest, ties to even, with `mantissaBits` explicit
/// mantissa bits and exponents in [minExponent, maxExponent] (gradual
/// underflow below); infinity beyond the largest finite value.
static double roundToFormat(double value, int mantissaBits, int minExponent,
                            int maxExponent) {
  if (!std::isfinite(value) || value == 0)
    return value;
  int e = 0;
  std::frexp(value, &e); // value = m * 2^e with 0.5 <= |m| < 1.
  int exponent = std::max(e - 1, minExponent);
  double quantum = std::ldexp(1.0, exponent - mantissaBits);
  // Exact: a power-of-two scaling; nearbyint rounds ties to even.
  double rounded = std::nearbyint(value / quantum) * quantum;
  double largest =
      std::ldexp(2.0 - std::ldexp(1.0, -mantissaBits), maxExponent);
  if (std::fabs(rounded) > largest)
    return std::copysign(INFINITY, value);
  return rounded;
}

uint16_t resnetc::cudasim::dnn::bf16FromDouble(double value) {
  if (std::isnan(value))
    return std::signbit(value) ? 0xffc0 : 0x7fc0;
  // Exactly representable in float, whose upper half it is.
  float f = float(roundToFormat(value, 7, -126, 127));
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return uint16_t(bits >> 16);
}

double resnetc::cudasim::dnn::bf16ToDouble(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

uint16_t resnetc::cudasim::dnn::halfFromDouble(double value) {
  if (std::isnan(value))
    return std::signbit(value) ? 0xfe00 : 0x7e00;
  double r = roundToFormat(value, 10, -14, 15);
  uint16_t sign = std::signbit(r) ? 0x8000 : 0;
  double a = std::fabs(r);
  if (std::isinf(a))
    return sign | 0x7c00;
  if (a == 0)
    return sign;
  int e = 0;
  std::frexp(a, &e);
  int exponent = e - 1;
  if (exponent < -14) // Subnormal: a multiple of 2^-24.
    return sign | uint16_t(std::ldexp(a, 24));
  uint16_t mantissa = uint16_t(std::ldexp(a, 10 - exponent) - 1024);
  return sign | uint16_t((exponent + 15) << 10) | mantissa;
}

double resnetc::cudasim::dnn::halfToDouble(uint16_t bits) {
  double sign = bits & 0x8000 ? -1 : 1;
  int exponent = (bits >> 10) & 31;
  int mantissa = bits & 1023;
  if (exponent == 31)
    return mantissa ? NAN : sign * INFINITY;
  if (exponent == 0)
    return sign * std::ldexp(double(mantissa), -24);
  return sign * std::ldexp(double(1024 + mantissa), exponent - 25);
}

float resnetc::cudasim::dnn::roundToTF32(float value) {
  if (std::isnan(value))
    return value;
  return float(roundToFormat(value, 10, -126, 127));
}

double resnetc::cudasim::dnn::load(cudnnDataType_t type, const void *base,
                                   uint64_t index) {
  const char *p = static_cast<const char *>(base);
  switch (type) {
  case CUDNN_DATA_FLOAT: {
    float f;
    std::memcpy(&f, p + 4 * index, 4);
    return f;
  }
  case CUDNN_DATA_DOUBLE: {
    double d;
    std::memcpy(&d, p + 8 * index, 8);
    return d;
  }
  case CUDNN_DATA_HALF:
  case CUDNN_DATA_BFLOAT16: {
    uint16_t bits;
    std::memcpy(&bits, p + 2 * index, 2);
    return type == CUDNN_DATA_HALF ? halfToDouble(bits) : bf16ToDouble(bits);
  }
  default:
    return 0; // Not computable: the checks reject it first.
  }
}

void resnetc::cudasim::dnn::store(cudnnDataType_t type, void *base,
                                  uint64_t index, double value) {
  char *p = static_cast<char *>(base);
  switch (type) {
  case CUDNN_DATA_FLOAT: {
    float f = float(value); // Round to nearest even.
    std::memcpy(p + 4 * index, &f, 4);
    return;
  }
  case CUDNN_DATA_DOUBLE:
    std::memcpy(p + 8 * index, &value, 8);
    return;
  case CUDNN_DATA_HALF:
  case CUDNN_DATA_BFLOAT16: {
    uint16_t bits =
        type == CUDNN_DATA_HALF ? halfFromDouble(value) : bf16FromDouble(value);
    std::memcpy(p + 2 * index, &bits, 2);
    return;
  }
  default:
    return;
  }
}

//===----------------------------------------------------------------------===//
// Descriptors
//===----------------------------------------------------------------------===//

uint64_t TensorDesc::index(int in, int ic, int ih, int iw) const {
  if (format == CUDNN_TENSOR_NHWC)
    return ((uint64_t(in) * h + ih) * w + iw) * c + ic;
  return ((uint64_t(in) * c + ic) * h + ih) * w + iw;
}

std::string TensorDesc::str() const {
  return std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(h) +
         "x" + std::to_string(w) +
         (format == CUDNN_TENSOR_NHWC ? " nhwc " : " nchw ") + typeName(type);
}

uint64_t FilterDesc::index(int ik, int ic, int ir, int is) const {
  if (format == CUDNN_TENSOR_NHWC)
    return ((uint64_t(ik) * r + ir) * s + is) * c + ic;
  return ((uint64_t(ik) * c + ic) * r + ir) * s + is;
}

std::string FilterDesc::str() const {
  return std::to_string(k) + "x" + std::to_string(c) + "x" + std::to_string(r) +
         "x" + std::to_string(s) +
         (format == CUDNN_TENSOR_NHWC ? " krsc " : " kcrs ") + typeName(type);
}

cudnnDataType_t ConvProblem::scaleType() const {
  return x.type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

std::string ConvProblem::str() const {
  switch (kind) {
  case ConvKind::Forward:
    return "x " + x.str() + ", w " + w.str() + ", y " + y.str();
  case ConvKind::BackwardData:
    return "w " + w.str() + ", dy " + y.str() + ", dx " + x.str();
  case ConvKind::BackwardFilter:
    return "x " + x.str() + ", dy " + y.str() + ", dw " + w.str();
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Convolution checks
//===----------------------------------------------------------------------===//

/// The extent of a filter of `size` taps dilated by `dilation`.
static int64_t dilated(int size, int dilation) {
  return int64_t(size - 1) * dilation + 1;
}

/// The output extent along one dimension ([cnn]
/// cudnnGetConvolution2dForwardOutputDim's formula); 0 or less when the
/// dilated filter is larger than the padded input.
static int64_t outputExtent(int input, int pad, int filter, int stride,
                            int dilation) {
  int64_t span = int64_t(input) + 2 * int64_t(pad) - dilated(filter, dilation);
  if (span < 0)
    return 0;
  return span / stride + 1;
}

static std::string dims(int64_t a, int64_t b) {
  return std::to_string(a) + "x" + std::to_string(b);
}

Status resnetc::cudasim::dnn::checkConvolution(
    ConvKind kind, const TensorDesc &x, const FilterDesc &w,
    const ConvDesc &conv, const TensorDesc &y, int ccMajor, int ccMinor,
    ConvProblem &problem) {
  problem = ConvProblem{kind, x, y, w, conv};
  const char *xName = kind == ConvKind::BackwardData ? "dxDesc" : "xDesc";
  const char *yName = kind == ConvKind::Forward ? "yDesc" : "dyDesc";
  const char *wName = kind == ConvKind::BackwardFilter ? "dwDesc" : "wDesc";
  int groups = conv.groups;

  // [cnn] Returns, CUDNN_STATUS_BAD_PARAM (all three functions): "xDesc,
  // wDesc and yDesc have a non-matching data type".
  if (x.type != w.type || x.type != y.type)
    return badParam(std::string(xName) + ", " + wName + " and " + yName +
                    " have different data types (" + typeName(x.type) + ", " +
                    typeName(w.type) + ", " + typeName(y.type) + ")");

  // [cnn] BAD_PARAM (all three): "xDesc and wDesc have a non-matching number
  // of input feature maps per image (or group in case of grouped
  // convolutions)": the filter's C is the input's C / groupCount.
  if (int64_t(w.c) * groups != x.c)
    return badParam(std::string(xName) + " has " + std::to_string(x.c) +
                    " channels but " + wName + " has " + std::to_string(w.c) +
                    " per group with " + std::to_string(groups) + " group" +
                    (groups == 1 ? "" : "s"));

  // [cnn] "yDesc or wDesc indicate an output channel count that isn't a
  // multiple of group count": BAD_PARAM for cudnnConvolutionForward and
  // cudnnConvolutionBackwardFilter, NOT_SUPPORTED for
  // cudnnConvolutionBackwardData.
  if (w.k % groups != 0) {
    std::string message = std::string(wName) + " has " + std::to_string(w.k) +
                          " output channels, not a multiple of the " +
                          std::to_string(groups) + " groups";
    return kind == ConvKind::BackwardData ? notSupported(message)
                                          : badParam(message);
  }

  // [cnn] BAD_PARAM (forward): "For some spatial dimension, wDesc has a
  // spatial size that is larger than the input spatial size (including
  // zero-padding size)".
  int64_t p = outputExtent(x.h, conv.padH, w.r, conv.strideH, conv.dilationH);
  int64_t q = outputExtent(x.w, conv.padW, w.s, conv.strideW, conv.dilationW);
  if (p <= 0 || q <= 0)
    return badParam(
        "the dilated filter (" +
        dims(dilated(w.r, conv.dilationH), dilated(w.s, conv.dilationW)) +
        ") is larger than the padded input (" +
        dims(int64_t(x.h) + 2 * conv.padH, int64_t(x.w) + 2 * conv.padW) + ")");

  // The output's batch and channels: a mismatch is an inconsistent shape,
  // BAD_PARAM like the other dimension mismatches of the Returns lists.
  if (y.n != x.n || y.c != w.k)
    return badParam(
        std::string(yName) + " is " + y.str() + " but the convolution of " +
        xName + " " + x.str() + " with " + wName + " " + w.str() + " gives " +
        std::to_string(x.n) + "x" + std::to_string(w.k) + "x" + dims(p, q));
  // [cnn] The output's spatial size "do not match with the expected size as
  // determined by cudnnGetConvolutionNdForwardOutputDim": NOT_SUPPORTED for
  // cudnnConvolutionForward, BAD_PARAM for cudnnConvolutionBackwardData;
  // cudnnConvolutionBackwardFilter does not list it, and it is BAD_PARAM
  // there like its other shape mismatches.
  if (y.h != p || y.w != q) {
    std::string message = std::string(yName) + " is " + dims(y.h, y.w) +
                          " spatially but the convolution gives " + dims(p, q);
    return kind == ConvKind::Forward ? notSupported(message)
                                     : badParam(message);
  }

  // Layouts. The documentation does not say whether a filter's format may
  // differ from the tensors' or x's from y's; conservatively, all must be
  // the same (NCHW tensors with a KCRS filter, or NHWC with KRSC):
  // NOT_SUPPORTED otherwise.
  if (x.format != y.format || w.format != x.format)
    return notSupported(std::string("mixed layouts (") + xName + " " + x.str() +
                        ", " + wName + " " + w.str() + ", " + yName + " " +
                        y.str() +
                        "): the stand-in requires NCHW tensors with a KCRS "
                        "filter or NHWC tensors with a KRSC filter");

  // [cnn] "Supported Configurations" of the three functions (xDesc, wDesc,
  // convDesc's compute type, yDesc):
  //   TRUE_HALF_CONFIG       HALF     HALF     HALF   HALF
  //   PSEUDO_HALF_CONFIG     HALF     HALF     FLOAT  HALF
  //   PSEUDO_BFLOAT16_CONFIG BFLOAT16 BFLOAT16 FLOAT  BFLOAT16
  //   FLOAT_CONFIG           FLOAT    FLOAT    FLOAT  FLOAT
  //   DOUBLE_CONFIG          DOUBLE   DOUBLE   DOUBLE DOUBLE
  // and, for cudnnConvolutionForward only, INT8_CONFIG and INT8_EXT_CONFIG
  // (INT8 x and w, INT32 compute type), which the stand-in does not compute.
  // Anything else is NOT_SUPPORTED.
  cudnnDataType_t t = x.type, ct = conv.computeType;
  std::string config = "x, w and y of type " + typeName(t) +
                       " with compute type " + typeName(ct);
  switch (t) {
  case CUDNN_DATA_HALF:
    if (ct != CUDNN_DATA_HALF && ct != CUDNN_DATA_FLOAT)
      return notSupported(config + " is none of cuDNN's configurations "
                                   "(TRUE_HALF_CONFIG computes in HALF, "
                                   "PSEUDO_HALF_CONFIG in FLOAT)");
    // [cnn] "TRUE_HALF_CONFIG is only supported on architectures with true
    // FP16 support, meaning, compute capability 5.3 and later."
    if (ct == CUDNN_DATA_HALF && (ccMajor < 5 || (ccMajor == 5 && ccMinor < 3)))
      return notSupported("TRUE_HALF_CONFIG needs compute capability 5.3 or "
                          "later");
    return success();
  case CUDNN_DATA_BFLOAT16:
    if (ct != CUDNN_DATA_FLOAT)
      return notSupported(config + " is none of cuDNN's configurations "
                                   "(PSEUDO_BFLOAT16_CONFIG computes in "
                                   "FLOAT)");
    // The legacy API's pages do not state a minimum compute capability for
    // PSEUDO_BFLOAT16_CONFIG; bfloat16 arithmetic (and cuDNN's bf16
    // kernels) start with compute capability 8.0, so conservatively it
    // needs 8.0.
    if (ccMajor < 8)
      return notSupported("PSEUDO_BFLOAT16_CONFIG needs compute capability "
                          "8.0 or later");
    return success();
  case CUDNN_DATA_FLOAT:
    if (ct != CUDNN_DATA_FLOAT)
      return notSupported(config + " is none of cuDNN's configurations "
                                   "(FLOAT_CONFIG computes in FLOAT)");
    return success();
  case CUDNN_DATA_DOUBLE:
    if (ct != CUDNN_DATA_DOUBLE)
      return notSupported(config + " is none of cuDNN's configurations "
                                   "(DOUBLE_CONFIG computes in DOUBLE)");
    return success();
  default:
    return notSupported(config + " is not simulated (the INT8 "
                                 "configurations are not modeled)");
  }
}

int resnetc::cudasim::dnn::algorithmCount(ConvKind kind) {
  switch (kind) {
  case ConvKind::Forward:
    return CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
  case ConvKind::BackwardData:
    return CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
  case ConvKind::BackwardFilter:
    return CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
  }
  return 0;
}

std::string resnetc::cudasim::dnn::algorithmName(ConvKind kind, int algo) {
  static const char *const forward[] = {
      "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM",
      "GEMM",          "DIRECT",
      "FFT",           "FFT_TILING",
      "WINOGRAD",      "WINOGRAD_NONFUSED"};
  static const char *const data[] = {
      "0", "1", "FFT", "FFT_TILING", "WINOGRAD", "WINOGRAD_NONFUSED"};
  static const char *const filter[] = {
      "0", "1", "FFT", "3", "WINOGRAD", "WINOGRAD_NONFUSED", "FFT_TILING"};
  if (algo < 0 || algo >= algorithmCount(kind))
    return "algorithm " + std::to_string(algo);
  switch (kind) {
  case ConvKind::Forward:
    return std::string("CUDNN_CONVOLUTION_FWD_ALGO_") + forward[algo];
  case ConvKind::BackwardData:
    return std::string("CUDNN_CONVOLUTION_BWD_DATA_ALGO_") + data[algo];
  case ConvKind::BackwardFilter:
    return std::string("CUDNN_CONVOLUTION_BWD_FILTER_ALGO_") + filter[algo];
  }
  return "";
}

std::vector<int> resnetc::cudasim::dnn::algorithmRanking(ConvKind kind) {
  switch (kind) {
  case ConvKind::Forward:
    return {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
            CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
            CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
            CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
            CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
            CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
            CUDNN_CONVOLUTION_FWD_ALGO_FFT,
            CUDNN_CONVOLUTION_FWD_ALGO_DIRECT};
  case ConvKind::BackwardData:
    return {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
            CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT};
  case ConvKind::BackwardFilter:
    return {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT,
            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD};
  }
  return {};
}

cudnnDeterminism_t resnetc::cudasim::dnn::algorithmDeterminism(ConvKind kind,
                                                               int algo) {
  // cudnn_cnn.h: "/* non-deterministic */" on BWD_DATA_ALGO_0,
  // BWD_FILTER_ALGO_0 and BWD_FILTER_ALGO_3 (they accumulate with atomics).
  if (kind == ConvKind::BackwardData &&
      algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0)
    return CUDNN_NON_DETERMINISTIC;
  if (kind == ConvKind::BackwardFilter &&
      (algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 ||
       algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3))
    return CUDNN_NON_DETERMINISTIC;
  return CUDNN_DETERMINISTIC;
}

namespace {
/// The facts of a problem the algorithm rules test.
struct Shape {
  int64_t n, c, h, w; ///< The image side (x, or dx).
  int64_t k, cg, r, s;
  int64_t p, q; ///< The output side (y, or dy).
  int64_t groups;
  bool nchw, unitStride, unitDilation;
  bool floatOrHalf; ///< FLOAT_CONFIG, PSEUDO_HALF_CONFIG, TRUE_HALF_CONFIG.
  bool floatConfig;
  int64_t paddedH, paddedW;
  int64_t padH, padW;
};
} // namespace

static Shape shapeOf(const ConvProblem &pr) {
  Shape s;
  s.n = pr.x.n, s.c = pr.x.c, s.h = pr.x.h, s.w = pr.x.w;
  s.k = pr.w.k, s.cg = pr.w.c, s.r = pr.w.r, s.s = pr.w.s;
  s.p = pr.y.h, s.q = pr.y.w;
  s.groups = pr.conv.groups;
  s.nchw = pr.x.format == CUDNN_TENSOR_NCHW;
  s.unitStride = pr.conv.strideH == 1 && pr.conv.strideW == 1;
  s.unitDilation = pr.conv.dilationH == 1 && pr.conv.dilationW == 1;
  s.floatOrHalf = pr.x.type == CUDNN_DATA_FLOAT || pr.x.type == CUDNN_DATA_HALF;
  s.floatConfig = pr.x.type == CUDNN_DATA_FLOAT;
  s.padH = pr.conv.padH, s.padW = pr.conv.padW;
  s.paddedH = s.h + 2 * s.padH, s.paddedW = s.w + 2 * s.padW;
  return s;
}

/// The rules shared by the FFT algorithms of the three functions ([cnn]
/// algorithm tables): NCHW HW-packed tensors, unit strides and dilations,
/// and a filter larger than the padding; FFT (not FFT_TILING) also needs
/// the padded input at most 256x256. cuDNN lists them for FLOAT and the
/// HALF configurations; the stand-in conservatively refuses them for
/// BFLOAT16 and DOUBLE.
static Status fftRules(const Shape &s, bool tiling, const std::string &name) {
  if (!s.floatOrHalf)
    return notSupported(name + " supports FLOAT and HALF data only");
  if (!s.nchw)
    return notSupported(name + " needs NCHW tensors");
  if (!s.unitStride)
    return notSupported(name + " needs a convolution stride of 1");
  if (!s.unitDilation)
    return notSupported(name + " needs a dilation of 1");
  if (s.r <= s.padH || s.s <= s.padW)
    return notSupported(name + " needs a filter larger than the padding");
  if (!tiling && (s.paddedH > 256 || s.paddedW > 256))
    return notSupported(name + " needs the padded input (" +
                        dims(s.paddedH, s.paddedW) + ") at most 256x256");
  return success();
}

/// WINOGRAD ([cnn], [forum]): 3x3 filters, unit strides and dilations,
/// NCHW tensors; FLOAT and HALF configurations.
static Status winogradRules(const Shape &s, const std::string &name) {
  if (!s.floatOrHalf)
    return notSupported(name + " supports FLOAT and HALF data only");
  if (s.r != 3 || s.s != 3)
    return notSupported(name + " needs a 3x3 filter, not " + dims(s.r, s.s));
  if (!s.unitStride)
    return notSupported(name + " needs a convolution stride of 1");
  if (!s.unitDilation)
    return notSupported(name + " needs a dilation of 1");
  if (!s.nchw)
    return notSupported(name + " needs NCHW tensors");
  return success();
}

/// WINOGRAD_NONFUSED ([cnn]): 3x3 filters, or 5x5 with FLOAT_CONFIG; unit
/// strides and dilations; FLOAT and HALF configurations.
static Status winogradNonfusedRules(const Shape &s, const std::string &name) {
  if (!s.floatOrHalf)
    return notSupported(name + " supports FLOAT and HALF data only");
  bool is3 = s.r == 3 && s.s == 3, is5 = s.r == 5 && s.s == 5;
  if (!is3 && !(is5 && s.floatConfig))
    return notSupported(name +
                        " needs a 3x3 filter (or 5x5 with "
                        "FLOAT_CONFIG), not " +
                        dims(s.r, s.s));
  if (!s.unitStride)
    return notSupported(name + " needs a convolution stride of 1");
  if (!s.unitDilation)
    return notSupported(name + " needs a dilation of 1");
  return success();
}

Status resnetc::cudasim::dnn::checkAlgorithm(const ConvProblem &pr, int algo) {
  if (algo < 0 || algo >= algorithmCount(pr.kind))
    return badParam(std::to_string(algo) + " is not a " +
                    (pr.kind == ConvKind::Forward        ? "forward"
                     : pr.kind == ConvKind::BackwardData ? "backward data"
                                                         : "backward filter") +
                    " convolution algorithm");
  Shape s = shapeOf(pr);
  std::string name = algorithmName(pr.kind, algo);
  // $RESNETC_SIM_CUDNN_NO_FWD_ALGOS (a comma-separated list of forward
  // algorithm numbers) plays a cuDNN build or GPU on which those cannot run,
  // to check how callers cope.
  if (pr.kind == ConvKind::Forward)
    if (const char *off = std::getenv("RESNETC_SIM_CUDNN_NO_FWD_ALGOS")) {
      std::string list = std::string(",") + off + ",";
      if (list.find("," + std::to_string(algo) + ",") != std::string::npos)
        return notSupported(name + " is off ($RESNETC_SIM_CUDNN_NO_FWD_ALGOS)");
    }
  switch (pr.kind) {
  case ConvKind::Forward:
    switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      // [cnn] Both support every layout, stride and dilation here.
      return success();
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      // [cnn] lists NCHW HW-packed tensors for GEMM; conservatively not
      // NHWC.
      if (!s.nchw)
        return notSupported(name + " needs NCHW tensors");
      return success();
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT:
      // [forum] "CUDNN_CONVOLUTION_FWD_ALGO_DIRECT is not implemented."
      return notSupported(name + " is not implemented by cuDNN");
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return fftRules(s, false, name);
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return fftRules(s, true, name);
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
      return winogradRules(s, name);
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return winogradNonfusedRules(s, name);
    }
    break;
  case ConvKind::BackwardData:
    switch (algo) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0:
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      return success();
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return fftRules(s, false, name);
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return fftRules(s, true, name);
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD:
      return winogradRules(s, name);
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return winogradNonfusedRules(s, name);
    }
    break;
  case ConvKind::BackwardFilter:
    switch (algo) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0:
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1:
      return success();
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3:
      // The documentation's table is not at hand for ALGO_3's dilation
      // support; conservatively, a dilation of 1.
      if (!s.unitDilation)
        return notSupported(name + " needs a dilation of 1");
      return success();
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT:
      return fftRules(s, false, name);
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING:
      return fftRules(s, true, name);
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD:
      // [cnn] The backward filter WINOGRAD algorithm is not implemented;
      // cuDNN lists it as not supported for every configuration.
      return notSupported(name + " is not implemented by cuDNN");
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED:
      return winogradNonfusedRules(s, name);
    }
    break;
  }
  return notSupported(name + " is not supported");
}

static uint64_t roundUp256(uint64_t bytes) { return (bytes + 255) / 256 * 256; }

static uint64_t nextPowerOfTwo(uint64_t v) {
  uint64_t p = 1;
  while (p < v)
    p <<= 1;
  return p;
}

uint64_t resnetc::cudasim::dnn::workspaceBytes(const ConvProblem &pr,
                                               int algo) {
  Shape s = shapeOf(pr);
  // Workspace elements are of the compute type.
  uint64_t e = pr.conv.computeType == CUDNN_DATA_DOUBLE ? 8
               : pr.conv.computeType == CUDNN_DATA_HALF ? 2
                                                        : 4;
  uint64_t filter = uint64_t(s.k) * s.cg * s.r * s.s;
  // FFT: the transforms of the images, filters and outputs, of complex
  // numbers over the padded input rounded up to powers of two.
  auto fft = [&] {
    uint64_t fh = nextPowerOfTwo(s.paddedH), fw = nextPowerOfTwo(s.paddedW);
    uint64_t maps =
        uint64_t(s.n) * s.c + uint64_t(s.k) * s.cg + uint64_t(s.n) * s.k;
    return roundUp256(2 * e * maps * fh * (fw / 2 + 1));
  };
  // FFT_TILING: the same over 32x32 tiles, one tile row at a time.
  auto fftTiling = [&] {
    uint64_t tile =
        std::max<uint64_t>(32, nextPowerOfTwo(2 * std::max(s.r, s.s)));
    uint64_t maps =
        uint64_t(s.n) * s.c + uint64_t(s.k) * s.cg + uint64_t(s.n) * s.k;
    return roundUp256(2 * e * maps * tile * (tile / 2 + 1));
  };
  // WINOGRAD_NONFUSED: the transformed filters, input and output tiles
  // (F(4x4, 3x3) or F(2x2, 5x5), both of 6x6 tiles).
  auto winograd = [&] {
    uint64_t m = s.r == 3 ? 4 : 2;
    uint64_t tiles = uint64_t((s.p + m - 1) / m) * ((s.q + m - 1) / m);
    return roundUp256(e * 36 *
                      (uint64_t(s.k) * s.cg + uint64_t(s.n) * s.c * tiles +
                       uint64_t(s.n) * s.k * tiles));
  };
  switch (pr.kind) {
  case ConvKind::Forward:
    switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
      // The precomputed offsets of one group's filter taps.
      return roundUp256(sizeof(int32_t) * uint64_t(s.cg) * s.r * s.s);
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
      // One image unfolded (im2col): C*R*S rows of P*Q columns.
      return roundUp256(e * uint64_t(s.c) * s.r * s.s * s.p * s.q);
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
      return fft();
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
      return fftTiling();
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
      return winograd();
    default:
      return 0;
    }
  case ConvKind::BackwardData:
    switch (algo) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1:
      // The rearranged (transposed, flipped) filter.
      return roundUp256(e * filter);
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT:
      return fft();
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING:
      return fftTiling();
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED:
      return winograd();
    default:
      return 0;
    }
  case ConvKind::BackwardFilter:
    switch (algo) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1:
      // Partial filter gradients, reduced at the end.
      return roundUp256(e * filter * std::min<int64_t>(s.n, 4));
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3:
      return roundUp256(e * filter);
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT:
      return fft();
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING:
      return fftTiling();
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED:
      return winograd();
    default:
      return 0;
    }
  }
  return 0;
}

bool resnetc::cudasim::dnn::permitsTF32(const ConvProblem &pr, int algo,
                                        int ccMajor) {
  // [ops] cudnnMathType_t: CUDNN_DEFAULT_MATH permits TF32 tensor core
  // operations on NVIDIA Ampere and later, CUDNN_TENSOR_OP_MATH(_ALLOW_
  // CONVERSION) permit tensor cores, CUDNN_FMA_MATH restricts to FMA
  // kernels. TF32 applies to FLOAT data (FLOAT_CONFIG); the environment
  // variable NVIDIA_TF32_OVERRIDE=0 disables it whatever the math type.
  if (pr.x.type != CUDNN_DATA_FLOAT || pr.conv.computeType != CUDNN_DATA_FLOAT)
    return false;
  if (pr.conv.mathType == CUDNN_FMA_MATH || ccMajor < 8)
    return false;
  if (const char *override = std::getenv("NVIDIA_TF32_OVERRIDE"))
    if (std::strcmp(override, "0") == 0)
      return false;
  // [legacy] "Supported Algorithms" of tensor core operations:
  // IMPLICIT_PRECOMP_GEMM and WINOGRAD_NONFUSED forward, ALGO_1 and
  // WINOGRAD_NONFUSED backward data and backward filter.
  switch (pr.kind) {
  case ConvKind::Forward:
    return algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
           algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
  case ConvKind::BackwardData:
    return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 ||
           algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
  case ConvKind::BackwardFilter:
    return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
           algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
  }
  return false;
}

Status resnetc::cudasim::dnn::checkBiasActivation(
    const ConvProblem &pr, int algo, const TensorDesc &z,
    const TensorDesc &bias, const ActivationDesc &activation) {
  // [cnn] cudnnConvolutionBiasActivationForward, Returns,
  // CUDNN_STATUS_NOT_SUPPORTED: "The mode of activationDesc is neither
  // CUDNN_ACTIVATION_RELU or CUDNN_ACTIVATION_IDENTITY."
  if (activation.mode != CUDNN_ACTIVATION_RELU &&
      activation.mode != CUDNN_ACTIVATION_IDENTITY)
    return notSupported("the activation mode (" +
                        std::to_string(int(activation.mode)) +
                        ") is neither CUDNN_ACTIVATION_RELU nor "
                        "CUDNN_ACTIVATION_IDENTITY");
  // [cnn], ibid.: "The mode of activationDesc is CUDNN_ACTIVATION_IDENTITY
  // and algo is not CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM"; and
  // cudnnActivationMode_t: CUDNN_ACTIVATION_IDENTITY "...
  // cudnnConvolutionBiasActivationForward() must use
  // CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM".
  if (activation.mode == CUDNN_ACTIVATION_IDENTITY &&
      algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
    return notSupported("CUDNN_ACTIVATION_IDENTITY needs "
                        "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, "
                        "not " +
                        algorithmName(ConvKind::Forward, algo));
  // [cnn], ibid.: "The first dimension of biasDesc is not equal to one",
  // "The second dimension of biasDesc and the first dimension of
  // filterDesc are not equal", "The second stride of biasDesc is not equal
  // to one" (true of every packed 1xKx1x1 tensor, NCHW or NHWC). A bias
  // that is not per channel (height or width other than 1) is not
  // documented; conservatively refused.
  if (bias.n != 1 || bias.c != pr.w.k || bias.h != 1 || bias.w != 1)
    return notSupported("biasDesc is " + bias.str() + ", not 1x" +
                        std::to_string(pr.w.k) + "x1x1");
  // [cnn], "Supported Configurations" of
  // cudnnConvolutionBiasActivationForward (xDesc, wDesc, convDesc, yDesc
  // and zDesc, biasDesc):
  //   TRUE_HALF_CONFIG       HALF     HALF     HALF   HALF     HALF
  //   PSEUDO_HALF_CONFIG     HALF     HALF     FLOAT  HALF     HALF
  //   PSEUDO_BFLOAT16_CONFIG BFLOAT16 BFLOAT16 FLOAT  BFLOAT16 BFLOAT16
  //   FLOAT_CONFIG           FLOAT    FLOAT    FLOAT  FLOAT    FLOAT
  //   DOUBLE_CONFIG          DOUBLE   DOUBLE   DOUBLE DOUBLE   DOUBLE
  //   INT8_CONFIG            INT8     INT8     INT32  INT8     FLOAT
  //   INT8_EXT_CONFIG        INT8     INT8     INT32  FLOAT    FLOAT
  // so the bias is of y's type for every floating-point configuration (a
  // FLOAT bias only with INT8 data), and "The data type of biasDesc does
  // not correspond to the data type of yDesc as listed in the Data Types
  // section" is NOT_SUPPORTED. XLA relies on the same table
  // (xla/service/gpu/transforms/cudnn_fused_conv_rewriter.cc: the bias is
  // "f32 for s8/f32/u32 convs, and conv_ty for floating-point convs").
  // cuDNN 9 builds this call on its graph API; the fused engine in cuDNN
  // 9.19.0's libcudnn_graph.so checks "biasType !=
  // biasTensor->getDataType()" and "!(addOp->getBDesc()->isSimilarTo(yDesc))"
  // (strings of the library): the bias has one required type, z is like y.
  if (bias.type != pr.y.type)
    return notSupported("a " + typeName(bias.type) + " bias with " +
                        typeName(pr.y.type) +
                        " y is none of cuDNN's configurations (the bias "
                        "must be of y's type, " +
                        typeName(pr.y.type) + ")");
  // [cnn], ibid.: "zDesc and destDesc do not match" is NOT_SUPPORTED.
  if (z.type != pr.y.type || z.format != pr.y.format || z.n != pr.y.n ||
      z.c != pr.y.c || z.h != pr.y.h || z.w != pr.y.w)
    return notSupported("zDesc (" + z.str() + ") does not match yDesc (" +
                        pr.y.str() + ")");
  return success();
}

Status resnetc::cudasim::dnn::checkAddTensor(const TensorDesc &a,
                                             const TensorDesc &c) {
  // [ops] cudnnAddTensor, Returns, CUDNN_STATUS_BAD_PARAM: "The dimensions
  // of the bias tensor refer to an amount of data that is incompatible
  // with the output tensor dimensions or the dataType of the two tensor
  // descriptors are different." (cuDNN 9.19.0's libcudnn_ops.so checks
  // "biasDesc->dataType != srcDestDesc->dataType".)
  if (a.type != c.type)
    return badParam("aDesc is " + typeName(a.type) + " but cDesc is " +
                    typeName(c.type));
  // [ops] "Each dimension of the bias tensor A must match the
  // corresponding dimension of the destination tensor C or must be equal
  // to 1."
  if ((a.n != c.n && a.n != 1) || (a.c != c.c && a.c != 1) ||
      (a.h != c.h && a.h != 1) || (a.w != c.w && a.w != 1))
    return badParam("aDesc " + a.str() + " does not broadcast to cDesc " +
                    c.str() + " (each dimension must be C's or 1)");
  if (!isComputable(c.type))
    return notSupported("cudnnAddTensor of " + typeName(c.type) +
                        " tensors is not simulated");
  return success();
}

//===----------------------------------------------------------------------===//
// Computation
//===----------------------------------------------------------------------===//

namespace {
/// A convolution's sizes, in logical (NCHW, KCRS) order.
struct Geometry {
  int n, c, h, w, k, cg, r, s, p, q, kg;
  int padH, padW, strideH, strideW, dilationH, dilationW;
  bool flip; ///< CUDNN_CONVOLUTION: the filter is applied flipped.

  explicit Geometry(const ConvProblem &pr)
      : n(pr.x.n), c(pr.x.c), h(pr.x.h), w(pr.x.w), k(pr.w.k), cg(pr.w.c),
        r(pr.w.r), s(pr.w.s), p(pr.y.h), q(pr.y.w), kg(pr.w.k / pr.conv.groups),
        padH(pr.conv.padH), padW(pr.conv.padW), strideH(pr.conv.strideH),
        strideW(pr.conv.strideW), dilationH(pr.conv.dilationH),
        dilationW(pr.conv.dilationW), flip(pr.conv.mode == CUDNN_CONVOLUTION) {}

  size_t xIndex(int in, int ic, int ih, int iw) const {
    return ((size_t(in) * c + ic) * h + ih) * w + iw;
  }
  size_t wIndex(int ik, int ic, int ir, int is) const {
    return ((size_t(ik) * cg + ic) * r + ir) * s + is;
  }
  size_t yIndex(int in, int ik, int ip, int iq) const {
    return ((size_t(in) * k + ik) * p + ip) * q + iq;
  }

  /// Calls f(x, xStep, wIndex, y, count) for every row of products of the
  /// convolution: for t in [0, count), x element x + t * xStep times
  /// filter element wIndex contributes to y element y + t (consecutive
  /// outputs of one output row). Every product is visited exactly once.
  template <typename F> void forEachRow(F &&f) const {
    for (int in = 0; in < n; ++in)
      for (int ik = 0; ik < k; ++ik) {
        int group = ik / kg;
        for (int ic = 0; ic < cg; ++ic)
          for (int ir = 0; ir < r; ++ir)
            for (int is = 0; is < s; ++is) {
              size_t wi = wIndex(ik, ic, flip ? r - 1 - ir : ir,
                                 flip ? s - 1 - is : is);
              // The outputs iq whose input column iq * strideW - padW +
              // is * dilationW lies in [0, w).
              int offset = is * dilationW - padW;
              int qBegin = offset >= 0 ? 0 : (-offset + strideW - 1) / strideW;
              int qEnd = w - 1 - offset < 0
                             ? 0
                             : std::min(q, (w - 1 - offset) / strideW + 1);
              if (qBegin >= qEnd)
                continue;
              for (int ip = 0; ip < p; ++ip) {
                int ih = ip * strideH - padH + ir * dilationH;
                if (ih < 0 || ih >= h)
                  continue;
                f(xIndex(in, group * cg + ic, ih, qBegin * strideW + offset),
                  strideW, wi, yIndex(in, ik, ip, qBegin), qEnd - qBegin);
              }
            }
      }
  }
};
} // namespace

/// A multiplied operand as the GPU sees it: rounded to TF32 when permitted.
static double operand(cudnnDataType_t type, const void *base, uint64_t index,
                      bool tf32) {
  double v = load(type, base, index);
  return tf32 ? double(roundToTF32(float(v))) : v;
}

/// A tensor's elements in logical NCHW order.
static std::vector<double> readTensor(const TensorDesc &d, const void *data,
                                      bool tf32) {
  std::vector<double> out(d.elements());
  size_t i = 0;
  for (int n = 0; n < d.n; ++n)
    for (int c = 0; c < d.c; ++c)
      for (int h = 0; h < d.h; ++h)
        for (int w = 0; w < d.w; ++w)
          out[i++] = operand(d.type, data, d.index(n, c, h, w), tf32);
  return out;
}

/// A filter's elements in logical KCRS order.
static std::vector<double> readFilter(const FilterDesc &d, const void *data,
                                      bool tf32) {
  std::vector<double> out(d.elements());
  size_t i = 0;
  for (int k = 0; k < d.k; ++k)
    for (int c = 0; c < d.c; ++c)
      for (int r = 0; r < d.r; ++r)
        for (int s = 0; s < d.s; ++s)
          out[i++] = operand(d.type, data, d.index(k, c, r, s), tf32);
  return out;
}

/// Stores `result` (logical order) into a tensor as alpha * result + beta *
/// prior value, not reading the prior value when beta is 0 (cuDNN: "if
/// beta is zero, the output is not read").
static void blendTensor(const TensorDesc &d, void *data,
                        const std::vector<double> &result, double alpha,
                        double beta) {
  size_t i = 0;
  for (int n = 0; n < d.n; ++n)
    for (int c = 0; c < d.c; ++c)
      for (int h = 0; h < d.h; ++h)
        for (int w = 0; w < d.w; ++w) {
          uint64_t at = d.index(n, c, h, w);
          double v = alpha * result[i++];
          if (beta != 0)
            v += beta * load(d.type, data, at);
          store(d.type, data, at, v);
        }
}

static void blendFilter(const FilterDesc &d, void *data,
                        const std::vector<double> &result, double alpha,
                        double beta) {
  size_t i = 0;
  for (int k = 0; k < d.k; ++k)
    for (int c = 0; c < d.c; ++c)
      for (int r = 0; r < d.r; ++r)
        for (int s = 0; s < d.s; ++s) {
          uint64_t at = d.index(k, c, r, s);
          double v = alpha * result[i++];
          if (beta != 0)
            v += beta * load(d.type, data, at);
          store(d.type, data, at, v);
        }
}

/// conv(x, w) in logical NKPQ order, accumulated in fp64.
static std::vector<double> convolve(const ConvProblem &pr, const void *x,
                                    const void *w, bool tf32) {
  Geometry g(pr);
  std::vector<double> xs = readTensor(pr.x, x, tf32);
  std::vector<double> ws = readFilter(pr.w, w, tf32);
  std::vector<double> ys(pr.y.elements(), 0.0);
  g.forEachRow([&](size_t xi, int step, size_t wi, size_t yi, int count) {
    double wv = ws[wi];
    const double *xr = xs.data() + xi;
    double *yr = ys.data() + yi;
    for (int t = 0; t < count; ++t)
      yr[t] += xr[size_t(t) * step] * wv;
  });
  return ys;
}

void resnetc::cudasim::dnn::convolutionForward(const ConvProblem &pr,
                                               const void *x, const void *w,
                                               double alpha, double beta,
                                               void *y, bool tf32) {
  blendTensor(pr.y, y, convolve(pr, x, w, tf32), alpha, beta);
}

void resnetc::cudasim::dnn::convolutionBiasActivationForward(
    const ConvProblem &pr, const void *x, const void *w, double alpha1,
    const TensorDesc &zDesc, const void *z, double alpha2,
    const TensorDesc &biasDesc, const void *bias,
    const ActivationDesc &activation, void *y, bool tf32) {
  std::vector<double> conv = convolve(pr, x, w, tf32);
  const TensorDesc &yd = pr.y;
  size_t i = 0;
  for (int n = 0; n < yd.n; ++n)
    for (int c = 0; c < yd.c; ++c) {
      double b = load(biasDesc.type, bias, biasDesc.index(0, c, 0, 0));
      for (int h = 0; h < yd.h; ++h)
        for (int wi = 0; wi < yd.w; ++wi) {
          double v = alpha1 * conv[i++] + b;
          if (alpha2 != 0)
            v += alpha2 * load(zDesc.type, z, zDesc.index(n, c, h, wi));
          if (activation.mode == CUDNN_ACTIVATION_RELU) {
            // CUDNN_NOT_PROPAGATE_NAN: max(NaN, 0) is 0.
            if (std::isnan(v))
              v = activation.nan == CUDNN_PROPAGATE_NAN ? v : 0.0;
            else if (v < 0)
              v = 0;
          }
          store(yd.type, y, yd.index(n, c, h, wi), v);
        }
    }
}

void resnetc::cudasim::dnn::convolutionBackwardData(const ConvProblem &pr,
                                                    const void *w,
                                                    const void *dy,
                                                    double alpha, double beta,
                                                    void *dx, bool tf32) {
  Geometry g(pr);
  std::vector<double> ws = readFilter(pr.w, w, tf32);
  std::vector<double> dys = readTensor(pr.y, dy, tf32);
  std::vector<double> dxs(pr.x.elements(), 0.0);
  g.forEachRow([&](size_t xi, int step, size_t wi, size_t yi, int count) {
    double wv = ws[wi];
    double *xr = dxs.data() + xi;
    const double *yr = dys.data() + yi;
    for (int t = 0; t < count; ++t)
      xr[size_t(t) * step] += yr[t] * wv;
  });
  blendTensor(pr.x, dx, dxs, alpha, beta);
}

void resnetc::cudasim::dnn::convolutionBackwardFilter(const ConvProblem &pr,
                                                      const void *x,
                                                      const void *dy,
                                                      double alpha, double beta,
                                                      void *dw, bool tf32) {
  Geometry g(pr);
  std::vector<double> xs = readTensor(pr.x, x, tf32);
  std::vector<double> dys = readTensor(pr.y, dy, tf32);
  std::vector<double> dws(pr.w.elements(), 0.0);
  g.forEachRow([&](size_t xi, int step, size_t wi, size_t yi, int count) {
    const double *xr = xs.data() + xi;
    const double *yr = dys.data() + yi;
    double sum = 0;
    for (int t = 0; t < count; ++t)
      sum += xr[size_t(t) * step] * yr[t];
    dws[wi] += sum;
  });
  blendFilter(pr.w, dw, dws, alpha, beta);
}

void resnetc::cudasim::dnn::addTensor(const TensorDesc &ad, const void *a,
                                      double alpha, const TensorDesc &cd,
                                      void *c, double beta) {
  for (int n = 0; n < cd.n; ++n)
    for (int ch = 0; ch < cd.c; ++ch)
      for (int h = 0; h < cd.h; ++h)
        for (int w = 0; w < cd.w; ++w) {
          uint64_t from = ad.index(ad.n == 1 ? 0 : n, ad.c == 1 ? 0 : ch,
                                   ad.h == 1 ? 0 : h, ad.w == 1 ? 0 : w);
          uint64_t at = cd.index(n, ch, h, w);
          double v = alpha * load(ad.type, a, from);
          if (beta != 0)
            v += beta * load(cd.type, c, at);
          store(cd.type, c, at, v);
        }
}
