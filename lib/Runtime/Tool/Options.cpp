//===- Options.cpp - resnet-run's command line ----------------------------===//
//
// See Options.h.
//
//===----------------------------------------------------------------------===//

#include "Options.h"
#include "resnetc/Runtime/FileIO.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

using namespace resnetc::runtime;

const char *const resnetc::runtime::kResnetRunUsage =
    "usage: resnet-run MODEL [options]\n"
    "\n"
    "Runs a model compiled by resnetc: inference on a dataset, or training.\n"
    "MODEL is a CPU artifact (model.so, resnetc --target=cpu) or a CUDA\n"
    "artifact (model.ptx). Options take their value as --name VALUE or\n"
    "--name=VALUE.\n"
    "\n"
    "device:\n"
    "  --device cpu|cuda|cuda-sim\n"
    "                        where to run (default: cpu for a .so, cuda for\n"
    "                        a .ptx); cuda-sim runs a CUDA artifact on the\n"
    "                        simulated GPU (a PTX interpreter and reference\n"
    "                        convolutions on the CPU: checked, and slow)\n"
    "  --threads N           CPU worker threads (default: all cores)\n"
    "  --conv-algo heuristic|search\n"
    "                        how cuDNN's convolution algorithms are chosen:\n"
    "                        cuDNN's heuristics (default), or timed once per\n"
    "                        shape and cached on disk\n"
    "  --algo-cache FILE     the cache of timed choices (default\n"
    "                        ~/.cache/resnetc/cudnn-algorithms.json)\n"
    "  --deterministic       only deterministic cuDNN algorithms\n"
    "weights:\n"
    "  --weights FILE        parameters from a safetensors checkpoint\n"
    "  --init SCHEME         otherwise initialize them: d2l (default; Xavier\n"
    "                        uniform), kaiming-normal, kaiming-uniform,\n"
    "                        pytorch, torchvision\n"
    "  --seed N              seed of the initialization and the shuffling\n"
    "                        (default 0)\n"
    "  --save-weights FILE   write the parameters used (safetensors; after\n"
    "                        training, the trained ones)\n"
    "data:\n"
    "  --data NAME|FILE      fashion-mnist:test, fashion-mnist:train\n"
    "                        (fashion-mnist: the test split for inference,\n"
    "                        the train split for --train); an .npy array\n"
    "                        of images, N x C x H x W in C order: float32\n"
    "                        (used as they are, so scaled as the model was\n"
    "                        trained) or uint8 (pixels / 255, resized to\n"
    "                        the model's height and width as d2l does); or\n"
    "                        MNIST-style IDX images (any path, plain or\n"
    "                        gzip-compressed; resized the same way)\n"
    "  --labels FILE         the labels of a file --data: .npy (int64 or\n"
    "                        int32, shape N) for .npy images, IDX for IDX\n"
    "                        ones; each a class of the model\n"
    "  --normalize M,S[,M,S...]\n"
    "                        then (x - M) / S per channel, as\n"
    "                        torchvision's Normalize: one pair per channel,\n"
    "                        or one for all\n"
    "  --limit N             use the first N images (of each split when\n"
    "                        training)\n"
    "training (a model compiled with resnetc --mode=train):\n"
    "  --train               train on --data: fashion-mnist (the train\n"
    "                        split, evaluating the test split after each\n"
    "                        epoch) or files with --labels and --val-data;\n"
    "                        --logits and --predictions are of the\n"
    "                        validation data after training\n"
    "  --val-data NAME|FILE, --val-labels FILE\n"
    "                        the validation data evaluated after each epoch\n"
    "                        (files as --data and --labels)\n"
    "  --random-crop PAD     augment: crop each training image at a random\n"
    "                        offset from the image padded by PAD on every\n"
    "                        side with zero pixels (torchvision's\n"
    "                        RandomCrop(size, padding=PAD))\n"
    "  --hflip               augment: mirror each training image with\n"
    "                        probability 1/2 (RandomHorizontalFlip)\n"
    "                        (seeded by --seed, the epoch and the image's\n"
    "                        place; assembled by a worker thread while the\n"
    "                        step before computes)\n"
    "  --top5                show the validation top-5 accuracy of each\n"
    "                        epoch and plot it (metrics.csv always has it,\n"
    "                        with each epoch's seconds)\n"
    "  --epochs N            the total number of epochs (default 10), also\n"
    "                        when resuming: --resume --epochs 5 after 3\n"
    "                        trains epochs 4 and 5\n"
    "  --checkpoint DIR      write DIR/checkpoint.safetensors, metrics.csv\n"
    "                        and metrics.svg after every epoch\n"
    "  --resume              continue from DIR's checkpoint (same model,\n"
    "                        seed, data and --limit)\n"
    "  --no-shuffle          every epoch takes the images in order\n"
    "  --log-steps FILE      write every step's epoch, step, loss and rate\n"
    "                        (CSV) after each epoch; the steps of this run\n"
    "  --allow-missing       optimizer state (SGD velocities, AdamW moments)\n"
    "                        the checkpoint (or --weights) lacks starts at\n"
    "                        zero instead of being an error\n"
    "  --optimizer sgd|adamw, --momentum X, --weight-decay X, --nesterov\n"
    "                        must match what resnetc compiled into train_step\n"
    "  --train-steps N       N training steps on the first batch of the data,\n"
    "                        printing each step's loss, before the run\n"
    "  --lr X                learning rate (default 0.01); the base rate of\n"
    "                        a schedule\n"
    "  --label-smoothing X   the loss's label smoothing, in [0, 1), as\n"
    "                        PyTorch's CrossEntropyLoss(label_smoothing=X)\n"
    "                        (default 0)\n"
    "  --lr-schedule constant|step|multistep|cosine\n"
    "                        the rate per epoch, as PyTorch's StepLR,\n"
    "                        MultiStepLR and CosineAnnealingLR (over the\n"
    "                        epochs after the warm-up) stepped once per\n"
    "                        epoch (default constant)\n"
    "  --lr-steps N[,N...]   step: the epochs between decays; multistep:\n"
    "                        the epochs after which the rate decays\n"
    "  --lr-gamma X          the factor of each decay (default 0.1)\n"
    "  --warmup-epochs N     first raise the rate linearly, step by step,\n"
    "                        from lr / (N * steps per epoch) to lr over N\n"
    "                        epochs\n"
    "run:\n"
    "  --batch N             images per step (default: the compiled batch)\n"
    "  --benchmark N         time N batches of inference (of training steps\n"
    "                        with --train) on random data, after 5 warm-up\n"
    "                        batches; prints images/s and the device memory\n"
    "                        used\n"
    "  --profile             time every step of inference and training and\n"
    "                        print, at the end, the steps that took the\n"
    "                        most time and the time by kind of step\n"
    "                        (library calls, conversions, other kernels);\n"
    "                        steps then run one at a time\n"
    "outputs:\n"
    "  --logits FILE         logits as .npy (float32, N x classes)\n"
    "  --predictions FILE    predicted classes as .csv or .npy\n"
    "  --dump-activations DIR\n"
    "                        write every tensor each step of infer and\n"
    "                        train_step produces to DIR as\n"
    "                        <entry>.<run>.<step>.<kernel>.<result>.npy\n"
    "  Outputs may not name an input; a symbolic link is written through,\n"
    "  a device or FIFO (/dev/null) written directly.\n";

