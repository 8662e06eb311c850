//===- Train.h - The training loop of resnet-run ----------------*- C++ -*-===//
//
// Epochs over a dataset with a compiled train_step: seeded shuffling, full
// batches (pipelined: a batch is assembled and copied while the step before
// it computes), evaluation on a test set after every epoch, metrics as CSV
// and an SVG plot, atomic checkpoints, and resuming. What is shown while it
// runs is the caller's (TrainObserver).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_TRAIN_H
#define RESNETC_RUNTIME_TRAIN_H

#include "resnetc/Runtime/Datasets.h"
#include "resnetc/Runtime/Executor.h"

#include <cstdio>
#include <string>

namespace resnetc::runtime {

struct TrainOptions {
  int64_t epochs = 10;
  double lr = 0.01;
  uint64_t seed = 0;
  /// Directory of checkpoint.safetensors, metrics.csv and metrics.svg;
  /// empty: no files.
  std::string checkpointDir;
  /// Continue from checkpointDir's checkpoint (same seed: same results as
  /// an uninterrupted run).
  bool resume = false;
};

/// One line of metrics.
struct EpochMetrics {
  int64_t epoch = 0;
  double loss = 0, trainAcc = 0, testAcc = 0, examplesPerSecond = 0;
};

/// What a training run reports as it goes.
class TrainObserver {
public:
  virtual ~TrainObserver();
  /// After step `step` (1-based) of `steps` in `epoch`, with the epoch's
  /// mean loss so far.
  virtual void onStep(int64_t epoch, int64_t step, int64_t steps,
                      double meanLoss) {}
  /// After each epoch's evaluation (and checkpoint).
  virtual void onEpoch(const EpochMetrics &metrics) {}
};

/// Trains `exec` (whose parameters are set, unless resuming) on `train`,
/// evaluating on `test` after each epoch. A loss that is not finite stops
/// training with an error; the last checkpoint (of the last good epoch)
/// stays.
Status train(Executor &exec, const ImageDataset &train,
             const ImageDataset &test, const TrainOptions &options,
             TrainObserver &observer);

/// Top-1 accuracy of the current parameters on `data` (which has labels).
Expected<double> evaluate(Executor &exec, const ImageDataset &data);

/// The metrics as an SVG line plot (loss, train and test accuracy per
/// epoch), in the manner of d2l's animator.
std::string plotMetricsSVG(const std::vector<EpochMetrics> &metrics);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_TRAIN_H
