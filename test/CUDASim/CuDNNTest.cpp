//===- CuDNNTest.cpp - The stand-in cuDNN's API and rules -----------------===//
//
// The stand-in cuDNN's functions other than the arithmetic: descriptor
// validation (bad, destroyed and garbage descriptors are
// CUDNN_STATUS_BAD_PARAM, never a crash), each documented rule with the
// status cuDNN returns for it, workspace checks, faults at synchronization
// for memory the call may not touch, streams, the algorithm queries and the
// error strings.
//
//===----------------------------------------------------------------------===//

#include "CuDNNTestSupport.h"

#include <algorithm>
#include <set>

using namespace cudnntest;
using resnetc::cudasim::Allocation;

namespace {

/// A convolution problem with descriptors, buffers and a workspace, all
/// valid, that each test breaks in one way.
class CuDNNTest : public CuDNNFixture {
protected:
  Conv cv;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NHWC;
  cudnnDataType_t type = CUDNN_DATA_FLOAT;
  cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
  cudnnFilterDescriptor_t wd = nullptr;
  cudnnConvolutionDescriptor_t cd = nullptr;
  uint64_t x = 0, w = 0, y = 0, ws = 0;
  size_t wsBytes = 1 << 20;
  float one = 1, zero = 0;

  /// The handle's stream: work runs when it is synchronized.
  resnetc::cudasim::Stream *stream = nullptr;

  void SetUp() override {
    CuDNNFixture::SetUp();
    cv.n = 2, cv.c = 16, cv.h = cv.w = 14, cv.k = 8, cv.r = cv.s = 3;
    cv.padH = cv.padW = 1;
    stream = device.createStream();
    ASSERT_EQ(cudnnSetStream(handle, reinterpret_cast<CUstream>(stream)),
              CUDNN_STATUS_SUCCESS);
  }

  void TearDown() override {
    device.drainAll();
    cudnnSetStream(handle, nullptr);
    device.destroyStream(stream);
    CuDNNFixture::TearDown();
  }

  /// Creates the descriptors and buffers for the current settings.
  void build() {
    xd = tensor(xDims(cv), format, type);
    yd = tensor(yDims(cv), format, type);
    wd = filter(wDims(cv), format, type);
    cd = convolution(cv, type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE
                                                   : CUDNN_DATA_FLOAT);
    x = upload(randomFloats(cv.xCount(), 1), xDims(cv), format, type);
    w = upload(randomFloats(cv.wCount(), 2), wDims(cv), format, type);
    y = allocate(cv.yCount() * bytesOf(type));
    ws = allocate(wsBytes);
  }

  cudnnStatus_t forward(cudnnConvolutionFwdAlgo_t algo =
                            CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM) {
    return cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                   algo, ptr(ws), wsBytes, &zero, yd, ptr(y));
  }
  cudnnStatus_t backwardData(
      cudnnConvolutionBwdDataAlgo_t algo = CUDNN_CONVOLUTION_BWD_DATA_ALGO_0) {
    // dy is y's buffer, dx x's.
    return cudnnConvolutionBackwardData(handle, &one, wd, ptr(w), yd, ptr(y),
                                        cd, algo, ptr(ws), wsBytes, &zero, xd,
                                        ptr(x));
  }
  cudnnStatus_t backwardFilter(cudnnConvolutionBwdFilterAlgo_t algo =
                                   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0) {
    return cudnnConvolutionBackwardFilter(handle, &one, xd, ptr(x), yd, ptr(y),
                                          cd, algo, ptr(ws), wsBytes, &zero, wd,
                                          ptr(w));
  }
  /// The fault message printed when the device drains, or "".
  std::string drainFault() {
    testing::internal::CaptureStderr();
    device.drainAll();
    return testing::internal::GetCapturedStderr();
  }
};

//===----------------------------------------------------------------------===//
// Library and errors
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, VersionAndErrorStrings) {
  EXPECT_EQ(cudnnGetVersion(), 91900u);
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_SUCCESS),
               "CUDNN_STATUS_SUCCESS");
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM),
               "CUDNN_STATUS_BAD_PARAM");
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_NOT_SUPPORTED),
               "CUDNN_STATUS_NOT_SUPPORTED");
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_EXECUTION_FAILED),
               "CUDNN_STATUS_EXECUTION_FAILED");
  EXPECT_STREQ(cudnnGetErrorString(cudnnStatus_t(12345)),
               "CUDNN_UNKNOWN_STATUS");
}

TEST_F(CuDNNTest, LastErrorStringNamesTheCallAndTheRule) {
  cudnnTensorDescriptor_t t;
  ASSERT_EQ(cudnnCreateTensorDescriptor(&t), CUDNN_STATUS_SUCCESS);
  tensors.push_back(t);
  EXPECT_EQ(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                       1, 0, 2, 2),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(lastError(), "cudnnSetTensor4dDescriptor: c is 0, not positive");
  // Truncated to the buffer, NUL-terminated; null or empty buffers are
  // ignored.
  char small[8];
  cudnnGetLastErrorString(small, sizeof small);
  EXPECT_STREQ(small, "cudnnSe");
  cudnnGetLastErrorString(nullptr, 100);
  cudnnGetLastErrorString(small, 0);
  // A later success leaves the last failure's message.
  EXPECT_EQ(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                       1, 1, 2, 2),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(lastError(), "cudnnSetTensor4dDescriptor: c is 0, not positive");
}

