//===- Device.cpp - The runtime's device interface ------------------------===//
//
// See Device.h: the devices by kind.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Device.h"
#include "Devices/CPU/CPUDevice.h"
#include "Devices/CUDA/CUDADevice.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/PTXArtifact.h"

#include <cstring>

using namespace resnetc::runtime;

Executable::~Executable() = default;
Device::~Device() = default;

Expected<std::unique_ptr<Device>>
resnetc::runtime::createDevice(const DeviceOptions &options) {
  if (options.kind == "cpu")
    return createCPUDevice(options);
  if (options.kind == "cuda" || options.kind == "cuda-sim")
    return createCUDADevice(options);
  return Error("unknown device '" + options.kind +
               "': use cpu, cuda or cuda-sim");
}

std::string resnetc::runtime::getArtifactDeviceKind(const std::string &path) {
  // InputFile neither blocks on a FIFO nor reads a device; what it refuses
  // the CPU device's loader reports.
  Expected<InputFile> file = InputFile::open(path);
  size_t n = std::strlen(kPTXPlanBegin);
  char head[32] = {};
  if (!file || file->getSize() < n || !file->readAt(0, head, n))
    return "cpu";
  return std::memcmp(head, kPTXPlanBegin, n) == 0 ? "cuda" : "cpu";
}
