//===- Train.cpp - The training loop of resnet-run ------------------------===//
//
// See Train.h. Checkpoints hold the parameters, the running statistics, the
// optimizer state and, as metadata, the epoch, seed, model, data, limit,
// learning rate, schedule, optimizer and metrics, so that --resume continues
// exactly where an interrupted run stopped (the shuffling of epoch e depends
// only on the seed and e, dropout masks and AdamW's bias corrections on the
// seed and the step's number) and refuses a checkpoint that does not describe
// this run. Every metadata field is checked before anything is trained.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Train.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Init.h"
#include "resnetc/Runtime/SafeTensors.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <numeric>
#include <sstream>
#include <sys/stat.h>

using namespace resnetc::runtime;

TrainObserver::~TrainObserver() = default;

std::string LrSchedule::describe() const {
  std::string s;
  switch (kind) {
  case Kind::Constant:
    s = "constant";
    break;
  case Kind::Step:
  case Kind::MultiStep: {
    s = kind == Kind::Step ? "step " : "multistep ";
    for (size_t i = 0; i < steps.size(); ++i)
      s += (i ? "," : "") + std::to_string(steps[i]);
    char g[40];
    std::snprintf(g, sizeof(g), " gamma %.17g", gamma);
    s += g;
    break;
  }
  case Kind::Cosine:
    s = "cosine";
    break;
  }
  if (warmupEpochs)
    s += ", warmup " + std::to_string(warmupEpochs);
  return s;
}

double resnetc::runtime::scheduledLr(const LrSchedule &schedule, double lr,
                                     int64_t epoch, int64_t epochs,
                                     int64_t step, int64_t stepsPerEpoch) {
  int64_t w = schedule.warmupEpochs;
  if (epoch <= w) {
    int64_t k = (epoch - 1) * stepsPerEpoch + step;
    return lr * static_cast<double>(k + 1) /
           static_cast<double>(w * stepsPerEpoch);
  }
  int64_t i = epoch - 1;
  switch (schedule.kind) {
  case LrSchedule::Kind::Constant:
    return lr;
  case LrSchedule::Kind::Step:
    return lr *
           std::pow(schedule.gamma, static_cast<double>(i / schedule.steps[0]));
  case LrSchedule::Kind::MultiStep: {
    int64_t passed = 0;
    for (int64_t m : schedule.steps)
      passed += m <= i;
    return lr * std::pow(schedule.gamma, static_cast<double>(passed));
  }
  case LrSchedule::Kind::Cosine: {
    double j = static_cast<double>(i - w), t = static_cast<double>(epochs - w);
    return lr * (1 + std::cos(M_PI * j / t)) / 2;
  }
  }
  return lr;
}

void resnetc::runtime::augmentImage(const Augmentation &augmentation,
                                    const float *src, int64_t c, int64_t h,
                                    int64_t w, uint64_t seed, int64_t epoch,
                                    int64_t position, float *dst) {
  Rng rng((seed * 1000003 + static_cast<uint64_t>(epoch)) *
              0x9E3779B97F4A7C15ull +
          static_cast<uint64_t>(position));
  int64_t pad = augmentation.cropPadding;
  // The crop's top-left corner in the padded image, then the flip.
  int64_t dy = pad ? static_cast<int64_t>(rng.below(2 * pad + 1)) : pad;
  int64_t dx = pad ? static_cast<int64_t>(rng.below(2 * pad + 1)) : pad;
  bool flip = augmentation.hflip && rng.below(2) == 1;
  for (int64_t ch = 0; ch < c; ++ch) {
    float fill =
        augmentation.padValue.empty() ? 0.0f : augmentation.padValue[ch];
    const float *in = src + ch * h * w;
    float *out = dst + ch * h * w;
    for (int64_t y = 0; y < h; ++y) {
      int64_t sy = y + dy - pad;
      for (int64_t x = 0; x < w; ++x) {
        int64_t sx = (flip ? w - 1 - x : x) + dx - pad;
        out[y * w + x] =
            sy >= 0 && sy < h && sx >= 0 && sx < w ? in[sy * w + sx] : fill;
      }
    }
  }
}

