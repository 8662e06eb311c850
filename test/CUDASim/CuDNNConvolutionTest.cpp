//===- CuDNNConvolutionTest.cpp - What the stand-in cuDNN computes --------===//
//
// The stand-in cuDNN's convolutions against values computed here: tiny
// cases by hand, and random ones against the direct convolution of
// CuDNNTestSupport.h (forward, and the gradients from the convolution's
// Jacobian) in both layouts with groups, strides, padding, dilation and
// both modes; the adjoint identities between the three directions; alpha
// and beta; the fused bias, residual and ReLU form; rounding to bfloat16
// and binary16; and TF32 emulation exactly where cuDNN permits it.
//
//===----------------------------------------------------------------------===//

#include "CuDNNTestSupport.h"

#include <cstdlib>

using namespace cudnntest;

namespace {

class CuDNNConvolutionTest : public CuDNNFixture {
protected:
  /// Runs cudnnConvolutionForward (alpha 1, beta 0) on logical x and w and
  /// returns the logical y.
  std::vector<double> forward(
      const Conv &cv, const std::vector<double> &x,
      const std::vector<double> &w, cudnnTensorFormat_t format,
      cudnnDataType_t type = CUDNN_DATA_FLOAT,
      cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
      cudnnMathType_t math = CUDNN_FMA_MATH) {
    cudnnDataType_t compute =
        type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    auto xd = tensor(xDims(cv), format, type);
    auto wd = filter(wDims(cv), format, type);
    auto yd = tensor(yDims(cv), format, type);
    auto cd = convolution(cv, compute, math);
    uint64_t xp = upload(x, xDims(cv), format, type);
    uint64_t wp = upload(w, wDims(cv), format, type);
    uint64_t yp = allocate(yDims(cv).count() * bytesOf(type));
    size_t wsBytes = 0;
    EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                      algo, &wsBytes),
              CUDNN_STATUS_SUCCESS);
    uint64_t ws = wsBytes ? allocate(wsBytes) : 0;
    double one = 1, zero = 0;
    float onef = 1, zerof = 0;
    const void *alpha = type == CUDNN_DATA_DOUBLE ? (const void *)&one : &onef;
    const void *beta = type == CUDNN_DATA_DOUBLE ? (const void *)&zero : &zerof;
    EXPECT_EQ(cudnnConvolutionForward(handle, alpha, xd, ptr(xp), wd, ptr(wp),
                                      cd, algo, ptr(ws), wsBytes, beta, yd,
                                      ptr(yp)),
              CUDNN_STATUS_SUCCESS)
        << lastError();
    return download(yp, yDims(cv), format, type);
  }

  std::vector<double> backwardData(const Conv &cv, const std::vector<double> &w,
                                   const std::vector<double> &dy,
                                   cudnnTensorFormat_t format,
                                   cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    cudnnDataType_t compute =
        type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    auto dxd = tensor(xDims(cv), format, type);
    auto wd = filter(wDims(cv), format, type);
    auto dyd = tensor(yDims(cv), format, type);
    auto cd = convolution(cv, compute);
    uint64_t wp = upload(w, wDims(cv), format, type);
    uint64_t dyp = upload(dy, yDims(cv), format, type);
    uint64_t dxp = allocate(xDims(cv).count() * bytesOf(type));
    auto algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
    size_t wsBytes = 0;
    EXPECT_EQ(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, wd, dyd, cd,
                                                           dxd, algo, &wsBytes),
              CUDNN_STATUS_SUCCESS);
    uint64_t ws = wsBytes ? allocate(wsBytes) : 0;
    double one = 1, zero = 0;
    float onef = 1, zerof = 0;
    const void *alpha = type == CUDNN_DATA_DOUBLE ? (const void *)&one : &onef;
    const void *beta = type == CUDNN_DATA_DOUBLE ? (const void *)&zero : &zerof;
    EXPECT_EQ(cudnnConvolutionBackwardData(handle, alpha, wd, ptr(wp), dyd,
                                           ptr(dyp), cd, algo, ptr(ws), wsBytes,
                                           beta, dxd, ptr(dxp)),
              CUDNN_STATUS_SUCCESS)
        << lastError();
    return download(dxp, xDims(cv), format, type);
  }

  std::vector<double> backwardFilter(const Conv &cv,
                                     const std::vector<double> &x,
                                     const std::vector<double> &dy,
                                     cudnnTensorFormat_t format,
                                     cudnnDataType_t type = CUDNN_DATA_FLOAT) {
    cudnnDataType_t compute =
        type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    auto xd = tensor(xDims(cv), format, type);
    auto dwd = filter(wDims(cv), format, type);
    auto dyd = tensor(yDims(cv), format, type);
    auto cd = convolution(cv, compute);
    uint64_t xp = upload(x, xDims(cv), format, type);
    uint64_t dyp = upload(dy, yDims(cv), format, type);
    uint64_t dwp = allocate(wDims(cv).count() * bytesOf(type));
    auto algo = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
    size_t wsBytes = 0;
    EXPECT_EQ(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                  handle, xd, dyd, cd, dwd, algo, &wsBytes),
              CUDNN_STATUS_SUCCESS);
    uint64_t ws = wsBytes ? allocate(wsBytes) : 0;
    double one = 1, zero = 0;
    float onef = 1, zerof = 0;
    const void *alpha = type == CUDNN_DATA_DOUBLE ? (const void *)&one : &onef;
    const void *beta = type == CUDNN_DATA_DOUBLE ? (const void *)&zero : &zerof;
    EXPECT_EQ(cudnnConvolutionBackwardFilter(handle, alpha, xd, ptr(xp), dyd,
                                             ptr(dyp), cd, algo, ptr(ws),
                                             wsBytes, beta, dwd, ptr(dwp)),
              CUDNN_STATUS_SUCCESS)
        << lastError();
    return download(dwp, wDims(cv), format, type);
  }
};

