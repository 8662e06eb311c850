//===- Train.cpp - The training loop of resnet-run ------------------------===//
//
// See Train.h. Checkpoints hold the parameters, the running statistics, the
// SGD velocities and, as metadata, the epoch and seed, so that --resume
// continues exactly where an interrupted run stopped: the shuffling of epoch
// e depends only on the seed and e.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Train.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/SafeTensors.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

using namespace resnetc::runtime;

TrainObserver::~TrainObserver() = default;

Expected<double> resnetc::runtime::evaluate(Executor &exec,
                                            const ImageDataset &data) {
  const Plan &plan = exec.getPlan();
  if (data.n == 0)
    return 0.0;
  std::vector<float> logits(static_cast<size_t>(data.n * plan.classes));
  if (Status s = exec.infer(data.images.data(), data.n, logits.data()); !s)
    return s.takeError();
  int64_t correct = 0;
  for (int64_t i = 0; i < data.n; ++i) {
    const float *row = logits.data() + i * plan.classes;
    int64_t best = 0;
    for (int64_t k = 1; k < plan.classes; ++k)
      if (row[k] > row[best])
        best = k;
    correct += best == data.labels[i];
  }
  return static_cast<double>(correct) / data.n;
}

static std::string metricsCSV(const std::vector<EpochMetrics> &metrics) {
  std::ostringstream os;
  os << "epoch,loss,train_acc,test_acc,examples_per_sec\n";
  for (const EpochMetrics &m : metrics)
    os << m.epoch << "," << m.loss << "," << m.trainAcc << "," << m.testAcc
       << "," << m.examplesPerSecond << "\n";
  return os.str();
}

std::string
resnetc::runtime::plotMetricsSVG(const std::vector<EpochMetrics> &metrics) {
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
                {"test acc", "#2ca02c", &EpochMetrics::testAcc, 1.0}};
  int row = 0;
  for (const Series &s : series) {
    os << "<polyline fill=\"none\" stroke=\"" << s.color
       << "\" stroke-width=\"2\" points=\"";
    for (const EpochMetrics &m : metrics)
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

Status resnetc::runtime::train(Executor &exec, const ImageDataset &train,
                               const ImageDataset &test,
                               const TrainOptions &options,
                               TrainObserver &observer) {
  const Plan &plan = exec.getPlan();
  int64_t batch = plan.batch, imageSize = train.c * train.h * train.w;
  int64_t steps = train.n / batch; // full batches; the rest is dropped
  if (steps == 0)
    return Error("the training set has fewer images (" +
                 std::to_string(train.n) + ") than one batch (" +
                 std::to_string(batch) + ")");
  std::string checkpoint, csv, svg;
  if (!options.checkpointDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.checkpointDir, ec);
    if (ec)
      return Error(options.checkpointDir +
                   ": cannot create the directory: " + ec.message());
    checkpoint = options.checkpointDir + "/checkpoint.safetensors";
    csv = options.checkpointDir + "/metrics.csv";
    svg = options.checkpointDir + "/metrics.svg";
  }
  std::vector<EpochMetrics> history;
  int64_t firstEpoch = 1;
  if (options.resume) {
    Expected<SafeTensorsFile> file = readSafeTensors(checkpoint);
    if (!file)
      return file.error();
    std::map<std::string, HostTensor> tensors;
    for (auto &[name, t] : file->tensors)
      tensors[name] = t;
    if (Status s = exec.setParameters(tensors, checkpoint); !s)
      return s;
    for (auto &[key, value] : file->metadata) {
      if (key == "epoch")
        firstEpoch = std::atoll(value.c_str()) + 1;
      if (key == "seed" &&
          std::strtoull(value.c_str(), nullptr, 10) != options.seed)
        return Error(checkpoint + ": was written with --seed " + value +
                     "; resume with the same seed");
      if (key == "metrics") {
        std::istringstream rows(value);
        EpochMetrics m;
        char comma;
        while (rows >> m.epoch >> comma >> m.loss >> comma >> m.trainAcc >>
               comma >> m.testAcc >> comma >> m.examplesPerSecond)
          history.push_back(m);
      }
    }
  }

  for (int64_t epoch = firstEpoch; epoch <= options.epochs; ++epoch) {
    std::vector<int64_t> order =
        makePermutation(train.n, options.seed * 1000003 + epoch);
    double lossSum = 0;
    int64_t correct = 0, finished = 0;
    // Collects the oldest step in flight.
    auto finishOne = [&]() -> Status {
      Expected<TrainStepResult> r = exec.finishTrainStep();
      if (!r)
        return r.takeError();
      ++finished;
      if (!std::isfinite(r->loss)) {
        // Nothing more is collected: the run stops here.
        while (exec.inFlight())
          (void)exec.finishTrainStep();
        return Error("epoch " + std::to_string(epoch) + ", batch " +
                     std::to_string(finished) + ": the loss is " +
                     std::to_string(r->loss) +
                     "; training stopped (lower --lr); the last checkpoint "
                     "is of epoch " +
                     std::to_string(epoch - 1));
      }
      lossSum += r->loss;
      correct += r->correct;
      observer.onStep(epoch, finished, steps, lossSum / finished);
      return Status::success();
    };
    auto start = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) {
      // The next batch is assembled while the step before computes.
      Expected<TrainBatch> next = exec.beginTrainStep();
      if (!next)
        return next.takeError();
      for (int64_t i = 0; i < batch; ++i) {
        int64_t index = order[s * batch + i];
        std::memcpy(next->images + i * imageSize,
                    train.images.data() + index * imageSize,
                    static_cast<size_t>(imageSize) * sizeof(float));
        next->labels[i] = train.labels[index];
      }
      if (Status st = exec.submitTrainStep(static_cast<float>(options.lr)); !st)
        return st;
      if (exec.inFlight() == 2)
        if (Status st = finishOne(); !st)
          return st;
    }
    while (exec.inFlight())
      if (Status st = finishOne(); !st)
        return st;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    Expected<double> testAcc = evaluate(exec, test);
    if (!testAcc)
      return testAcc.takeError();
    EpochMetrics m;
    m.epoch = epoch;
    m.loss = lossSum / steps;
    m.trainAcc = static_cast<double>(correct) / (steps * batch);
    m.testAcc = *testAcc;
    m.examplesPerSecond = steps * batch / seconds;
    history.push_back(m);
    if (!checkpoint.empty()) {
      // Checkpoint, metrics and plot, each replaced atomically.
      Expected<std::map<std::string, HostTensor>> params =
          exec.getParameters(/*withVelocities=*/true);
      if (!params)
        return params.takeError();
      NamedTensors tensors;
      for (auto &[name, t] : *params)
        tensors.emplace_back(name, t);
      std::string rows = metricsCSV(history);
      std::string body = rows.substr(rows.find('\n') + 1);
      SafeTensorsMetadata meta = {{"epoch", std::to_string(epoch)},
                                  {"seed", std::to_string(options.seed)},
                                  {"model", plan.model},
                                  {"metrics", body}};
      if (Status s = writeSafeTensors(checkpoint, tensors, meta); !s)
        return s;
      std::string plot = plotMetricsSVG(history);
      if (Status s = writeFileAtomically(csv, {{rows.data(), rows.size()}}); !s)
        return s;
      if (Status s = writeFileAtomically(svg, {{plot.data(), plot.size()}}); !s)
        return s;
    }
    observer.onEpoch(m);
  }
  return Status::success();
}
