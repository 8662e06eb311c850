//===- CUDAApiTest.cpp - The declared CUDA and cuDNN subsets match NVIDIA's ===//
//
// The runtime declares the driver and cuDNN functions it calls itself
// (include/resnetc/CUDA/*API.h), so that it builds without CUDA. Built only
// where NVIDIA's cuda.h and cudnn.h are installed, this test checks every
// declared function against them (arity, and the size and kind of the
// result and of each parameter), every enumerator's value, and the layout
// of the algorithm-performance structs.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>
#include <cudnn.h>

#include "resnetc/CUDA/CuDNNAPI.h"
#include "resnetc/CUDA/DriverAPI.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace {

/// An unsigned integer type of `Size` bytes.
template <size_t Size> struct UnsignedOf;
template <> struct UnsignedOf<1> { using type = uint8_t; };
template <> struct UnsignedOf<2> { using type = uint16_t; };
template <> struct UnsignedOf<4> { using type = uint32_t; };
template <> struct UnsignedOf<8> { using type = uint64_t; };

/// What the ABI sees of a type: every pointer is void *, every integer or
/// enumeration an unsigned integer of its size; floats stay themselves.
template <typename T, typename = void> struct ABI {
  using type = T;
};
template <typename T>
struct ABI<T, std::enable_if_t<std::is_pointer_v<T>>> {
  using type = void *;
};
template <typename T>
struct ABI<T, std::enable_if_t<std::is_integral_v<T> || std::is_enum_v<T>>> {
  using type = typename UnsignedOf<sizeof(T)>::type;
};

template <typename F> struct ABIOf;
template <typename R, typename... A> struct ABIOf<R (*)(A...)> {
  using type = typename ABI<R>::type (*)(typename ABI<A>::type...);
};

template <typename Real, typename Ours> constexpr bool sameABI() {
  return std::is_same_v<typename ABIOf<Real>::type,
                        typename ABIOf<Ours>::type>;
}

} // namespace

namespace ours = resnetc::cuda;

