//===- PTXArtifact.cpp - The plan inside a PTX artifact -------------------===//
//
// See PTXArtifact.h.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/PTXArtifact.h"

#include <sstream>

using namespace resnetc::runtime;

std::string resnetc::runtime::embedPlanInPTX(const std::string &json,
                                             const std::string &ptx) {
  std::string out = std::string(kPTXPlanBegin) + "\n";
  for (size_t i = 0; i < json.size(); i += kPTXPlanLineChars)
    out += "// " + json.substr(i, kPTXPlanLineChars) + "\n";
  out += std::string(kPTXPlanEnd) + "\n";
  return out + ptx;
}

Expected<std::string>
resnetc::runtime::extractPlanFromPTX(const std::string &ptx,
                                     const std::string &source) {
  std::istringstream in(ptx);
  std::string line, json;
  bool inside = false, found = false;
  while (std::getline(in, line)) {
    if (!inside) {
      if (line == kPTXPlanBegin) {
        inside = found = true;
        continue;
      }
      // The plan comes before the first directive.
      if (!line.empty() && line.rfind("//", 0) != 0)
        break;
      continue;
    }
    if (line == kPTXPlanEnd)
      return json;
    if (line.rfind("// ", 0) != 0)
      return Error(source + ": the plan's comment lines end without '" +
                   kPTXPlanEnd + "'");
    json += line.substr(3);
  }
  if (found)
    return Error(source + ": the plan's comment lines end without '" +
                 kPTXPlanEnd + "'");
  return Error(source + ": not a resnetc CUDA artifact (no '" + kPTXPlanBegin +
               "' before the PTX)");
}

std::map<std::string, std::vector<std::string>>
resnetc::runtime::getPTXEntryParams(const std::string &ptx) {
  std::map<std::string, std::vector<std::string>> entries;
  const std::string marker = ".entry ";
  // Past the plan's comment lines, whose names are not declarations.
  size_t start = ptx.find(kPTXPlanEnd);
  start = start == std::string::npos ? 0 : start;
  for (size_t pos = ptx.find(marker, start); pos != std::string::npos;
       pos = ptx.find(marker, pos + 1)) {
    size_t nameBegin = pos + marker.size();
    size_t open = ptx.find('(', nameBegin), close = ptx.find(')', nameBegin);
    if (open == std::string::npos || close == std::string::npos || close < open)
      continue;
    std::string name = ptx.substr(nameBegin, open - nameBegin);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
      name.pop_back();
    std::vector<std::string> &params = entries[name];
    std::istringstream decls(ptx.substr(open + 1, close - open - 1));
    std::string decl;
    while (std::getline(decls, decl, ',')) {
      std::istringstream words(decl);
      std::string word;
      // .param [.ptr ...] .TYPE name: the type is the first word after
      // .param that is a basic type.
      while (words >> word)
        if (word.size() > 1 && word[0] == '.' && word != ".param" &&
            word != ".ptr" && word != ".global" &&
            word.rfind(".align", 0) != 0) {
          params.push_back(word.substr(1));
          break;
        }
    }
  }
  return entries;
}

Expected<Plan> resnetc::runtime::readPTXArtifact(const std::string &ptx,
                                                 const std::string &source) {
  Expected<std::string> text = extractPlanFromPTX(ptx, source);
  if (!text)
    return text.takeError();
  Expected<Plan> plan = parsePlan(*text, source);
  if (!plan)
    return plan.takeError();
  if (plan->target != "cuda")
    return Error(source + ": the plan is for target '" + plan->target +
                 "', but the file is PTX");
  if (plan->precision != "fp32" && plan->precision != "tf32" &&
      plan->precision != "bf16")
    return Error(source + ": plan: unknown precision '" + plan->precision +
                 "' (fp32, tf32 or bf16)");
  std::map<std::string, std::vector<std::string>> entries =
      getPTXEntryParams(ptx);
  for (const PlanEntry &entry : plan->entries)
    for (const PlanStep &step : entry.steps) {
      if (step.launches.empty() == !step.library)
        return Error(source + ": plan: step '" + step.kernel + "' of '" +
                     entry.name + "' needs either launches or a library call");
      for (const PlanLaunch &launch : step.launches) {
        auto it = entries.find(launch.kernel);
        if (it == entries.end())
          return Error(source + ": kernel '" + launch.kernel +
                       "' named by the plan is not an .entry of the PTX");
        const std::vector<std::string> &params = it->second;
        if (params.size() != launch.args.size())
          return Error(source + ": kernel '" + launch.kernel + "' takes " +
                       std::to_string(params.size()) +
                       " parameters, but the plan passes " +
                       std::to_string(launch.args.size()));
        for (size_t i = 0; i < params.size(); ++i) {
          const char *expected = "u64";
          switch (launch.args[i].kind) {
          case LaunchArg::Kind::Buffer:
          case LaunchArg::Kind::I64:
            expected = "u64";
            break;
          case LaunchArg::Kind::I32:
            expected = "u32";
            break;
          case LaunchArg::Kind::F32:
            expected = "f32";
            break;
          case LaunchArg::Kind::F64:
            expected = "f64";
            break;
          }
          if (params[i] != expected)
            return Error(source + ": parameter " + std::to_string(i) +
                         " of kernel '" + launch.kernel + "' is ." +
                         params[i] + ", but the plan passes " + expected);
        }
      }
    }
  return plan;
}