namespace {
bool parseInt(const std::string &text, int64_t &out) {
  if (text.empty() || text.size() > 18)
    return false;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0')
    return false;
  out = v;
  return true;
}

/// The items of a comma-separated list ("1,2" -> {"1", "2"}; "" -> {""}).
std::vector<std::string> splitCommas(const std::string &text) {
  std::vector<std::string> items;
  size_t begin = 0;
  while (true) {
    size_t comma = text.find(',', begin);
    items.push_back(text.substr(begin, comma - begin));
    if (comma == std::string::npos)
      return items;
    begin = comma + 1;
  }
}

bool parseNonNegative(const std::string &text, double &out) {
  char *end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && std::isfinite(out) && out >= 0;
}
} // namespace

/// Parsers of the options that take a value, by name: each stores the value
/// in its field and says whether it is valid.
using ValueParsers =
    std::map<std::string, std::function<bool(const std::string &)>>;

/// The options without a value of `o`, by name.
static std::map<std::string, bool *> getFlagOptions(RunOptions &o) {
  return {{"--train", &o.train},
          {"--resume", &o.resume},
          {"--top5", &o.top5},
          {"--hflip", &o.hflip},
          {"--no-shuffle", &o.noShuffle},
          {"--allow-missing", &o.allowMissing},
          {"--nesterov", &o.nesterov},
          {"--deterministic", &o.deterministic},
          {"--profile", &o.profile},
          {"--help", &o.help},
          {"-h", &o.help}};
}

/// A parser that stores any value in `field`.
static std::function<bool(const std::string &)> textValue(std::string &field) {
  return [&field](const std::string &v) {
    field = v;
    return true;
  };
}

/// A parser of an integer of at least `min` into `field`.
static std::function<bool(const std::string &)> integerValue(int64_t &field,
                                                             int64_t min) {
  return [&field, min](const std::string &v) {
    return parseInt(v, field) && field >= min;
  };
}

