//===- Executor.h - Running compiled models on a device ---------*- C++ -*-===//
//
// Runs one executable on its device: owns the arena the plan sizes, binds
// parameters, and runs the plan's entries: inference on batches of images,
// and pipelined training steps whose input copies overlap the previous
// step's compute. Written once against Device.h for every device. No MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_EXECUTOR_H
#define RESNETC_RUNTIME_EXECUTOR_H

#include "resnetc/Runtime/Device.h"
#include "resnetc/Runtime/Plan.h"
#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace resnetc::runtime {

/// What one training step computed (before its update).
struct TrainStepResult {
  float loss = 0;      ///< The batch's mean loss.
  int64_t correct = 0; ///< Correct predictions in the batch.
};

/// Host memory for one training batch, pinned on a GPU: `images` holds
/// batch x C x H x W floats, `labels` batch class indices.
struct TrainBatch {
  float *images = nullptr;
  int64_t *labels = nullptr;
};

/// What setParameters does about optimizer state (SGD's
/// `<parameter>.velocity`, AdamW's `<parameter>.exp_avg` and
/// `<parameter>.exp_avg_sq`) that the tensors lack, for a plan that has it
/// (train_step with momentum, or AdamW).
enum class MissingOptimizerState {
  /// A fresh start: all absent, they start at zero; some absent is an
  /// error naming the first.
  ZeroIfAllAbsent,
  /// Resuming: every one must be given; an absent one is an error naming
  /// it.
  Error,
  /// Those absent start at zero (resnet-run --allow-missing).
  Zero,
};

/// Runs one executable. Not thread-safe; one executor per thread of use.
class Executor {
public:
  /// An executor of `executable` on `device` (which loaded it), with its
  /// arena and staging memory allocated.
  static Expected<std::unique_ptr<Executor>> create(Device &device,
                                                    Executable &executable);
  ~Executor();

  const Plan &getPlan() const { return executable.getPlan(); }
  Device &getDevice() { return device; }
  const std::string &getPath() const { return executable.getPath(); }

  /// Copies `tensors` (by parameter name) into the param and state buffers.
  /// Every such buffer must be given, with the plan's shape and F32 dtype,
  /// and finite values; `source` names the checkpoint in errors. Optimizer
  /// state is taken from `tensors` when present (resuming, checked
  /// likewise); absent state is treated as `missing` says. A tensor that is
  /// none of these (nor optimizer state of a parameter, which an inference
  /// plan ignores, nor PyTorch's `num_batches_tracked` of a batch norm) is
  /// an error: it belongs to another model. Checks
  /// everything before writing anything; runs `prepare`.
  Status setParameters(
      const std::map<std::string, HostTensor> &tensors,
      const std::string &source,
      MissingOptimizerState missing = MissingOptimizerState::ZeroIfAllAbsent);

  /// The parameters and state, by name (for checkpoints), and the
  /// optimizer state when asked.
  Expected<std::map<std::string, HostTensor>>
  getParameters(bool withOptimizerState = false);

  /// Runs `infer` on `count` images (count x C x H x W floats) in batches of
  /// `batchSize` (at most the compiled batch; 0: the compiled batch) and
  /// writes their count x classes logits. The batches are pipelined: a
  /// batch's images are copied while the batch before it computes.
  Status infer(const float *images, int64_t count, float *logits,
               int64_t batchSize = 0);

  /// Pipelined training on full batches: fill the batch beginTrainStep
  /// returns, submit it, and collect each submitted step's result, in
  /// order, with finishTrainStep. At most two steps are in flight; a step's
  /// input copy overlaps the previous step's compute. Needs a train_step
  /// entry.
  Expected<TrainBatch> beginTrainStep();
  Status submitTrainStep(float lr);
  /// The label smoothing of the steps submitted from now on (0 to start
  /// with; PyTorch's CrossEntropyLoss(label_smoothing)).
  void setLabelSmoothing(float s) { labelSmoothing = s; }
  /// The run's seed and the number of steps taken before the next one
  /// (seed 0 and step 0 to start with): the k-th step submitted from now
  /// on (from 0) is step `step + k`. With dropout it draws its masks with
  /// the seed `((step + k) << 32) | (seed ^ (seed >> 32)) mod 2^32`,
  /// train_step's `dropout_seed`; AdamW's bias corrections are those of
  /// its step `step + k + 1`.
  void setSeedAndStep(uint64_t seed, int64_t step) {
    runSeed = seed;
    stepNumber = step;
  }
  Expected<TrainStepResult> finishTrainStep();
  /// Steps submitted and not yet finished.
  int inFlight() const { return static_cast<int>(submitted - finished); }

