//===- Init.h - Deterministic parameter initialization ----------*- C++ -*-===//
//
// Seeded, bit-reproducible initialization of network parameters.
//
// Random numbers come from xoshiro256** 1.0 (Blackman and Vigna), whose
// 256-bit state is filled from a 64-bit seed by successive outputs of
// splitmix64. A uniform float in [0, 1) is the top 24 bits of a 64-bit output
// times 2^-24; a uniform double uses the top 53 bits. Normal samples use the
// Box-Muller transform on two uniform doubles (u1 in (0, 1], u2 in [0, 1)):
// z = sqrt(-2 ln u1) * cos(2 pi u2), one sample per pair.
//
// Every tensor draws from its own stream, seeded from the global seed and the
// 64-bit FNV-1a hash of the tensor's name, so adding, removing or reordering
// parameters never changes the values of the others. Elements are drawn in
// row-major order.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_INIT_H
#define RESNETC_RUNTIME_INIT_H

#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace resnetc::runtime {

/// One step of splitmix64: advances `state` by the golden-ratio increment and
/// returns the mixed output.
uint64_t splitmix64(uint64_t &state);

/// 64-bit FNV-1a hash of `bytes`.
uint64_t fnv1a64(std::string_view bytes);

/// xoshiro256** seeded through splitmix64.
class Rng {
public:
  /// Fills the state with four successive splitmix64 outputs of `seed`.
  explicit Rng(uint64_t seed);
  /// A generator with the given raw state (not all zero), for checking the
  /// implementation against reference outputs.
  static Rng fromState(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3);

  /// The next 64-bit output.
  uint64_t next();
  /// Uniform in [0, 1) with 24 bits of resolution.
  float uniformFloat();
  /// Uniform in [0, 1) with 53 bits of resolution.
  double uniformDouble();
  /// Uniform in [lo, hi): lo + (hi - lo) * uniformFloat(), in float.
  float uniform(float lo, float hi);
  /// Standard normal sample (Box-Muller, see the file comment).
  float normal();
  /// Uniform integer in [0, bound) without modulo bias; 0 when bound is 0.
  uint64_t below(uint64_t bound);

private:
  uint64_t s[4];
};

/// The stream of the tensor called `name` under the global `seed`:
/// Rng(splitmix64(seed) ^ fnv1a64(name)).
Rng makeNamedRng(uint64_t seed, std::string_view name);

/// PyTorch's fan_in and fan_out of a weight of `shape`:
/// fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field,
/// where the receptive field is the product of shape[2:]. Fails for fewer
/// than 2 dimensions, as PyTorch does.
Expected<std::pair<int64_t, int64_t>>
computeFans(const std::vector<int64_t> &shape);

/// Fills an F32 tensor from U(-b, b), b = sqrt(6 / (fanIn + fanOut))
/// (torch.nn.init.xavier_uniform_ with gain 1).
Status xavierUniform(HostTensor &tensor, int64_t fanIn, int64_t fanOut,
                     Rng &rng);
/// Fills an F32 tensor from N(0, std^2), std = sqrt(2) / sqrt(fan)
/// (torch.nn.init.kaiming_normal_ for ReLU; `fan` is fan_in in PyTorch's
/// default mode).
Status kaimingNormal(HostTensor &tensor, int64_t fan, Rng &rng);
/// Fills an F32 tensor from U(-b, b), b = sqrt(2) * sqrt(3 / fan)
/// (torch.nn.init.kaiming_uniform_ for ReLU).
Status kaimingUniform(HostTensor &tensor, int64_t fan, Rng &rng);
/// Fills an F32 tensor from U(-b, b), b = 1 / sqrt(fanIn): PyTorch's default
/// initialization of conv and linear biases, and (through kaiming_uniform_
/// with a = sqrt(5)) of their weights.
Status pytorchDefaultBias(HostTensor &tensor, int64_t fanIn, Rng &rng);

/// What a parameter is, which decides how it is initialized.
enum class ParamKind {
  ConvWeight,
  LinearWeight,
  Bias,              ///< Of a conv or linear layer.
  BNWeight,          ///< Batch norm gamma: 1.
  BNBias,            ///< Batch norm beta: 0.
  RunningMean,       ///< 0.
  RunningVar,        ///< 1.
  NumBatchesTracked, ///< Batch norm counter, an I64 scalar: 0.
};

/// Initialization schemes for conv and linear weights (all of them: biases
/// from pytorchDefaultBias, batch norm weight 1, bias 0, running mean 0,
/// running variance 1).
enum class InitScheme {
  D2L,            ///< d2l's init_cnn: Xavier-uniform weights.
  KaimingNormal,  ///< kaiming_normal_, fan_in, ReLU gain.
  KaimingUniform, ///< kaiming_uniform_, fan_in, ReLU gain.
  PyTorch,        ///< PyTorch's layer defaults: U(-1/sqrt(fan_in), ...).
  Torchvision,    ///< torchvision ResNet: kaiming_normal_ fan_out for conv
                  ///< weights, PyTorch's default for linear weights.
};

/// The name of a scheme: "d2l", "kaiming-normal", "kaiming-uniform",
/// "pytorch", "torchvision".
const char *getInitSchemeName(InitScheme scheme);
/// Parses a scheme name (also accepting "xavier-uniform" for D2L).
Expected<InitScheme> parseInitScheme(std::string_view name);

/// A parameter to initialize.
struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  ParamKind kind;
  /// For a Bias: the fan_in of its layer's weight. When 0, it is computed
  /// from the weight named like the bias with its last component replaced by
  /// "weight" (e.g. "fc.weight" for "fc.bias"), which must be in the list.
  int64_t fanIn = 0;
};

/// Creates and initializes every parameter, in the order given. All tensors
/// are F32 except NumBatchesTracked (I64). Fails, naming the parameter, on a
/// duplicate name, a bad shape, or a bias whose fan-in cannot be found.
Expected<std::vector<std::pair<std::string, HostTensor>>>
initParameters(const std::vector<ParamSpec> &params, InitScheme scheme,
               uint64_t seed);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_INIT_H