//===----------------------------------------------------------------------===//
// Handles and descriptors
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, HandlesAreValidated) {
  EXPECT_EQ(cudnnCreate(nullptr), CUDNN_STATUS_BAD_PARAM);
  cudnnHandle_t h;
  ASSERT_EQ(cudnnCreate(&h), CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnDestroy(h), CUDNN_STATUS_SUCCESS);
  // Destroyed, null, or not a handle at all.
  EXPECT_EQ(cudnnDestroy(h), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetStream(h, nullptr), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnDestroy(nullptr), CUDNN_STATUS_BAD_PARAM);
  int garbage[16] = {};
  EXPECT_EQ(cudnnSetStream(reinterpret_cast<cudnnHandle_t>(garbage), nullptr),
            CUDNN_STATUS_BAD_PARAM);
  build();
  EXPECT_EQ(cudnnConvolutionForward(h, &one, xd, ptr(x), wd, ptr(w), cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("not a live cuDNN handle"), std::string::npos);
}

TEST_F(CuDNNTest, SetStreamTakesOnlyStreamsOfTheDevice) {
  int garbage = 0;
  EXPECT_EQ(cudnnSetStream(handle, reinterpret_cast<CUstream>(&garbage)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetStream(handle, nullptr), CUDNN_STATUS_SUCCESS);
  resnetc::cudasim::Stream *s = device.createStream();
  EXPECT_EQ(cudnnSetStream(handle, reinterpret_cast<CUstream>(s)),
            CUDNN_STATUS_SUCCESS);
  // A stream destroyed after cudnnSetStream makes calls fail, not crash.
  device.destroyStream(s);
  build();
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("stream"), std::string::npos);
}

TEST_F(CuDNNTest, TensorSetterRules) {
  cudnnTensorDescriptor_t t;
  EXPECT_EQ(cudnnCreateTensorDescriptor(nullptr), CUDNN_STATUS_BAD_PARAM);
  ASSERT_EQ(cudnnCreateTensorDescriptor(&t), CUDNN_STATUS_SUCCESS);
  tensors.push_back(t);
  auto set = [&](int format, int type, int n, int c, int h, int w) {
    return cudnnSetTensor4dDescriptor(t, cudnnTensorFormat_t(format),
                                      cudnnDataType_t(type), n, c, h, w);
  };
  EXPECT_EQ(set(CUDNN_TENSOR_NHWC, CUDNN_DATA_BFLOAT16, 1, 2, 3, 4),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_HALF, 1, 2, 3, 4),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_DOUBLE, 1, 2, 3, 4),
            CUDNN_STATUS_SUCCESS);
  // Non-positive dimensions, invalid enumerants: BAD_PARAM.
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 0, 2, 3, 4),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 2, -3, 4),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(7, CUDNN_DATA_FLOAT, 1, 2, 3, 4), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, 99, 1, 2, 3, 4), CUDNN_STATUS_BAD_PARAM);
  // What cuDNN 9.19.0's setter does: data types up to BFLOAT16 (9) are
  // accepted, later ones are not; NCHW_VECT_C needs a vector type.
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, 6 /* UINT8 */, 1, 2, 3, 4),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(set(CUDNN_TENSOR_NHWC, CUDNN_DATA_INT32, 1, 2, 3, 4),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, 10 /* INT64 */, 1, 2, 3, 4),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(2 /* NCHW_VECT_C */, CUDNN_DATA_FLOAT, 1, 2, 3, 4),
            CUDNN_STATUS_BAD_PARAM);
  // cuDNN's own but not simulated: NOT_SUPPORTED.
  EXPECT_EQ(set(2 /* NCHW_VECT_C */, 5 /* INT8x4 */, 1, 4, 3, 4),
            CUDNN_STATUS_NOT_SUPPORTED);
  // 2^31 elements or more: NOT_SUPPORTED.
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1024, 1024, 32, 64),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(set(CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1024, 1024, 32, 63),
            CUDNN_STATUS_SUCCESS);
  // Destroying null does nothing; destroying twice is BAD_PARAM.
  EXPECT_EQ(cudnnDestroyTensorDescriptor(nullptr), CUDNN_STATUS_SUCCESS);
  cudnnTensorDescriptor_t u;
  ASSERT_EQ(cudnnCreateTensorDescriptor(&u), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnDestroyTensorDescriptor(u), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnDestroyTensorDescriptor(u), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetTensor4dDescriptor(u, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                       1, 1, 1, 1),
            CUDNN_STATUS_BAD_PARAM);
}