//===----------------------------------------------------------------------===//
// Hand-computed cases
//===----------------------------------------------------------------------===//

TEST_F(CuDNNConvolutionTest, CrossCorrelationAndConvolutionByHand) {
  // x = [[1 2 3] [4 5 6] [7 8 9]], w = [[1 2] [3 4]].
  Conv cv;
  cv.h = cv.w = 3, cv.r = cv.s = 2;
  std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 2, 3, 4};
  // Cross-correlation: y00 = 1*1 + 2*2 + 4*3 + 5*4.
  EXPECT_EQ(forward(cv, x, w, CUDNN_TENSOR_NCHW),
            (std::vector<double>{37, 47, 67, 77}));
  // Convolution flips the filter: y00 = 1*4 + 2*3 + 4*2 + 5*1.
  cv.convolution = true;
  EXPECT_EQ(forward(cv, x, w, CUDNN_TENSOR_NCHW),
            (std::vector<double>{23, 33, 53, 63}));
}

TEST_F(CuDNNConvolutionTest, StridePaddingDilationByHand) {
  // One row [1 2 3 4 5], filter [1 10], padding 1, stride 2, dilation 2:
  // the padded row is [0 1 2 3 4 5 0] and the taps are 2 apart.
  Conv cv;
  cv.w = 5, cv.s = 2, cv.padW = 1, cv.strideW = 2, cv.dilW = 2;
  ASSERT_EQ(cv.q(), 3);
  EXPECT_EQ(forward(cv, {1, 2, 3, 4, 5}, {1, 10}, CUDNN_TENSOR_NHWC),
            (std::vector<double>{0 * 1 + 2 * 10, 2 * 1 + 4 * 10, 4 * 1 + 0}));
}

TEST_F(CuDNNConvolutionTest, GroupsByHand) {
  // Two groups of one channel: y_k = x_k * w_k, nothing mixed.
  Conv cv;
  cv.c = 2, cv.k = 2, cv.groups = 2;
  EXPECT_EQ(forward(cv, {3, 5}, {2, 7}, CUDNN_TENSOR_NCHW),
            (std::vector<double>{6, 35}));
  // One group mixes both: y_k = 3 w_k0 + 5 w_k1.
  cv.groups = 1;
  EXPECT_EQ(forward(cv, {3, 5}, {2, 7, 1, 1}, CUDNN_TENSOR_NCHW),
            (std::vector<double>{41, 8}));
}

TEST_F(CuDNNConvolutionTest, GradientsByHand) {
  // y = [x0 x1 x2] correlated with [w0 w1] = [x0 w0 + x1 w1, x1 w0 + x2 w1].
  Conv cv;
  cv.w = 3, cv.s = 2;
  // dx = [dy0 w0, dy0 w1 + dy1 w0, dy1 w1] with w = [2 3], dy = [10 100].
  EXPECT_EQ(backwardData(cv, {2, 3}, {10, 100}, CUDNN_TENSOR_NCHW),
            (std::vector<double>{20, 230, 300}));
  // dw = [x0 dy0 + x1 dy1, x1 dy0 + x2 dy1] with x = [1 2 3].
  EXPECT_EQ(backwardFilter(cv, {1, 2, 3}, {10, 100}, CUDNN_TENSOR_NCHW),
            (std::vector<double>{210, 320}));
}

//===----------------------------------------------------------------------===//
// Random cases against the reference
//===----------------------------------------------------------------------===//