Expected<Accuracy> resnetc::runtime::evaluate(Executor &exec,
                                              const ImageDataset &data) {
  const Plan &plan = exec.getPlan();
  if (data.n == 0)
    return Accuracy();
  std::vector<float> logits(static_cast<size_t>(data.n * plan.classes));
  if (Status s = exec.infer(data.images.data(), data.n, logits.data()); !s)
    return s.takeError();
  int64_t correct = 0, inTop5 = 0;
  for (int64_t i = 0; i < data.n; ++i) {
    const float *row = logits.data() + i * plan.classes;
    int64_t best = 0, above = 0;
    for (int64_t k = 1; k < plan.classes; ++k)
      if (row[k] > row[best])
        best = k;
    for (int64_t k = 0; k < plan.classes; ++k)
      above += row[k] > row[data.labels[i]];
    correct += best == data.labels[i];
    inTop5 += above < 5;
  }
  return Accuracy{static_cast<double>(correct) / data.n,
                  static_cast<double>(inTop5) / data.n};
}

/// A metric as metrics.csv writes it: empty when unknown (NaN).
static std::string formatMetric(double v) {
  if (std::isnan(v))
    return "";
  std::ostringstream os;
  os << v;
  return os.str();
}

static std::string metricsCSV(const std::vector<EpochMetrics> &metrics) {
  std::ostringstream os;
  os << "epoch,loss,train_acc,test_acc,examples_per_sec,test_top5,seconds\n";
  for (const EpochMetrics &m : metrics)
    os << m.epoch << "," << m.loss << "," << m.trainAcc << "," << m.testAcc
       << "," << m.examplesPerSecond << "," << formatMetric(m.testTop5) << ","
       << formatMetric(m.seconds) << "\n";
  return os.str();
}

std::string
resnetc::runtime::plotMetricsSVG(const std::vector<EpochMetrics> &metrics,
                                 bool top5) {
  const double width = 480, height = 320, left = 50, right = 110, top = 20,
               bottom = 40;
  double plotW = width - left - right, plotH = height - top - bottom;
  double maxLoss = 1.0;
  for (const EpochMetrics &m : metrics)
    maxLoss = std::max(maxLoss, m.loss);
  int64_t epochs = metrics.empty() ? 1 : metrics.back().epoch;
  auto x = [&](int64_t e) {
    return left + plotW * (epochs > 1 ? double(e - 1) / (epochs - 1) : 0.5);
  };
  auto y = [&](double v, double maxV) { return top + plotH * (1 - v / maxV); };
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" font-family=\"sans-serif\" "
     << "font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
     << "fill=\"white\"/>\n";
  os << "<path d=\"M" << left << " " << top << " V" << top + plotH << " H"
     << left + plotW << "\" fill=\"none\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    double v = i / 4.0;
    os << "<text x=\"" << left - 6 << "\" y=\"" << y(v, 1.0) + 4
       << "\" text-anchor=\"end\">" << v << "</text>\n";
  }
  os << "<text x=\"" << left + plotW / 2 << "\" y=\"" << height - 8
     << "\" text-anchor=\"middle\">epoch (1 to " << epochs << ")</text>\n";
  struct Series {
    const char *name, *color;
    double EpochMetrics::*field;
    double scale;
  } series[] = {{"train loss", "#1f77b4", &EpochMetrics::loss, maxLoss},
                {"train acc", "#ff7f0e", &EpochMetrics::trainAcc, 1.0},
                {"test acc", "#2ca02c", &EpochMetrics::testAcc, 1.0},
                {"test top-5", "#d62728", &EpochMetrics::testTop5, 1.0}};
  int row = 0;
  for (const Series &s : series) {
    if (s.field == &EpochMetrics::testTop5 && !top5)
      continue;
    os << "<polyline fill=\"none\" stroke=\"" << s.color
       << "\" stroke-width=\"2\" points=\"";
    for (const EpochMetrics &m : metrics)
      if (!std::isnan(m.*s.field))
        os << x(m.epoch) << "," << y(std::min(m.*s.field, s.scale), s.scale)
           << " ";
    os << "\"/>\n<text x=\"" << left + plotW + 10 << "\" y=\""
       << top + 14 + 16 * row++ << "\" fill=\"" << s.color << "\">" << s.name
       << (s.scale != 1.0 ? " (/" + std::to_string(s.scale).substr(0, 4) + ")"
                          : "")
       << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

namespace {
/// The metadata of a checkpoint, checked.
struct CheckpointInfo {
  int64_t epoch = 0;
  uint64_t seed = 0;
  double lr = 0;
  int64_t limit = -1;
  std::string model, data;
  /// LrSchedule::describe() of the run; "constant" in checkpoints written
  /// before schedules existed.
  std::string schedule = "constant";
  /// The label smoothing, as written (%.17g); "0" when absent.
  std::string labelSmoothing = "0";
  /// The train_step's optimizer; "sgd" in checkpoints written before AdamW.
  std::string optimizer = "sgd";
  std::vector<EpochMetrics> history;
};
} // namespace

/// Parses decimal digits only (no sign, no spaces) into `out`; false when
/// empty, not digits, or beyond `max`.
static bool parseDigits(const std::string &text, uint64_t max, uint64_t &out) {
  if (text.empty() || text.size() > 20)
    return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (out > (max - digit) / 10)
      return false;
    out = out * 10 + digit;
  }
  return true;
}

