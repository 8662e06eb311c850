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

#include <algorithm>
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
  // zero_init_residual: these start at zero whatever the scheme.
  for (const PlanBuffer &b : plan.buffers)
    if (b.zeroInit)
      if (auto it = out.find(b.name); it != out.end())
        std::fill(it->second.bytes.begin(), it->second.bytes.end(), 0);
  return out;
}

namespace {
/// `values` / 255 (torchvision's ToTensor) of `count` pixels, each image's
/// channels resized from srcH x srcW to h x w as d2l's Resize does when the
/// sizes differ.
void scalePixels(const uint8_t *src, int64_t images, int64_t c, int64_t srcH,
                 int64_t srcW, int64_t h, int64_t w, float *out) {
  bool same = srcH == h && srcW == w;
  PilBilinearResizer resizer(static_cast<int>(srcH), static_cast<int>(srcW),
                             static_cast<int>(h), static_cast<int>(w));
  std::vector<uint8_t> resized(static_cast<size_t>(h * w));
  for (int64_t plane = 0; plane < images * c; ++plane) {
    const uint8_t *pixels = src + plane * srcH * srcW;
    if (!same) {
      resizer.resize(pixels, resized.data());
      pixels = resized.data();
    }
    for (int64_t j = 0; j < h * w; ++j)
      out[plane * h * w + j] = static_cast<float>(pixels[j]) / 255.0f;
  }
}

/// Labels from an .npy file of int64 or int32, one per image of `images`
/// (`total` of them, the first `keep` kept), each a class of the model.
Status readNpyLabels(const std::string &path, const std::string &images,
                     int64_t total, int64_t keep, int64_t classes,
                     std::vector<int64_t> &out) {
  Expected<HostTensor> labels = readNpy(path, {DType::I64, DType::I32});
  if (!labels)
    return labels.takeError();
  if (labels->shape.size() != 1 || labels->shape[0] != total)
    return Error(path + ": the labels have shape " + npyShape(labels->shape) +
                 "; " + images + " holds " + std::to_string(total) +
                 " images, so the labels' shape must be (" +
                 std::to_string(total) + ",)");
  // Every label, also beyond --limit: a label that is not a class means
  // the file is not what it should be.
  for (int64_t i = 0; i < total; ++i) {
    int64_t l =
        labels->dtype == DType::I64
            ? reinterpret_cast<const int64_t *>(labels->bytes.data())[i]
            : reinterpret_cast<const int32_t *>(labels->bytes.data())[i];
    if (l < 0 || l >= classes)
      return Error(path + ": label " + std::to_string(l) + " at index " +
                   std::to_string(i) + " is not a class of this model (0 to " +
                   std::to_string(classes - 1) + ")");
    if (i < keep)
      out.push_back(l);
  }
  return Status::success();
}

bool endsWith(const std::string &s, const char *suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
} // namespace

Expected<ImageDataset> resnetc::runtime::loadImages(const Plan &plan,
                                                    const std::string &data,
                                                    const std::string &labels,
                                                    int64_t limit) {
  int64_t c = plan.inputShape[0], h = plan.inputShape[1],
          w = plan.inputShape[2];
  std::string shape = "N x " + std::to_string(c) + " x " + std::to_string(h) +
                      " x " + std::to_string(w);
  if (isDatasetName(data)) {
    if (c != 1)
      return Error(data +
                   ": Fashion-MNIST images have 1 channel, the "
                   "model expects " +
                   std::to_string(c));
    return loadDataset(data, h, w, limit, plan.classes);
  }
  if (!endsWith(data, ".npy")) {
    // MNIST-style IDX files (plain or gzip-compressed), resized as d2l does.
    if (labels.empty()) {
      // What is wrong with the file itself comes first.
      if (Expected<IdxImages> raw = readIdxImages(data); !raw)
        return Error(raw.takeError().message() +
                     " (a file --data is read as .npy when its name ends in "
                     ".npy, else as IDX images)");
      return Error(data + ": IDX images need their IDX labels (--labels)");
    }
    if (c != 1)
      return Error(data + ": IDX images have 1 channel, the model expects " +
                   std::to_string(c));
    return loadIdxDataset(data, labels, h, w, limit, plan.classes);
  }
  Expected<HostTensor> images = readNpy(data, {DType::F32, DType::U8});
  if (!images)
    return images.takeError();
  bool bytes = images->dtype == DType::U8;
  const std::vector<int64_t> &s = images->shape;
  if (s.size() != 4 || s[1] != c || (!bytes && (s[2] != h || s[3] != w)))
    return Error(data + ": the images have shape " + npyShape(s) +
                 "; this model takes " + shape +
                 (bytes ? " (uint8 images of another height and width are "
                          "resized)"
                        : " (float32 images are used as they are; uint8 "
                          "ones are scaled by 1/255 and resized)"));
  if (bytes && (s[2] > kMaxImageExtent || s[3] > kMaxImageExtent))
    return Error(data + ": images of " + std::to_string(s[2]) + "x" +
                 std::to_string(s[3]) + " are larger than " +
                 std::to_string(kMaxImageExtent) + "x" +
                 std::to_string(kMaxImageExtent));
  ImageDataset ds;
  ds.n = s[0];
  int64_t total = ds.n;
  if (limit >= 0 && limit < ds.n)
    ds.n = limit;
  ds.c = c;
  ds.h = h;
  ds.w = w;
  if (bytes) {
    ds.images.resize(static_cast<size_t>(ds.n * c * h * w));
    scalePixels(images->bytes.data(), ds.n, c, s[2], s[3], h, w,
                ds.images.data());
  } else {
    const float *values = reinterpret_cast<const float *>(images->bytes.data());
    ds.images.assign(values, values + ds.n * c * h * w);
  }
  if (!labels.empty())
    if (Status st =
            readNpyLabels(labels, data, total, ds.n, plan.classes, ds.labels);
        !st)
      return st.takeError();
  return ds;
}

Status resnetc::runtime::normalize(ImageDataset &data,
                                   const std::vector<double> &meanStd) {
  if (meanStd.empty())
    return Status::success();
  size_t pairs = meanStd.size() / 2;
  if (meanStd.size() % 2 ||
      (pairs != 1 && pairs != static_cast<size_t>(data.c)))
    return Error("--normalize takes a mean and a standard deviation for "
                 "each of the model's " +
                 std::to_string(data.c) +
                 " channels, or one pair for all of them, not " +
                 std::to_string(meanStd.size()) + " values");
  int64_t plane = data.h * data.w;
  for (int64_t i = 0; i < data.n; ++i)
    for (int64_t ch = 0; ch < data.c; ++ch) {
      size_t p = pairs == 1 ? 0 : static_cast<size_t>(ch);
      float mean = static_cast<float>(meanStd[2 * p]),
            std = static_cast<float>(meanStd[2 * p + 1]);
      float *x = data.images.data() + (i * data.c + ch) * plane;
      // torchvision's Normalize: (x - mean) / std.
      for (int64_t j = 0; j < plane; ++j)
        x[j] = (x[j] - mean) / std;
    }
  return Status::success();
}

Expected<ImageDataset>
resnetc::runtime::loadInferenceData(const Plan &plan, const RunOptions &opts) {
  Expected<ImageDataset> ds =
      loadImages(plan, inferenceDataName(opts.data), opts.labels, opts.limit);
  if (!ds)
    return ds;
  if (Status s = normalize(*ds, opts.normalize); !s)
    return s.takeError();
  return ds;
}