/// --normalize M,S[,M,S...]: pairs of numbers, each S positive.
static bool parseNormalize(const std::string &v, std::vector<double> &out) {
  out.clear();
  for (const std::string &item : splitCommas(v)) {
    char *end = nullptr;
    double x = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !std::isfinite(x) ||
        (out.size() % 2 == 1 && !(x > 0)))
      return false;
    out.push_back(x);
  }
  return out.size() % 2 == 0;
}

/// --lr-schedule constant|step|multistep|cosine.
static bool parseScheduleKind(const std::string &v, LrSchedule::Kind &kind) {
  using K = LrSchedule::Kind;
  static const std::map<std::string, K> kinds = {{"constant", K::Constant},
                                                 {"step", K::Step},
                                                 {"multistep", K::MultiStep},
                                                 {"cosine", K::Cosine}};
  auto it = kinds.find(v);
  if (it == kinds.end())
    return false;
  kind = it->second;
  return true;
}

/// --lr-steps N or N,N,...: positive epochs, increasing.
static bool parseLrSteps(const std::string &v, std::vector<int64_t> &steps) {
  steps.clear();
  for (const std::string &item : splitCommas(v)) {
    int64_t n = 0;
    if (!parseInt(item, n) || n < 1 || (!steps.empty() && n <= steps.back()))
      return false;
    steps.push_back(n);
  }
  return true;
}

/// Adds the parsers of the device, weights, data, run and output options
/// of `o` to `values`.
static void addRunValueOptions(RunOptions &o, ValueParsers &values) {
  values.insert({
      {"--device",
       [&](const std::string &v) {
         o.device = v;
         return v == "cpu" || v == "cuda" || v == "cuda-sim";
       }},
      {"--weights", textValue(o.weights)},
      {"--init", textValue(o.init)},
      {"--save-weights", textValue(o.saveWeights)},
      {"--seed",
       [&](const std::string &v) {
         int64_t s = 0;
         bool ok = parseInt(v, s) && s >= 0;
         o.seed = static_cast<uint64_t>(s);
         return ok;
       }},
      {"--data", textValue(o.data)},
      {"--labels", textValue(o.labels)},
      {"--val-data", textValue(o.valData)},
      {"--val-labels", textValue(o.valLabels)},
      {"--normalize",
       [&](const std::string &v) { return parseNormalize(v, o.normalize); }},
      {"--limit", integerValue(o.limit, 1)},
      {"--batch", integerValue(o.batch, 1)},
      {"--threads",
       [&](const std::string &v) {
         int64_t t = 0;
         bool ok = parseInt(v, t) && t >= 1 && t <= 1024;
         o.threads = static_cast<unsigned>(t);
         return ok;
       }},
      {"--logits", textValue(o.logits)},
      {"--predictions", textValue(o.predictions)},
      {"--dump-activations", textValue(o.dumpDir)},
      {"--conv-algo",
       [&](const std::string &v) {
         o.convAlgo =
             v == "search" ? ConvAlgoSearch::Search : ConvAlgoSearch::Heuristic;
         return v == "search" || v == "heuristic";
       }},
      {"--algo-cache", textValue(o.algoCache)},
      {"--benchmark", integerValue(o.benchmark, 1)},
  });
}

/// Adds the parsers of the training options of `o` to `values`.
static void addTrainValueOptions(RunOptions &o, ValueParsers &values) {
  values.insert({
      {"--train-steps", integerValue(o.trainSteps, 1)},
      {"--epochs", integerValue(o.epochs, 1)},
      {"--checkpoint", textValue(o.checkpointDir)},
      {"--log-steps", textValue(o.logSteps)},
      {"--lr", [&](const std::string &v) { return parseNonNegative(v, o.lr); }},
      {"--label-smoothing",
       [&](const std::string &v) {
         return parseNonNegative(v, o.labelSmoothing) && o.labelSmoothing < 1;
       }},
      {"--momentum",
       [&](const std::string &v) { return parseNonNegative(v, o.momentum); }},
      {"--optimizer",
       [&](const std::string &v) {
         o.optimizer = v;
         return v == "sgd" || v == "adamw";
       }},
      {"--weight-decay",
       [&](const std::string &v) {
         return parseNonNegative(v, o.weightDecay);
       }},
      {"--lr-schedule",
       [&](const std::string &v) {
         return parseScheduleKind(v, o.schedule.kind);
       }},
      {"--lr-steps",
       [&](const std::string &v) { return parseLrSteps(v, o.schedule.steps); }},
      {"--lr-gamma",
       [&](const std::string &v) {
         return parseNonNegative(v, o.schedule.gamma);
       }},
      {"--warmup-epochs", integerValue(o.schedule.warmupEpochs, 1)},
      {"--random-crop", integerValue(o.randomCrop, 1)},
  });
}