/// "1e+30", as --lr is printed.
static std::string formatLr(double lr) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", lr);
  return buf;
}

/// A number as checkpoints record it: the shortest decimal that reads back
/// as the same double ("0.1").
static std::string formatExact(double v) {
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

/// The limit as recorded: "none" or the count.
static std::string formatLimit(int64_t limit) {
  return limit < 0 ? "none" : std::to_string(limit);
}

/// Reads and checks every metadata field of the checkpoint at `path`.
static Expected<CheckpointInfo>
readCheckpointInfo(const SafeTensorsMetadata &metadata,
                   const std::string &path) {
  std::map<std::string, std::string> fields(metadata.begin(), metadata.end());
  const std::string damaged =
      "; the checkpoint is damaged or not from resnet-run --train: train "
      "without --resume to start anew";
  for (const char *key :
       {"epoch", "seed", "model", "data", "limit", "lr", "metrics"})
    if (!fields.count(key))
      return Error(path + ": the metadata lacks '" + key + "'" + damaged);
  auto bad = [&](const char *key, const char *expected) {
    return Error(path + ": metadata '" + key + "' is '" + fields[key] +
                 "', expected " + expected + damaged);
  };
  CheckpointInfo info;
  uint64_t v = 0;
  if (!parseDigits(fields["epoch"], INT64_MAX, v) || v == 0)
    return bad("epoch", "the last epoch trained, a positive integer");
  info.epoch = static_cast<int64_t>(v);
  if (!parseDigits(fields["seed"], UINT64_MAX, info.seed))
    return bad("seed", "a non-negative integer");
  info.model = fields["model"];
  info.data = fields["data"];
  if (fields.count("lr_schedule"))
    info.schedule = fields["lr_schedule"];
  if (fields.count("label_smoothing"))
    info.labelSmoothing = fields["label_smoothing"];
  if (fields.count("optimizer"))
    info.optimizer = fields["optimizer"];
  if (fields["limit"] != "none") {
    if (!parseDigits(fields["limit"], INT64_MAX, v) || v == 0)
      return bad("limit", "'none' or a positive integer");
    info.limit = static_cast<int64_t>(v);
  }
  char *end = nullptr;
  const std::string &lr = fields["lr"];
  info.lr = std::strtod(lr.c_str(), &end);
  if (lr.empty() || *end != '\0' || !std::isfinite(info.lr) || info.lr < 0)
    return bad("lr", "a non-negative number");
  // One row per epoch trained, numbered from 1: epoch, loss, train_acc,
  // test_acc, examples_per_sec, and (since they are recorded) test_top5
  // and seconds, each of these two possibly empty.
  std::istringstream rows(fields["metrics"]);
  std::string row;
  while (std::getline(rows, row)) {
    std::vector<std::string> cells;
    size_t begin = 0;
    while (true) {
      size_t comma = row.find(',', begin);
      cells.push_back(row.substr(begin, comma - begin));
      if (comma == std::string::npos)
        break;
      begin = comma + 1;
    }
    EpochMetrics m;
    m.testTop5 = m.seconds = std::nan("");
    auto number = [](const std::string &text, double &out, bool mayBeEmpty) {
      if (text.empty())
        return mayBeEmpty;
      char *end = nullptr;
      out = std::strtod(text.c_str(), &end);
      return *end == '\0' && std::isfinite(out);
    };
    uint64_t epoch = 0;
    bool ok = (cells.size() == 5 || cells.size() == 7) &&
              parseDigits(cells[0], INT64_MAX, epoch) &&
              number(cells[1], m.loss, false) &&
              number(cells[2], m.trainAcc, false) &&
              number(cells[3], m.testAcc, false) &&
              number(cells[4], m.examplesPerSecond, false) &&
              (cells.size() == 5 || (number(cells[5], m.testTop5, true) &&
                                     number(cells[6], m.seconds, true)));
    m.epoch = static_cast<int64_t>(epoch);
    if (!ok || m.epoch != static_cast<int64_t>(info.history.size()) + 1)
      return Error(path + ": metadata 'metrics' row " +
                   std::to_string(info.history.size() + 1) + " is '" + row +
                   "', expected epoch " +
                   std::to_string(info.history.size() + 1) +
                   ",loss,train_acc,test_acc,examples_per_sec[,test_top5,"
                   "seconds]" +
                   damaged);
    info.history.push_back(m);
  }
  if (static_cast<int64_t>(info.history.size()) != info.epoch)
    return Error(path + ": metadata 'metrics' has " +
                 std::to_string(info.history.size()) +
                 " rows, but 'epoch' says " + std::to_string(info.epoch) +
                 " epochs were trained" + damaged);
  return info;
}

/// Creates the checkpoint directory and checks that its three files can be
/// written, so that a problem shows before an epoch is spent.
static Status
prepareCheckpointDirectory(const std::string &dir,
                           const std::vector<std::string> &files) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    return Error("--checkpoint " + dir + ": a file is in the way: " + dir +
                 " is not a directory; name a directory");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error("--checkpoint " + dir +
                 ": cannot create the directory: " + ec.message());
  for (const std::string &file : files) {
    struct stat fs;
    if (::stat(file.c_str(), &fs) == 0 && S_ISDIR(fs.st_mode))
      return Error("--checkpoint " + dir + ": " + file +
                   " is a directory, where the run writes a file; remove it "
                   "or name another directory");
    if (Status s = checkOutputWritable(file); !s)
      return Error("--checkpoint " + dir +
                   ": cannot write the checkpoint: " + s.message());
  }
  return Status::success();
}

