//===- Executor.h - Running compiled models ---------------------*- C++ -*-===//
//
// Loads an artifact, validates its plan, owns the one arena the plan sizes,
// binds parameters, and runs the plan's entries. The CPU backend loads the
// shared library with dlopen and runs batched steps image by image on a pool
// of threads. No MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_EXECUTOR_H
#define RESNETC_RUNTIME_EXECUTOR_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace resnetc::runtime {

class ThreadPool;

/// A compiled model: its plan and its kernels.
class Artifact {
public:
  /// Loads `path`. Fails with a message naming the file when it is not a
  /// resnetc artifact, was compiled for another target or plan version, or
  /// lacks a kernel its plan names.
  static Expected<std::unique_ptr<Artifact>> load(const std::string &path);
  ~Artifact();

  const Plan &getPlan() const { return plan; }
  const std::string &getPath() const { return path; }

  /// `void entry(void **args, int64_t n)` of every kernel.
  using KernelFn = void (*)(void **, int64_t);
  KernelFn getKernel(const std::string &name) const;

private:
  Artifact() = default;
  std::string path;
  void *handle = nullptr;
  Plan plan;
  std::map<std::string, KernelFn> kernels;
};

/// Runs one artifact. Not thread-safe; one executor per thread of use.
class Executor {
public:
  /// `threads` = 0 uses every core.
  Executor(const Artifact &artifact, unsigned threads = 0);
  ~Executor();

  const Plan &getPlan() const { return artifact.getPlan(); }

  /// Copies `tensors` (by parameter name) into the param and state buffers.
  /// Every such buffer must be given, with the plan's shape and F32 dtype;
  /// `source` names the checkpoint in errors. SGD velocities are taken from
  /// `tensors` when present (resuming), else zeroed. Runs `prepare`.
  Status setParameters(const std::map<std::string, HostTensor> &tensors,
                       const std::string &source);

  /// The parameters and state, by name (for checkpoints), and the SGD
  /// velocities (`<parameter>.velocity`) when asked.
  std::map<std::string, HostTensor>
  getParameters(bool withVelocities = false) const;

  /// Runs `infer` on the first `count` images (count <= batch) of the input
  /// buffer and leaves their logits in the output buffer.
  Status infer(int64_t count);

  /// One SGD step on a full batch: the images in the input buffer and
  /// `labels` (batch of them). Updates parameters, velocities and running
  /// statistics in place and returns the batch's mean loss and number of
  /// correct predictions (before the update). Needs a train_step entry.
  Status trainStep(const int64_t *labels, float lr, float &loss,
                   int64_t &correct);

  /// After this, every step of `infer` and `train_step` writes the tensors
  /// it produces to `directory` as
  /// `<entry>.<run>.<step>.<kernel>.<result>.npy` (runs of the entry
  /// numbered from 1, steps from 000, results from 0): the intermediate
  /// values, for inspecting a model or comparing it with another framework
  /// layer by layer. An empty directory turns it off.
  void setDumpDirectory(std::string directory) {
    dumpDirectory = std::move(directory);
  }

  /// Pointer to a buffer's first element.
  float *bufferData(int64_t index);
  float *inputData() { return bufferData(getPlan().input); }
  const float *outputData() { return bufferData(getPlan().output); }

private:
  Status runEntry(const std::string &name, int64_t count);
  Status prepare();
  Status dumpResults(const PlanEntry &entry, size_t step,
                     std::vector<bool> &written);

  const Artifact &artifact;
  std::unique_ptr<ThreadPool> pool;
  void *arena = nullptr;
  bool parametersSet = false;
  bool prepared = false;
  std::string dumpDirectory;
  std::map<std::string, int64_t> runs; ///< Runs of each entry so far.
};

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_EXECUTOR_H
