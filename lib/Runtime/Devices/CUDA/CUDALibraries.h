//===- CUDALibraries.h - The CUDA driver and cuDNN, loaded at run time -*- C++
//-*-===//
//
// The functions of include/resnetc/CUDA/*API.h resolved with dlsym from
// libraries opened with dlopen, so that the runtime builds and starts where
// CUDA is absent and says so clearly when asked to run on a GPU. The same
// tables load the simulated GPU's stand-in library.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDALIBRARIES_H
#define RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDALIBRARIES_H

#include "resnetc/CUDA/CuDNNAPI.h"
#include "resnetc/CUDA/DriverAPI.h"
#include "resnetc/Runtime/Status.h"

#include <memory>
#include <string>

namespace resnetc::runtime {

// The API lists name their types unqualified.
using namespace resnetc::cuda;

/// The CUDA driver API.
struct DriverLibrary {
  std::string path;
  void *handle = nullptr;
#define RESNETC_DECLARE(name, ret, params) ret(*name) params = nullptr;
  RESNETC_CUDA_DRIVER_FUNCTIONS(RESNETC_DECLARE)
#undef RESNETC_DECLARE
  /// The simulated GPU's extensions; null for NVIDIA's driver.
  cuda::AnnotateRegionFn annotateRegion = nullptr;
  cuda::DeclareLaunchFn declareLaunch = nullptr;

  /// Opens `path` and resolves every function; fails naming what is
  /// missing.
  static Expected<std::unique_ptr<DriverLibrary>> load(const std::string &path);
  ~DriverLibrary();

  /// "CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was
  /// encountered)".
  std::string describe(cuda::CUresult result) const;
};

/// cuDNN.
struct CuDNNLibrary {
  std::string path;
  void *handle = nullptr;
#define RESNETC_DECLARE(name, ret, params) ret(*name) params = nullptr;
  RESNETC_CUDNN_FUNCTIONS(RESNETC_DECLARE)
#undef RESNETC_DECLARE

  static Expected<std::unique_ptr<CuDNNLibrary>> load(const std::string &path);
  ~CuDNNLibrary();

  /// "CUDNN_STATUS_NOT_SUPPORTED: <cuDNN's last error message>".
  std::string describe(cuda::cudnnStatus_t status) const;
};

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDALIBRARIES_H
