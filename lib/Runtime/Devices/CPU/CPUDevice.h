//===- CPUDevice.h - The CPU device -----------------------------*- C++ -*-===//
//
// Runs CPU artifacts (shared libraries built by resnetc --target=cpu): host
// memory, copies as memcpy, and per-image steps split image by image over a
// pool of threads.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CPU_CPUDEVICE_H
#define RESNETC_LIB_RUNTIME_DEVICES_CPU_CPUDEVICE_H

#include "resnetc/Runtime/Device.h"

namespace resnetc::runtime {

/// The CPU device with `options.threads` workers (0: every core).
Expected<std::unique_ptr<Device>> createCPUDevice(const DeviceOptions &options);

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CPU_CPUDEVICE_H
