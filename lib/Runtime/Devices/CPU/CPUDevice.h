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

#include <functional>
#include <optional>

namespace resnetc::runtime {

/// The CPU device with `options.threads` workers (0: every core).
Expected<std::unique_ptr<Device>> createCPUDevice(const DeviceOptions &options);

/// Whether this CPU has the extension `name`, one of
/// getCheckedCPUFeatures(); none for another name (or on a CPU other than
/// x86-64).
std::optional<bool> hostHasCPUFeature(const std::string &name);

/// Checks that a CPU for which `has` tells its extensions has every one the
/// CPU plan `plan` (of the artifact `path`) records; the error names those
/// it lacks and how to recompile.
Status checkCPUFeatures(
    const Plan &plan, const std::string &path,
    const std::function<std::optional<bool>(const std::string &)> &has);

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CPU_CPUDEVICE_H
