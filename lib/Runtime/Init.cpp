//===- Init.cpp - Deterministic parameter initialization ------------------===//
//
// The generators and fill functions of Init.h and the per-kind dispatch of
// initParameters.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Init.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

using namespace resnetc::runtime;

uint64_t resnetc::runtime::splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t resnetc::runtime::fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t &word : s)
    word = splitmix64(state);
}

Rng Rng::fromState(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
  Rng rng(0);
  rng.s[0] = s0;
  rng.s[1] = s1;
  rng.s[2] = s2;
  rng.s[3] = s3;
  return rng;
}

static inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

uint64_t Rng::next() {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

float Rng::uniformFloat() {
  return static_cast<float>(next() >> 40) * 0x1.0p-24f;
}

double Rng::uniformDouble() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

float Rng::uniform(float lo, float hi) {
  return lo + (hi - lo) * uniformFloat();
}

float Rng::normal() {
  double u1 = 1.0 - uniformDouble(); // (0, 1]: keeps log finite.
  double u2 = uniformDouble();
  const double twoPi = 6.283185307179586476925286766559;
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) *
                            std::cos(twoPi * u2));
}

uint64_t Rng::below(uint64_t bound) {
  if (bound == 0)
    return 0;
  // Reject the first (2^64 mod bound) values so every residue is equally
  // likely.
  uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t r = next();
    if (r >= threshold)
      return r % bound;
  }
}

Rng resnetc::runtime::makeNamedRng(uint64_t seed, std::string_view name) {
  uint64_t state = seed;
  return Rng(splitmix64(state) ^ fnv1a64(name));
}

Expected<std::pair<int64_t, int64_t>>
resnetc::runtime::computeFans(const std::vector<int64_t> &shape) {
  if (shape.size() < 2)
    return Error("fan in and fan out cannot be computed for a tensor with " +
                 std::to_string(shape.size()) + " dimension" +
                 (shape.size() == 1 ? "" : "s") + " (at least 2 are needed)");
  Expected<int64_t> total = checkedNumElements(shape);
  if (!total)
    return total.takeError();
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    receptive *= shape[i];
  return std::make_pair(shape[1] * receptive, shape[0] * receptive);
}

/// Fills an F32 tensor from U(-bound, bound).
static Status fillUniform(HostTensor &tensor, double bound, Rng &rng,
                          const char *what) {
  if (tensor.dtype != DType::F32 || !tensor.isConsistent())
    return Error(std::string(what) + ": expects a consistent F32 tensor");
  int64_t n = tensor.numElements();
  if (n == 0)
    return Status::success();
  if (!std::isfinite(bound))
    return Error(std::string(what) + ": fan must be positive");
  float b = static_cast<float>(bound);
  float *p = tensor.f32();
  for (int64_t i = 0; i < n; ++i)
    p[i] = rng.uniform(-b, b);
  return Status::success();
}

Status resnetc::runtime::xavierUniform(HostTensor &tensor, int64_t fanIn,
                                       int64_t fanOut, Rng &rng) {
  int64_t fans = fanIn + fanOut;
  double bound =
      fans > 0 ? std::sqrt(6.0 / static_cast<double>(fans)) : HUGE_VAL;
  return fillUniform(tensor, bound, rng, "xavier_uniform");
}

Status resnetc::runtime::kaimingUniform(HostTensor &tensor, int64_t fan,
                                        Rng &rng) {
  double bound =
      fan > 0 ? std::sqrt(2.0) * std::sqrt(3.0 / static_cast<double>(fan))
              : HUGE_VAL;
  return fillUniform(tensor, bound, rng, "kaiming_uniform");
}

Status resnetc::runtime::pytorchDefaultBias(HostTensor &tensor, int64_t fanIn,
                                            Rng &rng) {
  double bound =
      fanIn > 0 ? 1.0 / std::sqrt(static_cast<double>(fanIn)) : HUGE_VAL;
  return fillUniform(tensor, bound, rng, "default bias init");
}

Status resnetc::runtime::kaimingNormal(HostTensor &tensor, int64_t fan,
                                       Rng &rng) {
  if (tensor.dtype != DType::F32 || !tensor.isConsistent())
    return Error("kaiming_normal: expects a consistent F32 tensor");
  int64_t n = tensor.numElements();
  if (n == 0)
    return Status::success();
  if (fan <= 0)
    return Error("kaiming_normal: fan must be positive");
  float stddev =
      static_cast<float>(std::sqrt(2.0) / std::sqrt(static_cast<double>(fan)));
  float *p = tensor.f32();
  for (int64_t i = 0; i < n; ++i)
    p[i] = stddev * rng.normal();
  return Status::success();
}