TEST_F(CuDNNTest, FilterConvolutionAndActivationSetterRules) {
  cudnnFilterDescriptor_t f;
  ASSERT_EQ(cudnnCreateFilterDescriptor(&f), CUDNN_STATUS_SUCCESS);
  filters.push_back(f);
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                       8, 4, 3, 3),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC,
                                       8, 4, 0, 3),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, cudnnDataType_t(-1),
                                       CUDNN_TENSOR_NHWC, 8, 4, 3, 3),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT,
                                       cudnnTensorFormat_t(9), 8, 4, 3, 3),
            CUDNN_STATUS_BAD_PARAM);
  // Unlike a tensor, a filter may not be INT32 and has no size limit.
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_INT32, CUDNN_TENSOR_NCHW,
                                       8, 4, 3, 3),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                       1024, 1024, 64, 64),
            CUDNN_STATUS_SUCCESS);

  cudnnConvolutionDescriptor_t c;
  ASSERT_EQ(cudnnCreateConvolutionDescriptor(&c), CUDNN_STATUS_SUCCESS);
  convs.push_back(c);
  auto set = [&](int pad, int stride, int dilation, int mode, int compute) {
    return cudnnSetConvolution2dDescriptor(
        c, pad, pad, stride, stride, dilation, dilation,
        cudnnConvolutionMode_t(mode), cudnnDataType_t(compute));
  };
  EXPECT_EQ(set(0, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_FLOAT),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(set(-1, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_FLOAT),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 0, 1, CUDNN_CONVOLUTION, CUDNN_DATA_FLOAT),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 1, 0, CUDNN_CONVOLUTION, CUDNN_DATA_FLOAT),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 1, 1, 2, CUDNN_DATA_FLOAT), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 1, 1, CUDNN_CONVOLUTION, 77), CUDNN_STATUS_BAD_PARAM);
  // Compute types: FLOAT, DOUBLE, HALF and INT32 only.
  EXPECT_EQ(set(0, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_BFLOAT16),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_INT8),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(set(0, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_INT32),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnSetConvolutionGroupCount(c, 0), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetConvolutionGroupCount(c, 4), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(cudnnSetConvolutionMathType(c, cudnnMathType_t(4)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetConvolutionMathType(c, CUDNN_TENSOR_OP_MATH),
            CUDNN_STATUS_SUCCESS);

  cudnnActivationDescriptor_t a;
  ASSERT_EQ(cudnnCreateActivationDescriptor(&a), CUDNN_STATUS_SUCCESS);
  activations.push_back(a);
  EXPECT_EQ(cudnnSetActivationDescriptor(a, cudnnActivationMode_t(9),
                                         CUDNN_NOT_PROPAGATE_NAN, 0),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetActivationDescriptor(a, CUDNN_ACTIVATION_RELU,
                                         cudnnNanPropagation_t(2), 0),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetActivationDescriptor(a, CUDNN_ACTIVATION_IDENTITY,
                                         CUDNN_PROPAGATE_NAN, 0),
            CUDNN_STATUS_SUCCESS);
}

TEST_F(CuDNNTest, BadDescriptorsAreBadParamNotCrashes) {
  build();
  int garbage[64];
  std::memset(garbage, 0x5a, sizeof garbage);
  auto garbageTensor = reinterpret_cast<cudnnTensorDescriptor_t>(garbage);
  auto garbageFilter = reinterpret_cast<cudnnFilterDescriptor_t>(garbage);
  auto garbageConv = reinterpret_cast<cudnnConvolutionDescriptor_t>(garbage);
  auto algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  auto run = [&](cudnnTensorDescriptor_t x_, cudnnFilterDescriptor_t w_,
                 cudnnConvolutionDescriptor_t c_, cudnnTensorDescriptor_t y_) {
    return cudnnConvolutionForward(handle, &one, x_, ptr(x), w_, ptr(w), c_,
                                   algo, nullptr, 0, &zero, y_, ptr(y));
  };
  EXPECT_EQ(run(garbageTensor, wd, cd, yd), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(run(xd, garbageFilter, cd, yd), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(run(xd, wd, garbageConv, yd), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(run(xd, wd, cd, nullptr), CUDNN_STATUS_BAD_PARAM);
  // A filter descriptor passed as a tensor descriptor.
  EXPECT_EQ(run(reinterpret_cast<cudnnTensorDescriptor_t>(wd), wd, cd, yd),
            CUDNN_STATUS_BAD_PARAM);
  // Created but never set.
  cudnnTensorDescriptor_t unset;
  ASSERT_EQ(cudnnCreateTensorDescriptor(&unset), CUDNN_STATUS_SUCCESS);
  tensors.push_back(unset);
  EXPECT_EQ(run(unset, wd, cd, yd), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(lastError(), "cudnnConvolutionForward: xDesc was never set");
  cudnnConvolutionDescriptor_t unsetConv;
  ASSERT_EQ(cudnnCreateConvolutionDescriptor(&unsetConv), CUDNN_STATUS_SUCCESS);
  convs.push_back(unsetConv);
  EXPECT_EQ(run(xd, wd, unsetConv, yd), CUDNN_STATUS_BAD_PARAM);
  // Destroyed.
  cudnnTensorDescriptor_t gone = tensor(xDims(cv), format);
  tensors.pop_back();
  ASSERT_EQ(cudnnDestroyTensorDescriptor(gone), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(run(gone, wd, cd, yd), CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("xDesc is not a live tensor descriptor"),
            std::string::npos);
  // The same through the other entry points.
  size_t bytes;
  EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, gone, wd, cd, yd,
                                                    algo, &bytes),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBackwardData(handle, &one, garbageFilter, ptr(w),
                                         yd, ptr(y), cd,
                                         CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                         nullptr, 0, &zero, xd, ptr(x)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBackwardFilter(handle, &one, xd, ptr(x),
                                           garbageTensor, ptr(y), cd,
                                           CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                                           nullptr, 0, &zero, wd, ptr(w)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(
      cudnnAddTensor(handle, &one, garbageTensor, ptr(x), &one, xd, ptr(x)),
      CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetConvolutionGroupCount(garbageConv, 1),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetActivationDescriptor(
                reinterpret_cast<cudnnActivationDescriptor_t>(garbage),
                CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0),
            CUDNN_STATUS_BAD_PARAM);
  // Nothing was enqueued.
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNTest, NullPointersAreBadParam) {
  build();
  auto algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  EXPECT_EQ(cudnnConvolutionForward(handle, nullptr, xd, ptr(x), wd, ptr(w), cd,
                                    algo, nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    algo, nullptr, 0, nullptr, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, nullptr, wd, ptr(w), cd,
                                    algo, nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(lastError(), "cudnnConvolutionForward: x is null");
  EXPECT_EQ(cudnnConvolutionBackwardFilter(handle, &one, xd, ptr(x), yd, ptr(y),
                                           cd,
                                           CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                                           nullptr, 0, &zero, wd, nullptr),
            CUDNN_STATUS_BAD_PARAM);
  size_t bytes;
  EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                    algo, nullptr),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                    algo, &bytes),
            CUDNN_STATUS_SUCCESS);
}

//===----------------------------------------------------------------------===//
// Shape and data type rules
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, ShapeRules) {
  build();
  EXPECT_EQ(forward(), CUDNN_STATUS_SUCCESS) << lastError();
  EXPECT_EQ(backwardData(), CUDNN_STATUS_SUCCESS) << lastError();
  EXPECT_EQ(backwardFilter(), CUDNN_STATUS_SUCCESS) << lastError();
  ASSERT_EQ(device.drainAll(), CUDA_SUCCESS);

  // The filter's channels are not the input's over the groups: BAD_PARAM.
  wd = filter({cv.k, 8, 3, 3}, format);
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(backwardData(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(backwardFilter(), CUDNN_STATUS_BAD_PARAM);
  // ... unless there are two groups.
  ASSERT_EQ(cudnnSetConvolutionGroupCount(cd, 2), CUDNN_STATUS_SUCCESS);
  size_t bytes;
  EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(
                handle, xd, wd, cd, yd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, &bytes),
            CUDNN_STATUS_SUCCESS);
  // Output channels not a multiple of the groups: BAD_PARAM forward and
  // backward filter, NOT_SUPPORTED backward data ([cnn] Returns).
  ASSERT_EQ(cudnnSetConvolutionGroupCount(cd, 1), CUDNN_STATUS_SUCCESS);
  Dims odd{7, 4, 3, 3};
  xd = tensor({cv.n, 12, cv.h, cv.w}, format);
  wd = filter(odd, format);
  yd = tensor({cv.n, 7, cv.h, cv.w}, format);
  ASSERT_EQ(cudnnSetConvolutionGroupCount(cd, 3), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(backwardFilter(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(backwardData(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("not a multiple of the 3 groups"),
            std::string::npos);
}

TEST_F(CuDNNTest, OutputShapeRules) {
  build();
  // The output's spatial size is not the formula's: NOT_SUPPORTED forward,
  // BAD_PARAM backward data and filter.
  yd = tensor({cv.n, cv.k, 13, 14}, format);
  EXPECT_EQ(forward(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("13x14 spatially but the convolution gives "
                             "14x14"),
            std::string::npos);
  EXPECT_EQ(backwardData(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(backwardFilter(), CUDNN_STATUS_BAD_PARAM);
  // Wrong batch or channels: BAD_PARAM.
  yd = tensor({cv.n, cv.k + 1, 14, 14}, format);
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  yd = tensor({cv.n + 1, cv.k, 14, 14}, format);
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  // A dilated filter larger than the padded input: BAD_PARAM.
  Conv big = cv;
  big.padH = big.padW = 0, big.dilH = 8;
  cd = convolution(big);
  EXPECT_EQ(forward(), CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("larger than the padded input"),
            std::string::npos);
}

TEST_F(CuDNNTest, DataTypeAndLayoutRules) {
  build();
  // x, w and y of different types: BAD_PARAM.
  auto halfY = tensor(yDims(cv), format, CUDNN_DATA_HALF);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, halfY, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  // Mixed layouts: NOT_SUPPORTED (conservative).
  wd = filter(wDims(cv), CUDNN_TENSOR_NCHW);
  EXPECT_EQ(forward(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("mixed layouts"), std::string::npos);
  wd = filter(wDims(cv), format);
  yd = tensor(yDims(cv), CUDNN_TENSOR_NCHW);
  EXPECT_EQ(forward(), CUDNN_STATUS_NOT_SUPPORTED);
}

TEST_F(CuDNNTest, DataTypeConfigurations) {
  // (data type, compute type, compute capability) -> status, after the
  // "Supported Configurations" tables.
  struct Row {
    cudnnDataType_t data, compute;
    int ccMajor, ccMinor;
    cudnnStatus_t status;
  } rows[] = {
      {CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, 9, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_FLOAT, CUDNN_DATA_DOUBLE, 9, 0, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_FLOAT, CUDNN_DATA_HALF, 9, 0, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_DOUBLE, CUDNN_DATA_DOUBLE, 9, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_DOUBLE, CUDNN_DATA_FLOAT, 9, 0, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_HALF, CUDNN_DATA_FLOAT, 9, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_HALF, CUDNN_DATA_HALF, 9, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_HALF, CUDNN_DATA_HALF, 5, 2, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_HALF, CUDNN_DATA_HALF, 5, 3, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_BFLOAT16, CUDNN_DATA_FLOAT, 9, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_BFLOAT16, CUDNN_DATA_FLOAT, 8, 0, CUDNN_STATUS_SUCCESS},
      {CUDNN_DATA_BFLOAT16, CUDNN_DATA_FLOAT, 7, 5, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_BFLOAT16, CUDNN_DATA_DOUBLE, 9, 0,
       CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_FLOAT, CUDNN_DATA_INT32, 9, 0, CUDNN_STATUS_NOT_SUPPORTED},
      {CUDNN_DATA_INT8, CUDNN_DATA_INT32, 9, 0, CUDNN_STATUS_NOT_SUPPORTED},
      {cudnnDataType_t(6) /* UINT8 */, CUDNN_DATA_INT32, 9, 0,
       CUDNN_STATUS_NOT_SUPPORTED},
  };
  auto algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  for (const Row &row : rows) {
    SCOPED_TRACE(std::to_string(row.data) + " " + std::to_string(row.compute) +
                 " sm_" + std::to_string(row.ccMajor) +
                 std::to_string(row.ccMinor));
    device.ccMajor = row.ccMajor, device.ccMinor = row.ccMinor;
    auto t = tensor(xDims(cv), format, row.data);
    auto u = tensor(yDims(cv), format, row.data);
    auto f = filter(wDims(cv), format, row.data);
    auto c = convolution(cv, row.compute);
    size_t bytes;
    EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, t, f, c, u, algo,
                                                      &bytes),
              row.status);
    EXPECT_EQ(
        cudnnGetConvolutionBackwardDataWorkspaceSize(
            handle, f, u, c, t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, &bytes),
        row.status);
    EXPECT_EQ(
        cudnnGetConvolutionBackwardFilterWorkspaceSize(
            handle, t, u, c, f, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, &bytes),
        row.status);
  }
  device.ccMajor = 9, device.ccMinor = 0;
}

//===----------------------------------------------------------------------===//
// Algorithm rules
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, ForwardAlgorithmRules) {
  auto status = [&](int algo) {
    size_t bytes;
    return cudnnGetConvolutionForwardWorkspaceSize(
        handle, xd, wd, cd, yd, cudnnConvolutionFwdAlgo_t(algo), &bytes);
  };
  // NCHW 3x3, stride 1: everything but DIRECT.
  format = CUDNN_TENSOR_NCHW;
  build();
  for (int algo = 0; algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; ++algo)
    EXPECT_EQ(status(algo), algo == CUDNN_CONVOLUTION_FWD_ALGO_DIRECT
                                ? CUDNN_STATUS_NOT_SUPPORTED
                                : CUDNN_STATUS_SUCCESS)
        << algo;
  EXPECT_EQ(forward(CUDNN_CONVOLUTION_FWD_ALGO_DIRECT),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(lastError(), "cudnnConvolutionForward: "
                         "CUDNN_CONVOLUTION_FWD_ALGO_DIRECT is not "
                         "implemented by cuDNN");
  // Not an algorithm: BAD_PARAM.
  EXPECT_EQ(status(8), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(status(-1), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(forward(cudnnConvolutionFwdAlgo_t(42)), CUDNN_STATUS_BAD_PARAM);

  // Stride 2: no FFT, no Winograd.
  Conv strided = cv;
  strided.strideH = strided.strideW = 2;
  yd = tensor(yDims(strided), format);
  cd = convolution(strided);
  for (auto algo :
       {CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED})
    EXPECT_EQ(status(algo), CUDNN_STATUS_NOT_SUPPORTED) << algo;
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
            CUDNN_STATUS_SUCCESS);

  // Dilation 2: no FFT, no Winograd.
  Conv dilated = cv;
  dilated.dilH = dilated.dilW = 2, dilated.padH = dilated.padW = 2;
  yd = tensor(yDims(dilated), format);
  cd = convolution(dilated);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_FFT), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM),
            CUDNN_STATUS_SUCCESS);

  // 1x1 filter: no Winograd; FFT needs the filter larger than the padding.
  Conv pointwise = cv;
  pointwise.r = pointwise.s = 1;
  wd = filter(wDims(pointwise), format);
  yd = tensor(yDims(pointwise), format);
  cd = convolution(pointwise);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("needs a 3x3 filter, not 1x1"), std::string::npos);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_FFT), CUDNN_STATUS_NOT_SUPPORTED);
  pointwise.padH = pointwise.padW = 0;
  yd = tensor(yDims(pointwise), format);
  cd = convolution(pointwise);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_FFT), CUDNN_STATUS_SUCCESS);

  // 5x5: WINOGRAD_NONFUSED for FLOAT_CONFIG only, WINOGRAD not at all.
  Conv five = cv;
  five.r = five.s = 5, five.padH = five.padW = 2;
  wd = filter(wDims(five), format);
  yd = tensor(yDims(five), format);
  cd = convolution(five);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD),
            CUDNN_STATUS_NOT_SUPPORTED);
  xd = tensor(xDims(five), format, CUDNN_DATA_HALF);
  wd = filter(wDims(five), format, CUDNN_DATA_HALF);
  yd = tensor(yDims(five), format, CUDNN_DATA_HALF);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
            CUDNN_STATUS_NOT_SUPPORTED);

  // FFT needs the padded input at most 256x256; FFT_TILING does not.
  Conv large = cv;
  large.n = 1, large.c = 1, large.k = 1, large.h = 300, large.w = 20;
  xd = tensor(xDims(large), format);
  wd = filter(wDims(large), format);
  yd = tensor(yDims(large), format);
  cd = convolution(large);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_FFT), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING),
            CUDNN_STATUS_SUCCESS);
}

