//===- Inputs.cpp - resnet-run's parameters and data ----------------------===//
//
// The parameters to start from when no --weights are given (the seeded
// initialization, each parameter's kind told from its name and shape), and
// the images of an inference run: a Fashion-MNIST split or an .npy file with
// optional labels, checked against the model.
//
//===----------------------------------------------------------------------===//

#include "RunSteps.h"
#include "resnetc/Runtime/Datasets.h"
#include "resnetc/Runtime/Init.h"
#include "resnetc/Runtime/Npy.h"

#include <cstring>

using namespace resnetc::runtime;

namespace {
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

/// The split --data names for inference: "fashion-mnist" alone is the test
/// split there.
std::string inferenceDataName(const std::string &data) {
  return data == "fashion-mnist" ? "fashion-mnist:test" : data;
}

/// A shape as numpy prints it: "(2, 3, 96, 96)", "(5,)".
std::string npyShape(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}
} // namespace

Expected<std::map<std::string, HostTensor>>
resnetc::runtime::initializeParameters(const Plan &plan,
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

Expected<ImageDataset>
resnetc::runtime::loadInferenceData(const Plan &plan, const RunOptions &opts) {
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