struct Case {
  const char *name;
  Conv conv;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  Conv base;
  base.n = 2, base.c = 4, base.h = 6, base.w = 5, base.k = 6, base.r = 3,
  base.s = 3, base.padH = 1, base.padW = 1;
  out.push_back({"Same3x3", base});
  Conv strided = base;
  strided.strideH = 2, strided.strideW = 2;
  out.push_back({"Strided", strided});
  Conv dilated = base;
  dilated.dilH = 2, dilated.dilW = 2, dilated.padH = 2, dilated.padW = 1;
  out.push_back({"DilatedAsymmetric", dilated});
  Conv grouped = base;
  grouped.groups = 2;
  out.push_back({"Grouped", grouped});
  Conv depthwise = base;
  depthwise.groups = 4, depthwise.k = 8; // Depth multiplier 2.
  out.push_back({"Depthwise", depthwise});
  Conv pointwise = base;
  pointwise.r = pointwise.s = 1, pointwise.padH = pointwise.padW = 0,
  pointwise.strideH = pointwise.strideW = 2;
  out.push_back({"PointwiseStride2", pointwise});
  Conv flipped = base;
  flipped.convolution = true, flipped.r = 2, flipped.s = 3, flipped.padH = 0;
  out.push_back({"ConvolutionMode", flipped});
  Conv everything = base;
  everything.groups = 2, everything.strideH = 2, everything.dilW = 2,
  everything.padW = 2, everything.convolution = true;
  out.push_back({"Everything", everything});
  return out;
}

TEST_F(CuDNNConvolutionTest, MatchesTheReferenceInBothLayouts) {
  unsigned seed = 1;
  for (const Case &tc : cases())
    for (auto format : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC}) {
      SCOPED_TRACE(std::string(tc.name) +
                   (format == CUDNN_TENSOR_NHWC ? " nhwc" : " nchw"));
      const Conv &cv = tc.conv;
      std::vector<double> x = randomFloats(cv.xCount(), seed++);
      std::vector<double> w = randomFloats(cv.wCount(), seed++);
      std::vector<double> dy = randomFloats(cv.yCount(), seed++);
      expectNear(forward(cv, x, w, format), referenceForward(cv, x, w), 1e-6);
      expectNear(backwardData(cv, w, dy, format),
                 referenceBackwardData(cv, w, dy), 1e-6);
      expectNear(backwardFilter(cv, x, dy, format),
                 referenceBackwardFilter(cv, x, dy), 1e-6);
    }
}

TEST_F(CuDNNConvolutionTest, EveryForwardAlgorithmComputesTheSame) {
  // A problem every algorithm but DIRECT supports.
  Conv cv;
  cv.n = 1, cv.c = 3, cv.h = cv.w = 5, cv.k = 2, cv.r = cv.s = 3;
  cv.padH = cv.padW = 1;
  std::vector<double> x = randomFloats(cv.xCount(), 7);
  std::vector<double> w = randomFloats(cv.wCount(), 8);
  std::vector<double> expected = referenceForward(cv, x, w);
  for (int algo = 0; algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++algo) {
    if (algo == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT)
      continue;
    SCOPED_TRACE(algo);
    expectNear(forward(cv, x, w, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                       cudnnConvolutionFwdAlgo_t(algo)),
               expected, 1e-6);
  }
}

TEST_F(CuDNNConvolutionTest, AdjointIdentitiesHold) {
  // <conv(x, w), dy> = <x, dx(w, dy)> = <w, dw(x, dy)>, in DOUBLE_CONFIG,
  // which the direct reference plays no part in.
  unsigned seed = 100;
  for (const Case &tc : cases())
    for (auto format : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC}) {
      SCOPED_TRACE(tc.name);
      const Conv &cv = tc.conv;
      std::vector<double> x = randomValues(cv.xCount(), seed++);
      std::vector<double> w = randomValues(cv.wCount(), seed++);
      std::vector<double> dy = randomValues(cv.yCount(), seed++);
      double yDy = dot(forward(cv, x, w, format, CUDNN_DATA_DOUBLE), dy);
      double xDx = dot(x, backwardData(cv, w, dy, format, CUDNN_DATA_DOUBLE));
      double wDw = dot(w, backwardFilter(cv, x, dy, format, CUDNN_DATA_DOUBLE));
      EXPECT_NEAR(xDx, yDy, 1e-9 * (std::fabs(yDy) + 1));
      EXPECT_NEAR(wDw, yDy, 1e-9 * (std::fabs(yDy) + 1));
      EXPECT_GT(std::fabs(yDy), 1e-3); // Not trivially zero.
    }
}

//===----------------------------------------------------------------------===//
// Alpha and beta
//===----------------------------------------------------------------------===//

