//===- PTXArtifact.h - The plan inside a PTX artifact -----------*- C++ -*-===//
//
// A CUDA artifact is one PTX module whose leading comment lines carry the
// execution plan's JSON, so that `cuModuleLoadData` and `ptxas` take the
// file unmodified and a runtime (or a test) reads and checks the plan
// without a GPU:
//
//   // resnetc-plan-begin
//   // {"format":"resnetc-plan", ... (at most kPTXPlanLineChars a line)
//   // resnetc-plan-end
//   .version 8.0
//   ...
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_PTXARTIFACT_H
#define RESNETC_RUNTIME_PTXARTIFACT_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Runtime/Status.h"

#include <map>
#include <string>
#include <vector>

namespace resnetc::runtime {

constexpr const char *kPTXPlanBegin = "// resnetc-plan-begin";
constexpr const char *kPTXPlanEnd = "// resnetc-plan-end";
constexpr size_t kPTXPlanLineChars = 1000;
/// Largest CUDA artifact read (the PTX of resnet152's training is ~40 MB).
constexpr uint64_t kMaxPTXArtifactBytes = uint64_t(1) << 30;

/// `ptx` preceded by the comment lines carrying `json`.
std::string embedPlanInPTX(const std::string &json, const std::string &ptx);

/// The plan's JSON text from the comment lines of a PTX artifact. `source`
/// names the file in errors.
Expected<std::string> extractPlanFromPTX(const std::string &ptx,
                                         const std::string &source);

/// The parameter types of each `.entry` of a PTX module ("u64", "f32", ...),
/// by entry name.
std::map<std::string, std::vector<std::string>>
getPTXEntryParams(const std::string &ptx);

/// Reads a CUDA artifact: the plan (validated by parsePlan, for target
/// cuda), every launch naming an `.entry` of the module whose parameters
/// match the launch's arguments in number and type (buffers and 64-bit
/// integers are u64, i32 is u32, f32 and f64 are themselves).
Expected<Plan> readPTXArtifact(const std::string &ptx,
                               const std::string &source);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_PTXARTIFACT_H
