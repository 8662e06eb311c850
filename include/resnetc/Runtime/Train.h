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
  /// The total number of epochs; resuming continues up to it.
  int64_t epochs = 10;
  double lr = 0.01;
  uint64_t seed = 0;
  /// Directory of checkpoint.safetensors, metrics.csv and metrics.svg;
  /// empty: no files.
  std::string checkpointDir;
  /// Continue from checkpointDir's checkpoint (same seed: same results as
  /// an uninterrupted run). The checkpoint's metadata must be complete and
  /// match: the model, the seed, the data and the limit (a different
  /// learning rate is reported, and used).
  bool resume = false;
  /// What the run trains on and how many images of each split it uses
  /// (-1: all), recorded in each checkpoint and checked on resume.
  std::string data = "fashion-mnist";
  int64_t limit = -1;
  /// On resume: what to do about velocities the checkpoint lacks.
  MissingVelocities missingVelocities = MissingVelocities::Error;
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
  /// Before the first step, once the checkpoint directory (and, resuming,
  /// the checkpoint) checked out: `images` of the training set, in batches
  /// of `batch`.
  virtual void onStart(int64_t images, int64_t batch) {}
  /// After step `step` (1-based) of `steps` in `epoch`, with the epoch's
  /// mean loss so far.
  virtual void onStep(int64_t epoch, int64_t step, int64_t steps,
                      double meanLoss) {}
  /// After each epoch's evaluation (and checkpoint).
  virtual void onEpoch(const EpochMetrics &metrics) {}
  /// Before training, when resuming: the next epoch, the total, and the
  /// learning rate the checkpoint was written with.
  virtual void onResume(int64_t nextEpoch, int64_t epochs,
                        double checkpointLr) {}
};

/// Trains `exec` (whose parameters are set, unless resuming) on `train`,
/// evaluating on `test` after each epoch. The checkpoint directory is
/// created and its files checked writable before the first step. A loss
/// that is not finite stops training with an error; the last checkpoint
/// (of the last good epoch) stays.
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