TEST_F(CuDNNConvolutionTest, AlphaAndBetaBlendWithThePriorOutput) {
  Conv cv;
  cv.n = 1, cv.c = 2, cv.h = cv.w = 4, cv.k = 3, cv.r = cv.s = 3, cv.padH = 1,
  cv.padW = 1;
  auto f = CUDNN_TENSOR_NHWC;
  std::vector<double> x = randomFloats(cv.xCount(), 11),
                      w = randomFloats(cv.wCount(), 12),
                      prior = randomFloats(cv.yCount(), 13),
                      dy = randomFloats(cv.yCount(), 14),
                      priorDx = randomFloats(cv.xCount(), 15),
                      priorDw = randomFloats(cv.wCount(), 16);
  auto xd = tensor(xDims(cv), f), yd = tensor(yDims(cv), f);
  auto wd = filter(wDims(cv), f);
  auto cd = convolution(cv);
  uint64_t xp = upload(x, xDims(cv), f), wp = upload(w, wDims(cv), f),
           yp = upload(prior, yDims(cv), f), dyp = upload(dy, yDims(cv), f),
           dxp = upload(priorDx, xDims(cv), f),
           dwp = upload(priorDw, wDims(cv), f);
  uint64_t ws = allocate(1 << 20);
  float alpha = 2, beta = 0.5f;
  ASSERT_EQ(cudnnConvolutionForward(handle, &alpha, xd, ptr(xp), wd, ptr(wp),
                                    cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &beta, yd, ptr(yp)),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnConvolutionBackwardData(handle, &alpha, wd, ptr(wp), yd,
                                         ptr(dyp), cd,
                                         CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                         ptr(ws), 1 << 20, &beta, xd, ptr(dxp)),
            CUDNN_STATUS_SUCCESS)
      << lastError();
  ASSERT_EQ(
      cudnnConvolutionBackwardFilter(handle, &alpha, xd, ptr(xp), yd, ptr(dyp),
                                     cd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                                     ptr(ws), 1 << 20, &beta, wd, ptr(dwp)),
      CUDNN_STATUS_SUCCESS)
      << lastError();
  auto blend = [&](std::vector<double> r, const std::vector<double> &p) {
    for (size_t i = 0; i < r.size(); ++i)
      r[i] = 2 * r[i] + 0.5 * p[i];
    return r;
  };
  expectNear(download(yp, yDims(cv), f),
             blend(referenceForward(cv, x, w), prior), 1e-6);
  expectNear(download(dxp, xDims(cv), f),
             blend(referenceBackwardData(cv, w, dy), priorDx), 1e-6);
  expectNear(download(dwp, wDims(cv), f),
             blend(referenceBackwardFilter(cv, x, dy), priorDw), 1e-6);
}

