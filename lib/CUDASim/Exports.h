//===- Exports.h - The functions the simulated GPU exports ------*- C++ -*-===//
//
// Declares, from the lists in include/resnetc/CUDA/*API.h, every driver and
// cuDNN function the stand-in library defines, with C linkage and default
// visibility (the library hides everything else). A definition whose
// signature differs from the list does not compile.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_EXPORTS_H
#define RESNETC_LIB_CUDASIM_EXPORTS_H

#include "resnetc/CUDA/CuDNNAPI.h"
#include "resnetc/CUDA/DriverAPI.h"

namespace resnetc::cuda {
extern "C" {
#define RESNETC_SIM_DECLARE(name, ret, params)                                 \
  __attribute__((visibility("default"))) ret name params;
RESNETC_CUDA_DRIVER_FUNCTIONS(RESNETC_SIM_DECLARE)
RESNETC_CUDNN_FUNCTIONS(RESNETC_SIM_DECLARE)
#undef RESNETC_SIM_DECLARE

/// See RESNETC_CUDA_SIM_ANNOTATE and RESNETC_CUDA_SIM_DECLARE_LAUNCH in
/// DriverAPI.h.
__attribute__((visibility("default"))) CUresult
resnetcSimAnnotateRegion(CUdeviceptr dptr, size_t bytes, const char *name);
__attribute__((visibility("default"))) CUresult
resnetcSimDeclareLaunch(CUfunction f, const void *params, size_t paramBytes,
                        unsigned count, const size_t *bytes,
                        const char *const *names);
}
} // namespace resnetc::cuda

#endif // RESNETC_LIB_CUDASIM_EXPORTS_H
