//===- Profile.cpp - resnet-run --profile's report ------------------------===//
//
// Where the time of a --profile run went: the time by kind of step (each
// library's calls, the storage conversions, the other generated kernels),
// then the slowest steps with their layer.
//
//===----------------------------------------------------------------------===//

#include "RunSteps.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>

using namespace resnetc::runtime;

/// Prints where a --profile run's time went: the time by kind of step, then
/// the slowest steps.
void resnetc::runtime::printProfile(const Executor &exec) {
  const Plan &plan = exec.getPlan();
  std::vector<Executor::StepTime> steps = exec.getProfile();
  double total = 0;
  std::map<std::string, double> byKind;
  auto kindOf = [&](const PlanStep &step) -> std::string {
    if (step.library)
      return step.library->name;
    const std::string &k = step.kernel;
    // Conversion steps are named c<N>_<kernel> (docs/artifact.md).
    if (k.size() > 1 && k[0] == 'c' && std::isdigit(k[1]))
      return "layout/type conversions";
    return step.perImage ? "generated kernels, per image"
                         : "generated kernels, whole batch";
  };
  for (const Executor::StepTime &t : steps) {
    const PlanStep &step = plan.findEntry(t.entry)->steps[t.step];
    total += t.seconds;
    byKind[t.entry + ": " + kindOf(step)] += t.seconds;
  }
  if (total <= 0)
    return;
  std::printf("profile: %.3f s in timed steps\n", total);
  std::vector<std::pair<double, std::string>> kinds;
  for (const auto &[kind, seconds] : byKind)
    kinds.push_back({seconds, kind});
  std::sort(kinds.rbegin(), kinds.rend());
  for (const auto &[seconds, kind] : kinds)
    std::printf("  %6.1f%%  %9.3f s  %s\n", 100 * seconds / total, seconds,
                kind.c_str());
  std::printf("slowest steps (entry, step, layer, what, runs, ms per run):\n");
  for (size_t i = 0; i < steps.size() && i < 15; ++i) {
    const Executor::StepTime &t = steps[i];
    const PlanStep &step = plan.findEntry(t.entry)->steps[t.step];
    std::printf("  %6.1f%%  %s %3zu  %-36s %-28s %5lld  %8.3f\n",
                100 * t.seconds / total, t.entry.c_str(), t.step,
                step.layer.c_str(),
                step.library ? step.library->name.c_str() : step.kernel.c_str(),
                static_cast<long long>(t.runs), 1e3 * t.seconds / t.runs);
  }
}