namespace {
/// The files of --checkpoint; all empty without it.
struct CheckpointFiles {
  std::string checkpoint, csv, svg;
};
} // namespace

/// Names the files of --checkpoint and prepares their directory; on
/// --resume, the checkpoint must exist.
static Status prepareCheckpointFiles(const TrainOptions &options,
                                     CheckpointFiles &files) {
  if (options.checkpointDir.empty())
    return Status::success();
  files.checkpoint = options.checkpointDir + "/checkpoint.safetensors";
  files.csv = options.checkpointDir + "/metrics.csv";
  files.svg = options.checkpointDir + "/metrics.svg";
  struct stat st;
  if (options.resume && ::stat(files.checkpoint.c_str(), &st) != 0 &&
      errno == ENOENT)
    return Error("no checkpoint in " + options.checkpointDir +
                 " yet: train without --resume first");
  return prepareCheckpointDirectory(options.checkpointDir,
                                    {files.checkpoint, files.csv, files.svg});
}

/// Checks that the checkpoint `info` (read from `checkpoint`) describes this
/// run: the same model, seed, data, schedule, optimizer, label smoothing and
/// limit, with epochs left to train.
static Status checkCheckpointMatchesRun(const CheckpointInfo &info,
                                        const std::string &checkpoint,
                                        const Executor &exec,
                                        const TrainOptions &options) {
  const Plan &plan = exec.getPlan();
  if (info.model != plan.model)
    return Error(checkpoint + ": is a checkpoint of model '" + info.model +
                 "', not of '" + plan.model + "'");
  if (info.seed != options.seed)
    return Error(checkpoint + ": was written with --seed " +
                 std::to_string(info.seed) + "; resume with the same seed");
  if (info.data != options.data)
    return Error(checkpoint + ": was written training on --data " + info.data +
                 "; resume with the same data (this run: " + options.data +
                 ")");
  if (info.schedule != options.schedule.describe())
    return Error(checkpoint +
                 ": was written with the learning-rate "
                 "schedule '" +
                 info.schedule + "', not '" + options.schedule.describe() +
                 "'; resume with the same --lr-schedule, --lr-steps, "
                 "--lr-gamma and --warmup-epochs");
  if (info.optimizer != plan.optimizer)
    return Error(checkpoint + ": was written by a train_step with the " +
                 info.optimizer + " optimizer, and " + exec.getPath() +
                 " has " + plan.optimizer + "; resume with an artifact " +
                 "compiled with resnetc --optimizer=" + info.optimizer);
  if (info.labelSmoothing != formatExact(options.labelSmoothing))
    return Error(checkpoint + ": was written with --label-smoothing " +
                 info.labelSmoothing +
                 "; resume with the same label smoothing");
  if (info.limit != options.limit)
    return Error(checkpoint +
                 (info.limit < 0
                      ? std::string(": was written without --limit; resume "
                                    "without it")
                      : ": was written with --limit " +
                            std::to_string(info.limit) +
                            "; resume with the same --limit"));
  if (info.epoch >= options.epochs)
    return Error(checkpoint + ": is of epoch " + std::to_string(info.epoch) +
                 ", and --epochs " + std::to_string(options.epochs) +
                 " is the total number of epochs (not more of them): "
                 "nothing is left to train; give --epochs " +
                 std::to_string(info.epoch + 1) + " or more to continue");
  return Status::success();
}

