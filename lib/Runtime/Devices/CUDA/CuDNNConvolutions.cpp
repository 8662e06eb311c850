//===- CuDNNConvolutions.cpp - A plan's cuDNN calls -----------------------===//
//
// See CuDNNConvolutions.h.
//
//===----------------------------------------------------------------------===//

#include "CuDNNConvolutions.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Json.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

using namespace resnetc::runtime;
using namespace resnetc::cuda;

//===----------------------------------------------------------------------===//
// AlgorithmCache
//===----------------------------------------------------------------------===//

AlgorithmCache::AlgorithmCache(std::string path) : path(std::move(path)) {
  if (this->path.empty())
    return;
  Expected<std::vector<uint8_t>> bytes =
      readFileBytes(this->path, uint64_t(64) << 20);
  if (!bytes)
    return; // No cache yet.
  Expected<JsonValue> json =
      parseJson(std::string(bytes->begin(), bytes->end()));
  const JsonValue *list = json ? getJsonMember(*json, "algorithms") : nullptr;
  if (!list || !list->is_object()) {
    std::fprintf(stderr,
                 "resnet-run: warning: %s is not a cuDNN algorithm cache; "
                 "it will be rewritten\n",
                 this->path.c_str());
    dirty = true;
    return;
  }
  for (const auto &[key, value] : list->items()) {
    const JsonValue *algo = getJsonMember(value, "algorithm"),
                    *ms = getJsonMember(value, "milliseconds");
    std::optional<int64_t> index = algo ? getJsonInteger(*algo) : std::nullopt;
    if (index && ms && ms->is_number())
      entries[key] = {static_cast<int>(*index),
                      static_cast<float>(ms->get<double>())};
  }
}

int AlgorithmCache::lookup(const std::string &key) const {
  auto it = entries.find(key);
  return it == entries.end() ? -1 : it->second.first;
}

void AlgorithmCache::insert(const std::string &key, int algorithm,
                            float milliseconds) {
  entries[key] = {algorithm, milliseconds};
  dirty = true;
}

Status AlgorithmCache::save() {
  if (!dirty || path.empty())
    return Status::success();
  JsonValue list = JsonValue::object();
  for (const auto &[key, entry] : entries) {
    JsonValue e = JsonValue::object();
    e["algorithm"] = static_cast<int64_t>(entry.first);
    e["milliseconds"] = static_cast<double>(entry.second);
    list[key] = std::move(e);
  }
  JsonValue root = JsonValue::object();
  root["format"] = "resnetc-cudnn-algorithms";
  root["algorithms"] = std::move(list);
  std::string text = writeJson(root, /*pretty=*/true) + "\n";
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  if (Status s = writeFileAtomically(path, {{text.data(), text.size()}}); !s)
    return Error("cannot write the cuDNN algorithm cache: " + s.message());
  dirty = false;
  return Status::success();
}

//===----------------------------------------------------------------------===//
// CuDNNConvolution
//===----------------------------------------------------------------------===//

Status CuDNNConvolution::check(cudnnStatus_t status, const char *what,
                               int line) const {
  // `what` is the call's text; its name is enough.
  if (status == CUDNN_STATUS_SUCCESS)
    return Status::success();
  std::string call = what;
  call = call.substr(0, call.find('('));
  return Error(where + ": " + call + " failed: " + dnn.describe(status) +
               " [CuDNNConvolutions.cpp:" + std::to_string(line) + "]");
}

