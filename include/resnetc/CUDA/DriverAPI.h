//===- DriverAPI.h - The subset of CUDA's driver API resnetc uses -*- C++
//-*-===//
//
// Types, constants and function signatures of the CUDA driver API functions
// the runtime's CUDA device calls, with the ABI of NVIDIA's cuda.h (CUDA 12
// and 13): the runtime loads libcuda.so.1 with dlopen and resolves these by
// name, so it builds and starts on a machine without CUDA, and the
// simulated GPU (lib/CUDASim) exports the same functions. Names are the
// exported symbols (`cuMemAlloc_v2`, not the `cuMemAlloc` macro). A unit test
// checks every signature and value against the real header where one is
// installed (test/Runtime/CUDAApiTest.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_CUDA_DRIVERAPI_H
#define RESNETC_CUDA_DRIVERAPI_H

#include <cstddef>

namespace resnetc::cuda {

using CUdeviceptr = unsigned long long;
using CUdevice = int;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

enum CUresult : int {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_NOT_INITIALIZED = 3,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_DEVICE = 101,
  CUDA_ERROR_INVALID_IMAGE = 200,
  CUDA_ERROR_INVALID_CONTEXT = 201,
  CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
  CUDA_ERROR_INVALID_HANDLE = 400,
  CUDA_ERROR_ILLEGAL_STATE = 401,
  CUDA_ERROR_NOT_FOUND = 500,
  CUDA_ERROR_NOT_READY = 600,
  CUDA_ERROR_ILLEGAL_ADDRESS = 700,
  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
  CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
  CUDA_ERROR_MISALIGNED_ADDRESS = 716,
  CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
  CUDA_ERROR_LAUNCH_FAILED = 719,
  CUDA_ERROR_NOT_SUPPORTED = 801,
  CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
  CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
  CUDA_ERROR_UNKNOWN = 999,
};

enum CUdevice_attribute : int {
  CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
  CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
  CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
  CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
  CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

enum CUfunction_attribute : int {
  CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
  CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
  CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
  CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
};

enum CUjit_option : int {
  CU_JIT_INFO_LOG_BUFFER = 3,
  CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
  CU_JIT_LOG_VERBOSE = 12,
};

enum CUstreamCaptureMode : int {
  CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

/// Flags of cuStreamCreate and cuEventCreate.
constexpr unsigned kStreamNonBlocking = 0x1;  // CU_STREAM_NON_BLOCKING
constexpr unsigned kEventDisableTiming = 0x2; // CU_EVENT_DISABLE_TIMING

/// Markers of cuLaunchKernel's `extra` array (CU_LAUNCH_PARAM_*, which
/// cuda.h defines as macros): the kernel's parameters as one buffer laid
/// out as the kernel declares them.
constexpr size_t kLaunchParamEnd = 0x00;
constexpr size_t kLaunchParamBufferPointer = 0x01;
constexpr size_t kLaunchParamBufferSize = 0x02;

/// X(name, return type, parameter list) for every driver function the
/// runtime calls.
#define RESNETC_CUDA_DRIVER_FUNCTIONS(X)                                       \
  X(cuGetErrorName, CUresult, (CUresult error, const char **pStr))             \
  X(cuGetErrorString, CUresult, (CUresult error, const char **pStr))           \
  X(cuInit, CUresult, (unsigned int Flags))                                    \
  X(cuDriverGetVersion, CUresult, (int *driverVersion))                        \
  X(cuDeviceGetCount, CUresult, (int *count))                                  \
  X(cuDeviceGet, CUresult, (CUdevice * device, int ordinal))                   \
  X(cuDeviceGetName, CUresult, (char *name, int len, CUdevice dev))            \
  X(cuDeviceGetAttribute, CUresult,                                            \
    (int *pi, CUdevice_attribute attrib, CUdevice dev))                        \
  X(cuDeviceTotalMem_v2, CUresult, (size_t * bytes, CUdevice dev))             \
  X(cuDevicePrimaryCtxRetain, CUresult, (CUcontext * pctx, CUdevice dev))      \
  X(cuDevicePrimaryCtxRelease_v2, CUresult, (CUdevice dev))                    \
  X(cuCtxSetCurrent, CUresult, (CUcontext ctx))                                \
  X(cuCtxSynchronize, CUresult, ())                                            \
  X(cuModuleLoadDataEx, CUresult,                                              \
    (CUmodule * module, const void *image, unsigned int numOptions,            \
     CUjit_option *options, void **optionValues))                              \
  X(cuModuleUnload, CUresult, (CUmodule hmod))                                 \
  X(cuModuleGetFunction, CUresult,                                             \
    (CUfunction * hfunc, CUmodule hmod, const char *name))                     \
  X(cuFuncGetAttribute, CUresult,                                              \
    (int *pi, CUfunction_attribute attrib, CUfunction hfunc))                  \
  X(cuMemGetInfo_v2, CUresult, (size_t * free, size_t * total))                \
  X(cuMemAlloc_v2, CUresult, (CUdeviceptr * dptr, size_t bytesize))            \
  X(cuMemFree_v2, CUresult, (CUdeviceptr dptr))                                \
  X(cuMemAllocHost_v2, CUresult, (void **pp, size_t bytesize))                 \
  X(cuMemFreeHost, CUresult, (void *p))                                        \
  X(cuMemcpyHtoDAsync_v2, CUresult,                                            \
    (CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount,             \
     CUstream hStream))                                                        \
  X(cuMemcpyDtoHAsync_v2, CUresult,                                            \
    (void *dstHost, CUdeviceptr srcDevice, size_t ByteCount,                   \
     CUstream hStream))                                                        \
  X(cuMemcpyDtoDAsync_v2, CUresult,                                            \
    (CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount,           \
     CUstream hStream))                                                        \
  X(cuMemsetD32Async, CUresult,                                                \
    (CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream))      \
  X(cuStreamCreate, CUresult, (CUstream * phStream, unsigned int Flags))       \
  X(cuStreamDestroy_v2, CUresult, (CUstream hStream))                          \
  X(cuStreamSynchronize, CUresult, (CUstream hStream))                         \
  X(cuStreamWaitEvent, CUresult,                                               \
    (CUstream hStream, CUevent hEvent, unsigned int Flags))                    \
  X(cuEventCreate, CUresult, (CUevent * phEvent, unsigned int Flags))          \
  X(cuEventDestroy_v2, CUresult, (CUevent hEvent))                             \
  X(cuEventRecord, CUresult, (CUevent hEvent, CUstream hStream))               \
  X(cuEventSynchronize, CUresult, (CUevent hEvent))                            \
  X(cuEventElapsedTime, CUresult,                                              \
    (float *pMilliseconds, CUevent hStart, CUevent hEnd))                      \
  X(cuLaunchKernel, CUresult,                                                  \
    (CUfunction f, unsigned int gridDimX, unsigned int gridDimY,               \
     unsigned int gridDimZ, unsigned int blockDimX, unsigned int blockDimY,    \
     unsigned int blockDimZ, unsigned int sharedMemBytes, CUstream hStream,    \
     void **kernelParams, void **extra))                                       \
  X(cuStreamBeginCapture_v2, CUresult,                                         \
    (CUstream hStream, CUstreamCaptureMode mode))                              \
  X(cuStreamEndCapture, CUresult, (CUstream hStream, CUgraph * phGraph))       \
  X(cuGraphInstantiateWithFlags, CUresult,                                     \
    (CUgraphExec * phGraphExec, CUgraph hGraph, unsigned long long flags))     \
  X(cuGraphLaunch, CUresult, (CUgraphExec hGraphExec, CUstream hStream))       \
  X(cuGraphExecDestroy, CUresult, (CUgraphExec hGraphExec))                    \
  X(cuGraphDestroy, CUresult, (CUgraph hGraph))

/// The simulated GPU's extensions (absent from NVIDIA's driver), resolved
/// with dlsym; the runtime calls them only where they exist.
///
/// resnetcSimAnnotateRegion names the region [dptr, dptr + bytes) of an
/// allocation (a buffer of an arena; buffers that are never alive together
/// may overlap), so that kernels and cuDNN calls are checked to stay within
/// the region starting where they are passed a pointer, not merely within
/// the allocation.
#define RESNETC_CUDA_SIM_ANNOTATE "resnetcSimAnnotateRegion"
using AnnotateRegionFn = CUresult (*)(CUdeviceptr dptr, size_t bytes,
                                      const char *name);
/// resnetcSimDeclareLaunch declares, for every launch of `f` whose
/// parameter buffer is exactly `params` (`paramBytes` bytes), how many bytes
/// its pointer parameter `i` may access (`bytes[i]`, 0 for scalars) and the
/// buffer it points to (`names[i]`): such a launch is checked against
/// exactly those ranges, as the plan states them.
#define RESNETC_CUDA_SIM_DECLARE_LAUNCH "resnetcSimDeclareLaunch"
using DeclareLaunchFn = CUresult (*)(CUfunction f, const void *params,
                                     size_t paramBytes, unsigned count,
                                     const size_t *bytes,
                                     const char *const *names);

} // namespace resnetc::cuda

#endif // RESNETC_CUDA_DRIVERAPI_H
