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

/// One input of an elementwise test kernel: its PTX type and values.
struct Input {
  std::string type; ///< ".f32", ".u32", ".bf16" (held as uint16_t), ...
  unsigned size = 0;
  std::vector<uint8_t> bytes;
  size_t count() const { return bytes.size() / size; }
};
template <typename T> Input in(const std::string &type, std::vector<T> v) {
  Input i;
  i.type = type;
  i.size = sizeof(T);
  i.bytes.resize(v.size() * sizeof(T));
  std::memcpy(i.bytes.data(), v.data(), i.bytes.size());
  return i;
}

/// The register type holding a value of `type` (bf16 in .b16).
inline std::string regType(const std::string &type) {
  return type == ".bf16" ? ".b16" : type;
}

/// A kernel running `code` once per element, one thread each: element i
/// of input j is loaded into %aj, and `code` leaves the result in %d (of
/// type `out`), stored as element i of the output. %p1..%p7, %r10..%r19
/// and %rd40..%rd49 are free for `code`.
inline std::string elementwiseKernel(const std::string &code,
                                     const std::vector<Input> &inputs,
                                     const std::string &out, size_t n) {
  std::string params, body;
  for (size_t j = 0; j <= inputs.size(); ++j)
    params += std::string(j ? ",\n" : "") + "\t.param .u64 k_param_" +
              std::to_string(j);
  body += "\t.reg .pred %p<8>;\n\t.reg .b32 %r<20>;\n\t.reg .b64 "
          "%rd<50>;\n";
  for (size_t j = 0; j < inputs.size(); ++j)
    body +=
        "\t.reg " + regType(inputs[j].type) + " %a" + std::to_string(j) + ";\n";
  body += "\t.reg " + regType(out) + " %d;\n";
  body += "\tmov.u32 %r1, %tid.x;\n\tmov.u32 %r2, %ctaid.x;\n"
          "\tmov.u32 %r3, %ntid.x;\n\tmad.lo.s32 %r1, %r2, %r3, %r1;\n"
          "\tsetp.ge.u32 %p0, %r1, " +
          std::to_string(n) + ";\n\t@%p0 bra $L__done;\n";
  auto address = [&](size_t j, unsigned size) {
    std::string p = std::to_string(j), a = std::to_string(20 + j);
    return "\tld.param.u64 %rd" + p + ", [k_param_" + p +
           "];\n\tcvta.to.global.u64 %rd" + p + ", %rd" + p +
           ";\n\tmul.wide.u32 %rd10, %r1, " + std::to_string(size) +
           ";\n\tadd.s64 %rd" + a + ", %rd" + p + ", %rd10;\n";
  };
  for (size_t j = 0; j < inputs.size(); ++j) {
    body += address(j, inputs[j].size);
    body += "\tld.global" + regType(inputs[j].type) + " %a" +
            std::to_string(j) + ", [%rd" + std::to_string(20 + j) + "];\n";
  }
  body += code + "\n";
  unsigned outSize = out == ".pred" ? 1 : 0;
  for (const char *t : {".b16", ".u16", ".s16", ".bf16"})
    if (out == t)
      outSize = 2;
  for (const char *t : {".b32", ".u32", ".s32", ".f32"})
    if (out == t)
      outSize = 4;
  for (const char *t : {".b64", ".u64", ".s64", ".f64"})
    if (out == t)
      outSize = 8;
  body += address(inputs.size(), outSize);
  body += "\tst.global" + regType(out) + " [%rd" +
          std::to_string(20 + inputs.size()) + "], %d;\n";
  body += "$L__done:\n\tret;\n";
  return kernelText(params, body, ".maxntid 256, 1, 1");
}

/// Runs `code` (see elementwiseKernel) over the inputs' elements and
/// returns the outputs (as R, the size of `out`'s type).
template <typename R>
std::vector<R> elementwise(const std::string &code,
                           const std::vector<Input> &inputs,
                           const std::string &out) {
  size_t n = inputs.empty() ? 1 : inputs[0].count();
  std::string text = elementwiseKernel(code, inputs, out, n);
  std::unique_ptr<Module> m = parseOrFail(text);
  if (!m)
    return {};
  Launcher l;
  for (const Input &i : inputs) {
    uint64_t a = l.memory.allocate(i.bytes.size());
    l.memory.find(a)->markWritten(a, i.bytes.size());
    std::memcpy(reinterpret_cast<void *>(a), i.bytes.data(), i.bytes.size());
    l.addresses.push_back(a);
    l.param(a);
  }
  uint64_t result = l.output<R>(n);
  l.param(result);
  unsigned blocks = unsigned((n + 255) / 256);
  std::optional<Fault> f = l.run(*m->getKernel("k"), {blocks, 1, 1},
                                 {unsigned(std::min<size_t>(n, 256)), 1, 1});
  EXPECT_FALSE(f) << f->message;
  if (f)
    return {};
  return l.read<R>(result, n);
}

/// Bits of floats for exact comparisons (NaNs and signed zeros).
inline std::vector<uint32_t> bitsOf(const std::vector<float> &v) {
  std::vector<uint32_t> b;
  for (float f : v)
    b.push_back(floatToBits(f));
  return b;
}
inline std::vector<uint64_t> bitsOf(const std::vector<double> &v) {
  std::vector<uint64_t> b;
  for (double d : v)
    b.push_back(doubleToBits(d));
  return b;
}

} // namespace resnetc::cudasim::ptx::test

#endif // RESNETC_TEST_CUDASIM_PTXTESTSUPPORT_H