  /// One training step on `images` and `labels` (a full batch each):
  /// begin, submit and finish.
  Expected<TrainStepResult> trainStep(const float *images,
                                      const int64_t *labels, float lr);

  /// After this, every step of `infer` and `train_step` writes the tensors
  /// it produces to `directory` as
  /// `<entry>.<run>.<step>.<kernel>.<result>.npy` (runs of the entry
  /// numbered from 1, steps from 000, results from 0): the intermediate
  /// values, for inspecting a model or comparing it with another framework
  /// layer by layer. An empty directory turns it off.
  void setDumpDirectory(std::string directory) {
    dumpDirectory = std::move(directory);
  }

  /// After this, every step of `infer` and `train_step` is timed: each
  /// step runs alone and the host waits for it (on a GPU this costs the
  /// overlap of steps, and CUDA graphs are not used).
  void setProfiling(bool on) { profiling = on; }

  /// The time one step of an entry took, summed over the entry's runs.
  struct StepTime {
    std::string entry;
    size_t step = 0;
    int64_t runs = 0;
    double seconds = 0;
  };
  /// Every timed step so far, the slowest first.
  std::vector<StepTime> getProfile() const;

private:
  Executor(Device &device, Executable &executable)
      : device(device), executable(executable) {}
  Status initialize();
  Status runEntry(const std::string &name, int64_t count);
  Status prepare();
  Status dumpResults(const PlanEntry &entry, size_t step,
                     std::vector<bool> &written);
  DeviceAddress bufferAddress(int64_t index) const;
  struct Slot;
  /// Enqueues the copies of a slot's batch (and labels) into the arena.
  Status stage(Slot &slot, bool labels);

  Device &device;
  Executable &executable;
  DeviceAddress arena = 0;
  bool parametersSet = false;
  bool prepared = false;
  std::string dumpDirectory;
  std::map<std::string, int64_t> runs; ///< Runs of each entry so far.
  bool profiling = false;
  /// (entry, step) -> (runs, seconds), when profiling.
  std::map<std::pair<std::string, size_t>, std::pair<int64_t, double>>
      stepTimes;

  /// Training: buffers of the train_step entry. Inference and training
  /// use two slots of staging in turn (pinned host batches, device copies
  /// of them, results).
  int64_t labelsBuffer = -1, lrBuffer = -1, lossBuffer = -1, correctBuffer = -1;
  int64_t smoothingBuffer = -1;
  float labelSmoothing = 0;
  int64_t dropoutSeedBuffer = -1; ///< Absent without dropout.
  /// AdamW's bias corrections 1 - beta1^t and 1 - beta2^t (absent with
  /// SGD).
  int64_t biasCorrection1Buffer = -1, biasCorrection2Buffer = -1;
  uint64_t runSeed = 0;
  int64_t stepNumber = 0; ///< Steps taken before the next one submitted.
  struct Slot {
    TrainBatch host;          ///< Pinned batch the caller fills.
    DeviceAddress images = 0; ///< Its device copy.
    DeviceAddress labels = 0;
    float *logits = nullptr; ///< Pinned: an inference batch's logits.
    void *result = nullptr;  ///< Pinned: loss (4 bytes), correct (8).
    EventId copied = 0;      ///< The transfer into images/labels done.
    EventId consumed = 0;    ///< Compute has read images/labels.
    EventId done = 0;        ///< The step and its result copy done.
    bool busy = false;       ///< Submitted and not finished.
  };
  Slot slots[2];
  uint64_t begun = 0, submitted = 0, finished = 0;
};

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_EXECUTOR_H
