//===- ResnetRun.cpp - The resnet-run tool --------------------------------===//
//
// The device (from --device or the artifact), weights (checkpoint or seeded
// initialization), the checks of a training run against what was compiled,
// and which run it is: --benchmark, --train, or inference over the data
// (after --train-steps, when given). The parts are in RunSteps.h.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/ResnetRun.h"
#include "RunSteps.h"
#include "resnetc/Runtime/SafeTensors.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

using namespace resnetc::runtime;

namespace {
int fail(const std::string &message) {
  std::fprintf(stderr, "resnet-run: error: %s\n", message.c_str());
  return 1;
}

/// The directory of the running program.
std::string getProgramDir(const char *argv0) {
  std::error_code ec;
  std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    exe = std::filesystem::absolute(argv0, ec);
  return exe.parent_path().string();
}

/// The device and the artifact loaded on it.
struct LoadedModel {
  std::unique_ptr<Device> device;
  std::unique_ptr<Executable> executable;
};

/// Creates the device (--device, or the artifact's kind) and loads the
/// artifact; --batch must not exceed the compiled batch.
Expected<LoadedModel> loadModel(const RunOptions &opts, const char *argv0) {
  DeviceOptions deviceOptions;
  deviceOptions.kind =
      opts.device.empty() ? getArtifactDeviceKind(opts.model) : opts.device;
  deviceOptions.threads = opts.threads;
  deviceOptions.convAlgo = opts.convAlgo;
  deviceOptions.deterministic = opts.deterministic;
  deviceOptions.algoCache = opts.algoCache;
  deviceOptions.programDir = getProgramDir(argv0);
  Expected<std::unique_ptr<Device>> device = createDevice(deviceOptions);
  if (!device)
    return device.takeError();
  Expected<std::unique_ptr<Executable>> executable =
      (*device)->load(opts.model);
  if (!executable)
    return executable.takeError();
  const Plan &plan = (*executable)->getPlan();
  if (opts.batch > plan.batch)
    return Error("--batch " + std::to_string(opts.batch) +
                 " is larger than the batch the model was compiled for (" +
                 std::to_string(plan.batch) +
                 "); recompile with resnetc "
                 "--batch " +
                 std::to_string(opts.batch));
  return LoadedModel{std::move(*device), std::move(*executable)};
}

/// The parameters to start from: --weights, or the seeded initialization.
struct StartingParameters {
  std::map<std::string, HostTensor> tensors;
  std::string source; ///< For messages: the file, or "initialization".
};

Expected<StartingParameters> loadParameters(const Plan &plan,
                                            const RunOptions &opts) {
  StartingParameters params;
  if (!opts.weights.empty()) {
    Expected<SafeTensorsFile> file = readSafeTensors(opts.weights);
    if (!file)
      return file.takeError();
    for (auto &[name, t] : file->tensors)
      params.tensors[name] = std::move(t);
    params.source = opts.weights;
  } else {
    auto init = initializeParameters(plan, opts);
    if (!init)
      return init.takeError();
    params.tensors = std::move(*init);
    params.source = "initialization";
  }
  return params;
}

/// A training run (--train or --train-steps) needs a train_step entry
/// compiled for its batch and SGD settings.
Status checkTrainingSettings(const Plan &plan, const RunOptions &opts) {
  if (!opts.train && opts.trainSteps <= 0)
    return Status::success();
  if (!plan.findEntry("train_step"))
    return Error(opts.model + ": compiled without a train_step entry "
                              "(recompile with resnetc --mode=train)");
  // The step's batch and SGD settings are compiled in.
  if (opts.batch && opts.batch != plan.batch)
    return Error("train_step was compiled for batch " +
                 std::to_string(plan.batch) +
                 "; recompile with resnetc --mode=train --batch " +
                 std::to_string(opts.batch));
  auto differs = [](double given, double compiled) {
    return given >= 0 && std::abs(given - compiled) > 1e-12;
  };
  if (!opts.optimizer.empty() && opts.optimizer != plan.optimizer)
    return Error("train_step was compiled with --optimizer=" + plan.optimizer +
                 "; recompile with resnetc --optimizer=" + opts.optimizer +
                 " to train with it");
  if (plan.optimizer == "adamw" && (opts.momentum >= 0 || opts.nesterov))
    return Error("--momentum and --nesterov are SGD's; train_step was "
                 "compiled with --optimizer=adamw");
  if (differs(opts.momentum, plan.momentum) ||
      differs(opts.weightDecay, plan.weightDecay) ||
      (opts.nesterov && !plan.nesterov)) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  "train_step was compiled with --momentum=%g "
                  "--weight-decay=%g%s; recompile with resnetc to change "
                  "them",
                  plan.momentum, plan.weightDecay,
                  plan.nesterov ? " --nesterov" : "");
    return Error(buf);
  }
  return Status::success();
}

