//===- InitTest.cpp - Unit tests of deterministic initialization ----------===//
//
// The generators against their published reference outputs, determinism and
// stream independence, the PyTorch fan rules, the bounds and moments of each
// distribution, and the per-kind rules of initParameters.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Init.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace resnetc::runtime;

TEST(InitTest, SplitMix64ReferenceValues) {
  // First outputs of splitmix64 seeded with 1234567 (from the reference
  // implementation by Sebastiano Vigna).
  uint64_t state = 1234567;
  EXPECT_EQ(splitmix64(state), 6457827717110365317ull);
  EXPECT_EQ(splitmix64(state), 3203168211198807973ull);
  EXPECT_EQ(splitmix64(state), 9817491932198370423ull);
}

TEST(InitTest, Fnv1a64ReferenceValues) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(InitTest, XoshiroReferenceValues) {
  // xoshiro256** from the state {1, 2, 3, 4}: the first output is
  // rotl(2 * 5, 7) * 9 and the second rotl(0 * 5, 7) * 9.
  Rng rng = Rng::fromState(1, 2, 3, 4);
  EXPECT_EQ(rng.next(), 11520u);
  EXPECT_EQ(rng.next(), 0u);
  EXPECT_EQ(rng.next(), 1509978240u);
  EXPECT_EQ(rng.next(), 1215971899390074240u);
}

TEST(InitTest, XoshiroIsDeterministic) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(InitTest, UniformAndNormalMoments) {
  Rng rng(1);
  const int n = 200000;
  double sum = 0, sumSq = 0, nsum = 0, nsumSq = 0;
  float lo = 1, hi = 0;
  for (int i = 0; i < n; ++i) {
    float u = rng.uniformFloat();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
    sumSq += u * u;
    float z = rng.normal();
    ASSERT_TRUE(std::isfinite(z));
    nsum += z;
    nsumSq += z * z;
  }
  EXPECT_GE(lo, 0.0f);
  EXPECT_LT(hi, 1.0f);
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sumSq / n - (sum / n) * (sum / n), 1.0 / 12, 0.002);
  EXPECT_NEAR(nsum / n, 0.0, 0.01);
  EXPECT_NEAR(nsumSq / n, 1.0, 0.01);
  for (int i = 0; i < 1000; ++i)
    ASSERT_LT(rng.below(7), 7u);
  EXPECT_EQ(rng.below(0), 0u);
}

TEST(InitTest, Fans) {
  Expected<std::pair<int64_t, int64_t>> conv = computeFans({64, 3, 7, 7});
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->first, 3 * 49);
  EXPECT_EQ(conv->second, 64 * 49);
  Expected<std::pair<int64_t, int64_t>> linear = computeFans({10, 512});
  ASSERT_TRUE(linear);
  EXPECT_EQ(linear->first, 512);
  EXPECT_EQ(linear->second, 10);
  Expected<std::pair<int64_t, int64_t>> vec = computeFans({10});
  ASSERT_FALSE(vec);
  EXPECT_EQ(vec.error().message(),
            "fan in and fan out cannot be computed for a tensor with 1 "
            "dimension (at least 2 are needed)");
}