Expected<RunOptions> resnetc::runtime::parseRunOptions(int argc, char **argv) {
  RunOptions o;
  std::map<std::string, bool *> flags = getFlagOptions(o);
  ValueParsers values;
  addRunValueOptions(o, values);
  addTrainValueOptions(o, values);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      if (!o.model.empty())
        return Error("more than one model given ('" + o.model + "' and '" +
                     arg + "')");
      o.model = arg;
      continue;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    bool inlineValue = eq != std::string::npos;
    if (inlineValue) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (auto f = flags.find(name); f != flags.end()) {
      if (inlineValue)
        return Error("option " + name + " takes no value");
      *f->second = true;
      o.given.insert(name);
      continue;
    }
    auto v = values.find(name);
    if (v == values.end())
      return Error("unknown option '" + name + "' (see --help)");
    if (!inlineValue) {
      if (i + 1 >= argc)
        return Error("option " + name + " needs a value (see --help)");
      value = argv[++i];
    }
    if (value.empty())
      return Error("option " + name + " needs a value, and it is empty");
    if (!v->second(value))
      return Error("option " + name + " needs a valid value, not '" + value +
                   "' (see --help)");
    o.given.insert(name);
  }
  return o;
}

//===----------------------------------------------------------------------===//
// The command line as a whole
//===----------------------------------------------------------------------===//

bool resnetc::runtime::isDatasetName(const std::string &data) {
  return data == "fashion-mnist" || data.rfind("fashion-mnist:", 0) == 0;
}

namespace {
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
} // namespace

/// Checks the model, the data and the validation data, and what
/// --benchmark allows.
static Status checkInputOptions(const RunOptions &opts) {
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
  if (opts.train && !opts.benchmark && isDatasetName(opts.data) &&
      opts.data != "fashion-mnist" && opts.data != "fashion-mnist:train")
    return Error("--train trains on the train split (--data fashion-mnist); "
                 "the test split is its validation data");
  if (!opts.train &&
      (opts.given.count("--val-data") || opts.given.count("--val-labels")))
    return Error("--val-data and --val-labels are the validation data of "
                 "--train; add --train or drop them");
  if (opts.valData.empty() != opts.valLabels.empty() &&
      !isDatasetName(opts.valData))
    return Error(opts.valData.empty()
                     ? "--val-labels goes with --val-data, the images"
                     : "--val-data needs --val-labels, the labels of its "
                       "images");
  if (opts.train && !opts.benchmark && !isDatasetName(opts.data)) {
    if (opts.labels.empty())
      return Error("--train on " + opts.data +
                   " needs --labels, the labels of its images");
    if (opts.valData.empty())
      return Error("--train on " + opts.data +
                   " needs validation data to evaluate after each epoch: "
                   "--val-data and --val-labels");
  }
  if (opts.benchmark && !opts.normalize.empty())
    return Error("--benchmark runs on random data; drop --normalize");
  return Status::success();
}

/// Options that only training reads are refused elsewhere, not ignored.
static Status checkTrainingOnlyOptions(const RunOptions &opts) {
  if (!opts.train)
    for (const char *o :
         {"--epochs", "--checkpoint", "--resume", "--top5", "--random-crop",
          "--hflip", "--no-shuffle", "--log-steps"})
      if (opts.given.count(o))
        return Error(std::string(o) + " is an option of --train; add --train "
                                      "or drop it");
  bool training = opts.train || opts.given.count("--train-steps");
  if (!training)
    for (const char *o : {"--lr", "--optimizer", "--momentum", "--weight-decay",
                          "--nesterov", "--allow-missing", "--label-smoothing"})
      if (opts.given.count(o))
        return Error(std::string(o) + " is an option of training (--train or "
                                      "--train-steps); add one or drop it");
  return Status::success();
}