TEST_F(CuDNNConvolutionTest, ZeroBetaNeverReadsTheOutput) {
  // y holds NaNs (written) or was never written: with beta 0 neither shows.
  Conv cv;
  cv.c = 2, cv.h = cv.w = 3, cv.r = cv.s = 3;
  auto xd = tensor(xDims(cv), CUDNN_TENSOR_NCHW),
       yd = tensor(yDims(cv), CUDNN_TENSOR_NCHW);
  auto wd = filter(wDims(cv), CUDNN_TENSOR_NCHW);
  auto cd = convolution(cv);
  std::vector<double> x(cv.xCount(), 1.0), w(cv.wCount(), 0.5);
  uint64_t xp = upload(x, xDims(cv), CUDNN_TENSOR_NCHW),
           wp = upload(w, wDims(cv), CUDNN_TENSOR_NCHW);
  uint64_t nanY = upload({NAN}, yDims(cv), CUDNN_TENSOR_NCHW);
  uint64_t freshY = allocate(4);
  float alpha = 1, beta = 0;
  for (uint64_t yp : {nanY, freshY})
    ASSERT_EQ(cudnnConvolutionForward(handle, &alpha, xd, ptr(xp), wd, ptr(wp),
                                      cd,
                                      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                      nullptr, 0, &beta, yd, ptr(yp)),
              CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(download(nanY, yDims(cv), CUDNN_TENSOR_NCHW),
            (std::vector<double>{9}));
  EXPECT_EQ(download(freshY, yDims(cv), CUDNN_TENSOR_NCHW),
            (std::vector<double>{9}));
  EXPECT_EQ(device.stickyError, CUDA_SUCCESS);
}

TEST_F(CuDNNConvolutionTest, DoubleScalingFactorsAreDoubles) {
  // DOUBLE_CONFIG reads alpha and beta as doubles: 1 + 2^-40 survives.
  Conv cv;
  auto xd = tensor(xDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE),
       yd = tensor(yDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE);
  auto wd = filter(wDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE);
  auto cd = convolution(cv, CUDNN_DATA_DOUBLE);
  uint64_t xp = upload({1}, xDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE),
           wp = upload({1}, wDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE),
           yp = allocate(8);
  double alpha = 1 + std::ldexp(1.0, -40), beta = 0;
  ASSERT_EQ(cudnnConvolutionForward(handle, &alpha, xd, ptr(xp), wd, ptr(wp),
                                    cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &beta, yd, ptr(yp)),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(download(yp, yDims(cv), CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE),
            (std::vector<double>{alpha}));
}

//===----------------------------------------------------------------------===//
// The fused form
//===----------------------------------------------------------------------===//

class CuDNNFusedTest : public CuDNNConvolutionTest {
protected:
  /// Runs cudnnConvolutionBiasActivationForward with IMPLICIT_PRECOMP_GEMM
  /// and returns y (logical).
  std::vector<double> fused(const Conv &cv, const std::vector<double> &x,
                            const std::vector<double> &w,
                            const std::vector<double> &z,
                            const std::vector<double> &bias, float alpha1,
                            float alpha2, cudnnActivationMode_t mode,
                            cudnnTensorFormat_t f, cudnnDataType_t type) {
    auto xd = tensor(xDims(cv), f, type), yd = tensor(yDims(cv), f, type),
         zd = tensor(yDims(cv), f, type), bd = tensor({1, cv.k, 1, 1}, f, type);
    auto wd = filter(wDims(cv), f, type);
    auto cd = convolution(cv);
    auto ad = activation(mode);
    uint64_t xp = upload(x, xDims(cv), f, type),
             wp = upload(w, wDims(cv), f, type),
             zp = upload(z, yDims(cv), f, type),
             bp = upload(bias, {1, cv.k, 1, 1}, f, type),
             yp = allocate(cv.yCount() * bytesOf(type));
    auto algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    size_t wsBytes = 0;
    EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                      algo, &wsBytes),
              CUDNN_STATUS_SUCCESS);
    uint64_t ws = allocate(wsBytes);
    EXPECT_EQ(cudnnConvolutionBiasActivationForward(
                  handle, &alpha1, xd, ptr(xp), wd, ptr(wp), cd, algo, ptr(ws),
                  wsBytes, &alpha2, zd, ptr(zp), bd, ptr(bp), ad, yd, ptr(yp)),
              CUDNN_STATUS_SUCCESS)
        << lastError();
    return download(yp, yDims(cv), f, type);
  }

  /// act(alpha1 conv + alpha2 z + bias), from the reference.
  static std::vector<double> expected(const Conv &cv,
                                      const std::vector<double> &x,
                                      const std::vector<double> &w,
                                      const std::vector<double> &z,
                                      const std::vector<double> &bias,
                                      double alpha1, double alpha2, bool relu) {
    std::vector<double> y = referenceForward(cv, x, w);
    size_t plane = size_t(cv.p()) * cv.q();
    for (size_t i = 0; i < y.size(); ++i) {
      double v = alpha1 * y[i] + alpha2 * z[i] + bias[(i / plane) % cv.k];
      y[i] = relu ? std::max(v, 0.0) : v;
    }
    return y;
  }
};

TEST_F(CuDNNFusedTest, BiasResidualAndReluByHand) {
  // 1x1 convolution of [1 -2] by 3, z = [10 10], bias 1, alpha1 2, alpha2
  // -1: [6 - 10 + 1, -12 - 10 + 1] = [-3, -21], which ReLU makes 0s; bias
  // 30 gives [6 - 10 + 30, -12 - 10 + 30] = [26, 8].
  Conv cv;
  cv.w = 2;
  auto f = CUDNN_TENSOR_NHWC;
  EXPECT_EQ(fused(cv, {1, -2}, {3}, {10, 10}, {1}, 2, -1, CUDNN_ACTIVATION_RELU,
                  f, CUDNN_DATA_FLOAT),
            (std::vector<double>{0, 0}));
  EXPECT_EQ(fused(cv, {1, -2}, {3}, {10, 10}, {30}, 2, -1,
                  CUDNN_ACTIVATION_RELU, f, CUDNN_DATA_FLOAT),
            (std::vector<double>{26, 8}));
  EXPECT_EQ(fused(cv, {1, -2}, {3}, {10, 10}, {1}, 2, -1,
                  CUDNN_ACTIVATION_IDENTITY, f, CUDNN_DATA_FLOAT),
            (std::vector<double>{-3, -21}));
}

