//===- CuDNNTestSupport.h - Helpers of the cuDNN tests ----------*- C++ -*-===//
//
// What the tests of the stand-in cuDNN share: a fixture owning a handle,
// descriptors and device memory of the simulated GPU (written and read
// directly, marking what is written as the driver's copies would), number
// encodings (bfloat16, binary16, TF32 rounding) and a direct convolution in
// fp64 over logical NCHW arrays, written independently of the code under
// test, from which the expected values come.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TEST_CUDASIM_CUDNNTESTSUPPORT_H
#define RESNETC_TEST_CUDASIM_CUDNNTESTSUPPORT_H

#include "Exports.h"
#include "SimDevice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace cudnntest {

using namespace resnetc::cuda;
using resnetc::cudasim::SimDevice;

//===----------------------------------------------------------------------===//
// Numbers
//===----------------------------------------------------------------------===//

/// bfloat16 bits of a float, rounded to nearest even with the integer
/// carry trick (not how the stand-in rounds).
inline uint16_t toBF16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffff) > 0x7f800000)
    return 0x7fc0;
  u += 0x7fff + ((u >> 16) & 1);
  return uint16_t(u >> 16);
}
inline float fromBF16(uint16_t b) {
  uint32_t u = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
/// A float rounded to TF32 (10 mantissa bits), nearest even, by the carry
/// trick.
inline float toTF32(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0xfff + ((u >> 13) & 1);
  u &= 0xffffe000u;
  std::memcpy(&f, &u, 4);
  return f;
}
/// binary16 bits of a value that binary16 represents exactly (normal).
inline uint16_t toHalfExact(double v) {
  if (v == 0)
    return 0;
  uint16_t sign = v < 0 ? 0x8000 : 0;
  v = std::fabs(v);
  int e = 0;
  while (v >= 2)
    v /= 2, ++e;
  while (v < 1)
    v *= 2, --e;
  return sign | uint16_t((e + 15) << 10) | uint16_t((v - 1) * 1024);
}
inline double fromHalf(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double s = h & 0x8000 ? -1 : 1;
  if (e == 31)
    return m ? NAN : s * INFINITY;
  if (e == 0)
    return s * m * std::pow(2.0, -24);
  return s * (1 + m / 1024.0) * std::pow(2.0, e - 15);
}

/// `count` values uniform in [-1, 1).
inline std::vector<double> randomValues(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<double> v(count);
  for (double &x : v)
    x = dist(rng);
  return v;
}
/// The same, each rounded to float (then stored exactly as float).
inline std::vector<double> randomFloats(size_t count, unsigned seed) {
  std::vector<double> v = randomValues(count, seed);
  for (double &x : v)
    x = float(x);
  return v;
}
inline std::vector<double> randomBF16s(size_t count, unsigned seed) {
  std::vector<double> v = randomValues(count, seed);
  for (double &x : v)
    x = fromBF16(toBF16(float(x)));
  return v;
}

inline double dot(const std::vector<double> &a, const std::vector<double> &b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += a[i] * b[i];
  return s;
}

//===----------------------------------------------------------------------===//
// The reference convolution
//===----------------------------------------------------------------------===//

/// A 2-d convolution's parameters: x is n x c x h x w, the filter k x (c /
/// groups) x r x s.
struct Conv {
  int n = 1, c = 1, h = 1, w = 1, k = 1, r = 1, s = 1;
  int padH = 0, padW = 0, strideH = 1, strideW = 1, dilH = 1, dilW = 1;
  int groups = 1;
  bool convolution = false; ///< CUDNN_CONVOLUTION: the filter is flipped.

  int p() const { return (h + 2 * padH - ((r - 1) * dilH + 1)) / strideH + 1; }
  int q() const { return (w + 2 * padW - ((s - 1) * dilW + 1)) / strideW + 1; }
  int cg() const { return c / groups; }
  size_t xCount() const { return size_t(n) * c * h * w; }
  size_t wCount() const { return size_t(k) * cg() * r * s; }
  size_t yCount() const { return size_t(n) * k * p() * q(); }
};

/// y = conv(x, w), all in logical order (x NCHW, w KCRS, y NKPQ).
inline std::vector<double> referenceForward(const Conv &cv,
                                            const std::vector<double> &x,
                                            const std::vector<double> &w) {
  int P = cv.p(), Q = cv.q(), Cg = cv.cg(), Kg = cv.k / cv.groups;
  std::vector<double> y(cv.yCount(), 0.0);
  for (int n = 0; n < cv.n; ++n)
    for (int k = 0; k < cv.k; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          double sum = 0;
          int g = k / Kg;
          for (int c = 0; c < Cg; ++c)
            for (int r = 0; r < cv.r; ++r)
              for (int s = 0; s < cv.s; ++s) {
                int ih = p * cv.strideH - cv.padH + r * cv.dilH;
                int iw = q * cv.strideW - cv.padW + s * cv.dilW;
                if (ih < 0 || ih >= cv.h || iw < 0 || iw >= cv.w)
                  continue;
                int fr = cv.convolution ? cv.r - 1 - r : r;
                int fs = cv.convolution ? cv.s - 1 - s : s;
                double xv =
                    x[((size_t(n) * cv.c + g * Cg + c) * cv.h + ih) * cv.w +
                      iw];
                double wv = w[((size_t(k) * Cg + c) * cv.r + fr) * cv.s + fs];
                sum += xv * wv;
              }
          y[((size_t(n) * cv.k + k) * P + p) * Q + q] = sum;
        }
  return y;
}

/// The input gradient from the definition: column j of the convolution's
/// Jacobian is the forward convolution of the unit vector e_j.
inline std::vector<double>
referenceBackwardData(const Conv &cv, const std::vector<double> &w,
                      const std::vector<double> &dy) {
  std::vector<double> dx(cv.xCount()), e(cv.xCount(), 0.0);
  for (size_t j = 0; j < e.size(); ++j) {
    e[j] = 1;
    dx[j] = dot(referenceForward(cv, e, w), dy);
    e[j] = 0;
  }
  return dx;
}

/// The filter gradient the same way.
inline std::vector<double>
referenceBackwardFilter(const Conv &cv, const std::vector<double> &x,
                        const std::vector<double> &dy) {
  std::vector<double> dw(cv.wCount()), e(cv.wCount(), 0.0);
  for (size_t j = 0; j < e.size(); ++j) {
    e[j] = 1;
    dw[j] = dot(referenceForward(cv, x, e), dy);
    e[j] = 0;
  }
  return dw;
}

//===----------------------------------------------------------------------===//
// The fixture
//===----------------------------------------------------------------------===//

/// Logical dimensions of a 4-d tensor or filter (n, c, h, w or k, c, r, s).
struct Dims {
  int n, c, h, w;
  size_t count() const { return size_t(n) * c * h * w; }
};

/// The storage index of logical (n, c, h, w): NHWC (KRSC) or NCHW (KCRS).
inline size_t storageIndex(Dims d, bool nhwc, int n, int c, int h, int w) {
  if (nhwc)
    return ((size_t(n) * d.h + h) * d.w + w) * d.c + c;
  return ((size_t(n) * d.c + c) * d.h + h) * d.w + w;
}

inline size_t bytesOf(cudnnDataType_t type) {
  switch (type) {
  case CUDNN_DATA_DOUBLE:
    return 8;
  case CUDNN_DATA_HALF:
  case CUDNN_DATA_BFLOAT16:
    return 2;
  default:
    return 4;
  }
}

class CuDNNFixture : public ::testing::Test {
protected:
  SimDevice &device = SimDevice::get();
  cudnnHandle_t handle = nullptr;

  void SetUp() override {
    device.stickyError = CUDA_SUCCESS;
    ASSERT_EQ(cudnnCreate(&handle), CUDNN_STATUS_SUCCESS);
  }

  void TearDown() override {
    device.drainAll();
    device.stickyError = CUDA_SUCCESS;
    cudnnDestroy(handle);
    for (auto t : tensors)
      cudnnDestroyTensorDescriptor(t);
    for (auto f : filters)
      cudnnDestroyFilterDescriptor(f);
    for (auto c : convs)
      cudnnDestroyConvolutionDescriptor(c);
    for (auto a : activations)
      cudnnDestroyActivationDescriptor(a);
    for (uint64_t p : allocations)
      device.memory.free(p);
  }

  /// New device memory, never written.
  uint64_t allocate(size_t bytes) {
    uint64_t p = device.memory.allocate(bytes);
    EXPECT_NE(p, 0u);
    allocations.push_back(p);
    return p;
  }
  /// Writes bytes into device memory as a host-to-device copy would.
  void write(uint64_t p, const void *data, size_t bytes) {
    std::memcpy(reinterpret_cast<void *>(p), data, bytes);
    device.memory.find(p)->markWritten(p, bytes);
  }

  /// Device memory holding `logical` (NCHW or KCRS order) stored as
  /// `format` and `type`.
  uint64_t upload(const std::vector<double> &logical, Dims d,
                  cudnnTensorFormat_t format,
                  cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    EXPECT_EQ(logical.size(), d.count());
    size_t e = bytesOf(type);
    std::vector<unsigned char> bytes(d.count() * e);
    size_t i = 0;
    for (int n = 0; n < d.n; ++n)
      for (int c = 0; c < d.c; ++c)
        for (int h = 0; h < d.h; ++h)
          for (int w = 0; w < d.w; ++w) {
            size_t at =
                storageIndex(d, format == CUDNN_TENSOR_NHWC, n, c, h, w) * e;
            double v = logical[i++];
            if (type == CUDNN_DATA_FLOAT) {
              float f = float(v);
              std::memcpy(&bytes[at], &f, 4);
            } else if (type == CUDNN_DATA_DOUBLE) {
              std::memcpy(&bytes[at], &v, 8);
            } else if (type == CUDNN_DATA_BFLOAT16) {
              uint16_t b = toBF16(float(v));
              std::memcpy(&bytes[at], &b, 2);
            } else {
              uint16_t b = toHalfExact(v);
              std::memcpy(&bytes[at], &b, 2);
            }
          }
    uint64_t p = allocate(bytes.size());
    write(p, bytes.data(), bytes.size());
    return p;
  }

  /// The contents of device memory (after running everything pending), in
  /// logical order.
  std::vector<double> download(uint64_t p, Dims d, cudnnTensorFormat_t format,
                               cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
    size_t e = bytesOf(type);
    const unsigned char *bytes = reinterpret_cast<const unsigned char *>(p);
    std::vector<double> out;
    for (int n = 0; n < d.n; ++n)
      for (int c = 0; c < d.c; ++c)
        for (int h = 0; h < d.h; ++h)
          for (int w = 0; w < d.w; ++w) {
            size_t at =
                storageIndex(d, format == CUDNN_TENSOR_NHWC, n, c, h, w) * e;
            if (type == CUDNN_DATA_FLOAT) {
              float f;
              std::memcpy(&f, bytes + at, 4);
              out.push_back(f);
            } else if (type == CUDNN_DATA_DOUBLE) {
              double v;
              std::memcpy(&v, bytes + at, 8);
              out.push_back(v);
            } else {
              uint16_t b;
              std::memcpy(&b, bytes + at, 2);
              out.push_back(type == CUDNN_DATA_BFLOAT16 ? fromBF16(b)
                                                        : fromHalf(b));
            }
          }
    return out;
  }

  cudnnTensorDescriptor_t tensor(Dims d, cudnnTensorFormat_t format,
                                 cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    cudnnTensorDescriptor_t t;
    EXPECT_EQ(cudnnCreateTensorDescriptor(&t), CUDNN_STATUS_SUCCESS);
    tensors.push_back(t);
    EXPECT_EQ(cudnnSetTensor4dDescriptor(t, format, type, d.n, d.c, d.h, d.w),
              CUDNN_STATUS_SUCCESS);
    return t;
  }
  cudnnFilterDescriptor_t filter(Dims d, cudnnTensorFormat_t format,
                                 cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    cudnnFilterDescriptor_t f;
    EXPECT_EQ(cudnnCreateFilterDescriptor(&f), CUDNN_STATUS_SUCCESS);
    filters.push_back(f);
    EXPECT_EQ(cudnnSetFilter4dDescriptor(f, type, format, d.n, d.c, d.h, d.w),
              CUDNN_STATUS_SUCCESS);
    return f;
  }
  cudnnConvolutionDescriptor_t
  convolution(const Conv &cv, cudnnDataType_t compute = CUDNN_DATA_FLOAT,
              cudnnMathType_t math = CUDNN_FMA_MATH) {
    cudnnConvolutionDescriptor_t c;
    EXPECT_EQ(cudnnCreateConvolutionDescriptor(&c), CUDNN_STATUS_SUCCESS);
    convs.push_back(c);
    EXPECT_EQ(cudnnSetConvolution2dDescriptor(
                  c, cv.padH, cv.padW, cv.strideH, cv.strideW, cv.dilH, cv.dilW,
                  cv.convolution ? CUDNN_CONVOLUTION : CUDNN_CROSS_CORRELATION,
                  compute),
              CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(cudnnSetConvolutionGroupCount(c, cv.groups),
              CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(cudnnSetConvolutionMathType(c, math), CUDNN_STATUS_SUCCESS);
    return c;
  }
  cudnnActivationDescriptor_t
  activation(cudnnActivationMode_t mode,
             cudnnNanPropagation_t nan = CUDNN_NOT_PROPAGATE_NAN) {
    cudnnActivationDescriptor_t a;
    EXPECT_EQ(cudnnCreateActivationDescriptor(&a), CUDNN_STATUS_SUCCESS);
    activations.push_back(a);
    EXPECT_EQ(cudnnSetActivationDescriptor(a, mode, nan, 0.0),
              CUDNN_STATUS_SUCCESS);
    return a;
  }

  static Dims xDims(const Conv &cv) { return {cv.n, cv.c, cv.h, cv.w}; }
  static Dims wDims(const Conv &cv) { return {cv.k, cv.cg(), cv.r, cv.s}; }
  static Dims yDims(const Conv &cv) { return {cv.n, cv.k, cv.p(), cv.q()}; }

  static std::string lastError() {
    char buffer[1024];
    cudnnGetLastErrorString(buffer, sizeof buffer);
    return buffer;
  }

  std::vector<uint64_t> allocations;
  std::vector<cudnnTensorDescriptor_t> tensors;
  std::vector<cudnnFilterDescriptor_t> filters;
  std::vector<cudnnConvolutionDescriptor_t> convs;
  std::vector<cudnnActivationDescriptor_t> activations;
};

inline void *ptr(uint64_t p) { return reinterpret_cast<void *>(p); }

/// Expects `actual` to match `expected` within `relative` of each value's
/// magnitude (plus `relative` absolutely).
inline void expectNear(const std::vector<double> &actual,
                       const std::vector<double> &expected, double relative) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    ASSERT_NEAR(actual[i], expected[i], relative * (std::fabs(expected[i]) + 1))
        << "at element " << i;
}

} // namespace cudnntest

#endif // RESNETC_TEST_CUDASIM_CUDNNTESTSUPPORT_H
