//===- CPUFeatures.cpp - The CPU an artifact is compiled for --------------===//
//
// See CPUFeatures.h.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/CPUFeatures.h"
#include "resnetc/Runtime/Plan.h"
#include "resnetc/Target/CPUTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace resnetc;

bool resnetc::resolveCPUTarget(llvm::StringRef cpu, CPUTargetInfo &info,
                               std::string &error) {
  llvm::InitializeNativeTarget();
  info.triple = llvm::sys::getDefaultTargetTriple();
  std::string lookupError;
  info.target = llvm::TargetRegistry::lookupTarget(info.triple, lookupError);
  if (!info.target) {
    error = "no LLVM target for " + info.triple + ": " + lookupError;
    return false;
  }
  if (cpu == "native") {
    info.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures f;
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      f.AddFeature(feature.first(), feature.second);
    info.features = f.getString();
  } else {
    info.cpu = cpu.str();
  }
  // A generic subtarget first: LLVM warns on stderr when asked for a
  // subtarget of a CPU it does not know.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      info.target->createMCSubtargetInfo(info.triple, "", ""));
  if (!generic || !generic->isCPUStringValid(info.cpu)) {
    error = "unknown --cpu '" + cpu.str() + "' for " + info.triple +
            ": use native (this machine), x86-64-v3 (any AVX2 CPU), "
            "x86-64-v4 (AVX-512) or another LLVM CPU name (llc "
            "-mcpu=help lists them)";
    return false;
  }
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      info.target->createMCSubtargetInfo(info.triple, info.cpu, info.features));
  if (!llvm::Triple(info.triple).isX86())
    return true; // Only x86 features are recorded and checked.
  for (const std::string &name : runtime::getCheckedCPUFeatures())
    if (sti->checkFeatures("+" + name))
      info.requiredFeatures.push_back(name);
  if (sti->checkFeatures("+avx512f")) {
    info.vectorRegisters = 32;
    info.vectorFloats = 16;
  } else if (sti->checkFeatures("+avx")) {
    info.vectorRegisters = 16;
    info.vectorFloats = 8;
  }
  return true;
}

bool resnetc::isValidCPUName(llvm::StringRef cpu, std::string &error) {
  CPUTargetInfo info;
  return resolveCPUTarget(cpu, info, error);
}