TEST_F(CuDNNFusedTest, MatchesTheReference) {
  Conv cv;
  cv.n = 2, cv.c = 4, cv.h = cv.w = 5, cv.k = 6, cv.r = cv.s = 3,
  cv.padH = cv.padW = 1, cv.strideH = 2, cv.groups = 2;
  for (auto f : {CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NHWC})
    for (bool relu : {true, false}) {
      std::vector<double> x = randomFloats(cv.xCount(), 21),
                          w = randomFloats(cv.wCount(), 22),
                          z = randomFloats(cv.yCount(), 23),
                          bias = randomFloats(cv.k, 24);
      expectNear(fused(cv, x, w, z, bias, 0.75f, 1.5f,
                       relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
                       f, CUDNN_DATA_FLOAT),
                 expected(cv, x, w, z, bias, 0.75, 1.5, relu), 1e-6);
    }
}

TEST_F(CuDNNFusedTest, Bf16WithBf16Bias) {
  // PSEUDO_BFLOAT16_CONFIG: x, w, y, z and bias bf16, computed in float and
  // rounded once to bf16.
  Conv cv;
  cv.n = 1, cv.c = 8, cv.h = cv.w = 4, cv.k = 4, cv.r = cv.s = 3,
  cv.padH = cv.padW = 1;
  std::vector<double> x = randomBF16s(cv.xCount(), 31),
                      w = randomBF16s(cv.wCount(), 32),
                      z = randomBF16s(cv.yCount(), 33),
                      bias = randomBF16s(cv.k, 34);
  std::vector<double> want = expected(cv, x, w, z, bias, 1, 1, true);
  for (double &v : want)
    v = fromBF16(toBF16(float(v)));
  std::vector<double> got =
      fused(cv, x, w, z, bias, 1, 1, CUDNN_ACTIVATION_RELU, CUDNN_TENSOR_NHWC,
            CUDNN_DATA_BFLOAT16);
  // Equal but where the float sum lies within float rounding of a bf16 tie.
  size_t differ = 0;
  for (size_t i = 0; i < got.size(); ++i)
    if (got[i] != want[i]) {
      ++differ;
      EXPECT_NEAR(got[i], want[i], std::fabs(want[i]) * 0.0079);
    }
  EXPECT_LE(differ, 1u);
}

TEST_F(CuDNNFusedTest, ZeroAlpha2NeverReadsZ) {
  // Frameworks pass y as z with alpha2 0: z may hold anything.
  Conv cv;
  auto f = CUDNN_TENSOR_NCHW;
  auto xd = tensor(xDims(cv), f), yd = tensor(yDims(cv), f),
       bd = tensor({1, 1, 1, 1}, f);
  auto wd = filter(wDims(cv), f);
  auto cd = convolution(cv);
  auto ad = activation(CUDNN_ACTIVATION_RELU);
  uint64_t xp = upload({2}, xDims(cv), f), wp = upload({3}, wDims(cv), f),
           bp = upload({1}, {1, 1, 1, 1}, f), yp = allocate(4);
  float alpha1 = 1, alpha2 = 0;
  ASSERT_EQ(cudnnConvolutionBiasActivationForward(
                handle, &alpha1, xd, ptr(xp), wd, ptr(wp), cd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &alpha2,
                yd, ptr(yp), bd, ptr(bp), ad, yd, ptr(yp)),
            CUDNN_STATUS_SUCCESS)
      << lastError();
  EXPECT_EQ(download(yp, yDims(cv), f), (std::vector<double>{7}));
}

TEST_F(CuDNNFusedTest, ReluNanOption) {
  // A NaN bias: NOT_PROPAGATE_NAN gives 0, PROPAGATE_NAN NaN.
  Conv cv;
  auto f = CUDNN_TENSOR_NCHW;
  for (auto nan : {CUDNN_NOT_PROPAGATE_NAN, CUDNN_PROPAGATE_NAN}) {
    auto xd = tensor(xDims(cv), f), yd = tensor(yDims(cv), f),
         bd = tensor({1, 1, 1, 1}, f);
    auto wd = filter(wDims(cv), f);
    auto cd = convolution(cv);
    auto ad = activation(CUDNN_ACTIVATION_RELU, nan);
    uint64_t xp = upload({2}, xDims(cv), f), wp = upload({3}, wDims(cv), f),
             bp = upload({NAN}, {1, 1, 1, 1}, f), yp = allocate(4);
    float alpha1 = 1, alpha2 = 0;
    ASSERT_EQ(cudnnConvolutionBiasActivationForward(
                  handle, &alpha1, xd, ptr(xp), wd, ptr(wp), cd,
                  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &alpha2,
                  yd, ptr(yp), bd, ptr(bp), ad, yd, ptr(yp)),
              CUDNN_STATUS_SUCCESS);
    double y = download(yp, yDims(cv), f)[0];
    if (nan == CUDNN_PROPAGATE_NAN)
      EXPECT_TRUE(std::isnan(y));
    else
      EXPECT_EQ(y, 0);
  }
}

