//===- ResnetRun.cpp - The resnet-run tool --------------------------------===//
//
// The device (from --device or the artifact), weights (checkpoint or seeded
// initialization), data (Fashion-MNIST or .npy), training with its report,
// batched inference through the Executor, and the outputs: accuracy,
// logits, predictions.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/ResnetRun.h"
#include "Options.h"
#include "resnetc/Runtime/Datasets.h"
#include "resnetc/Runtime/Executor.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Init.h"
#include "resnetc/Runtime/Npy.h"
#include "resnetc/Runtime/SafeTensors.h"
#include "resnetc/Runtime/Train.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

using namespace resnetc::runtime;

namespace {
int fail(const std::string &message) {
  std::fprintf(stderr, "resnet-run: error: %s\n", message.c_str());
  return 1;
}

/// What a parameter is, from its name and shape, for initialization.
Expected<ParamKind> kindOf(const PlanBuffer &b,
                           const std::map<std::string, int64_t> &ranks) {
  auto endsWith = [&](const char *suffix) {
    size_t n = std::strlen(suffix);
    return b.name.size() >= n &&
           b.name.compare(b.name.size() - n, n, suffix) == 0;
  };
  std::string layer = b.name.substr(0, b.name.rfind('.'));
  auto weightRank = ranks.find(layer + ".weight");
  if (endsWith(".running_mean"))
    return ParamKind::RunningMean;
  if (endsWith(".running_var"))
    return ParamKind::RunningVar;
  if (endsWith(".weight"))
    return b.shape.size() == 4   ? ParamKind::ConvWeight
           : b.shape.size() == 2 ? ParamKind::LinearWeight
                                 : ParamKind::BNWeight;
  if (endsWith(".bias") && weightRank != ranks.end())
    return weightRank->second == 1 ? ParamKind::BNBias : ParamKind::Bias;
  return Error("cannot tell how to initialize parameter '" + b.name + "'");
}

Expected<std::map<std::string, HostTensor>> initialize(const Plan &plan,
                                                       const RunOptions &opts) {
  Expected<InitScheme> scheme = parseInitScheme(opts.init);
  if (!scheme)
    return scheme.takeError();
  std::map<std::string, int64_t> ranks;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const PlanBuffer &b : plan.buffers) {
    ranks[b.name] = static_cast<int64_t>(b.shape.size());
    shapes[b.name] = b.shape;
  }
  std::vector<ParamSpec> specs;
  for (const PlanBuffer &b : plan.buffers) {
    if (b.role != BufferRole::Param && b.role != BufferRole::State)
      continue;
    Expected<ParamKind> kind = kindOf(b, ranks);
    if (!kind)
      return kind.takeError();
    ParamSpec spec{b.name, b.shape, *kind, 0};
    if (*kind == ParamKind::Bias) {
      // fan_in of the layer's weight, for PyTorch's default bias bound.
      const auto &w = shapes[b.name.substr(0, b.name.rfind('.')) + ".weight"];
      int64_t fan = 1;
      for (size_t i = 1; i < w.size(); ++i)
        fan *= w[i];
      spec.fanIn = fan;
    }
    specs.push_back(std::move(spec));
  }
  auto tensors = initParameters(specs, *scheme, opts.seed);
  if (!tensors)
    return tensors.takeError();
  std::map<std::string, HostTensor> out;
  for (auto &[name, t] : *tensors)
    out[name] = std::move(t);
  return out;
}

/// The split --data names for inference: "fashion-mnist" alone is the test
/// split there.
std::string inferenceDataName(const std::string &data) {
  return data == "fashion-mnist" ? "fashion-mnist:test" : data;
}

bool isDatasetName(const std::string &data) {
  return data == "fashion-mnist" || data.rfind("fashion-mnist:", 0) == 0;
}

