//===- CPUDeviceTest.cpp - The CPU device's feature check -----------------===//

#include "Devices/CPU/CPUDevice.h"
#include "resnetc/Runtime/Plan.h"

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

/// A CPU plan whose train_step updates a 4x3 parameter in place as `rows`
/// rows.
Plan makeRowsPlan(int64_t rows, bool perImage = false) {
  Plan plan;
  plan.model = "tiny";
  plan.target = "cpu";
  plan.batch = 2;
  plan.inputShape = {1, 2, 2};
  plan.classes = 3;
  plan.input = 0;
  plan.output = 1;
  plan.buffers = {{"input", BufferRole::Input, DType::F32, {2, 1, 2, 2}, 0, 32},
                  {"logits", BufferRole::Output, DType::F32, {2, 3}, 64, 24},
                  {"w", BufferRole::Param, DType::F32, {4, 3}, 128, 48},
                  {"g", BufferRole::Activation, DType::F32, {4, 3}, 192, 48},
                  {"lr", BufferRole::Hyper, DType::F32, {}, 256, 4}};
  plan.arenaBytes = 320;
  PlanStep infer;
  infer.kernel = "k0";
  infer.args = {0, 1};
  PlanStep update;
  update.kernel = "t0";
  update.args = {2, 3, 4, 2};
  update.perImage = perImage;
  update.rows = rows;
  plan.entries = {{"infer", {infer}}, {"train_step", {update}}};
  return plan;
}

/// A step of rows computes row n of every tensor argument: the plan reader
/// refuses rows its buffers do not have (the kernel would run past them),
/// and rows on a per-image step.
TEST(PlanRows, RowsMustMatchEveryTensorArgument) {
  Expected<Plan> good = parsePlan(writePlan(makeRowsPlan(4)), "m.so");
  ASSERT_TRUE(good) << good.takeError().message();
  EXPECT_EQ(good->entries[1].steps[0].rows, 4);
  EXPECT_EQ(
      parsePlan(writePlan(makeRowsPlan(0)), "m.so")->entries[1].steps[0].rows,
      0);
  Expected<Plan> more = parsePlan(writePlan(makeRowsPlan(5)), "m.so");
  ASSERT_FALSE(more);
  EXPECT_NE(more.takeError().message().find("5 rows, but buffer 'w' has 4"),
            std::string::npos);
  Expected<Plan> image = parsePlan(writePlan(makeRowsPlan(4, true)), "m.so");
  ASSERT_FALSE(image);
  EXPECT_NE(image.takeError().message().find(
                "only a CPU step that is not per image runs rows"),
            std::string::npos);
}

} // namespace