/// Inference over --data (after --train-steps, when given), with the
/// parameters set first and --dump-activations and --save-weights honoured.
Status runOnData(Executor &exec, const RunOptions &opts,
                 const StartingParameters &params,
                 MissingOptimizerState missing, int64_t batch,
                 const std::string &deviceName) {
  const Plan &plan = exec.getPlan();
  Expected<ImageDataset> data = loadInferenceData(plan, opts);
  if (!data)
    return data.takeError();

  if (Status s = exec.setParameters(params.tensors, params.source, missing); !s)
    return s;
  if (!opts.dumpDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.dumpDir, ec);
    if (ec)
      return Error("cannot create the directory '" + opts.dumpDir +
                   "' for --dump-activations: " + ec.message());
    exec.setDumpDirectory(opts.dumpDir);
  }
  if (opts.trainSteps > 0)
    if (Status s = runTrainSteps(exec, *data, opts, deviceName); !s)
      return s;
  if (!opts.saveWeights.empty())
    if (Status s = saveWeights(exec, opts.saveWeights); !s)
      return s;
  return runInference(exec, *data, batch, opts, deviceName);
}
} // namespace

int resnetc::runtime::resnetRunMain(int argc, char **argv) {
  Expected<RunOptions> parsed = parseRunOptions(argc, argv);
  if (!parsed)
    return fail(parsed.error().message());
  RunOptions &opts = *parsed;
  if (opts.help) {
    std::fputs(kResnetRunUsage, stdout);
    return 0;
  }
  if (Status s = checkCommandLine(opts); !s)
    return fail(s.message());

  Expected<LoadedModel> model = loadModel(opts, argv[0]);
  if (!model)
    return fail(model.error().message());
  const Plan &plan = model->executable->getPlan();
  int64_t batch = opts.batch ? opts.batch : plan.batch;

  // Load everything before running anything.
  Expected<StartingParameters> params = loadParameters(plan, opts);
  if (!params)
    return fail(params.error().message());
  MissingOptimizerState missing = opts.allowMissing
                                      ? MissingOptimizerState::Zero
                                      : MissingOptimizerState::ZeroIfAllAbsent;
  if (Status s = checkTrainingSettings(plan, opts); !s)
    return fail(s.message());
  Expected<std::unique_ptr<Executor>> created =
      Executor::create(*model->device, *model->executable);
  if (!created)
    return fail(created.error().message());
  Executor &exec = **created;
  std::string deviceName = model->device->getName();
  exec.setProfiling(opts.profile);

  Status s = Status::success();
  if (opts.benchmark) {
    Device &dev = *model->device;
    s = exec.setParameters(params->tensors, params->source, missing);
    if (s)
      s = benchmark(exec, opts, deviceName,
                    [&] { return dev.getPeakAllocatedBytes(); });
  } else if (opts.train) {
    s = runTraining(exec, opts, params->tensors, params->source, missing, batch,
                    deviceName);
  } else {
    s = runOnData(exec, opts, *params, missing, batch, deviceName);
  }
  if (opts.profile)
    printProfile(exec);
  return s ? 0 : fail(s.message());
}