//===----------------------------------------------------------------------===//
// Output rounding and TF32
//===----------------------------------------------------------------------===//

TEST_F(CuDNNConvolutionTest, Bf16OutputsRoundToNearestEven) {
  // Two channels summed by a 1x1 filter of ones. bf16 has 7 explicit
  // mantissa bits, so between 1 and 2 it steps by 2^-7.
  Conv cv;
  cv.c = 2;
  auto y = [&](double a, double b) {
    return forward(cv, {a, b}, {1, 1}, CUDNN_TENSOR_NHWC,
                   CUDNN_DATA_BFLOAT16)[0];
  };
  double u = std::ldexp(1.0, -7);
  // 1 + u/2 is a tie between 1 (even) and 1 + u (odd): 1. Truncation and
  // rounding half up disagree on one of the two.
  EXPECT_EQ(y(1, u / 2), 1.0);
  // 1 + 3u/2 lies between 1 + u (odd) and 1 + 2u (even): 1 + 2u.
  EXPECT_EQ(y(1 + u, u / 2), 1 + 2 * u);
  // Just above a tie rounds up, just below down.
  EXPECT_EQ(y(1, u / 2 + u / 16), 1 + u);
  EXPECT_EQ(y(1 + u, u / 2 - u / 16), 1 + u);
}

TEST_F(CuDNNConvolutionTest, HalfOutputsRoundToNearestEven) {
  // binary16 steps by 2^-10 between 1 and 2 (PSEUDO_HALF_CONFIG).
  Conv cv;
  cv.c = 2;
  auto y = [&](double a, double b) {
    return forward(cv, {a, b}, {1, 1}, CUDNN_TENSOR_NCHW, CUDNN_DATA_HALF)[0];
  };
  double u = std::ldexp(1.0, -10);
  EXPECT_EQ(y(1, u / 2), 1.0);
  EXPECT_EQ(y(1 + u, u / 2), 1 + 2 * u);
  // Beyond binary16's range: infinity.
  EXPECT_TRUE(std::isinf(y(65504, 32)));
  EXPECT_EQ(y(65504, 8), 65504);
}

class CuDNNTF32Test : public CuDNNConvolutionTest {
protected:
  void TearDown() override {
    device.ccMajor = 9, device.ccMinor = 0;
    unsetenv("NVIDIA_TF32_OVERRIDE");
    CuDNNConvolutionTest::TearDown();
  }
  Conv cv() {
    Conv c;
    c.n = 2, c.c = 3, c.h = c.w = 5, c.k = 4, c.r = c.s = 3, c.padH = 1,
    c.padW = 1;
    return c;
  }
};

TEST_F(CuDNNTF32Test, OneProductByHand) {
  // 1 + 2^-20 is not a TF32 value (10 mantissa bits): it becomes 1.
  Conv c;
  double x = 1 + std::ldexp(1.0, -20);
  auto precomp = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  EXPECT_EQ(forward(c, {x}, {1}, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, precomp,
                    CUDNN_DEFAULT_MATH)[0],
            1.0);
  EXPECT_EQ(forward(c, {x}, {1}, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, precomp,
                    CUDNN_FMA_MATH)[0],
            float(x));
}

TEST_F(CuDNNTF32Test, RoundsOperandsOnlyWherePermitted) {
  Conv c = cv();
  std::vector<double> x = randomFloats(c.xCount(), 41),
                      w = randomFloats(c.wCount(), 42);
  std::vector<double> xt = x, wt = w;
  for (double &v : xt)
    v = toTF32(float(v));
  for (double &v : wt)
    v = toTF32(float(v));
  std::vector<double> exact = referenceForward(c, x, w);
  std::vector<double> tf32 = referenceForward(c, xt, wt);
  ASSERT_GT(std::fabs(exact[0] - tf32[0]), 1e-6); // They differ.
  auto f = CUDNN_TENSOR_NHWC;
  auto precomp = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  auto run = [&](cudnnConvolutionFwdAlgo_t algo, cudnnMathType_t math) {
    return forward(c, x, w, f, CUDNN_DATA_FLOAT, algo, math);
  };
  // Permitted: DEFAULT and TENSOR_OP math on a tensor core algorithm.
  expectNear(run(precomp, CUDNN_DEFAULT_MATH), tf32, 1e-7);
  expectNear(run(precomp, CUDNN_TENSOR_OP_MATH), tf32, 1e-7);
  // Not: FMA_MATH, or an algorithm without tensor core kernels.
  expectNear(run(precomp, CUDNN_FMA_MATH), exact, 1e-7);
  expectNear(run(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_DEFAULT_MATH),
             exact, 1e-7);
  // Not before Ampere.
  device.ccMajor = 7, device.ccMinor = 5;
  expectNear(run(precomp, CUDNN_DEFAULT_MATH), exact, 1e-7);
  device.ccMajor = 8, device.ccMinor = 0;
  expectNear(run(precomp, CUDNN_DEFAULT_MATH), tf32, 1e-7);
  // Not with NVIDIA_TF32_OVERRIDE=0.
  setenv("NVIDIA_TF32_OVERRIDE", "0", 1);
  expectNear(run(precomp, CUDNN_DEFAULT_MATH), exact, 1e-7);
}

