//===- Device.cpp - The runtime's device interface ------------------------===//
//
// See Device.h: the devices by kind.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Device.h"
#include "Devices/CPU/CPUDevice.h"
#include "Devices/CUDA/CUDADevice.h"
#include "resnetc/Runtime/PTXArtifact.h"

#include <cstdio>
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
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return "cpu";
  char head[32] = {};
  size_t n = std::fread(head, 1, std::strlen(kPTXPlanBegin), f);
  std::fclose(f);
  return n == std::strlen(kPTXPlanBegin) &&
                 std::memcmp(head, kPTXPlanBegin, n) == 0
             ? "cuda"
             : "cpu";
}