/// The schedule's options, each where it means something.
static Status checkScheduleOptions(const RunOptions &opts) {
  using K = LrSchedule::Kind;
  K kind = opts.schedule.kind;
  if (!opts.train)
    for (const char *o :
         {"--lr-schedule", "--lr-steps", "--lr-gamma", "--warmup-epochs"})
      if (opts.given.count(o))
        return Error(std::string(o) +
                     " is an option of --train; add --train or drop it");
  if ((kind == K::Step || kind == K::MultiStep) &&
      !opts.given.count("--lr-steps"))
    return Error(std::string("--lr-schedule ") +
                 (kind == K::Step ? "step needs --lr-steps N, the epochs "
                                    "between decays"
                                  : "multistep needs --lr-steps N,N,..., the "
                                    "epochs after which the rate decays"));
  if (kind == K::Step && opts.schedule.steps.size() != 1)
    return Error("--lr-schedule step takes one --lr-steps value (the epochs "
                 "between decays); for milestones use --lr-schedule "
                 "multistep");
  if (kind != K::Step && kind != K::MultiStep)
    for (const char *o : {"--lr-steps", "--lr-gamma"})
      if (opts.given.count(o))
        return Error(std::string(o) +
                     " is an option of --lr-schedule step and multistep");
  if (opts.train && opts.schedule.warmupEpochs >= opts.epochs)
    return Error("--warmup-epochs " +
                 std::to_string(opts.schedule.warmupEpochs) +
                 " leaves no epoch of --epochs " + std::to_string(opts.epochs) +
                 " after the warm-up");
  return Status::success();
}

/// Checks options that go only with others, or not with others.
static Status checkOptionCombinations(const RunOptions &opts) {
  if (opts.resume && opts.checkpointDir.empty())
    return Error("--resume needs --checkpoint DIR");
  if (opts.resume && !opts.weights.empty())
    return Error("--resume takes the weights from the checkpoint; drop "
                 "--weights");
  if (opts.allowMissing && !opts.resume && opts.weights.empty())
    return Error("--allow-missing is about the velocities of a checkpoint; "
                 "use it with --resume or --weights");
  if (!opts.labels.empty() && isDatasetName(opts.data))
    return Error("--labels goes with a file --data; " + opts.data +
                 " has its own labels");
  if (!opts.valLabels.empty() && isDatasetName(opts.valData))
    return Error("--val-labels goes with a file --val-data; " + opts.valData +
                 " has its own labels");
  if (opts.train && opts.trainSteps)
    return Error("--train-steps and --train are two ways to train; use one");
  if (opts.train && !opts.dumpDir.empty())
    return Error("--dump-activations writes one run's tensors; use it with "
                 "inference or --train-steps, not --train");
  return Status::success();
}

/// The files the run reads, each with the option (or "the model") that
/// names it.
static std::vector<std::pair<std::string, std::string>>
getInputFiles(const RunOptions &opts) {
  std::vector<std::pair<std::string, std::string>> inputs = {
      {"the model", opts.model}};
  if (!opts.weights.empty())
    inputs.push_back({"--weights", opts.weights});
  if (!opts.data.empty() && !isDatasetName(opts.data))
    inputs.push_back({"--data", opts.data});
  if (!opts.labels.empty())
    inputs.push_back({"--labels", opts.labels});
  if (!opts.valData.empty() && !isDatasetName(opts.valData))
    inputs.push_back({"--val-data", opts.valData});
  if (!opts.valLabels.empty())
    inputs.push_back({"--val-labels", opts.valLabels});
  return inputs;
}

/// The files the run writes, each with its option: those given as files
/// first (`given` of them), then the checkpoint directory's.
static std::vector<std::pair<std::string, std::string>>
getOutputFiles(const RunOptions &opts, size_t &given) {
  std::vector<std::pair<std::string, std::string>> outputs;
  for (auto [name, path] :
       {std::pair<const char *, const std::string *>{"--logits", &opts.logits},
        {"--predictions", &opts.predictions},
        {"--save-weights", &opts.saveWeights},
        {"--log-steps", &opts.logSteps}})
    if (!path->empty())
      outputs.push_back({name, *path});
  given = outputs.size();
  if (!opts.checkpointDir.empty())
    for (const char *file :
         {"checkpoint.safetensors", "metrics.csv", "metrics.svg"})
      outputs.push_back({"--checkpoint", opts.checkpointDir + "/" + file});
  return outputs;
}

/// Outputs: writable, not an input, not each other (two of them may be
/// one device or FIFO: /dev/null).
static Status checkOutputFiles(const RunOptions &opts) {
  std::vector<std::pair<std::string, std::string>> inputs = getInputFiles(opts);
  size_t given = 0;
  std::vector<std::pair<std::string, std::string>> outputs =
      getOutputFiles(opts, given);
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

Status resnetc::runtime::checkCommandLine(const RunOptions &opts) {
  if (Status s = checkInputOptions(opts); !s)
    return s;
  if (Status s = checkTrainingOnlyOptions(opts); !s)
    return s;
  if (Status s = checkScheduleOptions(opts); !s)
    return s;
  if (Status s = checkOptionCombinations(opts); !s)
    return s;
  return checkOutputFiles(opts);
}
