//===- PlanFuzzer.cpp - libFuzzer target for the plan readers -------------===//
//
// Feeds arbitrary text to parsePlan (the JSON plan of a CPU artifact) and to
// readPTXArtifact (a CUDA artifact: the plan in comment lines, checked
// against the PTX's entries). Any crash, sanitizer report or hang is a bug;
// so is a plan parsePlan accepts that does not read back unchanged from its
// own serialization.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/PTXArtifact.h"
#include "resnetc/Runtime/Plan.h"

#include <cstdio>
#include <cstdlib>

using namespace resnetc::runtime;

static void check(bool ok, const char *what) {
  if (ok)
    return;
  std::fprintf(stderr, "plan: %s\n", what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > (1 << 20))
    return 0;
  std::string text(reinterpret_cast<const char *>(data), size);
  Expected<Plan> plan = parsePlan(text, "fuzz.so");
  if (plan) {
    std::string json = writePlan(*plan);
    Expected<Plan> again = parsePlan(json, "again.so");
    check(static_cast<bool>(again), "a written plan cannot be read back");
    check(writePlan(*again) == json,
          "a plan changed when written and read back");
  } else {
    check(!plan.error().message().empty(), "an error without a message");
  }
  Expected<Plan> artifact = readPTXArtifact(text, "fuzz.ptx");
  if (!artifact)
    check(!artifact.error().message().empty(), "an error without a message");
  else
    check(artifact->target == "cuda", "a PTX artifact for another target");
  return 0;
}
