//===- Options.cpp - resnet-run's command line ----------------------------===//
//
// See Options.h.
//
//===----------------------------------------------------------------------===//

#include "Options.h"

#include <cmath>
#include <cstdlib>
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
    "                        the train split for --train), or an .npy array\n"
    "                        of float32 images, N x C x H x W in C order,\n"
    "                        scaled as the model was trained (Fashion-MNIST:\n"
    "                        pixels / 255, in [0, 1])\n"
    "  --labels FILE         .npy labels for an .npy --data: int64 or int32,\n"
    "                        shape N, each a class of the model\n"
    "  --limit N             use the first N images (of each split when\n"
    "                        training)\n"
    "training (a model compiled with resnetc --mode=train):\n"
    "  --train               train on --data fashion-mnist (the train split;\n"
    "                        the test split is evaluated after each epoch;\n"
    "                        --logits and --predictions are of the test\n"
    "                        split after training)\n"
    "  --epochs N            the total number of epochs (default 10), also\n"
    "                        when resuming: --resume --epochs 5 after 3\n"
    "                        trains epochs 4 and 5\n"
    "  --checkpoint DIR      write DIR/checkpoint.safetensors, metrics.csv\n"
    "                        and metrics.svg after every epoch\n"
    "  --resume              continue from DIR's checkpoint (same model,\n"
    "                        seed, data and --limit)\n"
    "  --allow-missing       velocities the checkpoint (or --weights) lacks\n"
    "                        start at zero instead of being an error\n"
    "  --momentum X, --weight-decay X, --nesterov\n"
    "                        must match what resnetc compiled into train_step\n"
    "  --train-steps N       N SGD steps on the first batch of the data,\n"
    "                        printing each step's loss, before the run\n"
    "  --lr X                learning rate (default 0.01)\n"
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

bool parseNonNegative(const std::string &text, double &out) {
  char *end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0' && std::isfinite(out) && out >= 0;
}
} // namespace

Expected<RunOptions> resnetc::runtime::parseRunOptions(int argc, char **argv) {
  RunOptions o;
  // Options without a value.
  std::map<std::string, bool *> flags = {{"--train", &o.train},
                                         {"--resume", &o.resume},
                                         {"--allow-missing", &o.allowMissing},
                                         {"--nesterov", &o.nesterov},
                                         {"--deterministic", &o.deterministic},
                                         {"--profile", &o.profile},
                                         {"--help", &o.help},
                                         {"-h", &o.help}};
  // Options with a value: a parser that says whether it is valid.
  auto text = [](std::string &field) {
    return [&field](const std::string &v) {
      field = v;
      return true;
    };
  };
  auto integer = [](int64_t &field, int64_t min) {
    return [&field, min](const std::string &v) {
      return parseInt(v, field) && field >= min;
    };
  };
  std::map<std::string, std::function<bool(const std::string &)>> values = {
      {"--device",
       [&](const std::string &v) {
         o.device = v;
         return v == "cpu" || v == "cuda" || v == "cuda-sim";
       }},
      {"--weights", text(o.weights)},
      {"--init", text(o.init)},
      {"--save-weights", text(o.saveWeights)},
      {"--seed",
       [&](const std::string &v) {
         int64_t s = 0;
         bool ok = parseInt(v, s) && s >= 0;
         o.seed = static_cast<uint64_t>(s);
         return ok;
       }},
      {"--data", text(o.data)},
      {"--labels", text(o.labels)},
      {"--limit", integer(o.limit, 1)},
      {"--batch", integer(o.batch, 1)},
      {"--threads",
       [&](const std::string &v) {
         int64_t t = 0;
         bool ok = parseInt(v, t) && t >= 1 && t <= 1024;
         o.threads = static_cast<unsigned>(t);
         return ok;
       }},
      {"--logits", text(o.logits)},
      {"--predictions", text(o.predictions)},
      {"--dump-activations", text(o.dumpDir)},
      {"--train-steps", integer(o.trainSteps, 1)},
      {"--epochs", integer(o.epochs, 1)},
      {"--checkpoint", text(o.checkpointDir)},
      {"--lr", [&](const std::string &v) { return parseNonNegative(v, o.lr); }},
      {"--momentum",
       [&](const std::string &v) { return parseNonNegative(v, o.momentum); }},
      {"--weight-decay",
       [&](const std::string &v) {
         return parseNonNegative(v, o.weightDecay);
       }},
      {"--conv-algo",
       [&](const std::string &v) {
         o.convAlgo =
             v == "search" ? ConvAlgoSearch::Search : ConvAlgoSearch::Heuristic;
         return v == "search" || v == "heuristic";
       }},
      {"--algo-cache", text(o.algoCache)},
      {"--benchmark", integer(o.benchmark, 1)},
  };
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
