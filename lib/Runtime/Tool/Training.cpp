//===- Training.cpp - resnet-run --train and --train-steps ----------------===//
//
// Training for a number of epochs (on Fashion-MNIST or on files) with d2l's
// epoch lines (and a progress bar on a terminal), and a number of training
// steps on one batch of given data with each step's loss.
//
//===----------------------------------------------------------------------===//

#include "RunSteps.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Train.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

using namespace resnetc::runtime;

namespace {
/// Prints the epochs of a training run the way d2l does, with a live
/// progress bar on a terminal.
class TrainReport : public TrainObserver {
public:
  TrainReport(std::string device, bool progress)
      : device(std::move(device)), progress(progress) {}

  void onStep(int64_t epoch, int64_t step, int64_t steps, double loss,
              double lr, double meanLoss) override {
    if (!logSteps.empty()) {
      char row[96];
      std::snprintf(row, sizeof(row), "%lld,%lld,%.9g,%.9g\n",
                    static_cast<long long>(epoch), static_cast<long long>(step),
                    loss, lr);
      stepRows += row;
    }
    if (!progress)
      return;
    int done = static_cast<int>(30 * step / steps);
    std::printf("\repoch %lld [%.*s%*s] %lld/%lld loss %.4f",
                static_cast<long long>(epoch), done,
                "==============================", 30 - done, "",
                static_cast<long long>(step), static_cast<long long>(steps),
                meanLoss);
    std::fflush(stdout);
  }

  void onEpoch(const EpochMetrics &m) override {
    if (progress)
      std::printf("\r%*s\r", 80, "");
    if (!logSteps.empty()) {
      // Every step so far, rewritten after each epoch. The training loop
      // reports an error through its result, not here: a failed write is
      // remembered and returned after the run.
      std::string text = "epoch,step,loss,lr\n" + stepRows;
      if (Status s = writeFileAtomically(logSteps, {{text.data(), text.size()}});
          !s && logError.empty())
        logError = "--log-steps: " + s.message();
    }
    std::printf("epoch %lld: loss %.3f, train acc %.3f, test acc %.3f",
                static_cast<long long>(m.epoch), m.loss, m.trainAcc, m.testAcc);
    if (top5)
      std::printf(", test top-5 %.3f", m.testTop5);
    // With a schedule, the rate of the epoch's last step.
    if (scheduled)
      std::printf(", lr %.9g", m.lr);
    std::printf("\n%.1f examples/sec on %s\n", m.examplesPerSecond,
                device.c_str());
    std::fflush(stdout);
  }

  void onStart(int64_t images, int64_t batch) override {
    std::printf("training %s on %lld images, batch %lld, lr %g, %lld "
                "epochs\n",
                model.c_str(), static_cast<long long>(images),
                static_cast<long long>(batch), lr,
                static_cast<long long>(epochs));
    std::fflush(stdout);
  }

  void onResume(int64_t nextEpoch, int64_t epochs,
                double checkpointLr) override {
    std::printf("resuming at epoch %lld of %lld",
                static_cast<long long>(nextEpoch),
                static_cast<long long>(epochs));
    if (checkpointLr != lr)
      std::printf(" with --lr %g (the checkpoint was written with --lr %g)", lr,
                  checkpointLr);
    std::printf("\n");
    std::fflush(stdout);
  }

private:
  std::string device;
  bool progress;

public:
  std::string model;
  double lr = 0;
  int64_t epochs = 0;
  bool scheduled = false;
  bool top5 = false;
  /// --log-steps: the file, and its rows so far; the first error writing
  /// it.
  std::string logSteps, stepRows, logError;
};
} // namespace

