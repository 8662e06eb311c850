//===- PTXTestSupport.h - Helpers for the PTX interpreter's tests -*- C++ -*-//
//
// Building small PTX kernels around a body, device buffers filled from host
// vectors, parameter buffers, and launches through an AccessScope, so that
// a test states a kernel, its inputs and the results it expects (computed
// by the test in plain C++).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TEST_CUDASIM_PTXTESTSUPPORT_H
#define RESNETC_TEST_CUDASIM_PTXTESTSUPPORT_H

#include "Memory.h"
#include "PTX/PTX.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace resnetc::cudasim::ptx::test {

/// A module of the given text; fails the test (returning null) when it
/// does not parse.
inline std::unique_ptr<Module> parseOrFail(const std::string &text) {
  std::string error;
  std::unique_ptr<Module> m = Module::parse(text, error);
  EXPECT_TRUE(m) << error << "\n" << text;
  return m;
}

/// The parser's error for `text` ("" when it parses).
inline std::string parseError(const std::string &text) {
  std::string error;
  std::unique_ptr<Module> m = Module::parse(text, error);
  if (m)
    return "";
  return error;
}

/// A module with one kernel `k`, its parameters `params` (".param .u64
/// k_param_0, ..."), `.maxntid` if given, and `body` (declarations and
/// instructions).
inline std::string kernelText(const std::string &params,
                              const std::string &body,
                              const std::string &directives = "",
                              const std::string &target = "sm_90a") {
  return ".version 8.0\n.target " + target +
         "\n.address_size 64\n\n.visible .entry k(\n" + params + "\n)\n" +
         directives + "\n{\n" + body + "\n}\n";
}

/// Launches of one kernel over device buffers.
class Launcher {
public:
  /// A device buffer holding `values`; returns its address.
  template <typename T> uint64_t buffer(const std::vector<T> &values) {
    uint64_t address = memory.allocate(values.size() * sizeof(T));
    Allocation *a = memory.find(address);
    a->markWritten(address, values.size() * sizeof(T));
    std::memcpy(reinterpret_cast<void *>(address), values.data(),
                values.size() * sizeof(T));
    addresses.push_back(address);
    return address;
  }
  /// A device buffer of `count` T never written.
  template <typename T> uint64_t output(size_t count) {
    uint64_t address = memory.allocate(count * sizeof(T));
    addresses.push_back(address);
    return address;
  }
  template <typename T> std::vector<T> read(uint64_t address, size_t count) {
    std::vector<T> values(count);
    std::memcpy(values.data(), reinterpret_cast<const void *>(address),
                count * sizeof(T));
    return values;
  }

  /// Appends a parameter, aligned to its size.
  template <typename T> void param(T value) {
    size_t at = (params.size() + sizeof(T) - 1) / sizeof(T) * sizeof(T);
    params.resize(at + sizeof(T));
    std::memcpy(params.data() + at, &value, sizeof(T));
  }

  /// Runs `kernel` with the parameters appended so far; every buffer made
  /// is allowed.
  std::optional<Fault> run(const Kernel &kernel, Dim3 grid, Dim3 block,
                           unsigned dynamicShared = 0,
                           RunStats *stats = nullptr) {
    AccessScope scope(memory, "kernel " + kernel.getName());
    for (size_t i = 0; i < addresses.size(); ++i)
      scope.allow(addresses[i], "buffer " + std::to_string(i));
    return ptx::run(kernel, grid, block, dynamicShared, params.data(), scope,
                    stats);
  }

  DeviceMemory memory;
  std::vector<uint64_t> addresses;
  std::vector<uint8_t> params;
};

inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline double bitsToDouble(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}
inline uint64_t doubleToBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

} // namespace resnetc::cudasim::ptx::test

#endif // RESNETC_TEST_CUDASIM_PTXTESTSUPPORT_H
