//===- CuDNNConvolutions.h - A plan's cuDNN calls ---------------*- C++ -*-===//
//
// Each library call of a CUDA plan becomes one cuDNN convolution: its
// tensor, filter, convolution and activation descriptors built from the call
// record and its buffers (shapes, data types and layouts; the math type,
// compute type and mode the record states), an algorithm chosen once (by
// cuDNN's heuristics or a timed search, optionally deterministic, cached on
// disk by GPU, cuDNN version and call), and the workspace it needs.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDNNCONVOLUTIONS_H
#define RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDNNCONVOLUTIONS_H

#include "CUDALibraries.h"
#include "resnetc/Runtime/Device.h"
#include "resnetc/Runtime/Plan.h"

#include <map>
#include <memory>
#include <string>

namespace resnetc::runtime {

/// Timed algorithm choices by call key, kept in a JSON file.
class AlgorithmCache {
public:
  /// Reads `path` (a missing or unreadable file is an empty cache; a
  /// malformed one is ignored with a warning on stderr).
  explicit AlgorithmCache(std::string path);
  /// The algorithm recorded for `key`, or -1.
  int lookup(const std::string &key) const;
  void insert(const std::string &key, int algorithm, float milliseconds);
  /// Writes the file (atomically) if something was inserted.
  Status save();

private:
  std::string path;
  std::map<std::string, std::pair<int, float>> entries;
  bool dirty = false;
};

/// Device memory for timing algorithms: buffers as large as any call's
/// operands, zero-filled, and a workspace.
struct SearchBuffers {
  DeviceAddress x = 0, w = 0, y = 0, bias = 0;
  DeviceAddress workspace = 0;
  uint64_t workspaceBytes = 0;
};

/// One cuDNN convolution of a plan.
class CuDNNConvolution {
public:
  /// Builds the descriptors of `step` (a library call of `plan`); `where`
  /// names the step in errors.
  static Expected<std::unique_ptr<CuDNNConvolution>>
  create(const CuDNNLibrary &dnn, cuda::cudnnHandle_t handle, const Plan &plan,
         const PlanStep &step, std::string where);
  ~CuDNNConvolution();

  /// What identifies the call for the algorithm cache: kind, shapes, data
  /// types, layout, convolution parameters and math type.
  const std::string &getKey() const { return key; }
  /// The bytes its operand buffers span at most (for SearchBuffers).
  uint64_t getLargestOperandBytes() const { return largestOperand; }
  uint64_t getBiasBytes() const { return biasBytes; }

  /// Chooses the algorithm by cuDNN's heuristics.
  Status chooseByHeuristic(bool deterministic);
  /// Chooses the algorithm by timing every candidate on `buffers`; returns
  /// the winner's time.
  Expected<float> chooseBySearch(bool deterministic,
                                 const SearchBuffers &buffers);
  /// Uses `algorithm` (from the cache) if cuDNN accepts it here.
  Status chooseAlgorithm(int algorithm);

  int getAlgorithm() const { return algorithm; }
  uint64_t getWorkspaceBytes() const { return workspaceBytes; }

  /// Enqueues the call on the handle's stream over the arena at `arena`;
  /// `zeroBias` is K zero floats for a fused call without a bias.
  Status run(DeviceAddress arena, DeviceAddress workspace,
             uint64_t workspaceSize, DeviceAddress zeroBias) const;

private:
  CuDNNConvolution(const CuDNNLibrary &dnn, cuda::cudnnHandle_t handle)
      : dnn(dnn), handle(handle) {}
  Status build(const Plan &plan, const PlanStep &step);
  Status check(cuda::cudnnStatus_t status, const char *call, int line) const;
  Status setWorkspace();
  /// Whether the call goes through cudnnConvolutionBiasActivationForward.
  bool isFused() const;

  const CuDNNLibrary &dnn;
  cuda::cudnnHandle_t handle;
  std::string where, key;
  LibraryCall call;
  /// Buffer offsets of the operands: forward x, w, [bias], [z], y; backward
  /// data dy, w, dx; backward filter dy, x, dw.
  std::vector<int64_t> offsets;
  cuda::cudnnTensorDescriptor_t x = nullptr, y = nullptr, z = nullptr,
                                bias = nullptr;
  cuda::cudnnFilterDescriptor_t w = nullptr;
  cuda::cudnnConvolutionDescriptor_t conv = nullptr;
  cuda::cudnnActivationDescriptor_t activation = nullptr;
  int algorithm = -1;
  /// A fused call without ReLU that IMPLICIT_PRECOMP_GEMM cannot run: a
  /// plain convolution, then cudnnAddTensor for the bias and the residual.
  bool split = false;
  uint64_t workspaceBytes = 0, largestOperand = 0, biasBytes = 0;
};

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CUDA_CUDNNCONVOLUTIONS_H