// Every function of the lists, against the real declaration.
#define RESNETC_CHECK_FUNCTION(name, ret, params)                              \
  static_assert(sameABI<decltype(&::name),                                     \
                        ret(*) params>(),                              \
                #name " differs from NVIDIA's declaration");
namespace resnetc::cuda {
RESNETC_CUDA_DRIVER_FUNCTIONS(RESNETC_CHECK_FUNCTION)
RESNETC_CUDNN_FUNCTIONS(RESNETC_CHECK_FUNCTION)
} // namespace resnetc::cuda

#define RESNETC_CHECK_VALUE(name)                                              \
  static_assert(static_cast<long long>(ours::name) ==                          \
                    static_cast<long long>(::name),                            \
                #name " has another value in NVIDIA's header");

// Driver API.
RESNETC_CHECK_VALUE(CUDA_SUCCESS)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_VALUE)
RESNETC_CHECK_VALUE(CUDA_ERROR_OUT_OF_MEMORY)
RESNETC_CHECK_VALUE(CUDA_ERROR_NOT_INITIALIZED)
RESNETC_CHECK_VALUE(CUDA_ERROR_NO_DEVICE)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_DEVICE)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_IMAGE)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_CONTEXT)
RESNETC_CHECK_VALUE(CUDA_ERROR_NO_BINARY_FOR_GPU)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_PTX)
RESNETC_CHECK_VALUE(CUDA_ERROR_UNSUPPORTED_PTX_VERSION)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_HANDLE)
RESNETC_CHECK_VALUE(CUDA_ERROR_ILLEGAL_STATE)
RESNETC_CHECK_VALUE(CUDA_ERROR_NOT_FOUND)
RESNETC_CHECK_VALUE(CUDA_ERROR_NOT_READY)
RESNETC_CHECK_VALUE(CUDA_ERROR_ILLEGAL_ADDRESS)
RESNETC_CHECK_VALUE(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)
RESNETC_CHECK_VALUE(CUDA_ERROR_ILLEGAL_INSTRUCTION)
RESNETC_CHECK_VALUE(CUDA_ERROR_MISALIGNED_ADDRESS)
RESNETC_CHECK_VALUE(CUDA_ERROR_INVALID_ADDRESS_SPACE)
RESNETC_CHECK_VALUE(CUDA_ERROR_LAUNCH_FAILED)
RESNETC_CHECK_VALUE(CUDA_ERROR_NOT_SUPPORTED)
RESNETC_CHECK_VALUE(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED)
RESNETC_CHECK_VALUE(CUDA_ERROR_STREAM_CAPTURE_INVALIDATED)
RESNETC_CHECK_VALUE(CUDA_ERROR_UNKNOWN)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_WARP_SIZE)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
RESNETC_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
RESNETC_CHECK_VALUE(CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK)
RESNETC_CHECK_VALUE(CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES)
RESNETC_CHECK_VALUE(CU_FUNC_ATTRIBUTE_NUM_REGS)
RESNETC_CHECK_VALUE(CU_FUNC_ATTRIBUTE_PTX_VERSION)
RESNETC_CHECK_VALUE(CU_JIT_INFO_LOG_BUFFER)
RESNETC_CHECK_VALUE(CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES)
RESNETC_CHECK_VALUE(CU_JIT_ERROR_LOG_BUFFER)
RESNETC_CHECK_VALUE(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
RESNETC_CHECK_VALUE(CU_JIT_LOG_VERBOSE)
RESNETC_CHECK_VALUE(CU_STREAM_CAPTURE_MODE_GLOBAL)
RESNETC_CHECK_VALUE(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
RESNETC_CHECK_VALUE(CU_STREAM_CAPTURE_MODE_RELAXED)
static_assert(ours::kStreamNonBlocking == CU_STREAM_NON_BLOCKING);
static_assert(ours::kEventDisableTiming == CU_EVENT_DISABLE_TIMING);
static_assert(ours::kLaunchParamEnd == CU_LAUNCH_PARAM_END_AS_INT);
static_assert(ours::kLaunchParamBufferPointer ==
              CU_LAUNCH_PARAM_BUFFER_POINTER_AS_INT);
static_assert(ours::kLaunchParamBufferSize ==
              CU_LAUNCH_PARAM_BUFFER_SIZE_AS_INT);
static_assert(sizeof(ours::CUdeviceptr) == sizeof(::CUdeviceptr));
static_assert(sizeof(ours::CUdevice) == sizeof(::CUdevice));

// cuDNN.
RESNETC_CHECK_VALUE(CUDNN_STATUS_SUCCESS)
RESNETC_CHECK_VALUE(CUDNN_STATUS_NOT_INITIALIZED)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM_NULL_POINTER)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT)
RESNETC_CHECK_VALUE(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)
RESNETC_CHECK_VALUE(CUDNN_STATUS_NOT_SUPPORTED)
RESNETC_CHECK_VALUE(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)
RESNETC_CHECK_VALUE(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE)
RESNETC_CHECK_VALUE(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
RESNETC_CHECK_VALUE(CUDNN_STATUS_INTERNAL_ERROR)
RESNETC_CHECK_VALUE(CUDNN_STATUS_EXECUTION_FAILED)
RESNETC_CHECK_VALUE(CUDNN_DATA_FLOAT)
RESNETC_CHECK_VALUE(CUDNN_DATA_DOUBLE)
RESNETC_CHECK_VALUE(CUDNN_DATA_HALF)
RESNETC_CHECK_VALUE(CUDNN_DATA_INT8)
RESNETC_CHECK_VALUE(CUDNN_DATA_INT32)
RESNETC_CHECK_VALUE(CUDNN_DATA_BFLOAT16)
RESNETC_CHECK_VALUE(CUDNN_TENSOR_NCHW)
RESNETC_CHECK_VALUE(CUDNN_TENSOR_NHWC)
RESNETC_CHECK_VALUE(CUDNN_DEFAULT_MATH)
RESNETC_CHECK_VALUE(CUDNN_TENSOR_OP_MATH)
RESNETC_CHECK_VALUE(CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
RESNETC_CHECK_VALUE(CUDNN_FMA_MATH)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION)
RESNETC_CHECK_VALUE(CUDNN_CROSS_CORRELATION)
RESNETC_CHECK_VALUE(CUDNN_ACTIVATION_RELU)
RESNETC_CHECK_VALUE(CUDNN_ACTIVATION_IDENTITY)
RESNETC_CHECK_VALUE(CUDNN_NOT_PROPAGATE_NAN)
RESNETC_CHECK_VALUE(CUDNN_PROPAGATE_NAN)
RESNETC_CHECK_VALUE(CUDNN_NON_DETERMINISTIC)
RESNETC_CHECK_VALUE(CUDNN_DETERMINISTIC)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_GEMM)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_DIRECT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_FFT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_0)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_1)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING)
RESNETC_CHECK_VALUE(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)

/// Same size and field offsets as NVIDIA's struct.
#define RESNETC_CHECK_PERF(ours_t, real_t)                                     \
  static_assert(sizeof(ours::ours_t) == sizeof(::real_t));                     \
  static_assert(offsetof(ours::ours_t, algo) == offsetof(::real_t, algo));     \
  static_assert(offsetof(ours::ours_t, status) ==                              \
                offsetof(::real_t, status));                                   \
  static_assert(offsetof(ours::ours_t, time) == offsetof(::real_t, time));     \
  static_assert(offsetof(ours::ours_t, memory) ==                              \
                offsetof(::real_t, memory));                                   \
  static_assert(offsetof(ours::ours_t, determinism) ==                         \
                offsetof(::real_t, determinism));                              \
  static_assert(offsetof(ours::ours_t, mathType) ==                            \
                offsetof(::real_t, mathType));
RESNETC_CHECK_PERF(cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgoPerf_t)
RESNETC_CHECK_PERF(cudnnConvolutionBwdDataAlgoPerf_t,
                   cudnnConvolutionBwdDataAlgoPerf_t)
RESNETC_CHECK_PERF(cudnnConvolutionBwdFilterAlgoPerf_t,
                   cudnnConvolutionBwdFilterAlgoPerf_t)

// The checks above are static; this records that they were compiled.
TEST(CUDAApiTest, DeclarationsMatchNVIDIAHeaders) {
  EXPECT_EQ(CUDA_VERSION / 1000 >= 12, true);
  EXPECT_EQ(CUDNN_MAJOR, 9);
}
