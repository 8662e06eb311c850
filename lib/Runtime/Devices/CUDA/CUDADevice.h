//===- CUDADevice.h - The CUDA device ---------------------------*- C++ -*-===//
//
// Runs CUDA artifacts (PTX with the plan) on an NVIDIA GPU through the
// driver API and cuDNN, both loaded with dlopen; with --device=cuda-sim the
// same code runs over the simulated GPU's stand-in libraries.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDADEVICE_H
#define RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDADEVICE_H

#include "resnetc/Runtime/Device.h"

namespace resnetc::runtime {

/// The CUDA device `options` describe (kind "cuda" or "cuda-sim").
Expected<std::unique_ptr<Device>>
createCUDADevice(const DeviceOptions &options);

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDADEVICE_H