TEST(InitTest, Bounds) {
  Rng rng(5);
  HostTensor t(DType::F32, {64, 3, 3, 3});
  ASSERT_TRUE(xavierUniform(t, 27, 576, rng));
  double bound = std::sqrt(6.0 / (27 + 576));
  double maxAbs = 0;
  for (int64_t i = 0; i < t.numElements(); ++i)
    maxAbs = std::max(maxAbs, std::fabs(double(t.f32()[i])));
  EXPECT_LE(maxAbs, bound);
  EXPECT_GT(maxAbs, 0.9 * bound);

  HostTensor b(DType::F32, {1000});
  ASSERT_TRUE(pytorchDefaultBias(b, 100, rng));
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_LE(std::fabs(b.f32()[i]), 0.1f);

  HostTensor ku(DType::F32, {1000});
  ASSERT_TRUE(kaimingUniform(ku, 50, rng));
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_LE(std::fabs(ku.f32()[i]), float(std::sqrt(6.0 / 50)));

  HostTensor kn(DType::F32, {100000});
  ASSERT_TRUE(kaimingNormal(kn, 200, rng));
  double sumSq = 0;
  for (int64_t i = 0; i < kn.numElements(); ++i)
    sumSq += double(kn.f32()[i]) * kn.f32()[i];
  EXPECT_NEAR(std::sqrt(sumSq / kn.numElements()), std::sqrt(2.0 / 200), 0.002);

  HostTensor ints(DType::I32, {4});
  EXPECT_FALSE(xavierUniform(ints, 1, 1, rng));
  EXPECT_EQ(kaimingNormal(t, 0, rng).message(),
            "kaiming_normal: fan must be positive");
}

namespace {

std::vector<ParamSpec> smallNet() {
  return {
      {"conv.weight", {8, 3, 3, 3}, ParamKind::ConvWeight},
      {"conv.bias", {8}, ParamKind::Bias},
      {"bn.weight", {8}, ParamKind::BNWeight},
      {"bn.bias", {8}, ParamKind::BNBias},
      {"bn.running_mean", {8}, ParamKind::RunningMean},
      {"bn.running_var", {8}, ParamKind::RunningVar},
      {"bn.num_batches_tracked", {}, ParamKind::NumBatchesTracked},
      {"fc.weight", {10, 8}, ParamKind::LinearWeight},
      {"fc.bias", {10}, ParamKind::Bias},
  };
}

} // namespace

TEST(InitTest, InitParametersFollowsTheKinds) {
  Expected<std::vector<std::pair<std::string, HostTensor>>> params =
      initParameters(smallNet(), InitScheme::D2L, 123);
  ASSERT_TRUE(params) << params.error().message();
  ASSERT_EQ(params->size(), 9u);
  auto get = [&](const std::string &name) -> const HostTensor & {
    for (const auto &p : *params)
      if (p.first == name)
        return p.second;
    static HostTensor none;
    return none;
  };
  const HostTensor &conv = get("conv.weight");
  EXPECT_EQ(conv.shape, (std::vector<int64_t>{8, 3, 3, 3}));
  float xavier = static_cast<float>(std::sqrt(6.0 / (27 + 72)));
  for (int64_t i = 0; i < conv.numElements(); ++i)
    ASSERT_LE(std::fabs(conv.f32()[i]), xavier);
  // The conv bias uses 1/sqrt(fan_in of conv.weight) = 1/sqrt(27).
  const HostTensor &bias = get("conv.bias");
  for (int64_t i = 0; i < 8; ++i)
    ASSERT_LE(std::fabs(bias.f32()[i]), float(1 / std::sqrt(27.0)));
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(get("bn.weight").f32()[i], 1.0f);
    EXPECT_EQ(get("bn.bias").f32()[i], 0.0f);
    EXPECT_EQ(get("bn.running_mean").f32()[i], 0.0f);
    EXPECT_EQ(get("bn.running_var").f32()[i], 1.0f);
  }
  EXPECT_EQ(get("bn.num_batches_tracked").dtype, DType::I64);
  EXPECT_EQ(get("bn.num_batches_tracked").i64()[0], 0);
  const HostTensor &fcBias = get("fc.bias");
  for (int64_t i = 0; i < 10; ++i)
    ASSERT_LE(std::fabs(fcBias.f32()[i]), float(1 / std::sqrt(8.0)));
}