/// Reads the checkpoint, checks that it describes this run and loads its
/// tensors into `exec`. Returns its metadata.
static Expected<CheckpointInfo>
resumeFromCheckpoint(Executor &exec, const std::string &checkpoint,
                     const TrainOptions &options) {
  Expected<SafeTensorsFile> file = readSafeTensors(checkpoint);
  if (!file)
    return file.error();
  Expected<CheckpointInfo> info =
      readCheckpointInfo(file->metadata, checkpoint);
  if (!info)
    return info.takeError();
  if (Status s = checkCheckpointMatchesRun(*info, checkpoint, exec, options);
      !s)
    return s.error();
  std::map<std::string, HostTensor> tensors;
  for (auto &[name, t] : file->tensors)
    tensors[name] = std::move(t);
  if (Status s = exec.setParameters(tensors, checkpoint,
                                    options.missingOptimizerState);
      !s)
    return s.error();
  return info;
}

namespace {
/// The running totals of one epoch's steps.
struct EpochProgress {
  explicit EpochProgress(int64_t epoch) : epoch(epoch) {}

  int64_t epoch;
  /// The rates of the steps in flight, oldest first.
  std::deque<double> rates;
  double lossSum = 0;
  int64_t correct = 0, finished = 0;
};

/// The epochs of one training run: their steps, evaluations and
/// checkpoints.
class TrainLoop {
public:
  TrainLoop(Executor &exec, const ImageDataset &train, const ImageDataset &test,
            const TrainOptions &options, TrainObserver &observer,
            const CheckpointFiles &files, int64_t lastCheckpoint)
      : exec(exec), plan(exec.getPlan()), train(train), test(test),
        options(options), observer(observer), files(files), batch(plan.batch),
        imageSize(train.c * train.h * train.w), steps(train.n / batch),
        lastCheckpoint(lastCheckpoint) {}

  /// Trains epochs `firstEpoch` to --epochs, appending their metrics to
  /// `history`.
  Status run(int64_t firstEpoch, std::vector<EpochMetrics> &history);

private:
  /// Trains one epoch and evaluates it into `m`.
  Status trainEpoch(int64_t epoch, EpochMetrics &m);
  /// Submits the epoch's steps, taking the images in `order`, and collects
  /// them as they finish; `lastLr` is the rate of the last step.
  Status runSteps(const std::vector<int64_t> &order, EpochProgress &progress,
                  double &lastLr);
  /// Augments the images of step `s` into `images`.
  void assembleBatch(int64_t epoch, const std::vector<int64_t> &order,
                     int64_t s, float *images) const;
  /// Collects the oldest step in flight.
  Status finishStep(EpochProgress &progress);
  /// Writes the checkpoint, metrics and plot of `epoch`, each replaced
  /// atomically.
  Status writeCheckpoint(int64_t epoch,
                         const std::vector<EpochMetrics> &history);

