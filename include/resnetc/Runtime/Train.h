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
#include <vector>

namespace resnetc::runtime {

/// How the learning rate changes over a run, per epoch as PyTorch's
/// schedulers stepped once per epoch, after an optional linear warm-up.
/// Epoch e (1-based) after the warm-up has, with i = e - 1:
///   constant:  lr
///   step:      lr * gamma^floor(i / steps[0])          (StepLR)
///   multistep: lr * gamma^(milestones in steps <= i)   (MultiStepLR)
///   cosine:    lr * (1 + cos(pi * j / T)) / 2, with j = i - warmup and
///              T = epochs - warmup                     (CosineAnnealingLR)
/// During the first `warmupEpochs` epochs, step k (0-based, counted over
/// the run) of S per epoch has lr * (k + 1) / (warmupEpochs * S).
struct LrSchedule {
  enum class Kind { Constant, Step, MultiStep, Cosine } kind = Kind::Constant;
  std::vector<int64_t> steps;
  double gamma = 0.1;
  int64_t warmupEpochs = 0;

  /// "constant", or e.g. "multistep 30,60 gamma 0.1, warmup 5": what
  /// checkpoints record and --resume compares.
  std::string describe() const;
};

/// The learning rate of step `step` (0-based) of `stepsPerEpoch` in epoch
/// `epoch` (1-based) of `epochs`, from the base rate `lr`.
double scheduledLr(const LrSchedule &schedule, double lr, int64_t epoch,
                   int64_t epochs, int64_t step, int64_t stepsPerEpoch);

/// Data augmentation of training images, as torchvision's RandomCrop(size,
/// padding) followed by RandomHorizontalFlip(): the image, padded by
/// `cropPadding` on every side with `padValue` per channel (the value a
/// zero pixel has after normalization), is cropped back to its size at an
/// offset uniform in [0, 2 * cropPadding] per axis, then mirrored with
/// probability 1/2 when `hflip`. Each image's draws come from its own
/// generator, seeded by the run's seed, the epoch and the image's position
/// in the epoch, so a run is reproducible whatever threads assemble it.
struct Augmentation {
  int64_t cropPadding = 0;
  bool hflip = false;
  std::vector<float> padValue; ///< One per channel; empty: zeros.

  bool enabled() const { return cropPadding > 0 || hflip; }
};

/// Writes the augmented `src` (c x h x w) into `dst`, drawing from the
/// generator of position `position` in epoch `epoch` under `seed`.
void augmentImage(const Augmentation &augmentation, const float *src, int64_t c,
                  int64_t h, int64_t w, uint64_t seed, int64_t epoch,
                  int64_t position, float *dst);

struct TrainOptions {
  /// The total number of epochs; resuming continues up to it.
  int64_t epochs = 10;
  double lr = 0.01;
  LrSchedule schedule;
  /// The loss's label smoothing (PyTorch's CrossEntropyLoss(
  /// label_smoothing)); recorded in checkpoints and checked on resume.
  double labelSmoothing = 0;
  /// Plot the test top-5 accuracy in metrics.svg too.
  bool top5 = false;
  /// Augmentation of the training images (none by default). Batches are
  /// assembled, augmented, by a worker thread while the step before
  /// computes.
  Augmentation augmentation;
  uint64_t seed = 0;
  /// Each epoch takes the images in a seeded random order (PyTorch's
  /// DataLoader(shuffle=True)); false: in order.
  bool shuffle = true;
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
  /// On resume: what to do about optimizer state the checkpoint lacks.
  MissingOptimizerState missingOptimizerState = MissingOptimizerState::Error;
};

/// One line of metrics.
struct EpochMetrics {
  int64_t epoch = 0;
  double loss = 0, trainAcc = 0, testAcc = 0, examplesPerSecond = 0;
  /// Top-5 accuracy on the test set and the epoch's training time; NaN in
  /// the rows of checkpoints written before they were recorded.
  double testTop5 = 0, seconds = 0;
  /// The learning rate of the epoch's last step (not in metrics.csv).
  double lr = 0;
};

/// What a training run reports as it goes.
class TrainObserver {
public:
  virtual ~TrainObserver();
  /// Before the first step, once the checkpoint directory (and, resuming,
  /// the checkpoint) checked out: `images` of the training set, in batches
  /// of `batch`.
  virtual void onStart(int64_t images, int64_t batch) {}
  /// After step `step` (1-based) of `steps` in `epoch`: its loss and
  /// learning rate, and the epoch's mean loss so far.
  virtual void onStep(int64_t epoch, int64_t step, int64_t steps, double loss,
                      double lr, double meanLoss) {}
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

/// Accuracies on a labelled set: the share of images whose label has the
/// highest logit (top-1; the first of equal logits), and whose label's logit
/// is exceeded by fewer than five others (top-5; 1 with five classes or
/// fewer).
struct Accuracy {
  double top1 = 0, top5 = 0;
};

/// The accuracies of the current parameters on `data` (which has labels).
Expected<Accuracy> evaluate(Executor &exec, const ImageDataset &data);

/// The metrics as an SVG line plot (loss, train and test accuracy per
/// epoch, and with `top5` the test top-5 accuracy), in the manner of d2l's
/// animator.
std::string plotMetricsSVG(const std::vector<EpochMetrics> &metrics,
                           bool top5 = false);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_TRAIN_H