TEST(InitTest, SameSeedIsBitIdenticalAndStreamsAreIndependent) {
  auto a = initParameters(smallNet(), InitScheme::D2L, 7);
  auto b = initParameters(smallNet(), InitScheme::D2L, 7);
  auto c = initParameters(smallNet(), InitScheme::D2L, 8);
  ASSERT_TRUE(a && b && c);
  for (size_t i = 0; i < a->size(); ++i)
    EXPECT_EQ((*a)[i].second.bytes, (*b)[i].second.bytes);
  EXPECT_NE((*a)[0].second.bytes, (*c)[0].second.bytes);

  // Adding a layer in front and reordering changes no other tensor.
  std::vector<ParamSpec> bigger = smallNet();
  bigger.insert(bigger.begin(),
                {"extra.weight", {4, 4}, ParamKind::LinearWeight});
  std::swap(bigger[1], bigger[8]);
  auto d = initParameters(bigger, InitScheme::D2L, 7);
  ASSERT_TRUE(d);
  for (const auto &[name, tensor] : *a) {
    bool found = false;
    for (const auto &[otherName, other] : *d)
      if (otherName == name) {
        found = true;
        EXPECT_EQ(other.bytes, tensor.bytes) << name;
      }
    EXPECT_TRUE(found) << name;
  }
}

TEST(InitTest, Schemes) {
  for (const char *name : {"d2l", "xavier-uniform", "kaiming-normal",
                           "kaiming-uniform", "pytorch", "torchvision"}) {
    Expected<InitScheme> s = parseInitScheme(name);
    ASSERT_TRUE(s) << name;
    EXPECT_TRUE(initParameters(smallNet(), *s, 1));
  }
  Expected<InitScheme> bad = parseInitScheme("he");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "unknown initialization scheme 'he' (known: d2l, xavier-uniform, "
            "kaiming-normal, kaiming-uniform, pytorch, torchvision)");
  // torchvision: conv weights N(0, 2/fan_out).
  std::vector<ParamSpec> conv = {
      {"c.weight", {256, 64, 3, 3}, ParamKind::ConvWeight}};
  auto tv = initParameters(conv, InitScheme::Torchvision, 3);
  ASSERT_TRUE(tv);
  const HostTensor &w = (*tv)[0].second;
  double sumSq = 0;
  for (int64_t i = 0; i < w.numElements(); ++i)
    sumSq += double(w.f32()[i]) * w.f32()[i];
  EXPECT_NEAR(std::sqrt(sumSq / w.numElements()), std::sqrt(2.0 / (256 * 9)),
              0.0005);
}

TEST(InitTest, InitParametersErrors) {
  std::vector<ParamSpec> dup = {{"a", {2, 2}, ParamKind::LinearWeight},
                                {"a", {2}, ParamKind::Bias}};
  EXPECT_EQ(initParameters(dup, InitScheme::D2L, 0).error().message(),
            "parameter 'a' appears more than once");
  std::vector<ParamSpec> orphan = {{"fc.bias", {2}, ParamKind::Bias}};
  EXPECT_EQ(initParameters(orphan, InitScheme::D2L, 0).error().message(),
            "parameter 'fc.bias': a bias needs the fan-in of its layer; set "
            "fanIn or include 'fc.weight'");
  std::vector<ParamSpec> explicitFan = {{"fc.bias", {2}, ParamKind::Bias, 16}};
  EXPECT_TRUE(initParameters(explicitFan, InitScheme::D2L, 0));
  std::vector<ParamSpec> flat = {{"w", {5}, ParamKind::ConvWeight}};
  EXPECT_EQ(initParameters(flat, InitScheme::D2L, 0).error().message(),
            "parameter 'w': fan in and fan out cannot be computed for a "
            "tensor with 1 dimension (at least 2 are needed)");
  std::vector<ParamSpec> negative = {{"w", {5, -1}, ParamKind::ConvWeight}};
  EXPECT_EQ(initParameters(negative, InitScheme::D2L, 0).error().message(),
            "parameter 'w': dimension 1 of shape [5,-1] is negative");
  std::vector<ParamSpec> huge = {
      {"w", {1 << 20, 1 << 20, 1 << 20}, ParamKind::ConvWeight}};
  EXPECT_EQ(initParameters(huge, InitScheme::D2L, 0).error().message(),
            "parameter 'w': shape [1048576,1048576,1048576] of F32 needs "
            "more than 17179869184 bytes");
}