TEST_F(CuDNNTest, LayoutAndTypeAlgorithmRules) {
  auto status = [&](int algo) {
    size_t bytes;
    return cudnnGetConvolutionForwardWorkspaceSize(
        handle, xd, wd, cd, yd, cudnnConvolutionFwdAlgo_t(algo), &bytes);
  };
  // NHWC: no FFT, no fused Winograd, no GEMM; the implicit GEMMs and
  // WINOGRAD_NONFUSED remain.
  build();
  for (auto algo :
       {CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, CUDNN_CONVOLUTION_FWD_ALGO_GEMM})
    EXPECT_EQ(status(algo), CUDNN_STATUS_NOT_SUPPORTED) << algo;
  for (auto algo : {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED})
    EXPECT_EQ(status(algo), CUDNN_STATUS_SUCCESS) << algo;
  // bf16 (conservatively): the implicit GEMMs only.
  xd = tensor(xDims(cv), format, CUDNN_DATA_BFLOAT16);
  wd = filter(wDims(cv), format, CUDNN_DATA_BFLOAT16);
  yd = tensor(yDims(cv), format, CUDNN_DATA_BFLOAT16);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED),
            CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(status(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
            CUDNN_STATUS_SUCCESS);
}

TEST_F(CuDNNTest, BackwardAlgorithmRules) {
  format = CUDNN_TENSOR_NCHW;
  build();
  auto data = [&](int algo) {
    size_t bytes;
    return cudnnGetConvolutionBackwardDataWorkspaceSize(
        handle, wd, yd, cd, xd, cudnnConvolutionBwdDataAlgo_t(algo), &bytes);
  };
  auto filt = [&](int algo) {
    size_t bytes;
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(
        handle, xd, yd, cd, wd, cudnnConvolutionBwdFilterAlgo_t(algo), &bytes);
  };
  for (int algo = 0; algo < CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT; ++algo)
    EXPECT_EQ(data(algo), CUDNN_STATUS_SUCCESS) << algo;
  EXPECT_EQ(data(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT),
            CUDNN_STATUS_BAD_PARAM);
  // Backward filter WINOGRAD does not exist in cuDNN.
  for (int algo = 0; algo < CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT; ++algo)
    EXPECT_EQ(filt(algo), algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD
                              ? CUDNN_STATUS_NOT_SUPPORTED
                              : CUDNN_STATUS_SUCCESS)
        << algo;
  EXPECT_EQ(backwardFilter(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD),
            CUDNN_STATUS_NOT_SUPPORTED);
  // Stride 2: only ALGO_0, ALGO_1 (and filter ALGO_3).
  Conv strided = cv;
  strided.strideH = strided.strideW = 2;
  yd = tensor(yDims(strided), format);
  cd = convolution(strided);
  for (int algo = 0; algo < CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT; ++algo)
    EXPECT_EQ(data(algo), algo <= CUDNN_CONVOLUTION_BWD_DATA_ALGO_1
                              ? CUDNN_STATUS_SUCCESS
                              : CUDNN_STATUS_NOT_SUPPORTED)
        << algo;
  for (int algo = 0; algo < CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT; ++algo)
    EXPECT_EQ(filt(algo), algo <= CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 ||
                                  algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3
                              ? CUDNN_STATUS_SUCCESS
                              : CUDNN_STATUS_NOT_SUPPORTED)
        << algo;
}