/// A shape as numpy prints it: "(2, 3, 96, 96)", "(5,)".
std::string npyShape(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

Expected<ImageDataset> loadData(const Plan &plan, const RunOptions &opts) {
  int64_t c = plan.inputShape[0], h = plan.inputShape[1],
          w = plan.inputShape[2];
  std::string shape = "N x " + std::to_string(c) + " x " + std::to_string(h) +
                      " x " + std::to_string(w);
  if (isDatasetName(opts.data)) {
    std::string name = inferenceDataName(opts.data);
    if (c != 1)
      return Error(name +
                   ": Fashion-MNIST images have 1 channel, the "
                   "model expects " +
                   std::to_string(c));
    return loadDataset(name, h, w, opts.limit, plan.classes);
  }
  Expected<HostTensor> images = readNpy(opts.data, {DType::F32});
  if (!images)
    return images.takeError();
  if (images->shape.size() != 4 || images->shape[1] != c ||
      images->shape[2] != h || images->shape[3] != w)
    return Error(opts.data + ": the images have shape " +
                 npyShape(images->shape) + "; this model takes " + shape);
  ImageDataset ds;
  ds.n = images->shape[0];
  int64_t total = ds.n;
  if (opts.limit >= 0 && opts.limit < ds.n)
    ds.n = opts.limit;
  ds.c = c;
  ds.h = h;
  ds.w = w;
  const float *data = reinterpret_cast<const float *>(images->bytes.data());
  ds.images.assign(data, data + ds.n * c * h * w);
  if (!opts.labels.empty()) {
    Expected<HostTensor> labels =
        readNpy(opts.labels, {DType::I64, DType::I32});
    if (!labels)
      return labels.takeError();
    if (labels->shape.size() != 1 || labels->shape[0] != total)
      return Error(opts.labels + ": the labels have shape " +
                   npyShape(labels->shape) + "; " + opts.data + " holds " +
                   std::to_string(total) +
                   " images, so the labels' shape must be (" +
                   std::to_string(total) + ",)");
    // Every label, also beyond --limit: a label that is not a class means
    // the file is not what it should be.
    for (int64_t i = 0; i < total; ++i) {
      int64_t l =
          labels->dtype == DType::I64
              ? reinterpret_cast<const int64_t *>(labels->bytes.data())[i]
              : reinterpret_cast<const int32_t *>(labels->bytes.data())[i];
      if (l < 0 || l >= plan.classes)
        return Error(opts.labels + ": label " + std::to_string(l) +
                     " at index " + std::to_string(i) +
                     " is not a class of this model (0 to " +
                     std::to_string(plan.classes - 1) + ")");
      if (i < ds.n)
        ds.labels.push_back(l);
    }
  }
  return ds;
}

/// Prints where a --profile run's time went: the time by kind of step, then
/// the slowest steps.
static void printProfile(const Executor &exec) {
  const Plan &plan = exec.getPlan();
  std::vector<Executor::StepTime> steps = exec.getProfile();
  double total = 0;
  std::map<std::string, double> byKind;
  auto kindOf = [&](const PlanStep &step) -> std::string {
    if (step.library)
      return step.library->name;
    const std::string &k = step.kernel;
    // Conversion steps are named c<N>_<kernel> (docs/artifact.md).
    if (k.size() > 1 && k[0] == 'c' && std::isdigit(k[1]))
      return "layout/type conversions";
    return "generated kernels";
  };
  for (const Executor::StepTime &t : steps) {
    const PlanStep &step = plan.findEntry(t.entry)->steps[t.step];
    total += t.seconds;
    byKind[t.entry + ": " + kindOf(step)] += t.seconds;
  }
  if (total <= 0)
    return;
  std::printf("profile: %.3f s in timed steps\n", total);
  std::vector<std::pair<double, std::string>> kinds;
  for (const auto &[kind, seconds] : byKind)
    kinds.push_back({seconds, kind});
  std::sort(kinds.rbegin(), kinds.rend());
  for (const auto &[seconds, kind] : kinds)
    std::printf("  %6.1f%%  %9.3f s  %s\n", 100 * seconds / total, seconds,
                kind.c_str());
  std::printf("slowest steps (entry, step, layer, what, runs, ms per run):\n");
  for (size_t i = 0; i < steps.size() && i < 15; ++i) {
    const Executor::StepTime &t = steps[i];
    const PlanStep &step = plan.findEntry(t.entry)->steps[t.step];
    std::printf("  %6.1f%%  %s %3zu  %-36s %-28s %5lld  %8.3f\n",
                100 * t.seconds / total, t.entry.c_str(), t.step,
                step.layer.c_str(),
                step.library ? step.library->name.c_str() : step.kernel.c_str(),
                static_cast<long long>(t.runs), 1e3 * t.seconds / t.runs);
  }
}

/// Prints the epochs of a training run the way d2l does, with a live
/// progress bar on a terminal.
class TrainReport : public TrainObserver {
public:
  TrainReport(std::string device, bool progress)
      : device(std::move(device)), progress(progress) {}

  void onStep(int64_t epoch, int64_t step, int64_t steps,
              double meanLoss) override {
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
    std::printf("epoch %lld: loss %.3f, train acc %.3f, test acc %.3f\n"
                "%.1f examples/sec on %s\n",
                static_cast<long long>(m.epoch), m.loss, m.trainAcc, m.testAcc,
                m.examplesPerSecond, device.c_str());
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
};

/// --benchmark: times `opts.benchmark` batches of inference (or training
/// steps) on random data after five warm-up batches, which include
/// choosing algorithms and capturing graphs.
Status benchmark(Executor &exec, const RunOptions &opts,
                 const std::string &deviceName,
                 const std::function<uint64_t()> &peakMemory) {
  const Plan &plan = exec.getPlan();
  int64_t image = plan.inputShape[0] * plan.inputShape[1] * plan.inputShape[2];
  std::vector<float> images(static_cast<size_t>(plan.batch * image));
  std::vector<int64_t> labels(static_cast<size_t>(plan.batch));
  Rng rng(opts.seed + 1);
  for (float &v : images)
    v = rng.normal();
  for (int64_t &l : labels)
    l = static_cast<int64_t>(rng.below(static_cast<uint64_t>(plan.classes)));
  std::vector<float> logits(static_cast<size_t>(plan.batch * plan.classes));
  const int64_t warmup = 5, total = warmup + opts.benchmark;
  std::chrono::steady_clock::time_point start;
  if (opts.train) {
    int64_t collected = 0;
    auto collect = [&]() -> Status {
      Expected<TrainStepResult> r = exec.finishTrainStep();
      if (!r)
        return r.takeError();
      if (++collected == warmup)
        start = std::chrono::steady_clock::now();
      return Status::success();
    };
    for (int64_t step = 0; step < total; ++step) {
      Expected<TrainBatch> next = exec.beginTrainStep();
      if (!next)
        return next.takeError();
      std::copy(images.begin(), images.end(), next->images);
      std::copy(labels.begin(), labels.end(), next->labels);
      if (Status s = exec.submitTrainStep(static_cast<float>(opts.lr)); !s)
        return s;
      if (exec.inFlight() == 2)
        if (Status s = collect(); !s)
          return s;
    }
    while (exec.inFlight())
      if (Status s = collect(); !s)
        return s;
  } else {
    for (int64_t step = 0; step < total; ++step) {
      if (step == warmup)
        start = std::chrono::steady_clock::now();
      if (Status s = exec.infer(images.data(), plan.batch, logits.data()); !s)
        return s;
    }
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf("benchmark: %s of %s on %s: %lld batches of %lld in %.3f s: "
              "%.1f images/s; device memory %.3f GB\n",
              opts.train ? "train_step" : "infer", plan.model.c_str(),
              deviceName.c_str(), static_cast<long long>(opts.benchmark),
              static_cast<long long>(plan.batch), seconds,
              seconds > 0 ? opts.benchmark * plan.batch / seconds : 0.0,
              peakMemory() / 1e9);
  return Status::success();
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
} // namespace

namespace {
/// Writes the parameters (after training: the trained ones) to `path`.
Status saveWeights(Executor &exec, const std::string &path) {
  Expected<std::map<std::string, HostTensor>> weights = exec.getParameters();
  if (!weights)
    return weights.takeError();
  NamedTensors out;
  for (auto &[name, t] : *weights)
    out.emplace_back(name, t);
  return writeSafeTensors(path, out);
}

/// Runs inference on `data` in batches of `batch`, prints the throughput
/// and (with labels) the accuracy, and writes --logits and --predictions.
Status runInference(Executor &exec, const ImageDataset &data, int64_t batch,
                    const RunOptions &opts, const std::string &deviceName) {
  const Plan &plan = exec.getPlan();
  int64_t n = data.n, classes = plan.classes;
  std::vector<float> logits(static_cast<size_t>(n * classes));
  auto start = std::chrono::steady_clock::now();
  // All batches at once: they are pipelined.
  if (Status s = exec.infer(data.images.data(), n, logits.data(), batch); !s)
    return s;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  std::vector<int64_t> predicted(static_cast<size_t>(n));
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float *row = logits.data() + i * classes;
    int64_t best = 0;
    for (int64_t k = 1; k < classes; ++k)
      if (row[k] > row[best])
        best = k;
    predicted[i] = best;
    if (!data.labels.empty() && data.labels[i] == best)
      ++correct;
  }
  std::printf("%s: %lld images in %.3f s (%.1f images/s, batch %lld, %s)\n",
              plan.model.c_str(), static_cast<long long>(n), seconds,
              seconds > 0 ? n / seconds : 0.0, static_cast<long long>(batch),
              deviceName.c_str());
  if (!data.labels.empty())
    std::printf("accuracy %.4f (%lld/%lld)\n",
                n ? static_cast<double>(correct) / n : 0.0,
                static_cast<long long>(correct), static_cast<long long>(n));
  std::fflush(stdout);

  if (!opts.logits.empty()) {
    HostTensor t;
    t.dtype = DType::F32;
    t.shape = {n, classes};
    const auto *bytes = reinterpret_cast<const uint8_t *>(logits.data());
    t.bytes.assign(bytes, bytes + logits.size() * sizeof(float));
    if (Status s = writeNpy(opts.logits, t); !s)
      return s;
  }
  if (!opts.predictions.empty()) {
    bool csv =
        opts.predictions.size() > 4 &&
        opts.predictions.compare(opts.predictions.size() - 4, 4, ".csv") == 0;
    if (csv) {
      std::ostringstream os;
      os << "index,prediction" << (data.labels.empty() ? "" : ",label") << "\n";
      for (int64_t i = 0; i < n; ++i) {
        os << i << "," << predicted[i];
        if (!data.labels.empty())
          os << "," << data.labels[i];
        os << "\n";
      }
      std::string text = os.str();
      if (Status s = writeFileAtomically(opts.predictions,
                                         {{text.data(), text.size()}});
          !s)
        return s;
    } else {
      HostTensor t;
      t.dtype = DType::I64;
      t.shape = {n};
      const auto *bytes = reinterpret_cast<const uint8_t *>(predicted.data());
      t.bytes.assign(bytes, bytes + predicted.size() * sizeof(int64_t));
      if (Status s = writeNpy(opts.predictions, t); !s)
        return s;
    }
  }
  return Status::success();
}

/// `path` without "." or ".." components, repeated or trailing slashes.
std::string normalPath(std::string path) {
  std::string n = std::filesystem::path(path).lexically_normal().string();
  while (n.size() > 1 && n.back() == '/')
    n.pop_back();
  return n;
}

/// True when `a` and `b` name one file: by their spelling, or by device
/// and inode, or (not created yet) by their resolved paths.
bool sameOutput(const std::string &a, const std::string &b) {
  if (normalPath(a) == normalPath(b) || isSameFile(a, b))
    return true;
  Expected<OutputTarget> ta = resolveOutputPath(a);
  Expected<OutputTarget> tb = resolveOutputPath(b);
  return ta && tb && normalPath(ta->path) == normalPath(tb->path);
}

/// Checks the command line as a whole, before anything is loaded: options
/// that the run would ignore, and outputs that cannot be written or that
/// would overwrite an input or each other.
Status checkCommandLine(const RunOptions &opts) {
  if (opts.model.empty())
    return Error("no model given (usage: resnet-run MODEL --data ...; see "
                 "--help)");
  if (opts.data.empty() && !opts.benchmark)
    return Error("no input data given (--data fashion-mnist:test or --data "
                 "images.npy)");
  if (opts.benchmark) {
    if (!opts.data.empty())
      return Error("--benchmark runs on random data; drop --data");
    for (const char *o : {"--logits", "--predictions", "--save-weights",
                          "--labels", "--limit", "--checkpoint", "--resume",
                          "--epochs", "--dump-activations", "--train-steps"})
      if (opts.given.count(o))
        return Error(std::string("--benchmark runs on random data and "
                                 "writes nothing; drop ") +
                     o);
  }
  if (opts.train && !opts.benchmark && opts.data != "fashion-mnist" &&
      opts.data != "fashion-mnist:train")
    return Error("--train trains on --data fashion-mnist (the train split)");
  // Options that only training reads are refused elsewhere, not ignored.
  if (!opts.train)
    for (const char *o : {"--epochs", "--checkpoint", "--resume"})
      if (opts.given.count(o))
        return Error(std::string(o) + " is an option of --train; add --train "
                                      "or drop it");
  bool training = opts.train || opts.given.count("--train-steps");
  if (!training)
    for (const char *o : {"--lr", "--momentum", "--weight-decay", "--nesterov",
                          "--allow-missing"})
      if (opts.given.count(o))
        return Error(std::string(o) + " is an option of training (--train or "
                                      "--train-steps); add one or drop it");
  if (opts.resume && opts.checkpointDir.empty())
    return Error("--resume needs --checkpoint DIR");
  if (opts.resume && !opts.weights.empty())
    return Error("--resume takes the weights from the checkpoint; drop "
                 "--weights");
  if (opts.allowMissing && !opts.resume && opts.weights.empty())
    return Error("--allow-missing is about the velocities of a checkpoint; "
                 "use it with --resume or --weights");
  if (!opts.labels.empty() && isDatasetName(opts.data))
    return Error("--labels goes with an .npy --data; " + opts.data +
                 " has its own labels");
  if (opts.train && opts.trainSteps)
    return Error("--train-steps and --train are two ways to train; use one");
  if (opts.train && !opts.dumpDir.empty())
    return Error("--dump-activations writes one run's tensors; use it with "
                 "inference or --train-steps, not --train");

  // Outputs: writable, not an input, not each other (two of them may be
  // one device or FIFO: /dev/null).
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"the model", opts.model}};
  if (!opts.weights.empty())
    inputs.push_back({"--weights", opts.weights});
  if (!opts.data.empty() && !isDatasetName(opts.data))
    inputs.push_back({"--data", opts.data});
  if (!opts.labels.empty())
    inputs.push_back({"--labels", opts.labels});
  std::vector<std::pair<std::string, std::string>> outputs;
  for (auto [name, path] :
       {std::pair<const char *, const std::string *>{"--logits", &opts.logits},
        {"--predictions", &opts.predictions},
        {"--save-weights", &opts.saveWeights}})
    if (!path->empty())
      outputs.push_back({name, *path});
  size_t given = outputs.size();
  if (!opts.checkpointDir.empty())
    for (const char *file :
         {"checkpoint.safetensors", "metrics.csv", "metrics.svg"})
      outputs.push_back({"--checkpoint", opts.checkpointDir + "/" + file});
  for (size_t i = 0; i < given; ++i) {
    const auto &[name, path] = outputs[i];
    for (const auto &[inputName, inputPath] : inputs)
      if (normalPath(path) == normalPath(inputPath) ||
          isSameFile(path, inputPath))
        return Error(name + " " + path + " is " + inputName + " (" + inputPath +
                     "), which writing it would destroy; name another file");
    Expected<OutputTarget> target = resolveOutputPath(path);
    bool stream = target && target->kind == OutputTarget::Kind::Stream;
    for (size_t j = 0; j < outputs.size() && !stream; ++j)
      if (j != i && sameOutput(path, outputs[j].second))
        return Error(name + " " + path + " is also written by " +
                     outputs[j].first + " (" + outputs[j].second +
                     "); name another file");
    // Training creates the checkpoint directory; an output may go there.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (!opts.checkpointDir.empty() && !std::filesystem::exists(dir) &&
        normalPath(dir) == normalPath(opts.checkpointDir))
      continue;
    if (Status s = checkOutputWritable(path); !s)
      return Error(name + ": " + s.message());
  }
  return Status::success();
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

  DeviceOptions deviceOptions;
  deviceOptions.kind =
      opts.device.empty() ? getArtifactDeviceKind(opts.model) : opts.device;
  deviceOptions.threads = opts.threads;
  deviceOptions.convAlgo = opts.convAlgo;
  deviceOptions.deterministic = opts.deterministic;
  deviceOptions.algoCache = opts.algoCache;
  deviceOptions.programDir = getProgramDir(argv[0]);
  Expected<std::unique_ptr<Device>> device = createDevice(deviceOptions);
  if (!device)
    return fail(device.error().message());
  Expected<std::unique_ptr<Executable>> executable =
      (*device)->load(opts.model);
  if (!executable)
    return fail(executable.error().message());
  const Plan &plan = (*executable)->getPlan();
  if (opts.batch > plan.batch)
    return fail("--batch " + std::to_string(opts.batch) +
                " is larger than the batch the model was compiled for (" +
                std::to_string(plan.batch) +
                "); recompile with resnetc "
                "--batch " +
                std::to_string(opts.batch));
  int64_t batch = opts.batch ? opts.batch : plan.batch;

  // Load everything before running anything.
  std::map<std::string, HostTensor> params;
  std::string paramSource;
  if (!opts.weights.empty()) {
    Expected<SafeTensorsFile> file = readSafeTensors(opts.weights);
    if (!file)
      return fail(file.error().message());
    for (auto &[name, t] : file->tensors)
      params[name] = std::move(t);
    paramSource = opts.weights;
  } else {
    auto init = initialize(plan, opts);
    if (!init)
      return fail(init.error().message());
    params = std::move(*init);
    paramSource = "initialization";
  }
  MissingVelocities missing = opts.allowMissing
                                  ? MissingVelocities::Zero
                                  : MissingVelocities::ZeroIfAllAbsent;
  if (opts.train || opts.trainSteps > 0) {
    if (!plan.findEntry("train_step"))
      return fail(opts.model + ": compiled without a train_step entry "
                               "(recompile with resnetc --mode=train)");
    // The step's batch and SGD settings are compiled in.
    if (opts.batch && opts.batch != plan.batch)
      return fail("train_step was compiled for batch " +
                  std::to_string(plan.batch) +
                  "; recompile with resnetc --mode=train --batch " +
                  std::to_string(opts.batch));
    auto differs = [](double given, double compiled) {
      return given >= 0 && std::abs(given - compiled) > 1e-12;
    };
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
      return fail(buf);
    }
  }
  Expected<std::unique_ptr<Executor>> created =
      Executor::create(**device, **executable);
  if (!created)
    return fail(created.error().message());
  Executor &exec = **created;
  std::string deviceName = (*device)->getName();
  exec.setProfiling(opts.profile);
  // Printed however the run ends.
  struct ProfileReport {
    Executor &exec;
    bool on;
    ~ProfileReport() {
      if (on)
        printProfile(exec);
    }
  } profileReport{exec, opts.profile};

  if (opts.benchmark) {
    if (Status s = exec.setParameters(params, paramSource, missing); !s)
      return fail(s.message());
    Device &dev = **device;
    if (Status s = benchmark(exec, opts, deviceName,
                             [&] { return dev.getPeakAllocatedBytes(); });
        !s)
      return fail(s.message());
    return 0;
  }
  if (opts.train) {
    int64_t h = plan.inputShape[1], w = plan.inputShape[2];
    if (plan.inputShape[0] != 1)
      return fail("fashion-mnist: Fashion-MNIST images have 1 channel, the "
                  "model expects " +
                  std::to_string(plan.inputShape[0]));
    Expected<ImageDataset> trainSet =
        loadDataset("fashion-mnist:train", h, w, opts.limit, plan.classes);
    if (!trainSet)
      return fail(trainSet.error().message());
    // --limit bounds both splits: the evaluation after each epoch too.
    Expected<ImageDataset> testSet =
        loadDataset("fashion-mnist:test", h, w, opts.limit, plan.classes);
    if (!testSet)
      return fail(testSet.error().message());
    if (!opts.resume)
      if (Status s = exec.setParameters(params, paramSource, missing); !s)
        return fail(s.message());
    TrainOptions to;
    to.epochs = opts.epochs;
    to.lr = opts.lr;
    to.seed = opts.seed;
    to.checkpointDir = opts.checkpointDir;
    to.resume = opts.resume;
    to.data = "fashion-mnist";
    to.limit = opts.limit;
    to.missingVelocities =
        opts.allowMissing ? MissingVelocities::Zero : MissingVelocities::Error;
    TrainReport report(deviceName, isatty(fileno(stdout)));
    report.model = plan.model;
    report.lr = opts.lr;
    report.epochs = opts.epochs;
    if (Status s = train(exec, *trainSet, *testSet, to, report); !s)
      return fail(s.message());
    // The outputs are of the trained model: its weights, and its logits
    // and predictions on the test split.
    if (!opts.saveWeights.empty())
      if (Status s = saveWeights(exec, opts.saveWeights); !s)
        return fail(s.message());
    if (!opts.logits.empty() || !opts.predictions.empty())
      if (Status s = runInference(exec, *testSet, batch, opts, deviceName); !s)
        return fail(s.message());
    return 0;
  }
  Expected<ImageDataset> data = loadData(plan, opts);
  if (!data)
    return fail(data.error().message());

  if (Status s = exec.setParameters(params, paramSource, missing); !s)
    return fail(s.message());
  if (!opts.dumpDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(opts.dumpDir, ec);
    if (ec)
      return fail("cannot create the directory '" + opts.dumpDir +
                  "' for --dump-activations: " + ec.message());
    exec.setDumpDirectory(opts.dumpDir);
  }
  if (opts.trainSteps > 0) {
    if (data->labels.empty())
      return fail("--train-steps needs labels (a labelled dataset, or "
                  "--labels with an .npy --data)");
    if (data->n < plan.batch)
      return fail("--train-steps trains on one full batch of " +
                  std::to_string(plan.batch) + " images; the data has " +
                  std::to_string(data->n));
    // Pipelined as in training: a step is submitted before the one before
    // it is collected.
    size_t batchBytes =
        static_cast<size_t>(plan.batch * data->c * data->h * data->w) *
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
        return fail(next.error().message());
      std::memcpy(next->images, data->images.data(), batchBytes);
      std::memcpy(next->labels, data->labels.data(),
                  static_cast<size_t>(plan.batch) * sizeof(int64_t));
      if (Status st = exec.submitTrainStep(static_cast<float>(opts.lr)); !st)
        return fail(st.message());
      if (exec.inFlight() == 2)
        if (Status st = collect(); !st) {
          while (exec.inFlight())
            (void)exec.finishTrainStep();
          return fail(st.message());
        }
    }
    while (exec.inFlight())
      if (Status st = collect(); !st) {
        while (exec.inFlight())
          (void)exec.finishTrainStep();
        return fail(st.message());
      }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("%lld train steps in %.3f s (%.1f images/s, batch %lld, "
                "%s)\n",
                static_cast<long long>(opts.trainSteps), seconds,
                seconds > 0 ? opts.trainSteps * plan.batch / seconds : 0.0,
                static_cast<long long>(plan.batch), deviceName.c_str());
  }
  if (!opts.saveWeights.empty())
    if (Status s = saveWeights(exec, opts.saveWeights); !s)
      return fail(s.message());
  if (Status s = runInference(exec, *data, batch, opts, deviceName); !s)
    return fail(s.message());
  return 0;
}
