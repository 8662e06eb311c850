//===- Driver.cpp - The simulated GPU's stand-in CUDA driver --------------===//
//
// The driver functions of include/resnetc/CUDA/DriverAPI.h over SimDevice:
// one device of compute capability $RESNETC_SIM_CC (default 9.0) whose
// driver reports CUDA $RESNETC_SIM_DRIVER (default 13000), modules parsed by
// the PTX interpreter, memory with checked accesses, lazily executed
// streams, events and graphs. Arguments are validated as the driver
// documents, and the same error codes are returned.
//
//===----------------------------------------------------------------------===//

#include "Exports.h"
#include "PTX/PTX.h"
#include "SimDevice.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

using namespace resnetc::cuda;
using namespace resnetc::cudasim;

namespace {

/// A loaded module.
struct SimModule {
  std::unique_ptr<ptx::Module> ptx;
  /// The functions handed out, by name.
  std::map<std::string, std::unique_ptr<struct SimFunction>> functions;
};

/// What the runtime declared of a launch's pointer parameters.
struct DeclaredArgument {
  uint64_t bytes = 0;
  std::string name;
};

struct SimFunction {
  SimModule *module = nullptr;
  const ptx::Kernel *kernel = nullptr;
  /// Declared launches, by their parameter buffer.
  std::map<std::vector<uint8_t>,
           std::shared_ptr<const std::vector<DeclaredArgument>>>
      declared;
};

/// An instantiated graph: a copy of the captured operations.
struct SimGraphExec {
  Graph graph;
};

/// The driver's state beside the device.
struct DriverState {
  bool initialized = false;
  int driverVersion = 13000;
  std::map<SimModule *, std::unique_ptr<SimModule>> modules;
  std::map<SimGraphExec *, std::unique_ptr<SimGraphExec>> graphExecs;
  int contextRefs = 0;
  char context = 0; ///< Its address is the primary context's handle.
};

DriverState &state() {
  static DriverState *s = [] {
    auto *d = new DriverState();
    if (const char *v = std::getenv("RESNETC_SIM_DRIVER"))
      if (int n = std::atoi(v); n > 0)
        d->driverVersion = n;
    return d;
  }();
  return *s;
}

SimDevice &device() { return SimDevice::get(); }

/// The lock every entry point holds.
#define RESNETC_SIM_LOCK                                                       \
  std::lock_guard<std::recursive_mutex> lock(device().mutex)

/// Locks, and fails calls before cuInit.
#define RESNETC_SIM_ENTER                                                      \
  RESNETC_SIM_LOCK;                                                            \
  if (!state().initialized)                                                    \
  return CUDA_ERROR_NOT_INITIALIZED

/// Fails calls before cuInit, and every call once the context has faulted.
#define RESNETC_SIM_READY                                                      \
  if (!state().initialized)                                                    \
    return CUDA_ERROR_NOT_INITIALIZED;                                         \
  if (device().stickyError != CUDA_SUCCESS)                                    \
    return device().stickyError;

SimFunction *getFunction(CUfunction f) {
  auto *fn = reinterpret_cast<SimFunction *>(f);
  for (auto &[m, owned] : state().modules)
    for (auto &[name, candidate] : owned->functions)
      if (candidate.get() == fn)
        return fn;
  return nullptr;
}

/// The allocation holding all of [address, address + bytes), or null.
Allocation *findRange(uint64_t address, uint64_t bytes) {
  Allocation *a = device().memory.find(address);
  if (!a || bytes > a->end - address)
    return nullptr;
  return a;
}

const std::pair<CUresult, std::pair<const char *, const char *>> kErrors[] = {
    {CUDA_SUCCESS, {"CUDA_SUCCESS", "no error"}},
    {CUDA_ERROR_INVALID_VALUE,
     {"CUDA_ERROR_INVALID_VALUE", "invalid argument"}},
    {CUDA_ERROR_OUT_OF_MEMORY, {"CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}},
    {CUDA_ERROR_NOT_INITIALIZED,
     {"CUDA_ERROR_NOT_INITIALIZED", "initialization error"}},
    {CUDA_ERROR_NO_DEVICE,
     {"CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"}},
    {CUDA_ERROR_INVALID_DEVICE,
     {"CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}},
    {CUDA_ERROR_INVALID_IMAGE,
     {"CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"}},
    {CUDA_ERROR_INVALID_CONTEXT,
     {"CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}},
    {CUDA_ERROR_NO_BINARY_FOR_GPU,
     {"CUDA_ERROR_NO_BINARY_FOR_GPU",
      "no kernel image is available for execution on the device"}},
    {CUDA_ERROR_INVALID_PTX,
     {"CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"}},
    {CUDA_ERROR_UNSUPPORTED_PTX_VERSION,
     {"CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
      "the provided PTX was compiled with an unsupported toolchain."}},
    {CUDA_ERROR_INVALID_HANDLE,
     {"CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}},
    {CUDA_ERROR_ILLEGAL_STATE,
     {"CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in "
                                  "the present state"}},
    {CUDA_ERROR_NOT_FOUND, {"CUDA_ERROR_NOT_FOUND", "named symbol not found"}},
    {CUDA_ERROR_NOT_READY, {"CUDA_ERROR_NOT_READY", "device not ready"}},
    {CUDA_ERROR_ILLEGAL_ADDRESS,
     {"CUDA_ERROR_ILLEGAL_ADDRESS",
      "an illegal memory access was encountered"}},
    {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES,
     {"CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
      "too many resources requested for launch"}},
    {CUDA_ERROR_ILLEGAL_INSTRUCTION,
     {"CUDA_ERROR_ILLEGAL_INSTRUCTION",
      "an illegal instruction was encountered"}},
    {CUDA_ERROR_MISALIGNED_ADDRESS,
     {"CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"}},
    {CUDA_ERROR_INVALID_ADDRESS_SPACE,
     {"CUDA_ERROR_INVALID_ADDRESS_SPACE",
      "operation not supported on global/shared address space"}},
    {CUDA_ERROR_LAUNCH_FAILED,
     {"CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"}},
    {CUDA_ERROR_NOT_SUPPORTED,
     {"CUDA_ERROR_NOT_SUPPORTED", "operation not supported"}},
    {CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED,
     {"CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
      "operation not permitted when stream is capturing"}},
    {CUDA_ERROR_STREAM_CAPTURE_INVALIDATED,
     {"CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
      "operation failed due to a previous error during capture"}},
    {CUDA_ERROR_UNKNOWN, {"CUDA_ERROR_UNKNOWN", "unknown error"}},
};

} // namespace

// The definitions redeclare Exports.h's declarations, so they have C
// linkage and are exported.
namespace resnetc::cuda {

//===----------------------------------------------------------------------===//
// Errors, initialization, devices and contexts
//===----------------------------------------------------------------------===//

CUresult cuGetErrorName(CUresult error, const char **pStr) {
  if (!pStr)
    return CUDA_ERROR_INVALID_VALUE;
  for (const auto &[code, names] : kErrors)
    if (code == error) {
      *pStr = names.first;
      return CUDA_SUCCESS;
    }
  *pStr = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuGetErrorString(CUresult error, const char **pStr) {
  if (!pStr)
    return CUDA_ERROR_INVALID_VALUE;
  for (const auto &[code, names] : kErrors)
    if (code == error) {
      *pStr = names.second;
      return CUDA_SUCCESS;
    }
  *pStr = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuInit(unsigned int Flags) {
  RESNETC_SIM_LOCK;
  if (Flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  state().initialized = true;
  return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int *driverVersion) {
  if (!driverVersion)
    return CUDA_ERROR_INVALID_VALUE;
  *driverVersion = state().driverVersion;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
  RESNETC_SIM_ENTER;
  if (!count)
    return CUDA_ERROR_INVALID_VALUE;
  *count = 1;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *dev, int ordinal) {
  RESNETC_SIM_ENTER;
  if (!dev)
    return CUDA_ERROR_INVALID_VALUE;
  if (ordinal != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *dev = 0;
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
  RESNETC_SIM_ENTER;
  if (!name || len <= 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  std::strncpy(name, device().name.c_str(), static_cast<size_t>(len) - 1);
  name[len - 1] = '\0';
  return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib,
                              CUdevice dev) {
  RESNETC_SIM_ENTER;
  if (!pi)
    return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  ptx::DeviceLimits limits;
  switch (attrib) {
  case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK:
    *pi = static_cast<int>(limits.maxThreadsPerBlock);
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X:
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y:
  case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z:
    *pi = static_cast<int>(
        limits.maxBlock[attrib - CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X]);
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X:
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y:
  case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z:
    *pi = static_cast<int>(
        limits.maxGrid[attrib - CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X]);
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK:
    *pi = static_cast<int>(limits.maxSharedPerBlock);
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_WARP_SIZE:
    *pi = 32;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
    *pi = 132;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *pi = device().ccMajor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *pi = device().ccMinor;
    return CUDA_SUCCESS;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
  RESNETC_SIM_ENTER;
  if (!bytes)
    return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *bytes = device().totalMemory;
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev) {
  RESNETC_SIM_ENTER;
  if (!pctx)
    return CUDA_ERROR_INVALID_VALUE;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  ++state().contextRefs;
  *pctx = reinterpret_cast<CUcontext>(&state().context);
  return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) {
  RESNETC_SIM_ENTER;
  if (dev != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (state().contextRefs == 0)
    return CUDA_ERROR_INVALID_CONTEXT;
  --state().contextRefs;
  return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext ctx) {
  RESNETC_SIM_ENTER;
  if (ctx && ctx != reinterpret_cast<CUcontext>(&state().context))
    return CUDA_ERROR_INVALID_CONTEXT;
  return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize() {
  RESNETC_SIM_ENTER;
  return device().drainAll();
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                            unsigned int numOptions, CUjit_option *options,
                            void **optionValues) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!module || !image || (numOptions && (!options || !optionValues)))
    return CUDA_ERROR_INVALID_VALUE;
  char *errorLog = nullptr;
  size_t errorLogSize = 0;
  for (unsigned i = 0; i < numOptions; ++i) {
    if (options[i] == CU_JIT_ERROR_LOG_BUFFER)
      errorLog = static_cast<char *>(optionValues[i]);
    else if (options[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)
      errorLogSize = reinterpret_cast<size_t>(optionValues[i]);
  }
  auto log = [&](const std::string &text) {
    if (errorLog && errorLogSize) {
      std::strncpy(errorLog, text.c_str(), errorLogSize - 1);
      errorLog[errorLogSize - 1] = '\0';
    }
  };
  std::string error;
  std::unique_ptr<ptx::Module> parsed =
      ptx::Module::parse(static_cast<const char *>(image), error);
  if (!parsed) {
    log("ptxas application ptx input, " + error);
    return CUDA_ERROR_INVALID_PTX;
  }
  // The PTX ISA versions this driver version compiles.
  int version = parsed->getVersion();
  int driver = state().driverVersion;
  int newest = driver >= 13000   ? 90
               : driver >= 12090 ? 88
               : driver >= 12080 ? 87
               : driver >= 12070 ? 86
               : driver >= 12000 ? 80 + (driver - 12000) / 10
                                 : 78;
  if (version > newest) {
    log("ptxas application ptx input: PTX ISA version " +
        std::to_string(version / 10) + "." + std::to_string(version % 10) +
        " is newer than this driver supports");
    return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
  }
  const std::string &target = parsed->getTarget();
  int sm = target.rfind("sm_", 0) == 0 ? std::atoi(target.c_str() + 3) : 0;
  int have = device().ccMajor * 10 + device().ccMinor;
  bool archSpecific = !target.empty() && target.back() == 'a';
  if (sm == 0 || (archSpecific ? sm != have : sm > have)) {
    log("ptxas application ptx input: the target " + target +
        " is not supported by this device (sm_" + std::to_string(have) + ")");
    return CUDA_ERROR_NO_BINARY_FOR_GPU;
  }
  auto m = std::make_unique<SimModule>();
  m->ptx = std::move(parsed);
  SimModule *handle = m.get();
  state().modules[handle] = std::move(m);
  *module = reinterpret_cast<CUmodule>(handle);
  return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule hmod) {
  RESNETC_SIM_ENTER;
  auto it = state().modules.find(reinterpret_cast<SimModule *>(hmod));
  if (it == state().modules.end())
    return CUDA_ERROR_INVALID_HANDLE;
  // Work still pending may run its kernels.
  device().drainAll();
  state().modules.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod,
                             const char *name) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!hfunc || !name)
    return CUDA_ERROR_INVALID_VALUE;
  auto it = state().modules.find(reinterpret_cast<SimModule *>(hmod));
  if (it == state().modules.end())
    return CUDA_ERROR_INVALID_HANDLE;
  SimModule &m = *it->second;
  auto &fn = m.functions[name];
  if (!fn) {
    const ptx::Kernel *kernel = m.ptx->getKernel(name);
    if (!kernel) {
      m.functions.erase(name);
      return CUDA_ERROR_NOT_FOUND;
    }
    fn = std::make_unique<SimFunction>();
    fn->module = &m;
    fn->kernel = kernel;
  }
  *hfunc = reinterpret_cast<CUfunction>(fn.get());
  return CUDA_SUCCESS;
}

CUresult cuFuncGetAttribute(int *pi, CUfunction_attribute attrib,
                            CUfunction hfunc) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!pi)
    return CUDA_ERROR_INVALID_VALUE;
  SimFunction *fn = getFunction(hfunc);
  if (!fn)
    return CUDA_ERROR_INVALID_HANDLE;
  switch (attrib) {
  case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: {
    std::array<unsigned, 3> m = fn->kernel->getMaxThreads();
    unsigned n = m[0] ? m[0] * std::max(m[1], 1u) * std::max(m[2], 1u)
                      : ptx::DeviceLimits().maxThreadsPerBlock;
    *pi = static_cast<int>(std::min(n, ptx::DeviceLimits().maxThreadsPerBlock));
    return CUDA_SUCCESS;
  }
  case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES:
    *pi = static_cast<int>(fn->kernel->getStaticSharedBytes());
    return CUDA_SUCCESS;
  case CU_FUNC_ATTRIBUTE_NUM_REGS:
    *pi = 32;
    return CUDA_SUCCESS;
  case CU_FUNC_ATTRIBUTE_PTX_VERSION:
    *pi = fn->module->ptx->getVersion();
    return CUDA_SUCCESS;
  }
  return CUDA_ERROR_INVALID_VALUE;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!free || !total)
    return CUDA_ERROR_INVALID_VALUE;
  *total = device().totalMemory;
  *free = device().totalMemory - device().memory.getAllocatedBytes();
  return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytesize) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!dptr || bytesize == 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (bytesize > device().totalMemory - device().memory.getAllocatedBytes())
    return CUDA_ERROR_OUT_OF_MEMORY;
  uint64_t p = device().memory.allocate(bytesize);
  if (!p)
    return CUDA_ERROR_OUT_OF_MEMORY;
  *dptr = p;
  return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr dptr) {
  RESNETC_SIM_ENTER;
  // Freeing waits for the work that may use the memory.
  device().drainAll();
  if (!device().memory.free(dptr))
    return CUDA_ERROR_INVALID_VALUE;
  return device().stickyError;
}

CUresult cuMemAllocHost_v2(void **pp, size_t bytesize) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!pp || bytesize == 0)
    return CUDA_ERROR_INVALID_VALUE;
  *pp = device().memory.allocateHost(bytesize);
  return *pp ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

CUresult cuMemFreeHost(void *p) {
  RESNETC_SIM_ENTER;
  device().drainAll();
  return device().memory.freeHost(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void *srcHost,
                              size_t ByteCount, CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (ByteCount == 0)
    return CUDA_SUCCESS;
  Allocation *dst = findRange(dstDevice, ByteCount);
  if (!srcHost || !dst)
    return CUDA_ERROR_INVALID_VALUE;
  std::string what =
      "cuMemcpyHtoDAsync of " + std::to_string(ByteCount) + " bytes";
  if (device().memory.isPinned(srcHost, ByteCount))
    // Pinned memory is read when the copy runs.
    return device().enqueue(
        stream, what,
        [dstDevice, srcHost, ByteCount]() -> std::optional<Fault> {
          Allocation *a = device().memory.find(dstDevice);
          if (!a || ByteCount > a->end - dstDevice)
            return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
                         "cuMemcpyHtoDAsync: the destination was freed"};
          std::memcpy(reinterpret_cast<void *>(dstDevice), srcHost, ByteCount);
          a->markWritten(dstDevice, ByteCount);
          return std::nullopt;
        });
  // Pageable memory is staged before the call returns.
  auto staged = std::make_shared<std::vector<uint8_t>>(
      static_cast<const uint8_t *>(srcHost),
      static_cast<const uint8_t *>(srcHost) + ByteCount);
  return device().enqueue(
      stream, what, [dstDevice, staged]() -> std::optional<Fault> {
        Allocation *a = device().memory.find(dstDevice);
        if (!a || staged->size() > a->end - dstDevice)
          return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
                       "cuMemcpyHtoDAsync: the destination was freed"};
        std::memcpy(reinterpret_cast<void *>(dstDevice), staged->data(),
                    staged->size());
        a->markWritten(dstDevice, staged->size());
        return std::nullopt;
      });
}

/// A device-to-host or device-to-device copy's read of `bytes` at `src`:
/// they must all have been written.
static std::optional<Fault> checkRead(const char *call, uint64_t src,
                                      uint64_t bytes) {
  Allocation *a = device().memory.find(src);
  if (!a || bytes > a->end - src)
    return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
                 std::string(call) + ": the source was freed"};
  if (a->isWritten(src, bytes))
    return std::nullopt;
  uint64_t first = src;
  while (a->isWritten(first, 1))
    ++first;
  const Region *r = a->findRegion(first);
  return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
               std::string(call) + " of " + std::to_string(bytes) +
                   " bytes reads memory that was never written, at offset " +
                   std::to_string(first - src) + " of the copy" +
                   (r ? " (in '" + r->name + "')" : "")};
}

CUresult cuMemcpyDtoHAsync_v2(void *dstHost, CUdeviceptr srcDevice,
                              size_t ByteCount, CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (ByteCount == 0)
    return CUDA_SUCCESS;
  if (!dstHost || !findRange(srcDevice, ByteCount))
    return CUDA_ERROR_INVALID_VALUE;
  auto copy = [dstHost, srcDevice, ByteCount]() -> std::optional<Fault> {
    if (std::optional<Fault> f =
            checkRead("cuMemcpyDtoHAsync", srcDevice, ByteCount))
      return f;
    std::memcpy(dstHost, reinterpret_cast<const void *>(srcDevice), ByteCount);
    return std::nullopt;
  };
  std::string what =
      "cuMemcpyDtoHAsync of " + std::to_string(ByteCount) + " bytes";
  if (device().memory.isPinned(dstHost, ByteCount))
    return device().enqueue(stream, what, copy);
  // Into pageable memory the copy completes before the call returns.
  if (stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  if (CUresult r = device().enqueue(stream, what, copy); r != CUDA_SUCCESS)
    return r;
  return device().drain(stream);
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                              size_t ByteCount, CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (ByteCount == 0)
    return CUDA_SUCCESS;
  if (!findRange(dstDevice, ByteCount) || !findRange(srcDevice, ByteCount))
    return CUDA_ERROR_INVALID_VALUE;
  return device().enqueue(
      stream, "cuMemcpyDtoDAsync of " + std::to_string(ByteCount) + " bytes",
      [dstDevice, srcDevice, ByteCount]() -> std::optional<Fault> {
        if (std::optional<Fault> f =
                checkRead("cuMemcpyDtoDAsync", srcDevice, ByteCount))
          return f;
        Allocation *a = device().memory.find(dstDevice);
        if (!a || ByteCount > a->end - dstDevice)
          return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
                       "cuMemcpyDtoDAsync: the destination was freed"};
        std::memmove(reinterpret_cast<void *>(dstDevice),
                     reinterpret_cast<const void *>(srcDevice), ByteCount);
        a->markWritten(dstDevice, ByteCount);
        return std::nullopt;
      });
}

CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N,
                          CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (N == 0)
    return CUDA_SUCCESS;
  if (dstDevice % 4 != 0 || N > SIZE_MAX / 4 || !findRange(dstDevice, N * 4))
    return CUDA_ERROR_INVALID_VALUE;
  return device().enqueue(
      stream, "cuMemsetD32Async of " + std::to_string(N) + " words",
      [dstDevice, ui, N]() -> std::optional<Fault> {
        Allocation *a = device().memory.find(dstDevice);
        if (!a || N * 4 > a->end - dstDevice)
          return Fault{CUDA_ERROR_ILLEGAL_ADDRESS,
                       "cuMemsetD32Async: the destination was freed"};
        auto *p = reinterpret_cast<uint32_t *>(dstDevice);
        std::fill(p, p + N, ui);
        a->markWritten(dstDevice, N * 4);
        return std::nullopt;
      });
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

CUresult cuStreamCreate(CUstream *phStream, unsigned int Flags) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!phStream || (Flags & ~kStreamNonBlocking))
    return CUDA_ERROR_INVALID_VALUE;
  *phStream = reinterpret_cast<CUstream>(device().createStream());
  return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream hStream) {
  RESNETC_SIM_ENTER;
  Stream *stream = device().getStream(hStream);
  if (!stream || stream->isDefault)
    return CUDA_ERROR_INVALID_HANDLE;
  device().destroyStream(stream);
  return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream hStream) {
  RESNETC_SIM_ENTER;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  return device().drain(stream);
}

CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent,
                           unsigned int Flags) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  auto *event = reinterpret_cast<Event *>(hEvent);
  if (!stream || !device().isEvent(event))
    return CUDA_ERROR_INVALID_HANDLE;
  if (Flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  return device().wait(stream, event);
}

CUresult cuEventCreate(CUevent *phEvent, unsigned int Flags) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!phEvent || (Flags & ~0x3u))
    return CUDA_ERROR_INVALID_VALUE;
  *phEvent = reinterpret_cast<CUevent>(
      device().createEvent(!(Flags & kEventDisableTiming)));
  return CUDA_SUCCESS;
}

CUresult cuEventDestroy_v2(CUevent hEvent) {
  RESNETC_SIM_ENTER;
  if (!device().destroyEvent(reinterpret_cast<Event *>(hEvent)))
    return CUDA_ERROR_INVALID_HANDLE;
  return CUDA_SUCCESS;
}

CUresult cuEventRecord(CUevent hEvent, CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  auto *event = reinterpret_cast<Event *>(hEvent);
  if (!stream || !device().isEvent(event))
    return CUDA_ERROR_INVALID_HANDLE;
  return device().record(event, stream);
}

CUresult cuEventSynchronize(CUevent hEvent) {
  RESNETC_SIM_ENTER;
  auto *event = reinterpret_cast<Event *>(hEvent);
  if (!device().isEvent(event))
    return CUDA_ERROR_INVALID_HANDLE;
  return device().drain(event);
}

CUresult cuEventElapsedTime(float *pMilliseconds, CUevent hStart,
                            CUevent hEnd) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  auto *start = reinterpret_cast<Event *>(hStart);
  auto *end = reinterpret_cast<Event *>(hEnd);
  if (!pMilliseconds)
    return CUDA_ERROR_INVALID_VALUE;
  if (!device().isEvent(start) || !device().isEvent(end))
    return CUDA_ERROR_INVALID_HANDLE;
  if (!start->timing || !end->timing)
    return CUDA_ERROR_INVALID_HANDLE;
  if (start->reached < start->recorded || end->reached < end->recorded ||
      !start->recorded || !end->recorded)
    return CUDA_ERROR_NOT_READY;
  *pMilliseconds = static_cast<float>(end->milliseconds - start->milliseconds);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Launches and graphs
//===----------------------------------------------------------------------===//

CUresult cuLaunchKernel(CUfunction f, unsigned int gridDimX,
                        unsigned int gridDimY, unsigned int gridDimZ,
                        unsigned int blockDimX, unsigned int blockDimY,
                        unsigned int blockDimZ, unsigned int sharedMemBytes,
                        CUstream hStream, void **kernelParams, void **extra) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  SimFunction *fn = getFunction(f);
  if (!fn)
    return CUDA_ERROR_INVALID_HANDLE;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  const ptx::Kernel &kernel = *fn->kernel;
  // The parameters, from one packed buffer (extra) or one pointer each.
  std::vector<uint8_t> params;
  if (kernelParams && extra)
    return CUDA_ERROR_INVALID_VALUE;
  if (extra) {
    const void *buffer = nullptr;
    const size_t *size = nullptr;
    for (size_t i = 0; extra[i] != reinterpret_cast<void *>(kLaunchParamEnd);
         i += 2) {
      if (extra[i] == reinterpret_cast<void *>(kLaunchParamBufferPointer))
        buffer = extra[i + 1];
      else if (extra[i] == reinterpret_cast<void *>(kLaunchParamBufferSize))
        size = static_cast<const size_t *>(extra[i + 1]);
      else
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (!buffer || !size)
      return CUDA_ERROR_INVALID_VALUE;
    params.assign(static_cast<const uint8_t *>(buffer),
                  static_cast<const uint8_t *>(buffer) + *size);
  } else {
    if (!kernelParams && !kernel.getParams().empty())
      return CUDA_ERROR_INVALID_VALUE;
    params.resize(kernel.getParamBytes());
    for (size_t i = 0; i < kernel.getParams().size(); ++i) {
      const ptx::KernelParam &p = kernel.getParams()[i];
      if (!kernelParams[i])
        return CUDA_ERROR_INVALID_VALUE;
      std::memcpy(params.data() + p.offset, kernelParams[i], p.size);
    }
  }
  ptx::Dim3 grid{gridDimX, gridDimY, gridDimZ};
  ptx::Dim3 block{blockDimX, blockDimY, blockDimZ};
  if (std::optional<Fault> fault = ptx::checkLaunch(
          kernel, grid, block, sharedMemBytes, params.size())) {
    std::fprintf(stderr, "cuda-sim: error: %s\n", fault->message.c_str());
    return fault->code;
  }
  std::shared_ptr<const std::vector<DeclaredArgument>> declared;
  if (auto it = fn->declared.find(params); it != fn->declared.end())
    declared = it->second;
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(params));
  const ptx::Kernel *k = &kernel;
  return device().enqueue(
      stream, "kernel " + kernel.getName(),
      [k, grid, block, sharedMemBytes, shared,
       declared]() -> std::optional<Fault> {
        AccessScope scope(device().memory, "kernel " + k->getName());
        // Every 8-byte parameter may be a buffer's address: the range the
        // runtime declared for it, or the region it points to.
        for (size_t i = 0; i < k->getParams().size(); ++i) {
          const ptx::KernelParam &p = k->getParams()[i];
          if (p.size != 8)
            continue;
          uint64_t value;
          std::memcpy(&value, shared->data() + p.offset, 8);
          if (declared && i < declared->size() && (*declared)[i].bytes)
            scope.allow(value, "parameter " + std::to_string(i),
                        (*declared)[i].bytes, (*declared)[i].name);
          else if (!declared)
            scope.allow(value, "parameter " + std::to_string(i));
        }
        return ptx::run(*k, grid, block, sharedMemBytes, shared->data(), scope);
      });
}

CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (mode != CU_STREAM_CAPTURE_MODE_GLOBAL &&
      mode != CU_STREAM_CAPTURE_MODE_THREAD_LOCAL &&
      mode != CU_STREAM_CAPTURE_MODE_RELAXED)
    return CUDA_ERROR_INVALID_VALUE;
  return device().beginCapture(stream);
}

CUresult cuStreamEndCapture(CUstream hStream, CUgraph *phGraph) {
  RESNETC_SIM_ENTER;
  Stream *stream = device().getStream(hStream);
  if (!stream)
    return CUDA_ERROR_INVALID_HANDLE;
  if (!phGraph)
    return CUDA_ERROR_INVALID_VALUE;
  Graph *graph = nullptr;
  CUresult r = device().endCapture(stream, &graph);
  *phGraph = reinterpret_cast<CUgraph>(graph);
  return r;
}

CUresult cuGraphInstantiateWithFlags(CUgraphExec *phGraphExec, CUgraph hGraph,
                                     unsigned long long flags) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  auto *graph = reinterpret_cast<Graph *>(hGraph);
  if (!phGraphExec || flags != 0)
    return CUDA_ERROR_INVALID_VALUE;
  if (!device().isGraph(graph))
    return CUDA_ERROR_INVALID_HANDLE;
  auto exec = std::make_unique<SimGraphExec>();
  exec->graph = *graph;
  SimGraphExec *handle = exec.get();
  state().graphExecs[handle] = std::move(exec);
  *phGraphExec = reinterpret_cast<CUgraphExec>(handle);
  return CUDA_SUCCESS;
}

CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  auto it =
      state().graphExecs.find(reinterpret_cast<SimGraphExec *>(hGraphExec));
  Stream *stream = device().getStream(hStream);
  if (it == state().graphExecs.end() || !stream)
    return CUDA_ERROR_INVALID_HANDLE;
  return device().launch(&it->second->graph, stream);
}

CUresult cuGraphExecDestroy(CUgraphExec hGraphExec) {
  RESNETC_SIM_ENTER;
  auto it =
      state().graphExecs.find(reinterpret_cast<SimGraphExec *>(hGraphExec));
  if (it == state().graphExecs.end())
    return CUDA_ERROR_INVALID_HANDLE;
  state().graphExecs.erase(it);
  return CUDA_SUCCESS;
}

CUresult cuGraphDestroy(CUgraph hGraph) {
  RESNETC_SIM_ENTER;
  auto *graph = reinterpret_cast<Graph *>(hGraph);
  if (!device().isGraph(graph))
    return CUDA_ERROR_INVALID_HANDLE;
  device().destroyGraph(graph);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// The simulator's extension
//===----------------------------------------------------------------------===//

CUresult resnetcSimAnnotateRegion(CUdeviceptr dptr, size_t bytes,
                                  const char *name) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  if (!name || bytes == 0)
    return CUDA_ERROR_INVALID_VALUE;
  return device().memory.annotate(dptr, bytes, name) ? CUDA_SUCCESS
                                                     : CUDA_ERROR_INVALID_VALUE;
}

CUresult resnetcSimDeclareLaunch(CUfunction f, const void *params,
                                 size_t paramBytes, unsigned count,
                                 const size_t *bytes,
                                 const char *const *names) {
  RESNETC_SIM_LOCK;
  RESNETC_SIM_READY;
  SimFunction *fn = getFunction(f);
  if (!fn)
    return CUDA_ERROR_INVALID_HANDLE;
  if ((paramBytes && !params) || (count && (!bytes || !names)) ||
      count != fn->kernel->getParams().size())
    return CUDA_ERROR_INVALID_VALUE;
  auto args = std::make_shared<std::vector<DeclaredArgument>>(count);
  for (unsigned i = 0; i < count; ++i)
    (*args)[i] = {bytes[i], names[i] ? names[i] : ""};
  const auto *p = static_cast<const uint8_t *>(params);
  fn->declared[std::vector<uint8_t>(p, p + paramBytes)] = std::move(args);
  return CUDA_SUCCESS;
}

} // namespace resnetc::cuda
