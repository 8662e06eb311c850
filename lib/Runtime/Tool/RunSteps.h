//===- RunSteps.h - The parts of a resnet-run run ---------------*- C++ -*-===//
//
// Private to resnet-run: what resnetRunMain (ResnetRun.cpp) puts together.
// Inputs.cpp: the starting parameters and the data; Training.cpp: --train
// with its report, and --train-steps; Benchmark.cpp: --benchmark;
// Outputs.cpp: inference with its outputs, and the weights; Profile.cpp:
// --profile's report.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_TOOL_RUNSTEPS_H
#define RESNETC_LIB_RUNTIME_TOOL_RUNSTEPS_H

#include "Options.h"
#include "resnetc/Runtime/Datasets.h"
#include "resnetc/Runtime/Executor.h"
#include "resnetc/Runtime/Tensor.h"

#include <functional>
#include <map>
#include <string>

namespace resnetc::runtime {

/// The seeded initialization (--init, --seed) of every parameter and state
/// tensor of `plan`.
Expected<std::map<std::string, HostTensor>>
initializeParameters(const Plan &plan, const RunOptions &opts);

/// Images (and labels, when `labels` is given) checked against the model's
/// input and classes: a Fashion-MNIST split (`fashion-mnist:train`), an
/// .npy file of float32 images (N x C x H x W, used as they are) or of
/// uint8 ones (scaled by 1/255 and resized to the model's height and width
/// as d2l's Resize does) with .npy labels (int64 or int32), or an IDX image
/// file with its IDX labels (MNIST's format, plain or gzip-compressed;
/// resized the same way). The first `limit` images when limit >= 0.
Expected<ImageDataset> loadImages(const Plan &plan, const std::string &data,
                                  const std::string &labels, int64_t limit);

/// torchvision's Normalize in place: (x - mean) / std per channel, from
/// --normalize's mean, std pairs (one per channel, or one for all).
Status normalize(ImageDataset &data, const std::vector<double> &meanStd);

/// The images (and labels, when known) of an inference run or of
/// --train-steps: --data with --labels, --limit and --normalize.
Expected<ImageDataset> loadInferenceData(const Plan &plan,
                                         const RunOptions &opts);

/// --train: trains on --data (Fashion-MNIST's train split, or files with
/// --labels) for --epochs, evaluating on the validation data (--val-data;
/// Fashion-MNIST's test split) after each, then writes the outputs of the
/// trained model.
/// `params` are set first unless the run resumes from a checkpoint.
Status runTraining(Executor &exec, const RunOptions &opts,
                   const std::map<std::string, HostTensor> &params,
                   const std::string &paramSource,
                   MissingOptimizerState missing, int64_t batch,
                   const std::string &deviceName);

/// --train-steps: that many training steps on the first full batch of
/// `data`, pipelined as in training, each step's loss printed.
Status runTrainSteps(Executor &exec, const ImageDataset &data,
                     const RunOptions &opts, const std::string &deviceName);

/// --benchmark: times `opts.benchmark` batches of inference (or training
/// steps) on random data after five warm-up batches, which include
/// choosing algorithms and capturing graphs.
Status benchmark(Executor &exec, const RunOptions &opts,
                 const std::string &deviceName,
                 const std::function<uint64_t()> &peakMemory);

/// Writes the parameters (after training: the trained ones) to `path`.
Status saveWeights(Executor &exec, const std::string &path);

/// Prints where the time of a --profile run went (Profile.cpp).
void printProfile(const Executor &exec);

/// Runs inference on `data` in batches of `batch`, prints the throughput
/// and (with labels) the accuracy, and writes --logits and --predictions.
Status runInference(Executor &exec, const ImageDataset &data, int64_t batch,
                    const RunOptions &opts, const std::string &deviceName);

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_TOOL_RUNSTEPS_H
