// Placeholder: to be written.
#include "CUDADevice.h"
using namespace resnetc::runtime;
Expected<std::unique_ptr<Device>>
resnetc::runtime::createCUDADevice(const DeviceOptions &options) {
  return Error("the CUDA device is not written yet");
}