TEST_F(CuDNNTest, BackwardFilterAlgo3NeedsUnitDilation) {
  // Conservative: the table for ALGO_3's dilation is not at hand.
  Conv dilated = cv;
  dilated.dilH = dilated.dilW = 2, dilated.padH = dilated.padW = 2;
  cv = dilated;
  build();
  size_t bytes;
  EXPECT_EQ(
      cudnnGetConvolutionBackwardFilterWorkspaceSize(
          handle, xd, yd, cd, wd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, &bytes),
      CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(
      cudnnGetConvolutionBackwardFilterWorkspaceSize(
          handle, xd, yd, cd, wd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, &bytes),
      CUDNN_STATUS_SUCCESS);
}

//===----------------------------------------------------------------------===//
// Workspace
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, WorkspaceSizes) {
  format = CUDNN_TENSOR_NCHW;
  build();
  auto size = [&](cudnnConvolutionFwdAlgo_t algo) {
    size_t bytes = 12345;
    EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                      algo, &bytes),
              CUDNN_STATUS_SUCCESS);
    return bytes;
  };
  EXPECT_EQ(size(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM), 0u);
  EXPECT_EQ(size(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD), 0u);
  for (auto algo :
       {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
        CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_FFT,
        CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED}) {
    size_t bytes = size(algo);
    EXPECT_GT(bytes, 0u) << algo;
    EXPECT_EQ(bytes % 256, 0u);
    EXPECT_EQ(size(algo), bytes); // Deterministic.
  }
  // GEMM unfolds one image: C*R*S rows of P*Q floats.
  EXPECT_EQ(size(CUDNN_CONVOLUTION_FWD_ALGO_GEMM), 4u * 16 * 9 * 14 * 14);
  // A larger problem needs more.
  size_t small = size(CUDNN_CONVOLUTION_FWD_ALGO_FFT);
  Conv wide = cv;
  wide.c = 32;
  xd = tensor(xDims(wide), format);
  wd = filter(wDims(wide), format);
  EXPECT_GT(size(CUDNN_CONVOLUTION_FWD_ALGO_FFT), small);
  size_t bytes;
  EXPECT_EQ(
      cudnnGetConvolutionBackwardDataWorkspaceSize(
          handle, wd, yd, cd, xd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, &bytes),
      CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(bytes, 0u);
  EXPECT_EQ(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                handle, xd, yd, cd, wd,
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED, &bytes),
            CUDNN_STATUS_SUCCESS);
  EXPECT_GT(bytes, 0u);
}