#define RESNETC_CUDNN(call)                                                    \
  if (Status s_ = check(dnn.call, #call, __LINE__); !s_)                       \
    return s_.takeError();

static cudnnDataType_t getDataType(DType dtype) {
  return dtype == DType::BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
}

Expected<std::unique_ptr<CuDNNConvolution>>
CuDNNConvolution::create(const CuDNNLibrary &dnn, cudnnHandle_t handle,
                         const Plan &plan, const PlanStep &step,
                         std::string where) {
  std::unique_ptr<CuDNNConvolution> c(new CuDNNConvolution(dnn, handle));
  c->where = std::move(where);
  if (Status s = c->build(plan, step); !s)
    return s.takeError();
  return c;
}

Status CuDNNConvolution::build(const Plan &plan, const PlanStep &step) {
  call = *step.library;
  auto buffer = [&](size_t i) -> const PlanBuffer & {
    return plan.buffers[step.args[i]];
  };
  for (int64_t b : step.args) {
    offsets.push_back(plan.buffers[b].offset);
    largestOperand = std::max<uint64_t>(largestOperand, plan.buffers[b].bytes);
  }
  // The forward view of the call: x (the image), w (the filter), y (the
  // result image); backward data computes x from y, backward filter w.
  const PlanBuffer *xb, *wb, *yb;
  std::string kind;
  if (call.name == "cudnn.conv2d_forward") {
    xb = &buffer(0), wb = &buffer(1), yb = &buffer(step.args.size() - 1);
    kind = "forward";
  } else if (call.name == "cudnn.conv2d_backward_data") {
    xb = &buffer(2), wb = &buffer(1), yb = &buffer(0);
    kind = "backward_data";
  } else {
    xb = &buffer(1), wb = &buffer(2), yb = &buffer(0);
    kind = "backward_filter";
  }
  cudnnTensorFormat_t format =
      xb->layout == Layout::NHWC ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  auto dim = [](const PlanBuffer &b, int i) {
    return static_cast<int>(b.shape[i]);
  };
  RESNETC_CUDNN(cudnnCreateTensorDescriptor(&x));
  RESNETC_CUDNN(cudnnSetTensor4dDescriptor(x, format, getDataType(xb->dtype),
                                           dim(*xb, 0), dim(*xb, 1),
                                           dim(*xb, 2), dim(*xb, 3)));
  RESNETC_CUDNN(cudnnCreateTensorDescriptor(&y));
  RESNETC_CUDNN(cudnnSetTensor4dDescriptor(y, format, getDataType(yb->dtype),
                                           dim(*yb, 0), dim(*yb, 1),
                                           dim(*yb, 2), dim(*yb, 3)));
  RESNETC_CUDNN(cudnnCreateFilterDescriptor(&w));
  RESNETC_CUDNN(cudnnSetFilter4dDescriptor(w, getDataType(wb->dtype), format,
                                           dim(*wb, 0), dim(*wb, 1),
                                           dim(*wb, 2), dim(*wb, 3)));
  RESNETC_CUDNN(cudnnCreateConvolutionDescriptor(&conv));
  RESNETC_CUDNN(cudnnSetConvolution2dDescriptor(
      conv, static_cast<int>(call.padding[0]),
      static_cast<int>(call.padding[1]), static_cast<int>(call.strides[0]),
      static_cast<int>(call.strides[1]), static_cast<int>(call.dilation[0]),
      static_cast<int>(call.dilation[1]),
      call.mode == "convolution" ? CUDNN_CONVOLUTION : CUDNN_CROSS_CORRELATION,
      CUDNN_DATA_FLOAT));
  RESNETC_CUDNN(
      cudnnSetConvolutionGroupCount(conv, static_cast<int>(call.groups)));
  RESNETC_CUDNN(cudnnSetConvolutionMathType(
      conv, call.mathType == "fma" ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  if (isFused()) {
    // y = act(conv(x, w) + alpha2 z + bias): the residual z is a tensor like
    // y, the bias 1 x K x 1 x 1.
    int k = dim(*yb, 1);
    // Without a bias the call adds zeros, of y's type as cuDNN wants.
    DType biasType = call.bias ? buffer(2).dtype : yb->dtype;
    biasBytes = static_cast<uint64_t>(k) * getDTypeSize(biasType);
    RESNETC_CUDNN(cudnnCreateTensorDescriptor(&bias));
    RESNETC_CUDNN(cudnnSetTensor4dDescriptor(
        bias, CUDNN_TENSOR_NCHW, getDataType(biasType), 1, k, 1, 1));
    if (call.residual) {
      const PlanBuffer &zb = buffer(call.bias ? 3 : 2);
      RESNETC_CUDNN(cudnnCreateTensorDescriptor(&z));
      RESNETC_CUDNN(cudnnSetTensor4dDescriptor(z, format, getDataType(zb.dtype),
                                               dim(zb, 0), dim(zb, 1),
                                               dim(zb, 2), dim(zb, 3)));
    }
    RESNETC_CUDNN(cudnnCreateActivationDescriptor(&activation));
    RESNETC_CUDNN(cudnnSetActivationDescriptor(
        activation,
        call.relu ? CUDNN_ACTIVATION_RELU : CUDNN_ACTIVATION_IDENTITY,
        CUDNN_PROPAGATE_NAN, 0.0));
  }
  auto shape = [](const PlanBuffer &b) {
    std::string s;
    for (int64_t d : b.shape)
      s += (s.empty() ? "" : "x") + std::to_string(d);
    return s + ":" + getDTypeName(b.dtype);
  };
  key = kind + " x=" + shape(*xb) + " w=" + shape(*wb) + " y=" + shape(*yb) +
        " " + getLayoutName(xb->layout) +
        " stride=" + std::to_string(call.strides[0]) + "," +
        std::to_string(call.strides[1]) +
        " pad=" + std::to_string(call.padding[0]) + "," +
        std::to_string(call.padding[1]) +
        " dilation=" + std::to_string(call.dilation[0]) + "," +
        std::to_string(call.dilation[1]) +
        " groups=" + std::to_string(call.groups) + " math=" + call.mathType +
        " mode=" + call.mode + (call.bias ? " bias" : "") +
        (call.residual ? " residual" : "") + (call.relu ? " relu" : "");
  return Status::success();
}

CuDNNConvolution::~CuDNNConvolution() {
  if (x)
    dnn.cudnnDestroyTensorDescriptor(x);
  if (y)
    dnn.cudnnDestroyTensorDescriptor(y);
  if (z)
    dnn.cudnnDestroyTensorDescriptor(z);
  if (bias)
    dnn.cudnnDestroyTensorDescriptor(bias);
  if (w)
    dnn.cudnnDestroyFilterDescriptor(w);
  if (conv)
    dnn.cudnnDestroyConvolutionDescriptor(conv);
  if (activation)
    dnn.cudnnDestroyActivationDescriptor(activation);
}

bool CuDNNConvolution::isFused() const {
  return call.name == "cudnn.conv2d_forward" &&
         (call.bias || call.residual || call.relu);
}

/// Whether `perf` may be used: it ran, it is deterministic if asked, and it
/// uses no tensor cores when the call asks for FMA math.
template <typename Perf>
static bool acceptable(const Perf &perf, bool deterministic,
                       const LibraryCall &call) {
  if (perf.status != CUDNN_STATUS_SUCCESS)
    return false;
  if (deterministic && perf.determinism != CUDNN_DETERMINISTIC)
    return false;
  if (call.mathType == "fma" && perf.mathType != CUDNN_FMA_MATH &&
      perf.mathType != CUDNN_DEFAULT_MATH)
    return false;
  return true;
}

Status CuDNNConvolution::chooseByHeuristic(bool deterministic) {
  if (isFused() && !call.relu && !split) {
    // cuDNN runs the fused call with CUDNN_ACTIVATION_IDENTITY only with
    // IMPLICIT_PRECOMP_GEMM. Where that algorithm cannot run this call, the
    // call is split: a plain convolution, then the bias and the residual
    // added by cudnnAddTensor.
    if (Status s = chooseAlgorithm(
            CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
        s)
      return s;
    split = true;
  }
  int returned = 0;
  // Why the best-ranked algorithm cannot run, if none can.
  cudnnStatus_t firstStatus = CUDNN_STATUS_SUCCESS;
  if (call.name == "cudnn.conv2d_forward") {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    RESNETC_CUDNN(cudnnGetConvolutionForwardAlgorithm_v7(
        handle, x, w, conv, y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned,
        perf));
    if (returned)
      firstStatus = perf[0].status;
    for (int i = 0; i < returned; ++i)
      if (acceptable(perf[i], deterministic, call))
        return chooseAlgorithm(perf[i].algo);
  } else if (call.name == "cudnn.conv2d_backward_data") {
    cudnnConvolutionBwdDataAlgoPerf_t
        perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    RESNETC_CUDNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(
        handle, w, y, conv, x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned,
        perf));
    if (returned)
      firstStatus = perf[0].status;
    for (int i = 0; i < returned; ++i)
      if (acceptable(perf[i], deterministic, call))
        return chooseAlgorithm(perf[i].algo);
  } else {
    cudnnConvolutionBwdFilterAlgoPerf_t
        perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    RESNETC_CUDNN(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        handle, x, y, conv, w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
        &returned, perf));
    if (returned)
      firstStatus = perf[0].status;
    for (int i = 0; i < returned; ++i)
      if (acceptable(perf[i], deterministic, call))
        return chooseAlgorithm(perf[i].algo);
  }
  return Error(where + ": cuDNN offers no " +
               std::string(deterministic ? "deterministic " : "") +
               "algorithm for " + key +
               (firstStatus != CUDNN_STATUS_SUCCESS
                    ? " (" + dnn.describe(firstStatus) + ")"
                    : std::string()));
}

Expected<float> CuDNNConvolution::chooseBySearch(bool deterministic,
                                                 const SearchBuffers &b) {
  if (isFused() && !call.relu && !split) {
    if (chooseAlgorithm(CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM))
      return 0.0f;
    split = true; // see chooseByHeuristic
  }
  auto *xp = reinterpret_cast<void *>(b.x);
  auto *wp = reinterpret_cast<void *>(b.w);
  auto *yp = reinterpret_cast<void *>(b.y);
  auto *ws = reinterpret_cast<void *>(b.workspace);
  int returned = 0;
  auto pick = [&](auto *perf) -> Expected<float> {
    for (int i = 0; i < returned; ++i)
      if (acceptable(perf[i], deterministic, call)) {
        if (Status s = chooseAlgorithm(perf[i].algo); !s)
          return s.takeError();
        return perf[i].time;
      }
    return Error(where + ": cuDNN's search found no " +
                 std::string(deterministic ? "deterministic " : "") +
                 "algorithm for " + key);
  };
  // Find*Ex times the algorithms on the given buffers, zeros here (the
  // arena's contents are not ready before the first run).
  if (call.name == "cudnn.conv2d_forward") {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    RESNETC_CUDNN(cudnnFindConvolutionForwardAlgorithmEx(
        handle, x, xp, w, wp, conv, y, yp, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
        &returned, perf, ws, b.workspaceBytes));
    return pick(perf);
  }
  if (call.name == "cudnn.conv2d_backward_data") {
    cudnnConvolutionBwdDataAlgoPerf_t
        perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    RESNETC_CUDNN(cudnnFindConvolutionBackwardDataAlgorithmEx(
        handle, w, wp, y, yp, conv, x, xp,
        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &returned, perf, ws,
        b.workspaceBytes));
    return pick(perf);
  }
  cudnnConvolutionBwdFilterAlgoPerf_t
      perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  RESNETC_CUDNN(cudnnFindConvolutionBackwardFilterAlgorithmEx(
      handle, x, xp, y, yp, conv, w, wp,
      CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &returned, perf, ws,
      b.workspaceBytes));
  return pick(perf);
}

Status CuDNNConvolution::chooseAlgorithm(int algo) {
  size_t bytes = 0;
  if (call.name == "cudnn.conv2d_forward") {
    if (algo < 0 || algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT)
      return Error(where + ": no forward algorithm " + std::to_string(algo));
    RESNETC_CUDNN(cudnnGetConvolutionForwardWorkspaceSize(
        handle, x, w, conv, y, static_cast<cudnnConvolutionFwdAlgo_t>(algo),
        &bytes));
  } else if (call.name == "cudnn.conv2d_backward_data") {
    if (algo < 0 || algo >= CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)
      return Error(where + ": no backward-data algorithm " +
                   std::to_string(algo));
    RESNETC_CUDNN(cudnnGetConvolutionBackwardDataWorkspaceSize(
        handle, w, y, conv, x, static_cast<cudnnConvolutionBwdDataAlgo_t>(algo),
        &bytes));
  } else {
    if (algo < 0 || algo >= CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)
      return Error(where + ": no backward-filter algorithm " +
                   std::to_string(algo));
    RESNETC_CUDNN(cudnnGetConvolutionBackwardFilterWorkspaceSize(
        handle, x, y, conv, w,
        static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &bytes));
  }
  algorithm = algo;
  workspaceBytes = bytes;
  return Status::success();
}

Status CuDNNConvolution::run(DeviceAddress arena, DeviceAddress workspace,
                             uint64_t workspaceSize,
                             DeviceAddress zeroBias) const {
  static const float one = 1.0f, zero = 0.0f;
  auto operand = [&](size_t i) {
    return reinterpret_cast<void *>(arena + static_cast<uint64_t>(offsets[i]));
  };
  auto *ws = reinterpret_cast<void *>(workspace);
  if (call.name == "cudnn.conv2d_forward") {
    void *out = operand(offsets.size() - 1);
    if (!isFused() || split) {
      RESNETC_CUDNN(cudnnConvolutionForward(
          handle, &one, x, operand(0), w, operand(1), conv,
          static_cast<cudnnConvolutionFwdAlgo_t>(algorithm), ws, workspaceSize,
          &zero, y, out));
      if (split && call.bias)
        RESNETC_CUDNN(cudnnAddTensor(handle, &one, bias, operand(2), &one, y,
                                     out));
      if (split && call.residual)
        RESNETC_CUDNN(cudnnAddTensor(handle, &one, z,
                                     operand(call.bias ? 3 : 2), &one, y,
                                     out));
      return Status::success();
    }
    void *biasData =
        call.bias ? operand(2) : reinterpret_cast<void *>(zeroBias);
    // Without a residual, z is y with alpha2 = 0 (not read).
    const void *zData = call.residual ? operand(call.bias ? 3 : 2) : out;
    RESNETC_CUDNN(cudnnConvolutionBiasActivationForward(
        handle, &one, x, operand(0), w, operand(1), conv,
        static_cast<cudnnConvolutionFwdAlgo_t>(algorithm), ws, workspaceSize,
        call.residual ? &one : &zero, call.residual ? z : y, zData, bias,
        biasData, activation, y, out));
    return Status::success();
  }
  if (call.name == "cudnn.conv2d_backward_data") {
    RESNETC_CUDNN(cudnnConvolutionBackwardData(
        handle, &one, w, operand(1), y, operand(0), conv,
        static_cast<cudnnConvolutionBwdDataAlgo_t>(algorithm), ws,
        workspaceSize, &zero, x, operand(2)));
    return Status::success();
  }
  RESNETC_CUDNN(cudnnConvolutionBackwardFilter(
      handle, &one, x, operand(1), y, operand(0), conv,
      static_cast<cudnnConvolutionBwdFilterAlgo_t>(algorithm), ws,
      workspaceSize, &zero, w, operand(2)));
  return Status::success();
}