  Executor &exec;
  const Plan &plan;
  const ImageDataset &train, &test;
  const TrainOptions &options;
  TrainObserver &observer;
  const CheckpointFiles &files;
  int64_t batch, imageSize;
  /// Full batches; the rest is dropped.
  int64_t steps;
  /// The last epoch whose checkpoint is on disk (0: none).
  int64_t lastCheckpoint;
};
} // namespace

Status TrainLoop::run(int64_t firstEpoch, std::vector<EpochMetrics> &history) {
  for (int64_t epoch = firstEpoch; epoch <= options.epochs; ++epoch) {
    EpochMetrics m;
    if (Status s = trainEpoch(epoch, m); !s)
      return s;
    history.push_back(m);
    if (!files.checkpoint.empty()) {
      if (Status s = writeCheckpoint(epoch, history); !s)
        return s;
      lastCheckpoint = epoch;
    }
    observer.onEpoch(m);
  }
  return Status::success();
}

Status TrainLoop::trainEpoch(int64_t epoch, EpochMetrics &m) {
  std::vector<int64_t> order(static_cast<size_t>(train.n));
  if (options.shuffle)
    order = makePermutation(train.n, options.seed * 1000003 + epoch);
  else
    std::iota(order.begin(), order.end(), 0);
  // Dropout masks and AdamW's bias corrections depend on the seed and the
  // step's number alone, so a resumed run continues them exactly.
  exec.setSeedAndStep(options.seed, (epoch - 1) * steps);
  EpochProgress progress(epoch);
  auto start = std::chrono::steady_clock::now();
  double lastLr = options.lr;
  if (Status st = runSteps(order, progress, lastLr); !st)
    return st;
  while (exec.inFlight())
    if (Status st = finishStep(progress); !st)
      return st;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  Expected<Accuracy> testAcc = evaluate(exec, test);
  if (!testAcc)
    return testAcc.takeError();
  m.epoch = epoch;
  m.loss = progress.lossSum / steps;
  m.trainAcc = static_cast<double>(progress.correct) / (steps * batch);
  m.testAcc = testAcc->top1;
  m.testTop5 = testAcc->top5;
  m.seconds = seconds;
  m.examplesPerSecond = steps * batch / seconds;
  m.lr = lastLr;
  return Status::success();
}

void TrainLoop::assembleBatch(int64_t epoch, const std::vector<int64_t> &order,
                              int64_t s, float *images) const {
  for (int64_t i = 0; i < batch; ++i)
    augmentImage(options.augmentation,
                 train.images.data() + order[s * batch + i] * imageSize,
                 train.c, train.h, train.w, options.seed, epoch, s * batch + i,
                 images + i * imageSize);
}

Status TrainLoop::runSteps(const std::vector<int64_t> &order,
                           EpochProgress &progress, double &lastLr) {
  int64_t epoch = progress.epoch;
  // With augmentation, a worker thread assembles batch s + 1 into one of
  // two staging buffers while step s computes.
  const Augmentation &aug = options.augmentation;
  std::vector<float> staged[2];
  std::future<void> assembling;
  auto assemble = [this, epoch, &order](int64_t s, float *images) {
    assembleBatch(epoch, order, s, images);
  };
  if (aug.enabled()) {
    for (std::vector<float> &b : staged)
      b.resize(static_cast<size_t>(batch * imageSize));
    assembling = std::async(std::launch::async, assemble, 0, staged[0].data());
  }
  for (int64_t s = 0; s < steps; ++s) {
    // The next batch is assembled while the step before computes.
    Expected<TrainBatch> next = exec.beginTrainStep();
    if (!next)
      return next.takeError();
    if (aug.enabled()) {
      assembling.get();
      std::memcpy(next->images, staged[s % 2].data(),
                  staged[s % 2].size() * sizeof(float));
      if (s + 1 < steps)
        assembling = std::async(std::launch::async, assemble, s + 1,
                                staged[(s + 1) % 2].data());
    }
    for (int64_t i = 0; i < batch; ++i) {
      int64_t index = order[s * batch + i];
      if (!aug.enabled())
        std::memcpy(next->images + i * imageSize,
                    train.images.data() + index * imageSize,
                    static_cast<size_t>(imageSize) * sizeof(float));
      next->labels[i] = train.labels[index];
    }
    lastLr = scheduledLr(options.schedule, options.lr, epoch, options.epochs, s,
                         steps);
    if (Status st = exec.submitTrainStep(static_cast<float>(lastLr)); !st)
      return st;
    progress.rates.push_back(lastLr);
    if (exec.inFlight() == 2)
      if (Status st = finishStep(progress); !st)
        return st;
  }
  return Status::success();
}

