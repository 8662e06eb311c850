//===- CUDALibraries.cpp - The CUDA driver and cuDNN, loaded at run time --===//
//
// See CUDALibraries.h.
//
//===----------------------------------------------------------------------===//

#include "CUDALibraries.h"

#include <dlfcn.h>

using namespace resnetc::runtime;
using namespace resnetc::cuda;

/// dlopen's own explanation of the last failure.
static std::string dlopenError() {
  const char *why = dlerror();
  return why ? why : "unknown error";
}

Expected<std::unique_ptr<DriverLibrary>>
DriverLibrary::load(const std::string &path) {
  auto lib = std::make_unique<DriverLibrary>();
  lib->path = path;
  lib->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle)
    return Error("cannot load the CUDA driver (" + dlopenError() + ")");
#define RESNETC_RESOLVE(name, ret, params)                                     \
  lib->name = reinterpret_cast<ret(*) params>(dlsym(lib->handle, #name));      \
  if (!lib->name)                                                              \
    return Error(path + ": the CUDA driver lacks " #name                       \
                        "; it is older than CUDA 12 (update the driver)");
  RESNETC_CUDA_DRIVER_FUNCTIONS(RESNETC_RESOLVE)
#undef RESNETC_RESOLVE
  lib->annotateRegion = reinterpret_cast<AnnotateRegionFn>(
      dlsym(lib->handle, RESNETC_CUDA_SIM_ANNOTATE));
  lib->declareLaunch = reinterpret_cast<DeclareLaunchFn>(
      dlsym(lib->handle, RESNETC_CUDA_SIM_DECLARE_LAUNCH));
  return lib;
}

DriverLibrary::~DriverLibrary() {
  // The driver stays loaded: CUDA registers exit handlers that must find it.
}

std::string DriverLibrary::describe(CUresult result) const {
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = nullptr;
  if (cuGetErrorString(result, &text) != CUDA_SUCCESS || !text)
    text = nullptr;
  std::string out = name ? name : "CUDA error " + std::to_string(result);
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

Expected<std::unique_ptr<CuDNNLibrary>>
CuDNNLibrary::load(const std::string &path) {
  auto lib = std::make_unique<CuDNNLibrary>();
  lib->path = path;
  lib->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle)
    return Error("cannot load cuDNN (" + dlopenError() + ")");
#define RESNETC_RESOLVE(name, ret, params)                                     \
  lib->name = reinterpret_cast<ret(*) params>(dlsym(lib->handle, #name));      \
  if (!lib->name)                                                              \
    return Error(path + ": cuDNN lacks " #name "; install cuDNN 9");
  RESNETC_CUDNN_FUNCTIONS(RESNETC_RESOLVE)
#undef RESNETC_RESOLVE
  return lib;
}

CuDNNLibrary::~CuDNNLibrary() {}

std::string CuDNNLibrary::describe(cudnnStatus_t status) const {
  std::string out = cudnnGetErrorString(status);
  char detail[1024] = {};
  cudnnGetLastErrorString(detail, sizeof(detail));
  if (detail[0])
    out += std::string(": ") + detail;
  return out;
}
