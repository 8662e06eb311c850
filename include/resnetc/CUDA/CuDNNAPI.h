//===- CuDNNAPI.h - The subset of cuDNN resnetc uses ------------*- C++ -*-===//
//
// Types, constants and function signatures of the cuDNN 9 functions the
// runtime's CUDA device calls (the convolution API of cudnn_ops and
// cudnn_cnn), with the ABI of NVIDIA's cudnn.h: the runtime loads
// libcudnn.so.9 with dlopen and resolves these by name, and the simulated
// GPU (lib/CUDASim) exports the same functions. A unit test checks every
// signature and value against the real header where one is installed
// (test/Runtime/CUDAApiTest.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_CUDA_CUDNNAPI_H
#define RESNETC_CUDA_CUDNNAPI_H

#include "resnetc/CUDA/DriverAPI.h"

#include <cstddef>

namespace resnetc::cuda {

using cudaStream_t = CUstream;
using cudnnHandle_t = struct cudnnContext *;
using cudnnTensorDescriptor_t = struct cudnnTensorStruct *;
using cudnnFilterDescriptor_t = struct cudnnFilterStruct *;
using cudnnConvolutionDescriptor_t = struct cudnnConvolutionStruct *;
using cudnnActivationDescriptor_t = struct cudnnActivationStruct *;

enum cudnnStatus_t : int {
  CUDNN_STATUS_SUCCESS = 0,
  CUDNN_STATUS_NOT_INITIALIZED = 1001,
  CUDNN_STATUS_BAD_PARAM = 2000,
  CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
  CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER = 2003,
  CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND = 2005,
  CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT = 2006,
  CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
  CUDNN_STATUS_NOT_SUPPORTED = 3000,
  CUDNN_STATUS_NOT_SUPPORTED_SHAPE = 3002,
  CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
  CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
  CUDNN_STATUS_INTERNAL_ERROR = 4000,
  CUDNN_STATUS_EXECUTION_FAILED = 5000,
};

enum cudnnDataType_t : int {
  CUDNN_DATA_FLOAT = 0,
  CUDNN_DATA_DOUBLE = 1,
  CUDNN_DATA_HALF = 2,
  CUDNN_DATA_INT8 = 3,
  CUDNN_DATA_INT32 = 4,
  CUDNN_DATA_BFLOAT16 = 9,
};

enum cudnnTensorFormat_t : int {
  CUDNN_TENSOR_NCHW = 0,
  CUDNN_TENSOR_NHWC = 1,
};

enum cudnnMathType_t : int {
  CUDNN_DEFAULT_MATH = 0,
  CUDNN_TENSOR_OP_MATH = 1,
  CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
  CUDNN_FMA_MATH = 3,
};

enum cudnnConvolutionMode_t : int {
  CUDNN_CONVOLUTION = 0,
  CUDNN_CROSS_CORRELATION = 1,
};

enum cudnnActivationMode_t : int {
  CUDNN_ACTIVATION_RELU = 1,
  CUDNN_ACTIVATION_IDENTITY = 5,
};

enum cudnnNanPropagation_t : int {
  CUDNN_NOT_PROPAGATE_NAN = 0,
  CUDNN_PROPAGATE_NAN = 1,
};

enum cudnnDeterminism_t : int {
  CUDNN_NON_DETERMINISTIC = 0,
  CUDNN_DETERMINISTIC = 1,
};

enum cudnnConvolutionFwdAlgo_t : int {
  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
  CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
  CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
  CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
  CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
  CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
  CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
  CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
};

enum cudnnConvolutionBwdDataAlgo_t : int {
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5,
  CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
};

enum cudnnConvolutionBwdFilterAlgo_t : int {
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6,
  CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
};

/// What the algorithm queries return (cudnnConvolution*AlgoPerf_t).
template <typename Algo> struct cudnnAlgoPerf {
  Algo algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  cudnnDeterminism_t determinism;
  cudnnMathType_t mathType;
  int reserved[3];
};
using cudnnConvolutionFwdAlgoPerf_t = cudnnAlgoPerf<cudnnConvolutionFwdAlgo_t>;
using cudnnConvolutionBwdDataAlgoPerf_t =
    cudnnAlgoPerf<cudnnConvolutionBwdDataAlgo_t>;
using cudnnConvolutionBwdFilterAlgoPerf_t =
    cudnnAlgoPerf<cudnnConvolutionBwdFilterAlgo_t>;

/// X(name, return type, parameter list) for every cuDNN function the
/// runtime calls.
#define RESNETC_CUDNN_FUNCTIONS(X)                                             \
  X(cudnnGetVersion, size_t, ())                                               \
  X(cudnnGetErrorString, const char *, (cudnnStatus_t status))                 \
  X(cudnnGetLastErrorString, void, (char *message, size_t max_size))           \
  X(cudnnCreate, cudnnStatus_t, (cudnnHandle_t * handle))                      \
  X(cudnnDestroy, cudnnStatus_t, (cudnnHandle_t handle))                       \
  X(cudnnSetStream, cudnnStatus_t,                                             \
    (cudnnHandle_t handle, cudaStream_t streamId))                             \
  X(cudnnCreateTensorDescriptor, cudnnStatus_t,                                \
    (cudnnTensorDescriptor_t * tensorDesc))                                    \
  X(cudnnSetTensor4dDescriptor, cudnnStatus_t,                                 \
    (cudnnTensorDescriptor_t tensorDesc, cudnnTensorFormat_t format,           \
     cudnnDataType_t dataType, int n, int c, int h, int w))                    \
  X(cudnnDestroyTensorDescriptor, cudnnStatus_t,                               \
    (cudnnTensorDescriptor_t tensorDesc))                                      \
  X(cudnnCreateFilterDescriptor, cudnnStatus_t,                                \
    (cudnnFilterDescriptor_t * filterDesc))                                    \
  X(cudnnSetFilter4dDescriptor, cudnnStatus_t,                                 \
    (cudnnFilterDescriptor_t filterDesc, cudnnDataType_t dataType,             \
     cudnnTensorFormat_t format, int k, int c, int h, int w))                  \
  X(cudnnDestroyFilterDescriptor, cudnnStatus_t,                               \
    (cudnnFilterDescriptor_t filterDesc))                                      \
  X(cudnnCreateConvolutionDescriptor, cudnnStatus_t,                           \
    (cudnnConvolutionDescriptor_t * convDesc))                                 \
  X(cudnnSetConvolution2dDescriptor, cudnnStatus_t,                            \
    (cudnnConvolutionDescriptor_t convDesc, int pad_h, int pad_w, int u,       \
     int v, int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,       \
     cudnnDataType_t computeType))                                             \
  X(cudnnSetConvolutionGroupCount, cudnnStatus_t,                              \
    (cudnnConvolutionDescriptor_t convDesc, int groupCount))                   \
  X(cudnnSetConvolutionMathType, cudnnStatus_t,                                \
    (cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType))         \
  X(cudnnDestroyConvolutionDescriptor, cudnnStatus_t,                          \
    (cudnnConvolutionDescriptor_t convDesc))                                   \
  X(cudnnCreateActivationDescriptor, cudnnStatus_t,                            \
    (cudnnActivationDescriptor_t * activationDesc))                            \
  X(cudnnSetActivationDescriptor, cudnnStatus_t,                               \
    (cudnnActivationDescriptor_t activationDesc, cudnnActivationMode_t mode,   \
     cudnnNanPropagation_t reluNanOpt, double coef))                           \
  X(cudnnDestroyActivationDescriptor, cudnnStatus_t,                           \
    (cudnnActivationDescriptor_t activationDesc))                              \
  X(cudnnGetConvolutionForwardAlgorithm_v7, cudnnStatus_t,                     \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,              \
     const cudnnFilterDescriptor_t filterDesc,                                 \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount,     \
     int *returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t *perfResults))      \
  X(cudnnFindConvolutionForwardAlgorithmEx, cudnnStatus_t,                     \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x, \
     const cudnnFilterDescriptor_t wDesc, const void *w,                       \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t yDesc, void *y,                             \
     const int requestedAlgoCount, int *returnedAlgoCount,                     \
     cudnnConvolutionFwdAlgoPerf_t *perfResults, void *workSpace,              \
     size_t workSpaceSizeInBytes))                                             \
  X(cudnnGetConvolutionForwardWorkspaceSize, cudnnStatus_t,                    \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,                \
     const cudnnFilterDescriptor_t wDesc,                                      \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t yDesc, cudnnConvolutionFwdAlgo_t algo,      \
     size_t *sizeInBytes))                                                     \
  X(cudnnConvolutionForward, cudnnStatus_t,                                    \
    (cudnnHandle_t handle, const void *alpha,                                  \
     const cudnnTensorDescriptor_t xDesc, const void *x,                       \
     const cudnnFilterDescriptor_t wDesc, const void *w,                       \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     cudnnConvolutionFwdAlgo_t algo, void *workSpace,                          \
     size_t workSpaceSizeInBytes, const void *beta,                            \
     const cudnnTensorDescriptor_t yDesc, void *y))                            \
  X(cudnnConvolutionBiasActivationForward, cudnnStatus_t,                      \
    (cudnnHandle_t handle, const void *alpha1,                                 \
     const cudnnTensorDescriptor_t xDesc, const void *x,                       \
     const cudnnFilterDescriptor_t wDesc, const void *w,                       \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     cudnnConvolutionFwdAlgo_t algo, void *workSpace,                          \
     size_t workSpaceSizeInBytes, const void *alpha2,                          \
     const cudnnTensorDescriptor_t zDesc, const void *z,                       \
     const cudnnTensorDescriptor_t biasDesc, const void *bias,                 \
     const cudnnActivationDescriptor_t activationDesc,                         \
     const cudnnTensorDescriptor_t yDesc, void *y))                            \
  X(cudnnGetConvolutionBackwardDataAlgorithm_v7, cudnnStatus_t,                \
    (cudnnHandle_t handle, const cudnnFilterDescriptor_t filterDesc,           \
     const cudnnTensorDescriptor_t diffDesc,                                   \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t gradDesc, const int requestedAlgoCount,     \
     int *returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t *perfResults))  \
  X(cudnnFindConvolutionBackwardDataAlgorithmEx, cudnnStatus_t,                \
    (cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc, const void *w, \
     const cudnnTensorDescriptor_t dyDesc, const void *dy,                     \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t dxDesc, void *dx,                           \
     const int requestedAlgoCount, int *returnedAlgoCount,                     \
     cudnnConvolutionBwdDataAlgoPerf_t *perfResults, void *workSpace,          \
     size_t workSpaceSizeInBytes))                                             \
  X(cudnnGetConvolutionBackwardDataWorkspaceSize, cudnnStatus_t,               \
    (cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc,                \
     const cudnnTensorDescriptor_t dyDesc,                                     \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnTensorDescriptor_t dxDesc, cudnnConvolutionBwdDataAlgo_t algo, \
     size_t *sizeInBytes))                                                     \
  X(cudnnConvolutionBackwardData, cudnnStatus_t,                               \
    (cudnnHandle_t handle, const void *alpha,                                  \
     const cudnnFilterDescriptor_t wDesc, const void *w,                       \
     const cudnnTensorDescriptor_t dyDesc, const void *dy,                     \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     cudnnConvolutionBwdDataAlgo_t algo, void *workSpace,                      \
     size_t workSpaceSizeInBytes, const void *beta,                            \
     const cudnnTensorDescriptor_t dxDesc, void *dx))                          \
  X(cudnnGetConvolutionBackwardFilterAlgorithm_v7, cudnnStatus_t,              \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,              \
     const cudnnTensorDescriptor_t diffDesc,                                   \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnFilterDescriptor_t gradDesc, const int requestedAlgoCount,     \
     int *returnedAlgoCount,                                                   \
     cudnnConvolutionBwdFilterAlgoPerf_t *perfResults))                        \
  X(cudnnFindConvolutionBackwardFilterAlgorithmEx, cudnnStatus_t,              \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x, \
     const cudnnTensorDescriptor_t dyDesc, const void *y,                      \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnFilterDescriptor_t dwDesc, void *dw,                           \
     const int requestedAlgoCount, int *returnedAlgoCount,                     \
     cudnnConvolutionBwdFilterAlgoPerf_t *perfResults, void *workSpace,        \
     size_t workSpaceSizeInBytes))                                             \
  X(cudnnGetConvolutionBackwardFilterWorkspaceSize, cudnnStatus_t,             \
    (cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,                \
     const cudnnTensorDescriptor_t dyDesc,                                     \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     const cudnnFilterDescriptor_t gradDesc,                                   \
     cudnnConvolutionBwdFilterAlgo_t algo, size_t *sizeInBytes))               \
  X(cudnnConvolutionBackwardFilter, cudnnStatus_t,                             \
    (cudnnHandle_t handle, const void *alpha,                                  \
     const cudnnTensorDescriptor_t xDesc, const void *x,                       \
     const cudnnTensorDescriptor_t dyDesc, const void *dy,                     \
     const cudnnConvolutionDescriptor_t convDesc,                              \
     cudnnConvolutionBwdFilterAlgo_t algo, void *workSpace,                    \
     size_t workSpaceSizeInBytes, const void *beta,                            \
     const cudnnFilterDescriptor_t dwDesc, void *dw))                          \
  X(cudnnAddTensor, cudnnStatus_t,                                             \
    (cudnnHandle_t handle, const void *alpha,                                  \
     const cudnnTensorDescriptor_t aDesc, const void *A, const void *beta,     \
     const cudnnTensorDescriptor_t cDesc, void *C))

} // namespace resnetc::cuda

#endif // RESNETC_CUDA_CUDNNAPI_H
