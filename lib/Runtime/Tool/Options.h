//===- Options.h - resnet-run's command line --------------------*- C++ -*-===//
//
// The options of resnet-run and their parser: `--name value` and
// `--name=value` alike; an empty value, a value of the wrong form or an
// unknown option is an error naming the option.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_TOOL_OPTIONS_H
#define RESNETC_LIB_RUNTIME_TOOL_OPTIONS_H

#include "resnetc/Runtime/Device.h"
#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Train.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace resnetc::runtime {

struct RunOptions {
  std::string model;
  /// --device: "cpu", "cuda" or "cuda-sim"; empty: from the artifact.
  std::string device;
  std::string weights, init = "d2l", saveWeights;
  uint64_t seed = 0;
  std::string data, labels;
  /// --val-data, --val-labels: what training evaluates after each epoch.
  std::string valData, valLabels;
  /// --normalize: mean, std pairs (one per channel, or one for all).
  std::vector<double> normalize;
  int64_t limit = -1, batch = 0;
  unsigned threads = 0;
  std::string logits, predictions;
  int64_t trainSteps = 0;
  double lr = 0.01;
  /// --label-smoothing: the loss's (0: none).
  double labelSmoothing = 0;
  bool train = false, resume = false;
  /// --top5: show (and plot) the test top-5 accuracy of each epoch.
  bool top5 = false;
  /// --random-crop PAD (0: none) and --hflip.
  int64_t randomCrop = 0;
  bool hflip = false;
  /// --allow-missing: velocities a checkpoint lacks start at zero.
  bool allowMissing = false;
  int64_t epochs = 10;
  /// --lr-schedule, --lr-steps, --lr-gamma, --warmup-epochs.
  LrSchedule schedule;
  /// --no-shuffle: epochs take the images in order.
  bool noShuffle = false;
  /// --log-steps: the CSV of every step's loss and rate.
  std::string logSteps;
  /// --optimizer: "sgd", "adamw", or empty when not given.
  std::string optimizer;
  double momentum = -1, weightDecay = -1; ///< -1: not given
  bool nesterov = false;
  std::string checkpointDir;
  std::string dumpDir;
  ConvAlgoSearch convAlgo = ConvAlgoSearch::Heuristic;
  bool deterministic = false;
  std::string algoCache;
  /// --benchmark: batches to time on synthetic data (0: none).
  int64_t benchmark = 0;
  /// --profile: time every step and print where the time went.
  bool profile = false;
  bool help = false;
  /// The options given, by name ("--epochs"), to tell a default from a
  /// value given.
  std::set<std::string> given;
};

/// The usage text of --help.
extern const char *const kResnetRunUsage;

/// Parses the command line.
Expected<RunOptions> parseRunOptions(int argc, char **argv);

/// Checks the command line as a whole, before anything is loaded: options
/// that the run would ignore, and outputs that cannot be written or that
/// would overwrite an input or each other.
Status checkCommandLine(const RunOptions &opts);

/// Whether --data names a built-in data set ("fashion-mnist[:split]")
/// rather than a file.
bool isDatasetName(const std::string &data);

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_TOOL_OPTIONS_H
