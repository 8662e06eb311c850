//===- CPUFeatures.h - The CPU an artifact is compiled for ------*- C++ -*-===//
//
// `resnetc --cpu=NAME` names the CPU the generated code is for: `native`
// (this machine's CPU and features, like -march=native) or an LLVM CPU name
// (`x86-64-v3` for any AVX2 machine, `x86-64-v4` for AVX-512, `znver3`,
// `skylake-avx512`, ...). From it come the instructions LLVM may use, the
// register blocking of the generated convolutions, and the features the
// artifact records so that resnet-run refuses it, instead of dying on an
// illegal instruction, on a CPU that lacks them.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_TARGET_CPUFEATURES_H
#define RESNETC_TARGET_CPUFEATURES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class Target;
} // namespace llvm

namespace resnetc {

/// The CPU code is generated for.
struct CPUTargetInfo {
  const llvm::Target *target = nullptr;
  std::string triple;
  /// LLVM's CPU name (the host's for `native`).
  std::string cpu;
  /// LLVM's feature string ("+avx2,+fma,...").
  std::string features;
  /// The instruction set extensions the code may use that a CPU can lack,
  /// by the names resnet-run checks (docs/artifact.md).
  std::vector<std::string> requiredFeatures;
  /// The vector registers: how many, and how many floats each holds.
  int64_t vectorRegisters = 16, vectorFloats = 4;
};

/// Resolves `cpu` ("native" or an LLVM CPU name) for this machine's target
/// triple; on failure, sets `error` to a message naming valid choices.
bool resolveCPUTarget(llvm::StringRef cpu, CPUTargetInfo &info,
                      std::string &error);

} // namespace resnetc

#endif // RESNETC_TARGET_CPUFEATURES_H
