//===- Benchmark.cpp - resnet-run --benchmark -----------------------------===//
//
// Times inference or training steps on random data after warm-up batches.
//
//===----------------------------------------------------------------------===//

#include "RunSteps.h"
#include "resnetc/Runtime/Init.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

using namespace resnetc::runtime;

Status
resnetc::runtime::benchmark(Executor &exec, const RunOptions &opts,
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