TEST_F(CuDNNTF32Test, BackwardDirectionsToo) {
  // Backward data multiplies w and dy, backward filter x and dy; ALGO_1 of
  // each has tensor core kernels.
  Conv c = cv();
  auto f = CUDNN_TENSOR_NCHW;
  std::vector<double> x = randomFloats(c.xCount(), 51),
                      w = randomFloats(c.wCount(), 52),
                      dy = randomFloats(c.yCount(), 53);
  auto tf = [](std::vector<double> v) {
    for (double &e : v)
      e = toTF32(float(e));
    return v;
  };
  auto xd = tensor(xDims(c), f), dyd = tensor(yDims(c), f);
  auto wd = filter(wDims(c), f);
  auto tensorOp = convolution(c, CUDNN_DATA_FLOAT, CUDNN_DEFAULT_MATH);
  uint64_t xp = upload(x, xDims(c), f), wp = upload(w, wDims(c), f),
           dyp = upload(dy, yDims(c), f), dxp = allocate(c.xCount() * 4),
           dwp = allocate(c.wCount() * 4), ws = allocate(1 << 20);
  float one = 1, zero = 0;
  ASSERT_EQ(cudnnConvolutionBackwardData(handle, &one, wd, ptr(wp), dyd,
                                         ptr(dyp), tensorOp,
                                         CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                         ptr(ws), 1 << 20, &zero, xd, ptr(dxp)),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnConvolutionBackwardFilter(
                handle, &one, xd, ptr(xp), dyd, ptr(dyp), tensorOp,
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, ptr(ws), 1 << 20, &zero,
                wd, ptr(dwp)),
            CUDNN_STATUS_SUCCESS);
  expectNear(download(dxp, xDims(c), f),
             referenceBackwardData(c, tf(w), tf(dy)), 1e-7);
  expectNear(download(dwp, wDims(c), f),
             referenceBackwardFilter(c, tf(x), tf(dy)), 1e-7);
  // ALGO_0 has none: exact.
  ASSERT_EQ(cudnnConvolutionBackwardData(handle, &one, wd, ptr(wp), dyd,
                                         ptr(dyp), tensorOp,
                                         CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                         nullptr, 0, &zero, xd, ptr(dxp)),
            CUDNN_STATUS_SUCCESS);
  expectNear(download(dxp, xDims(c), f), referenceBackwardData(c, w, dy), 1e-7);
}

TEST_F(CuDNNTF32Test, NeverForOtherDataTypes) {
  // bf16 data is already narrower; DOUBLE_CONFIG never uses tensor cores.
  Conv c;
  double x = 1 + std::ldexp(1.0, -20);
  EXPECT_EQ(forward(c, {x}, {1}, CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE,
                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                    CUDNN_DEFAULT_MATH)[0],
            x);
}

//===----------------------------------------------------------------------===//
// cudnnAddTensor
//===----------------------------------------------------------------------===//

TEST_F(CuDNNConvolutionTest, AddTensorBroadcastsTheBias) {
  // C (2x3x2x2 NHWC) = 2 * A (1x3x1x1) + 0.5 * C.
  Dims cDims{2, 3, 2, 2}, aDims{1, 3, 1, 1};
  std::vector<double> c = randomFloats(cDims.count(), 61), a = {1, -2, 4};
  auto ad = tensor(aDims, CUDNN_TENSOR_NCHW),
       cd = tensor(cDims, CUDNN_TENSOR_NHWC);
  uint64_t ap = upload(a, aDims, CUDNN_TENSOR_NCHW),
           cp = upload(c, cDims, CUDNN_TENSOR_NHWC);
  float alpha = 2, beta = 0.5f;
  ASSERT_EQ(cudnnAddTensor(handle, &alpha, ad, ptr(ap), &beta, cd, ptr(cp)),
            CUDNN_STATUS_SUCCESS);
  std::vector<double> want = c;
  for (size_t i = 0; i < want.size(); ++i)
    want[i] = 2 * a[(i / 4) % 3] + 0.5 * c[i];
  expectNear(download(cp, cDims, CUDNN_TENSOR_NHWC), want, 1e-7);
}

} // namespace