Status TrainLoop::finishStep(EpochProgress &progress) {
  Expected<TrainStepResult> r = exec.finishTrainStep();
  if (!r)
    return r.takeError();
  int64_t finished = ++progress.finished;
  if (!std::isfinite(r->loss)) {
    // Nothing more is collected: the run stops here.
    while (exec.inFlight())
      (void)exec.finishTrainStep();
    return Error(
        "epoch " + std::to_string(progress.epoch) + ", batch " +
        std::to_string(finished) + ": the loss is " + std::to_string(r->loss) +
        "; training stopped; " +
        (files.checkpoint.empty()
             ? std::string("no checkpoint was written (no --checkpoint)")
         : lastCheckpoint ? "the last checkpoint is of epoch " +
                                std::to_string(lastCheckpoint)
                          : std::string("no checkpoint was written yet")) +
        " (one possible cause: --lr " + formatLr(options.lr) +
        " is too large for this model)");
  }
  progress.lossSum += r->loss;
  progress.correct += r->correct;
  double rate = progress.rates.front();
  progress.rates.pop_front();
  observer.onStep(progress.epoch, finished, steps, r->loss, rate,
                  progress.lossSum / finished);
  return Status::success();
}

Status TrainLoop::writeCheckpoint(int64_t epoch,
                                  const std::vector<EpochMetrics> &history) {
  Expected<std::map<std::string, HostTensor>> params =
      exec.getParameters(/*withOptimizerState=*/true);
  if (!params)
    return params.takeError();
  NamedTensors tensors;
  for (auto &[name, t] : *params)
    tensors.emplace_back(name, t);
  std::string rows = metricsCSV(history);
  std::string body = rows.substr(rows.find('\n') + 1);
  char lr[32];
  std::snprintf(lr, sizeof(lr), "%.17g", options.lr);
  SafeTensorsMetadata meta = {
      {"epoch", std::to_string(epoch)},
      {"seed", std::to_string(options.seed)},
      {"model", plan.model},
      {"data", options.data},
      {"limit", formatLimit(options.limit)},
      {"lr", lr},
      {"lr_schedule", options.schedule.describe()},
      {"label_smoothing", formatExact(options.labelSmoothing)},
      {"optimizer", plan.optimizer},
      {"metrics", body}};
  if (Status s = writeSafeTensors(files.checkpoint, tensors, meta); !s)
    return s;
  std::string plot = plotMetricsSVG(history, options.top5);
  if (Status s = writeFileAtomically(files.csv, {{rows.data(), rows.size()}});
      !s)
    return s;
  if (Status s = writeFileAtomically(files.svg, {{plot.data(), plot.size()}});
      !s)
    return s;
  return Status::success();
}

Status resnetc::runtime::train(Executor &exec, const ImageDataset &train,
                               const ImageDataset &test,
                               const TrainOptions &options,
                               TrainObserver &observer) {
  int64_t batch = exec.getPlan().batch;
  if (train.n / batch == 0)
    return Error("the training set has fewer images (" +
                 std::to_string(train.n) + ") than one batch (" +
                 std::to_string(batch) + ")");
  CheckpointFiles files;
  if (Status s = prepareCheckpointFiles(options, files); !s)
    return s;
  exec.setLabelSmoothing(static_cast<float>(options.labelSmoothing));
  std::vector<EpochMetrics> history;
  int64_t firstEpoch = 1;
  // The last epoch whose checkpoint is on disk (0: none).
  int64_t lastCheckpoint = 0;
  if (options.resume) {
    Expected<CheckpointInfo> info =
        resumeFromCheckpoint(exec, files.checkpoint, options);
    if (!info)
      return info.takeError();
    firstEpoch = info->epoch + 1;
    lastCheckpoint = info->epoch;
    history = std::move(info->history);
    observer.onStart(train.n, batch);
    observer.onResume(firstEpoch, options.epochs, info->lr);
  } else {
    observer.onStart(train.n, batch);
  }
  TrainLoop loop(exec, train, test, options, observer, files, lastCheckpoint);
  return loop.run(firstEpoch, history);
}