Status
resnetc::runtime::runTraining(Executor &exec, const RunOptions &opts,
                              const std::map<std::string, HostTensor> &params,
                              const std::string &paramSource,
                              MissingOptimizerState missing, int64_t batch,
                              const std::string &deviceName) {
  const Plan &plan = exec.getPlan();
  // Fashion-MNIST: its train split, validated on its test split; files:
  // --data and --labels, validated on --val-data and --val-labels.
  bool fashion = isDatasetName(opts.data);
  std::string valData = opts.valData;
  if ((valData.empty() && fashion) || valData == "fashion-mnist")
    valData = "fashion-mnist:test";
  Expected<ImageDataset> trainSet =
      loadImages(plan, fashion ? "fashion-mnist:train" : opts.data, opts.labels,
                 opts.limit);
  if (!trainSet)
    return trainSet.takeError();
  // --limit bounds both splits: the evaluation after each epoch too.
  Expected<ImageDataset> testSet =
      loadImages(plan, valData, opts.valLabels, opts.limit);
  if (!testSet)
    return testSet.takeError();
  for (ImageDataset *set : {&*trainSet, &*testSet})
    if (Status s = normalize(*set, opts.normalize); !s)
      return s;
  if (!opts.resume)
    if (Status s = exec.setParameters(params, paramSource, missing); !s)
      return s;
  TrainOptions to;
  to.epochs = opts.epochs;
  to.lr = opts.lr;
  to.schedule = opts.schedule;
  to.labelSmoothing = opts.labelSmoothing;
  to.top5 = opts.top5;
  to.augmentation.cropPadding = opts.randomCrop;
  to.augmentation.hflip = opts.hflip;
  // The padding is of zero pixels: after --normalize, (0 - mean) / std as
  // normalize() computes it.
  for (int64_t ch = 0; ch < plan.inputShape[0]; ++ch) {
    size_t p = opts.normalize.size() == 2 ? 0 : 2 * static_cast<size_t>(ch);
    float pad = 0.0f;
    if (!opts.normalize.empty())
      pad = (0.0f - static_cast<float>(opts.normalize[p])) /
            static_cast<float>(opts.normalize[p + 1]);
    to.augmentation.padValue.push_back(pad);
  }
  to.seed = opts.seed;
  to.shuffle = !opts.noShuffle;
  to.checkpointDir = opts.checkpointDir;
  to.resume = opts.resume;
  // What the run trains on, as recorded in checkpoints and checked on
  // resume: "fashion-mnist" as before, else every file and the
  // normalization.
  to.data =
      fashion ? "fashion-mnist" : opts.data + " (labels " + opts.labels + ")";
  if (valData != "fashion-mnist:test")
    to.data +=
        ", validated on " + valData +
        (opts.valLabels.empty() ? "" : " (labels " + opts.valLabels + ")");
  if (opts.randomCrop)
    to.data += ", random crop " + std::to_string(opts.randomCrop);
  if (opts.hflip)
    to.data += ", hflip";
  if (opts.noShuffle)
    to.data += ", in order";
  if (!opts.normalize.empty()) {
    to.data += ", normalized";
    for (double v : opts.normalize) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), " %.9g", v);
      to.data += buf;
    }
  }
  to.limit = opts.limit;
  to.missingOptimizerState = opts.allowMissing ? MissingOptimizerState::Zero
                                               : MissingOptimizerState::Error;
  TrainReport report(deviceName, isatty(fileno(stdout)));
  report.model = plan.model;
  report.lr = opts.lr;
  report.epochs = opts.epochs;
  report.top5 = opts.top5;
  report.logSteps = opts.logSteps;
  report.scheduled = opts.schedule.kind != LrSchedule::Kind::Constant ||
                     opts.schedule.warmupEpochs > 0;
  if (Status s = train(exec, *trainSet, *testSet, to, report); !s)
    return s;
  if (!report.logError.empty())
    return Error(report.logError);
  // The outputs are of the trained model: its weights, and its logits
  // and predictions on the test split.
  if (!opts.saveWeights.empty())
    if (Status s = saveWeights(exec, opts.saveWeights); !s)
      return s;
  if (!opts.logits.empty() || !opts.predictions.empty())
    if (Status s = runInference(exec, *testSet, batch, opts, deviceName); !s)
      return s;
  return Status::success();
}

Status resnetc::runtime::runTrainSteps(Executor &exec, const ImageDataset &data,
                                       const RunOptions &opts,
                                       const std::string &deviceName) {
  const Plan &plan = exec.getPlan();
  if (data.labels.empty())
    return Error("--train-steps needs labels (a labelled dataset, or "
                 "--labels with an .npy --data)");
  if (data.n < plan.batch)
    return Error("--train-steps trains on one full batch of " +
                 std::to_string(plan.batch) + " images; the data has " +
                 std::to_string(data.n));
  exec.setLabelSmoothing(static_cast<float>(opts.labelSmoothing));
  exec.setSeedAndStep(opts.seed, 0);
  // Pipelined as in training: a step is submitted before the one before
  // it is collected.
  size_t batchBytes =
      static_cast<size_t>(plan.batch * data.c * data.h * data.w) *
      sizeof(float);
  int64_t collected = 0;
  auto collect = [&]() -> Status {
    Expected<TrainStepResult> r = exec.finishTrainStep();
    if (!r)
      return r.takeError();
    ++collected;
    std::printf("train step %lld: loss %.9g, correct %lld/%lld\n",
                static_cast<long long>(collected), r->loss,
                static_cast<long long>(r->correct),
                static_cast<long long>(plan.batch));
    if (!std::isfinite(r->loss)) {
      char lr[32];
      std::snprintf(lr, sizeof(lr), "%g", opts.lr);
      return Error("train step " + std::to_string(collected) +
                   ": the loss is " + std::to_string(r->loss) +
                   "; stopped (one possible cause: --lr " + lr +
                   " is too large for this model)");
    }
    return Status::success();
  };
  auto start = std::chrono::steady_clock::now();
  for (int64_t step = 1; step <= opts.trainSteps; ++step) {
    Expected<TrainBatch> next = exec.beginTrainStep();
    if (!next)
      return next.takeError();
    std::memcpy(next->images, data.images.data(), batchBytes);
    std::memcpy(next->labels, data.labels.data(),
                static_cast<size_t>(plan.batch) * sizeof(int64_t));
    if (Status st = exec.submitTrainStep(static_cast<float>(opts.lr)); !st)
      return st;
    if (exec.inFlight() == 2)
      if (Status st = collect(); !st) {
        while (exec.inFlight())
          (void)exec.finishTrainStep();
        return st;
      }
  }
  while (exec.inFlight())
    if (Status st = collect(); !st) {
      while (exec.inFlight())
        (void)exec.finishTrainStep();
      return st;
    }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("%lld train steps in %.3f s (%.1f images/s, batch %lld, "
              "%s)\n",
              static_cast<long long>(opts.trainSteps), seconds,
              seconds > 0 ? opts.trainSteps * plan.batch / seconds : 0.0,
              static_cast<long long>(plan.batch), deviceName.c_str());
  return Status::success();
}