const char *resnetc::runtime::getInitSchemeName(InitScheme scheme) {
  switch (scheme) {
  case InitScheme::D2L:
    return "d2l";
  case InitScheme::KaimingNormal:
    return "kaiming-normal";
  case InitScheme::KaimingUniform:
    return "kaiming-uniform";
  case InitScheme::PyTorch:
    return "pytorch";
  case InitScheme::Torchvision:
    return "torchvision";
  }
  return "?";
}

Expected<InitScheme> resnetc::runtime::parseInitScheme(std::string_view name) {
  if (name == "xavier-uniform")
    return InitScheme::D2L;
  for (InitScheme s :
       {InitScheme::D2L, InitScheme::KaimingNormal, InitScheme::KaimingUniform,
        InitScheme::PyTorch, InitScheme::Torchvision})
    if (name == getInitSchemeName(s))
      return s;
  return Error("unknown initialization scheme '" + std::string(name) +
               "' (known: d2l, xavier-uniform, kaiming-normal, "
               "kaiming-uniform, pytorch, torchvision)");
}

/// Largest parameter initParameters creates (bytes).
static constexpr int64_t kMaxParamBytes = int64_t(1) << 34;

/// Initializes one conv or linear weight.
static Status initWeight(HostTensor &t, const ParamSpec &p, InitScheme scheme,
                         int64_t fanIn, int64_t fanOut, Rng &rng) {
  switch (scheme) {
  case InitScheme::D2L:
    return xavierUniform(t, fanIn, fanOut, rng);
  case InitScheme::KaimingNormal:
    return kaimingNormal(t, fanIn, rng);
  case InitScheme::KaimingUniform:
    return kaimingUniform(t, fanIn, rng);
  case InitScheme::PyTorch:
    return pytorchDefaultBias(t, fanIn, rng);
  case InitScheme::Torchvision:
    if (p.kind == ParamKind::ConvWeight)
      return kaimingNormal(t, fanOut, rng);
    return pytorchDefaultBias(t, fanIn, rng);
  }
  return Status::success();
}

Expected<std::vector<std::pair<std::string, HostTensor>>>
resnetc::runtime::initParameters(const std::vector<ParamSpec> &params,
                                 InitScheme scheme, uint64_t seed) {
  std::unordered_map<std::string, size_t> byName;
  for (size_t i = 0; i < params.size(); ++i)
    if (!byName.emplace(params[i].name, i).second)
      return Error("parameter '" + params[i].name + "' appears more than once");

  std::vector<std::pair<std::string, HostTensor>> result;
  result.reserve(params.size());
  for (const ParamSpec &p : params) {
    std::string where = "parameter '" + p.name + "'";
    DType dtype =
        p.kind == ParamKind::NumBatchesTracked ? DType::I64 : DType::F32;
    Expected<int64_t> bytes = checkedByteSize(dtype, p.shape, kMaxParamBytes);
    if (!bytes)
      return bytes.takeError().withPrefix(where);
    HostTensor t(dtype, p.shape);
    Rng rng = makeNamedRng(seed, p.name);
    Status st;
    switch (p.kind) {
    case ParamKind::ConvWeight:
    case ParamKind::LinearWeight: {
      Expected<std::pair<int64_t, int64_t>> fans = computeFans(p.shape);
      if (!fans)
        return fans.takeError().withPrefix(where);
      st = initWeight(t, p, scheme, fans->first, fans->second, rng);
      break;
    }
    case ParamKind::Bias: {
      int64_t fanIn = p.fanIn;
      if (fanIn <= 0) {
        size_t dot = p.name.find_last_of('.');
        std::string weightName =
            (dot == std::string::npos ? std::string()
                                      : p.name.substr(0, dot + 1)) +
            "weight";
        auto it = byName.find(weightName);
        if (it == byName.end())
          return Error(where +
                       ": a bias needs the fan-in of its layer; set "
                       "fanIn or include '" +
                       weightName + "'");
        Expected<std::pair<int64_t, int64_t>> fans =
            computeFans(params[it->second].shape);
        if (!fans)
          return fans.takeError().withPrefix(where + ": weight '" + weightName +
                                             "'");
        fanIn = fans->first;
      }
      st = pytorchDefaultBias(t, fanIn, rng);
      break;
    }
    case ParamKind::BNWeight:
    case ParamKind::RunningVar: {
      float *v = t.f32();
      for (int64_t i = 0, n = t.numElements(); i < n; ++i)
        v[i] = 1.0f;
      break;
    }
    case ParamKind::BNBias:
    case ParamKind::RunningMean:
    case ParamKind::NumBatchesTracked:
      break; // Already zero.
    }
    if (!st)
      return st.takeError().withPrefix(where);
    result.emplace_back(p.name, std::move(t));
  }
  return result;
}
