//===- CPUDeviceTest.cpp - The CPU device's feature check -----------------===//

#include "Devices/CPU/CPUDevice.h"

#include <gtest/gtest.h>

using namespace resnetc::runtime;

namespace {

/// Every feature a plan may record is one the host check knows.
TEST(CPUFeatures, HostKnowsEveryCheckedFeature) {
#if defined(__x86_64__)
  for (const std::string &name : getCheckedCPUFeatures())
    EXPECT_TRUE(hostHasCPUFeature(name).has_value()) << name;
  // Every x86-64 CPU the runtime is built for has SSE2 and thereby the
  // chain up to it; AVX-512 implies AVX2 and FMA on every CPU that has it.
  if (*hostHasCPUFeature("avx512f")) {
    EXPECT_TRUE(*hostHasCPUFeature("avx2"));
    EXPECT_TRUE(*hostHasCPUFeature("fma"));
  }
#endif
  EXPECT_FALSE(hostHasCPUFeature("no-such-feature").has_value());
}

TEST(CPUFeatures, RefusesAPlanForACPUWithMore) {
  Plan plan;
  plan.cpu = "x86-64-v4";
  plan.cpuFeatures = {"avx", "avx2", "fma", "avx512f", "avx512bw"};
  // An AVX2 machine.
  auto avx2 = [](const std::string &f) -> std::optional<bool> {
    return f == "avx" || f == "avx2" || f == "fma";
  };
  Status st = checkCPUFeatures(plan, "m.so", avx2);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            "m.so: compiled for a CPU with avx512f, avx512bw (resnetc "
            "--cpu=x86-64-v4), which this CPU lacks; recompile the model here "
            "(the default --cpu=native) or for a CPU every machine has, such "
            "as --cpu=x86-64-v3 (AVX2)");
  // An AVX-512 machine runs it; so does any machine a plan without
  // features.
  auto all = [](const std::string &) -> std::optional<bool> { return true; };
  EXPECT_TRUE(checkCPUFeatures(plan, "m.so", all));
  plan.cpuFeatures.clear();
  EXPECT_TRUE(checkCPUFeatures(plan, "m.so", avx2));
}

TEST(CPUFeatures, UnknownToTheHostIsMissing) {
  Plan plan;
  plan.cpu = "future";
  plan.cpuFeatures = {"avx2"};
  auto none = [](const std::string &) -> std::optional<bool> {
    return std::nullopt;
  };
  EXPECT_FALSE(checkCPUFeatures(plan, "m.so", none));
}

} // namespace