TEST_F(CuDNNTest, TooSmallOrMissingWorkspaceIsBadParam) {
  format = CUDNN_TENSOR_NCHW;
  build();
  auto algo = CUDNN_CONVOLUTION_FWD_ALGO_GEMM;
  size_t needed;
  ASSERT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                    algo, &needed),
            CUDNN_STATUS_SUCCESS);
  ASSERT_GT(needed, 0u);
  uint64_t buffer = allocate(needed);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    algo, ptr(buffer), needed - 1, &zero, yd,
                                    ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("is less than the"), std::string::npos);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    algo, nullptr, needed, &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBackwardData(handle, &one, wd, ptr(w), yd, ptr(x),
                                         cd,
                                         CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT,
                                         ptr(buffer), 0, &zero, xd, ptr(x)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    algo, ptr(buffer), needed, &zero, yd,
                                    ptr(y)),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNTest, AWorkspaceSmallerThanClaimedFaults) {
  format = CUDNN_TENSOR_NCHW;
  build();
  auto algo = CUDNN_CONVOLUTION_FWD_ALGO_GEMM;
  size_t needed;
  ASSERT_EQ(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, wd, cd, yd,
                                                    algo, &needed),
            CUDNN_STATUS_SUCCESS);
  // A 64-byte region of a larger allocation, claimed to be `needed` bytes.
  uint64_t arena = allocate(needed + 1024);
  ASSERT_TRUE(device.memory.annotate(arena, 64, "scratch"));
  ASSERT_TRUE(device.memory.annotate(arena + 64, needed, "weights"));
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    algo, ptr(arena), needed, &zero, yd,
                                    ptr(y)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_EQ(device.stickyError, CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_NE(message.find("cudnnConvolutionForward (x 2x16x14x14 nchw float"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("workspace"), std::string::npos) << message;
  EXPECT_NE(message.find("'scratch'"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Memory faults at synchronization
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, ATensorLargerThanItsBufferFaults) {
  build();
  // x's descriptor is 2x16x14x14 floats; its region holds one image.
  uint64_t arena = allocate(cv.xCount() * 4);
  ASSERT_TRUE(device.memory.annotate(arena, cv.xCount() * 2, "input"));
  write(arena, reinterpret_cast<const void *>(x), cv.xCount() * 4);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(arena), wd, ptr(w),
                                    cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  // Nothing ran yet.
  EXPECT_EQ(device.stickyError, CUDA_SUCCESS);
  std::string message = drainFault();
  EXPECT_EQ(device.stickyError, CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_NE(message.find("cudnnConvolutionForward (x 2x16x14x14 nhwc float, "
                         "w 8x16x3x3 krsc float, y 2x8x14x14 nhwc float): x:"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("run past the end of 'input'"), std::string::npos)
      << message;
  // The context is now faulted: later calls fail.
  EXPECT_EQ(forward(), CUDNN_STATUS_EXECUTION_FAILED);
  EXPECT_NE(lastError().find("sticky error"), std::string::npos);
}

TEST_F(CuDNNTest, ReadingNeverWrittenMemoryFaults) {
  build();
  EXPECT_EQ(backwardFilter(), CUDNN_STATUS_SUCCESS); // Writes w.
  // Backward data reads dy (y), which nothing wrote.
  EXPECT_EQ(cudnnConvolutionBackwardData(handle, &one, wd, ptr(w), yd, ptr(y),
                                         cd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                         nullptr, 0, &zero, xd, ptr(x)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  // Backward filter read dy first: it faults first.
  EXPECT_NE(message.find("cudnnConvolutionBackwardFilter (x 2x16x14x14 nhwc "
                         "float, dy 2x8x14x14 nhwc float, dw 8x16x3x3 krsc "
                         "float): dy:"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("was never written"), std::string::npos) << message;
}

TEST_F(CuDNNTest, NonZeroBetaReadsTheOutput) {
  build();
  float half = 0.5f;
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(x), wd, ptr(w), cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &half, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_NE(message.find("): y: reads"), std::string::npos) << message;
  EXPECT_NE(message.find("never written"), std::string::npos) << message;
}

TEST_F(CuDNNTest, HostPointersFault) {
  build();
  std::vector<float> hostX(cv.xCount(), 1.0f);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, hostX.data(), wd, ptr(w),
                                    cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_NE(message.find("is not the start of a buffer passed to the call"),
            std::string::npos)
      << message;
}

TEST_F(CuDNNTest, MisalignedPointersFault) {
  build();
  uint64_t arena = allocate(cv.xCount() * 4 + 4);
  std::vector<float> values(cv.xCount(), 1.0f);
  write(arena + 2, values.data(), values.size() * 4);
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(arena + 2), wd,
                                    ptr(w), cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_EQ(device.stickyError, CUDA_ERROR_MISALIGNED_ADDRESS);
  EXPECT_NE(message.find("x ("), std::string::npos) << message;
  EXPECT_NE(message.find("not aligned"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Streams
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, WorkRunsOnTheHandlesStreamWhenItIsSynchronized) {
  build();
  EXPECT_EQ(forward(), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(stream->pending.size(), 1u);
  EXPECT_EQ(stream->pending.front().what.rfind("cudnnConvolutionForward (", 0),
            0u);
  // y was not written yet.
  Allocation *a = device.memory.find(y);
  EXPECT_FALSE(a->isWritten(y, 4));
  EXPECT_EQ(device.drain(stream), CUDA_SUCCESS);
  EXPECT_TRUE(a->isWritten(y, cv.yCount() * 4));
  EXPECT_TRUE(stream->pending.empty());
  // The descriptors may go before the work runs: it holds copies.
  EXPECT_EQ(forward(), CUDNN_STATUS_SUCCESS);
  cudnnDestroyTensorDescriptor(xd);
  tensors.erase(std::find(tensors.begin(), tensors.end(), xd));
  EXPECT_EQ(device.drain(stream), CUDA_SUCCESS);
}

TEST_F(CuDNNTest, CapturedCallsReplayFromAGraph) {
  build();
  ASSERT_EQ(device.beginCapture(stream), CUDA_SUCCESS);
  EXPECT_EQ(forward(), CUDNN_STATUS_SUCCESS);
  EXPECT_TRUE(stream->pending.empty());
  // The Find functions run and synchronize: not while capturing.
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  EXPECT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                handle, xd, ptr(x), wd, ptr(w), cd, yd, ptr(y),
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, ptr(ws),
                wsBytes),
            CUDNN_STATUS_NOT_SUPPORTED);
  resnetc::cudasim::Graph *graph = nullptr;
  ASSERT_EQ(device.endCapture(stream, &graph), CUDA_SUCCESS);
  ASSERT_EQ(graph->nodes.size(), 1u);
  EXPECT_FALSE(device.memory.find(y)->isWritten(y, 4));
  // Each launch runs the captured call.
  ASSERT_EQ(device.launch(graph, stream), CUDA_SUCCESS);
  ASSERT_EQ(device.launch(graph, stream), CUDA_SUCCESS);
  EXPECT_EQ(stream->pending.size(), 2u);
  EXPECT_EQ(device.drain(stream), CUDA_SUCCESS);
  expectNear(download(y, yDims(cv), format),
             referenceForward(cv, randomFloats(cv.xCount(), 1),
                              randomFloats(cv.wCount(), 2)),
             1e-6);
  device.destroyGraph(graph);
}

TEST_F(CuDNNTest, OnTheDefaultStreamWorkRunsAtOnce) {
  // The legacy default stream synchronizes with everything: its work runs
  // during the call, and a fault it makes is already the sticky error when
  // the call returns success (a launch does not wait for its kernels).
  build();
  ASSERT_EQ(cudnnSetStream(handle, nullptr), CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(forward(), CUDNN_STATUS_SUCCESS);
  EXPECT_TRUE(device.memory.find(y)->isWritten(y, cv.yCount() * 4));
  uint64_t fresh = allocate(cv.xCount() * 4);
  testing::internal::CaptureStderr();
  EXPECT_EQ(cudnnConvolutionForward(handle, &one, xd, ptr(fresh), wd, ptr(w),
                                    cd,
                                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("never written"),
            std::string::npos);
  EXPECT_EQ(device.stickyError, CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_EQ(forward(), CUDNN_STATUS_EXECUTION_FAILED);
}

//===----------------------------------------------------------------------===//
// The fused form's rules
//===----------------------------------------------------------------------===//

class CuDNNBiasActivationTest : public CuDNNTest {
protected:
  cudnnTensorDescriptor_t zd = nullptr, bd = nullptr;
  cudnnActivationDescriptor_t ad = nullptr;
  uint64_t z = 0, bias = 0;

  /// The valid fused call of the current settings, with `biasType`.
  void buildFused(cudnnDataType_t biasType) {
    build();
    zd = tensor(yDims(cv), format, type);
    bd = tensor({1, cv.k, 1, 1}, format, biasType);
    ad = activation(CUDNN_ACTIVATION_RELU);
    z = upload(randomFloats(cv.yCount(), 3), yDims(cv), format, type);
    bias = upload(randomFloats(cv.k, 4), {1, cv.k, 1, 1}, format, biasType);
  }
  cudnnStatus_t fused(cudnnConvolutionFwdAlgo_t algo =
                          CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) {
    return cudnnConvolutionBiasActivationForward(
        handle, &one, xd, ptr(x), wd, ptr(w), cd, algo, ptr(ws), wsBytes, &one,
        zd, ptr(z), bd, ptr(bias), ad, yd, ptr(y));
  }
};

TEST_F(CuDNNBiasActivationTest, Bf16NeedsABf16Bias) {
  // Question (a): PSEUDO_BFLOAT16_CONFIG's bias is BFLOAT16; a FLOAT bias
  // with bf16 x, w and y is no configuration.
  type = CUDNN_DATA_BFLOAT16;
  buildFused(CUDNN_DATA_FLOAT);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(lastError(), "cudnnConvolutionBiasActivationForward: a float bias "
                         "with bf16 y is none of cuDNN's configurations (the "
                         "bias must be of y's type, bf16)");
  bd = tensor({1, cv.k, 1, 1}, format, CUDNN_DATA_BFLOAT16);
  bias = upload(randomBF16s(cv.k, 4), {1, cv.k, 1, 1}, format,
                CUDNN_DATA_BFLOAT16);
  EXPECT_EQ(fused(), CUDNN_STATUS_SUCCESS) << lastError();
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNBiasActivationTest, BiasTypeFollowsTheConfiguration) {
  buildFused(CUDNN_DATA_FLOAT);
  EXPECT_EQ(fused(), CUDNN_STATUS_SUCCESS) << lastError();
  bd = tensor({1, cv.k, 1, 1}, format, CUDNN_DATA_HALF);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  bd = tensor({1, cv.k, 1, 1}, format, CUDNN_DATA_BFLOAT16);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNBiasActivationTest, IdentityNeedsImplicitPrecompGemm) {
  // Question (b): CUDNN_ACTIVATION_IDENTITY only with IMPLICIT_PRECOMP_GEMM.
  format = CUDNN_TENSOR_NCHW;
  buildFused(CUDNN_DATA_FLOAT);
  ad = activation(CUDNN_ACTIVATION_IDENTITY);
  EXPECT_EQ(fused(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM),
            CUDNN_STATUS_SUCCESS);
  for (auto algo :
       {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
        CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_FFT,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
        CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED}) {
    EXPECT_EQ(fused(algo), CUDNN_STATUS_NOT_SUPPORTED) << algo;
    EXPECT_EQ(lastError().rfind("cudnnConvolutionBiasActivationForward: "
                                "CUDNN_ACTIVATION_IDENTITY needs "
                                "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_"
                                "GEMM",
                                0),
              0u)
        << lastError();
  }
  // ReLU runs with the others.
  ad = activation(CUDNN_ACTIVATION_RELU);
  for (auto algo : {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                    CUDNN_CONVOLUTION_FWD_ALGO_FFT,
                    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED})
    EXPECT_EQ(fused(algo), CUDNN_STATUS_SUCCESS) << algo;
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNBiasActivationTest, OtherActivationsAreNotSupported) {
  buildFused(CUDNN_DATA_FLOAT);
  for (int mode : {0 /* SIGMOID */, 2 /* TANH */, 3 /* CLIPPED_RELU */}) {
    ad = activation(cudnnActivationMode_t(mode));
    EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED) << mode;
  }
}

TEST_F(CuDNNBiasActivationTest, BiasAndZDescriptorRules) {
  buildFused(CUDNN_DATA_FLOAT);
  // The bias is 1xKx1x1.
  bd = tensor({1, cv.k + 1, 1, 1}, format);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  bd = tensor({2, cv.k, 1, 1}, format);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  bd = tensor({1, cv.k, 14, 14}, format);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("not 1x8x1x1"), std::string::npos);
  // Either format of a 1xKx1x1 bias is the same memory.
  bd = tensor({1, cv.k, 1, 1}, CUDNN_TENSOR_NCHW);
  EXPECT_EQ(fused(), CUDNN_STATUS_SUCCESS);
  // z matches y.
  zd = tensor({cv.n, cv.k, 14, 13}, format);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  zd = tensor(yDims(cv), CUDNN_TENSOR_NCHW);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  zd = tensor(yDims(cv), format, CUDNN_DATA_HALF);
  EXPECT_EQ(fused(), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_NE(lastError().find("zDesc"), std::string::npos);
  zd = tensor(yDims(cv), format);
  // Null z, bias or alpha2: BAD_PARAM.
  EXPECT_EQ(cudnnConvolutionBiasActivationForward(
                handle, &one, xd, ptr(x), wd, ptr(w), cd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, ptr(ws),
                wsBytes, &one, zd, nullptr, bd, ptr(bias), ad, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBiasActivationForward(
                handle, &one, xd, ptr(x), wd, ptr(w), cd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, ptr(ws),
                wsBytes, nullptr, zd, ptr(z), bd, ptr(bias), ad, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionBiasActivationForward(
                handle, &one, xd, ptr(x), wd, ptr(w), cd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, ptr(ws),
                wsBytes, &one, zd, ptr(z), bd, ptr(bias), nullptr, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  // The workspace rule applies as to cudnnConvolutionForward.
  EXPECT_EQ(cudnnConvolutionBiasActivationForward(
                handle, &one, xd, ptr(x), wd, ptr(w), cd,
                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, nullptr, 0,
                &one, zd, ptr(z), bd, ptr(bias), ad, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
}

TEST_F(CuDNNBiasActivationTest, ItsFaultsNameIt) {
  buildFused(CUDNN_DATA_FLOAT);
  bias = allocate(cv.k * 4); // Never written.
  EXPECT_EQ(fused(), CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_NE(message.find("cudnnConvolutionBiasActivationForward (x "),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("bias: reads 32 bytes"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// cudnnAddTensor's rules
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, AddTensorRules) {
  build();
  auto a = tensor({1, cv.k, 1, 1}, format);
  uint64_t ap = upload(randomFloats(cv.k, 9), {1, cv.k, 1, 1}, format);
  EXPECT_EQ(cudnnAddTensor(handle, &one, a, ptr(ap), &zero, yd, ptr(y)),
            CUDNN_STATUS_SUCCESS);
  // Types differ, or A does not broadcast: BAD_PARAM.
  auto halfA = tensor({1, cv.k, 1, 1}, format, CUDNN_DATA_HALF);
  EXPECT_EQ(cudnnAddTensor(handle, &one, halfA, ptr(ap), &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  auto wrong = tensor({1, cv.k, 2, 1}, format);
  EXPECT_EQ(cudnnAddTensor(handle, &one, wrong, ptr(ap), &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_NE(lastError().find("does not broadcast"), std::string::npos);
  EXPECT_EQ(cudnnAddTensor(handle, nullptr, a, ptr(ap), &zero, yd, ptr(y)),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(device.drainAll(), CUDA_SUCCESS);
  // With beta not 0 it reads C.
  uint64_t fresh = allocate(cv.yCount() * 4);
  EXPECT_EQ(cudnnAddTensor(handle, &one, a, ptr(ap), &one, yd, ptr(fresh)),
            CUDNN_STATUS_SUCCESS);
  std::string message = drainFault();
  EXPECT_NE(message.find("cudnnAddTensor (A 1x8x1x1 nhwc float, C "
                         "2x8x14x14 nhwc float): C: reads"),
            std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// Algorithm queries
//===----------------------------------------------------------------------===//

TEST_F(CuDNNTest, GetForwardAlgorithmListsEveryAlgorithmSupportedFirst) {
  build(); // NHWC 3x3.
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT + 2];
  int returned = -1;
  ASSERT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(
                handle, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_COUNT + 2,
                &returned, perf),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(returned, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
  std::set<int> seen;
  bool unsupportedSeen = false;
  for (int i = 0; i < returned; ++i) {
    const auto &p = perf[i];
    seen.insert(p.algo);
    size_t bytes = 0;
    cudnnStatus_t status = cudnnGetConvolutionForwardWorkspaceSize(
        handle, xd, wd, cd, yd, p.algo, &bytes);
    EXPECT_EQ(p.status, status) << p.algo;
    if (p.status == CUDNN_STATUS_SUCCESS) {
      EXPECT_FALSE(unsupportedSeen) << "supported algorithms come first";
      EXPECT_EQ(p.memory, bytes);
    } else {
      unsupportedSeen = true;
    }
    EXPECT_EQ(p.determinism, CUDNN_DETERMINISTIC);
    EXPECT_EQ(p.mathType, CUDNN_FMA_MATH);
  }
  EXPECT_EQ(seen.size(), size_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT));
  EXPECT_EQ(perf[0].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
  // Fewer requested, fewer returned; none is BAD_PARAM.
  ASSERT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(handle, xd, wd, cd, yd, 2,
                                                   &returned, perf),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(returned, 2);
  EXPECT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(handle, xd, wd, cd, yd, 0,
                                                   &returned, perf),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(handle, xd, wd, cd, yd, 2,
                                                   nullptr, perf),
            CUDNN_STATUS_BAD_PARAM);
}

TEST_F(CuDNNTest, GetAlgorithmOfAnUnsupportedConfigurationListsNone) {
  build();
  cd = convolution(cv, CUDNN_DATA_DOUBLE); // FLOAT data: no configuration.
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  ASSERT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(
                handle, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                &returned, perf),
            CUDNN_STATUS_SUCCESS);
  for (int i = 0; i < returned; ++i)
    EXPECT_EQ(perf[i].status, CUDNN_STATUS_NOT_SUPPORTED);
  // A shape error is the call's error.
  yd = tensor({cv.n, cv.k + 1, 14, 14}, format);
  EXPECT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(
                handle, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                &returned, perf),
            CUDNN_STATUS_BAD_PARAM);
}

TEST_F(CuDNNTest, BackwardAlgorithmDeterminism) {
  format = CUDNN_TENSOR_NCHW;
  build();
  cd = convolution(cv, CUDNN_DATA_FLOAT, CUDNN_TENSOR_OP_MATH);
  cudnnConvolutionBwdDataAlgoPerf_t data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  cudnnConvolutionBwdFilterAlgoPerf_t
      filt[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int nData = 0, nFilter = 0;
  ASSERT_EQ(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                handle, wd, yd, cd, xd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                &nData, data),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                handle, xd, yd, cd, wd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                &nFilter, filt),
            CUDNN_STATUS_SUCCESS);
  ASSERT_EQ(nData, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
  ASSERT_EQ(nFilter, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
  for (int i = 0; i < nData; ++i) {
    EXPECT_EQ(data[i].determinism,
              data[i].algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_0
                  ? CUDNN_NON_DETERMINISTIC
                  : CUDNN_DETERMINISTIC)
        << data[i].algo;
    EXPECT_EQ(data[i].mathType, CUDNN_TENSOR_OP_MATH);
  }
  for (int i = 0; i < nFilter; ++i) {
    bool nondeterministic =
        filt[i].algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 ||
        filt[i].algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3;
    EXPECT_EQ(filt[i].determinism,
              nondeterministic ? CUDNN_NON_DETERMINISTIC : CUDNN_DETERMINISTIC)
        << filt[i].algo;
    EXPECT_EQ(filt[i].status,
              filt[i].algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD
                  ? CUDNN_STATUS_NOT_SUPPORTED
                  : CUDNN_STATUS_SUCCESS)
        << filt[i].algo;
  }
  EXPECT_EQ(filt[nFilter - 1].algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD);
}

TEST_F(CuDNNTest, FindForwardRunsSupportedAlgorithmsFastestFirst) {
  format = CUDNN_TENSOR_NCHW;
  build();
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  ASSERT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                handle, xd, ptr(x), wd, ptr(w), cd, yd, ptr(y),
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, ptr(ws),
                wsBytes),
            CUDNN_STATUS_SUCCESS)
      << lastError();
  // Every algorithm but DIRECT supports NCHW 3x3 and fits 1 MiB.
  EXPECT_EQ(returned, CUDNN_CONVOLUTION_FWD_ALGO_COUNT - 1);
  std::set<int> seen;
  for (int i = 0; i < returned; ++i) {
    seen.insert(perf[i].algo);
    EXPECT_EQ(perf[i].status, CUDNN_STATUS_SUCCESS);
    EXPECT_GE(perf[i].time, 0);
    if (i)
      EXPECT_LE(perf[i - 1].time, perf[i].time);
  }
  EXPECT_EQ(seen.count(CUDNN_CONVOLUTION_FWD_ALGO_DIRECT), 0u);
  // It ran on the buffers: y holds the convolution.
  std::vector<double> want = referenceForward(cv, randomFloats(cv.xCount(), 1),
                                              randomFloats(cv.wCount(), 2));
  expectNear(download(y, yDims(cv), format), want, 1e-6);

  // Without a workspace only the algorithms that need none.
  ASSERT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                handle, xd, ptr(x), wd, ptr(w), cd, yd, ptr(y),
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, nullptr, 0),
            CUDNN_STATUS_SUCCESS);
  std::set<int> free;
  for (int i = 0; i < returned; ++i)
    free.insert(perf[i].algo);
  EXPECT_EQ(free, (std::set<int>{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                 CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD}));
  // At most the count requested.
  ASSERT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                handle, xd, ptr(x), wd, ptr(w), cd, yd, ptr(y), 1, &returned,
                perf, ptr(ws), wsBytes),
            CUDNN_STATUS_SUCCESS);
  EXPECT_EQ(returned, 1);
}

TEST_F(CuDNNTest, FindBackwardRunsOnlySupportedAlgorithms) {
  build(); // NHWC: no FFT or fused Winograd.
  uint64_t dy = upload(randomFloats(cv.yCount(), 5), yDims(cv), format);
  cudnnConvolutionBwdDataAlgoPerf_t data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  cudnnConvolutionBwdFilterAlgoPerf_t
      filt[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  int nData = 0, nFilter = 0;
  uint64_t dx = allocate(cv.xCount() * 4), dw = allocate(cv.wCount() * 4);
  ASSERT_EQ(cudnnFindConvolutionBackwardDataAlgorithmEx(
                handle, wd, ptr(w), yd, ptr(dy), cd, xd, ptr(dx),
                CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &nData, data, ptr(ws),
                wsBytes),
            CUDNN_STATUS_SUCCESS)
      << lastError();
  ASSERT_EQ(cudnnFindConvolutionBackwardFilterAlgorithmEx(
                handle, xd, ptr(x), yd, ptr(dy), cd, wd, ptr(dw),
                CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &nFilter, filt,
                ptr(ws), wsBytes),
            CUDNN_STATUS_SUCCESS)
      << lastError();
  std::set<int> dataAlgos, filterAlgos;
  for (int i = 0; i < nData; ++i) {
    dataAlgos.insert(data[i].algo);
    EXPECT_EQ(data[i].status, CUDNN_STATUS_SUCCESS);
  }
  for (int i = 0; i < nFilter; ++i) {
    filterAlgos.insert(filt[i].algo);
    EXPECT_EQ(filt[i].status, CUDNN_STATUS_SUCCESS);
  }
  EXPECT_EQ(dataAlgos,
            (std::set<int>{CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                           CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED}));
  EXPECT_EQ(
      filterAlgos,
      (std::set<int>{CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3,
                     CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED}));
  EXPECT_EQ(device.stickyError, CUDA_SUCCESS);
}

TEST_F(CuDNNTest, FindFaultsLikeTheCallsItMakes) {
  build();
  uint64_t fresh = allocate(cv.xCount() * 4); // Never written.
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int returned = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(cudnnFindConvolutionForwardAlgorithmEx(
                handle, xd, ptr(fresh), wd, ptr(w), cd, yd, ptr(y),
                CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, ptr(ws),
                wsBytes),
            CUDNN_STATUS_EXECUTION_FAILED);
  std::string message = testing::internal::GetCapturedStderr();
  EXPECT_NE(message.find("cudnnFindConvolutionForwardAlgorithmEx (x "),
            std::string::npos)
      << message;
  EXPECT_EQ(device.stickyError, CUDA_ERROR_ILLEGAL_ADDRESS);
}

} // namespace
