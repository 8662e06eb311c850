//===- Outputs.cpp - resnet-run's inference and outputs -------------------===//
//
// Inference over a data set with its throughput and accuracy, and the files
// a run writes: logits, predictions (.npy or .csv) and weights.
//
//===----------------------------------------------------------------------===//

#include "RunSteps.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Npy.h"
#include "resnetc/Runtime/SafeTensors.h"

#include <chrono>
#include <cstdio>
#include <sstream>

using namespace resnetc::runtime;

Status resnetc::runtime::saveWeights(Executor &exec, const std::string &path) {
  Expected<std::map<std::string, HostTensor>> weights = exec.getParameters();
  if (!weights)
    return weights.takeError();
  NamedTensors out;
  for (auto &[name, t] : *weights)
    out.emplace_back(name, t);
  return writeSafeTensors(path, out);
}

Status resnetc::runtime::runInference(Executor &exec, const ImageDataset &data,
                                      int64_t batch, const RunOptions &opts,
                                      const std::string &deviceName) {
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
