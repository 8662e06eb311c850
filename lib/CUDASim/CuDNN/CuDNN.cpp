//===- CuDNN.cpp - The stand-in cuDNN's exported functions ----------------===//
//
// The cuDNN functions of include/resnetc/CUDA/CuDNNAPI.h as the simulated
// GPU exports them. Handles and descriptors live in registries, so that a
// destroyed, never-created or never-set one is CUDNN_STATUS_BAD_PARAM rather
// than a crash. A convolution call checks its descriptors against each
// other, its algorithm and its workspace synchronously (Convolution.h),
// returning cuDNN's status and leaving a message for
// cudnnGetLastErrorString, then enqueues its work on the handle's stream.
// The work runs when the stream is synchronized: it checks every operand's
// whole extent through an AccessScope (inside the buffers the call was
// passed; inputs, and the output when beta is not 0, written before) and
// computes the naive reference convolution; a violation is a fault naming
// the call, which becomes the context's sticky error. The Find functions run
// each supported algorithm on the given buffers at once, timed with the
// host clock.
//
//===----------------------------------------------------------------------===//

#include "../Exports.h"
#include "../SimDevice.h"
#include "Convolution.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

using namespace resnetc::cuda;
using namespace resnetc::cudasim;
using dnn::ConvKind;
using dnn::Status;

namespace {

struct HandleObject {
  CUstream stream = nullptr; ///< Null: the default stream.
};
struct TensorObject {
  bool set = false;
  dnn::TensorDesc desc;
};
struct FilterObject {
  bool set = false;
  dnn::FilterDesc desc;
};
struct ConvolutionObject {
  bool set = false; ///< By cudnnSetConvolution2dDescriptor.
  dnn::ConvDesc desc;
};
struct ActivationObject {
  bool set = false;
  dnn::ActivationDesc desc;
};

/// The live objects of one kind, by address: a pointer that is not one of
/// them is never dereferenced.
template <typename T> class Registry {
public:
  T *create() {
    auto object = std::make_unique<T>();
    T *raw = object.get();
    objects.emplace(raw, std::move(object));
    return raw;
  }
  T *find(const void *pointer) {
    auto it = objects.find(pointer);
    return it == objects.end() ? nullptr : it->second.get();
  }
  bool destroy(const void *pointer) { return objects.erase(pointer) != 0; }

private:
  std::map<const void *, std::unique_ptr<T>> objects;
};

struct Registries {
  Registry<HandleObject> handles;
  Registry<TensorObject> tensors;
  Registry<FilterObject> filters;
  Registry<ConvolutionObject> convolutions;
  Registry<ActivationObject> activations;
};

Registries &registries() {
  static Registries *r = new Registries();
  return *r;
}

/// The message of the last failure on this thread.
thread_local std::string lastError;

/// Returns `status`'s code, recording its message for `function`.
cudnnStatus_t report(const char *function, const Status &status) {
  if (!status.ok())
    lastError = std::string(function) + ": " + status.message;
  return status.code;
}

std::unique_lock<std::recursive_mutex> lockDevice() {
  return std::unique_lock<std::recursive_mutex>(SimDevice::get().mutex);
}

Status getHandle(cudnnHandle_t handle, HandleObject *&out) {
  if (!handle)
    return dnn::badParam("handle is null");
  out = registries().handles.find(handle);
  if (!out)
    return dnn::badParam("handle is not a live cuDNN handle (destroyed, or "
                         "never created)");
  return dnn::success();
}

Status getTensor(const void *pointer, const char *name, dnn::TensorDesc &out) {
  if (!pointer)
    return dnn::badParam(std::string(name) + " is null");
  TensorObject *t = registries().tensors.find(pointer);
  if (!t)
    return dnn::badParam(std::string(name) +
                         " is not a live tensor descriptor (destroyed, or "
                         "never created)");
  if (!t->set)
    return dnn::badParam(std::string(name) + " was never set");
  out = t->desc;
  return dnn::success();
}

Status getFilter(const void *pointer, const char *name, dnn::FilterDesc &out) {
  if (!pointer)
    return dnn::badParam(std::string(name) + " is null");
  FilterObject *f = registries().filters.find(pointer);
  if (!f)
    return dnn::badParam(std::string(name) +
                         " is not a live filter descriptor (destroyed, or "
                         "never created)");
  if (!f->set)
    return dnn::badParam(std::string(name) + " was never set");
  out = f->desc;
  return dnn::success();
}

Status getConvolution(const void *pointer, dnn::ConvDesc &out) {
  if (!pointer)
    return dnn::badParam("convDesc is null");
  ConvolutionObject *c = registries().convolutions.find(pointer);
  if (!c)
    return dnn::badParam("convDesc is not a live convolution descriptor "
                         "(destroyed, or never created)");
  if (!c->set)
    return dnn::badParam("convDesc was never set with "
                         "cudnnSetConvolution2dDescriptor");
  out = c->desc;
  return dnn::success();
}

Status getActivation(const void *pointer, dnn::ActivationDesc &out) {
  if (!pointer)
    return dnn::badParam("activationDesc is null");
  ActivationObject *a = registries().activations.find(pointer);
  if (!a)
    return dnn::badParam("activationDesc is not a live activation "
                         "descriptor (destroyed, or never created)");
  if (!a->set)
    return dnn::badParam("activationDesc was never set");
  out = a->desc;
  return dnn::success();
}

/// [ops] "Scaling Parameters": alpha and beta point to host memory, double
/// for DOUBLE data and float otherwise.
double readScale(const void *pointer, cudnnDataType_t type) {
  if (type == CUDNN_DATA_DOUBLE) {
    double d;
    std::memcpy(&d, pointer, sizeof d);
    return d;
  }
  float f;
  std::memcpy(&f, pointer, sizeof f);
  return f;
}

/// Checks the pointers a call must be given: null is BAD_PARAM ([cnn]
/// Returns: "At least one of the following is NULL: ...").
Status checkPointers(
    std::initializer_list<std::pair<const void *, const char *>> pointers) {
  for (auto &[pointer, name] : pointers)
    if (!pointer)
      return dnn::badParam(std::string(name) + " is null");
  return dnn::success();
}

uint64_t address(const void *pointer) {
  return reinterpret_cast<uint64_t>(pointer);
}

/// One operand of a call's work: its buffer and how the work uses it.
struct Operand {
  uint64_t pointer = 0;
  uint64_t bytes = 0;
  uint64_t alignment = 1;
  std::string name;
  bool read = false, write = false;
};

/// Allows every operand in `scope`, then checks reads before writes, so
/// that an output that is also read (beta not 0) is read as it was.
/// Returns the fault, if any.
std::optional<Fault> access(AccessScope &scope,
                            const std::vector<Operand> &operands) {
  for (const Operand &o : operands)
    scope.allow(o.pointer, o.name);
  for (const Operand &o : operands)
    if (o.pointer % o.alignment != 0)
      return Fault{CUDA_ERROR_MISALIGNED_ADDRESS,
                   scope.getWhat() + ": " + o.name + " (" +
                       std::to_string(o.pointer) + ") is not aligned to its " +
                       std::to_string(o.alignment) + "-byte elements"};
  for (const Operand &o : operands)
    if (o.read && !scope.accessRange(o.pointer, o.bytes, false, o.name))
      return scope.getFault();
  for (const Operand &o : operands)
    if (o.write && !scope.accessRange(o.pointer, o.bytes, true, o.name))
      return scope.getFault();
  return std::nullopt;
}

void *host(uint64_t pointer) { return reinterpret_cast<void *>(pointer); }

/// Everything one convolution call's work needs, copied when it is
/// enqueued (descriptors may change or go before it runs).
struct ConvCall {
  dnn::ConvProblem problem;
  int algo = 0;
  bool tf32 = false;
  /// Forward: x, w, y; backward data: w, dy, dx; backward filter: x, dy, dw.
  uint64_t in1 = 0, in2 = 0, out = 0;
  double alpha = 1, beta = 0;
  uint64_t workspace = 0, workspaceNeeded = 0;
  bool fused = false; ///< cudnnConvolutionBiasActivationForward.
  dnn::TensorDesc zDesc, biasDesc;
  uint64_t z = 0, bias = 0;
  double alpha2 = 0;
  dnn::ActivationDesc activation;
  std::string what; ///< "cudnnConvolutionForward (x ..., w ..., y ...)".
};

/// Runs a convolution call's work: the memory checks, then the arithmetic.
std::optional<Fault> execute(const ConvCall &c) {
  const dnn::ConvProblem &p = c.problem;
  uint64_t xBytes = p.x.bytes(), wBytes = p.w.bytes(), yBytes = p.y.bytes();
  uint64_t e = dnn::elementBytes(p.x.type);
  std::vector<Operand> ops;
  switch (p.kind) {
  case ConvKind::Forward:
    ops.push_back({c.in1, xBytes, e, "x", true, false});
    ops.push_back({c.in2, wBytes, e, "w", true, false});
    if (c.fused) {
      if (c.alpha2 != 0)
        ops.push_back({c.z, yBytes, e, "z", true, false});
      ops.push_back({c.bias, c.biasDesc.bytes(), e, "bias", true, false});
    }
    ops.push_back({c.out, yBytes, e, "y", !c.fused && c.beta != 0, true});
    break;
  case ConvKind::BackwardData:
    ops.push_back({c.in1, wBytes, e, "w", true, false});
    ops.push_back({c.in2, yBytes, e, "dy", true, false});
    ops.push_back({c.out, xBytes, e, "dx", c.beta != 0, true});
    break;
  case ConvKind::BackwardFilter:
    ops.push_back({c.in1, xBytes, e, "x", true, false});
    ops.push_back({c.in2, yBytes, e, "dy", true, false});
    ops.push_back({c.out, wBytes, e, "dw", c.beta != 0, true});
    break;
  }
  if (c.workspaceNeeded)
    ops.push_back(
        {c.workspace, c.workspaceNeeded, 1, "workspace", false, true});
  AccessScope scope(SimDevice::get().memory, c.what);
  if (std::optional<Fault> fault = access(scope, ops))
    return fault;
  switch (p.kind) {
  case ConvKind::Forward:
    if (c.fused)
      dnn::convolutionBiasActivationForward(
          p, host(c.in1), host(c.in2), c.alpha, c.zDesc, host(c.z), c.alpha2,
          c.biasDesc, host(c.bias), c.activation, host(c.out), c.tf32);
    else
      dnn::convolutionForward(p, host(c.in1), host(c.in2), c.alpha, c.beta,
                              host(c.out), c.tf32);
    break;
  case ConvKind::BackwardData:
    dnn::convolutionBackwardData(p, host(c.in1), host(c.in2), c.alpha, c.beta,
                                 host(c.out), c.tf32);
    break;
  case ConvKind::BackwardFilter:
    dnn::convolutionBackwardFilter(p, host(c.in1), host(c.in2), c.alpha, c.beta,
                                   host(c.out), c.tf32);
    break;
  }
  return std::nullopt;
}

/// The stream of `handle`: BAD_PARAM if it was destroyed since
/// cudnnSetStream.
Status handleStream(const HandleObject *handle, Stream *&stream) {
  stream = SimDevice::get().getStream(handle->stream);
  if (!stream)
    return dnn::badParam("the handle's stream is no longer a stream of the "
                         "simulated device");
  return dnn::success();
}

/// Checks the workspace a call was given against what `algo` needs: too
/// small a size, or none given where some is needed, is BAD_PARAM.
Status checkWorkspace(const dnn::ConvProblem &problem, int algo,
                      const void *workSpace, size_t workSpaceSizeInBytes,
                      uint64_t &needed) {
  needed = dnn::workspaceBytes(problem, algo);
  if (workSpaceSizeInBytes < needed)
    return dnn::badParam(
        "workSpaceSizeInBytes (" + std::to_string(workSpaceSizeInBytes) +
        ") is less than the " + std::to_string(needed) + " bytes " +
        dnn::algorithmName(problem.kind, algo) + " needs");
  if (needed && !workSpace)
    return dnn::badParam("workSpace is null but " +
                         dnn::algorithmName(problem.kind, algo) + " needs " +
                         std::to_string(needed) + " bytes");
  return dnn::success();
}

/// EXECUTION_FAILED if the context has a sticky error: a faulted context
/// launches nothing more.
Status checkContext() {
  CUresult sticky = SimDevice::get().stickyError;
  if (sticky != CUDA_SUCCESS)
    return {CUDNN_STATUS_EXECUTION_FAILED,
            "the simulated GPU's context has a sticky error (CUresult " +
                std::to_string(int(sticky)) + ") from an earlier fault"};
  return dnn::success();
}

/// Enqueues `work` on `stream` after checking the context. Like a kernel
/// launch, the call succeeds whatever the work does when it runs: on the
/// legacy default stream it runs at once, and a fault it makes is the
/// context's sticky error, which synchronization and later calls return.
Status enqueueWork(Stream *stream, std::string what, Work work) {
  Status s = checkContext();
  if (!s.ok())
    return s;
  SimDevice::get().enqueue(stream, std::move(what), std::move(work));
  return dnn::success();
}

/// Enqueues `call` on `stream`.
Status enqueue(Stream *stream, ConvCall call) {
  std::string what = call.what;
  return enqueueWork(stream, std::move(what),
                     [call = std::move(call)]() -> std::optional<Fault> {
                       return execute(call);
                     });
}

/// The checks every convolution entry point starts with: the handle and
/// its stream, the descriptors, and the problem.
struct Prepared {
  HandleObject *handle = nullptr;
  Stream *stream = nullptr;
  dnn::ConvProblem problem;
};

Status prepare(ConvKind kind, cudnnHandle_t handle, const void *xDesc,
               const char *xName, const void *wDesc, const char *wName,
               const void *convDesc, const void *yDesc, const char *yName,
               Prepared &out) {
  Status s = getHandle(handle, out.handle);
  if (!s.ok())
    return s;
  dnn::TensorDesc x, y;
  dnn::FilterDesc w;
  dnn::ConvDesc conv;
  if (!(s = getTensor(xDesc, xName, x)).ok() ||
      !(s = getFilter(wDesc, wName, w)).ok() ||
      !(s = getConvolution(convDesc, conv)).ok() ||
      !(s = getTensor(yDesc, yName, y)).ok())
    return s;
  if (!(s = handleStream(out.handle, out.stream)).ok())
    return s;
  SimDevice &device = SimDevice::get();
  return dnn::checkConvolution(kind, x, w, conv, y, device.ccMajor,
                               device.ccMinor, out.problem);
}

/// The algorithm list of cudnnGet*Algorithm_v7: every algorithm, those that
/// support the problem first, in heuristic order.
template <typename Perf>
Status listAlgorithms(const dnn::ConvProblem &problem, bool configSupported,
                      int requested, int *returned, Perf *perf) {
  std::vector<int> ranking = dnn::algorithmRanking(problem.kind);
  std::vector<Perf> list;
  for (int pass = 0; pass < 2; ++pass)
    for (int algo : ranking) {
      bool ok = configSupported && dnn::checkAlgorithm(problem, algo).ok();
      if (ok != (pass == 0))
        continue;
      Perf entry;
      std::memset(&entry, 0, sizeof entry);
      entry.algo = static_cast<decltype(entry.algo)>(algo);
      entry.status = ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_NOT_SUPPORTED;
      entry.time = -1;
      entry.memory = ok ? dnn::workspaceBytes(problem, algo) : 0;
      entry.determinism = dnn::algorithmDeterminism(problem.kind, algo);
      entry.mathType = problem.conv.mathType;
      list.push_back(entry);
    }
  int n = std::min<int>(requested, int(list.size()));
  std::copy(list.begin(), list.begin() + n, perf);
  *returned = n;
  return dnn::success();
}

/// cudnnFind*AlgorithmEx: runs every algorithm that supports the problem
/// and fits the workspace, in place (the Find functions block), timing
/// each with the host clock; returns them fastest first.
template <typename Perf>
Status findAlgorithms(Prepared &prep, ConvCall base, void *workSpace,
                      size_t workSpaceSizeInBytes, int requested, int *returned,
                      Perf *perf) {
  SimDevice &device = SimDevice::get();
  if (prep.stream->capture)
    return dnn::notSupported("the handle's stream is being captured; the "
                             "Find functions run and synchronize");
  // What the stream has pending writes the operands first.
  device.drain(prep.stream);
  Status s = checkContext();
  if (!s.ok())
    return s;
  std::vector<Perf> list;
  for (int algo : dnn::algorithmRanking(prep.problem.kind)) {
    if (!dnn::checkAlgorithm(prep.problem, algo).ok())
      continue;
    uint64_t needed = dnn::workspaceBytes(prep.problem, algo);
    if (needed > workSpaceSizeInBytes || (needed && !workSpace))
      continue;
    ConvCall call = base;
    call.algo = algo;
    call.tf32 = dnn::permitsTF32(prep.problem, algo, device.ccMajor);
    call.workspace = address(workSpace);
    call.workspaceNeeded = needed;
    call.what += " with " + dnn::algorithmName(prep.problem.kind, algo);
    auto start = std::chrono::steady_clock::now();
    std::optional<Fault> fault = execute(call);
    auto end = std::chrono::steady_clock::now();
    if (fault) {
      device.reportFault(*fault);
      return {CUDNN_STATUS_EXECUTION_FAILED, fault->message};
    }
    Perf entry;
    std::memset(&entry, 0, sizeof entry);
    entry.algo = static_cast<decltype(entry.algo)>(algo);
    entry.status = CUDNN_STATUS_SUCCESS;
    entry.time = std::chrono::duration<float, std::milli>(end - start).count();
    entry.memory = needed;
    entry.determinism = dnn::algorithmDeterminism(prep.problem.kind, algo);
    entry.mathType = prep.problem.conv.mathType;
    list.push_back(entry);
  }
  std::stable_sort(list.begin(), list.end(), [](const Perf &a, const Perf &b) {
    return a.time < b.time;
  });
  int n = std::min<int>(requested, int(list.size()));
  std::copy(list.begin(), list.begin() + n, perf);
  *returned = n;
  return dnn::success();
}

Status checkRequest(int requested, const void *returned, const void *perf) {
  if (requested < 1)
    return dnn::badParam("requestedAlgoCount (" + std::to_string(requested) +
                         ") is less than 1");
  return checkPointers(
      {{returned, "returnedAlgoCount"}, {perf, "perfResults"}});
}

/// Checks `algo` for the problem, then its workspace, then enqueues.
Status run(Prepared &prep, ConvCall call, const void *workSpace,
           size_t workSpaceSizeInBytes) {
  Status s = dnn::checkAlgorithm(prep.problem, call.algo);
  if (!s.ok())
    return s;
  if (!(s = checkWorkspace(prep.problem, call.algo, workSpace,
                           workSpaceSizeInBytes, call.workspaceNeeded))
           .ok())
    return s;
  call.workspace = address(workSpace);
  call.tf32 =
      dnn::permitsTF32(prep.problem, call.algo, SimDevice::get().ccMajor);
  return enqueue(prep.stream, std::move(call));
}

/// Checks a setter's dimensions: [ops] BAD_PARAM for one not positive;
/// for a tensor (`limit`), NOT_SUPPORTED when "The total size of the tensor
/// descriptor exceeds the maximum limit of 2 Giga-elements" (as measured,
/// 2^31 elements already do; a filter has no such limit).
Status checkDims(std::initializer_list<std::pair<int, const char *>> dims,
                 bool limit) {
  uint64_t total = 1;
  for (auto &[value, name] : dims) {
    if (value <= 0)
      return dnn::badParam(std::string(name) + " is " + std::to_string(value) +
                           ", not positive");
    total *= uint64_t(value);
  }
  if (limit && total > uint64_t(INT32_MAX))
    return dnn::notSupported(std::to_string(total) +
                             " elements exceed cuDNN's limit of 2^31 - 1");
  return dnn::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Library, handles and errors
//===----------------------------------------------------------------------===//

size_t resnetc::cuda::cudnnGetVersion() { return 91900; } // 9.19.0

const char *resnetc::cuda::cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
#define RESNETC_STATUS_NAME(name)                                              \
  case name:                                                                   \
    return #name;
    RESNETC_STATUS_NAME(CUDNN_STATUS_SUCCESS)
    RESNETC_STATUS_NAME(CUDNN_STATUS_NOT_INITIALIZED)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM_NULL_POINTER)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT)
    RESNETC_STATUS_NAME(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)
    RESNETC_STATUS_NAME(CUDNN_STATUS_NOT_SUPPORTED)
    RESNETC_STATUS_NAME(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)
    RESNETC_STATUS_NAME(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE)
    RESNETC_STATUS_NAME(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
    RESNETC_STATUS_NAME(CUDNN_STATUS_INTERNAL_ERROR)
    RESNETC_STATUS_NAME(CUDNN_STATUS_EXECUTION_FAILED)
#undef RESNETC_STATUS_NAME
  }
  return "CUDNN_UNKNOWN_STATUS";
}

void resnetc::cuda::cudnnGetLastErrorString(char *message, size_t max_size) {
  if (!message || max_size == 0)
    return;
  size_t n = std::min(lastError.size(), max_size - 1);
  std::memcpy(message, lastError.data(), n);
  message[n] = '\0';
}

cudnnStatus_t resnetc::cuda::cudnnCreate(cudnnHandle_t *handle) {
  auto lock = lockDevice();
  if (!handle)
    return report("cudnnCreate", dnn::badParam("handle is null"));
  *handle = reinterpret_cast<cudnnHandle_t>(registries().handles.create());
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnDestroy(cudnnHandle_t handle) {
  auto lock = lockDevice();
  HandleObject *h;
  Status s = getHandle(handle, h);
  if (!s.ok())
    return report("cudnnDestroy", s);
  registries().handles.destroy(h);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetStream(cudnnHandle_t handle,
                                            cudaStream_t streamId) {
  auto lock = lockDevice();
  HandleObject *h;
  Status s = getHandle(handle, h);
  if (!s.ok())
    return report("cudnnSetStream", s);
  if (!SimDevice::get().getStream(streamId))
    return report("cudnnSetStream",
                  dnn::badParam("streamId is not a stream of the simulated "
                                "device"));
  h->stream = streamId;
  return CUDNN_STATUS_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Descriptors
//===----------------------------------------------------------------------===//

cudnnStatus_t resnetc::cuda::cudnnCreateTensorDescriptor(
    cudnnTensorDescriptor_t *tensorDesc) {
  auto lock = lockDevice();
  if (!tensorDesc)
    return report("cudnnCreateTensorDescriptor",
                  dnn::badParam("tensorDesc is null"));
  *tensorDesc =
      reinterpret_cast<cudnnTensorDescriptor_t>(registries().tensors.create());
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetTensor4dDescriptor(
    cudnnTensorDescriptor_t tensorDesc, cudnnTensorFormat_t format,
    cudnnDataType_t dataType, int n, int c, int h, int w) {
  const char *fn = "cudnnSetTensor4dDescriptor";
  auto lock = lockDevice();
  TensorObject *t = registries().tensors.find(tensorDesc);
  if (!t)
    return report(fn, dnn::badParam("tensorDesc is not a live tensor "
                                    "descriptor"));
  Status s = checkDims({{n, "n"}, {c, "c"}, {h, "h"}, {w, "w"}}, false);
  if (s.ok())
    s = dnn::checkTypeAndFormat(dataType, format, false);
  if (s.ok())
    s = checkDims({{n, "n"}, {c, "c"}, {h, "h"}, {w, "w"}}, true);
  if (!s.ok())
    return report(fn, s);
  t->desc = dnn::TensorDesc{dataType, format, n, c, h, w};
  t->set = true;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnDestroyTensorDescriptor(
    cudnnTensorDescriptor_t tensorDesc) {
  auto lock = lockDevice();
  // [ops] "When the input pointer is NULL, no destroy operation is
  // performed."
  if (!tensorDesc)
    return CUDNN_STATUS_SUCCESS;
  if (!registries().tensors.destroy(tensorDesc))
    return report("cudnnDestroyTensorDescriptor",
                  dnn::badParam("tensorDesc is not a live tensor descriptor"));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnCreateFilterDescriptor(
    cudnnFilterDescriptor_t *filterDesc) {
  auto lock = lockDevice();
  if (!filterDesc)
    return report("cudnnCreateFilterDescriptor",
                  dnn::badParam("filterDesc is null"));
  *filterDesc =
      reinterpret_cast<cudnnFilterDescriptor_t>(registries().filters.create());
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetFilter4dDescriptor(
    cudnnFilterDescriptor_t filterDesc, cudnnDataType_t dataType,
    cudnnTensorFormat_t format, int k, int c, int h, int w) {
  const char *fn = "cudnnSetFilter4dDescriptor";
  auto lock = lockDevice();
  FilterObject *f = registries().filters.find(filterDesc);
  if (!f)
    return report(fn, dnn::badParam("filterDesc is not a live filter "
                                    "descriptor"));
  Status s = checkDims({{k, "k"}, {c, "c"}, {h, "h"}, {w, "w"}}, false);
  if (s.ok())
    s = dnn::checkTypeAndFormat(dataType, format, true);
  if (!s.ok())
    return report(fn, s);
  f->desc = dnn::FilterDesc{dataType, format, k, c, h, w};
  f->set = true;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnDestroyFilterDescriptor(
    cudnnFilterDescriptor_t filterDesc) {
  auto lock = lockDevice();
  if (!filterDesc)
    return CUDNN_STATUS_SUCCESS;
  if (!registries().filters.destroy(filterDesc))
    return report("cudnnDestroyFilterDescriptor",
                  dnn::badParam("filterDesc is not a live filter descriptor"));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnCreateConvolutionDescriptor(
    cudnnConvolutionDescriptor_t *convDesc) {
  auto lock = lockDevice();
  if (!convDesc)
    return report("cudnnCreateConvolutionDescriptor",
                  dnn::badParam("convDesc is null"));
  *convDesc = reinterpret_cast<cudnnConvolutionDescriptor_t>(
      registries().convolutions.create());
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetConvolution2dDescriptor(
    cudnnConvolutionDescriptor_t convDesc, int pad_h, int pad_w, int u, int v,
    int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
    cudnnDataType_t computeType) {
  const char *fn = "cudnnSetConvolution2dDescriptor";
  auto lock = lockDevice();
  ConvolutionObject *c = registries().convolutions.find(convDesc);
  if (!c)
    return report(fn, dnn::badParam("convDesc is not a live convolution "
                                    "descriptor"));
  // [cnn] cudnnSetConvolution2dDescriptor, Returns, BAD_PARAM: "One of the
  // parameters pad_h, pad_w is strictly negative", "One of the parameters
  // u, v is negative or zero", "One of the parameters dilation_h,
  // dilation_w is negative or zero", "The parameter mode has an invalid
  // enumerant value".
  if (pad_h < 0 || pad_w < 0)
    return report(fn, dnn::badParam("padding " + std::to_string(pad_h) + ", " +
                                    std::to_string(pad_w) + " is negative"));
  if (u <= 0 || v <= 0)
    return report(fn, dnn::badParam("stride " + std::to_string(u) + ", " +
                                    std::to_string(v) + " is not positive"));
  if (dilation_h <= 0 || dilation_w <= 0)
    return report(fn, dnn::badParam("dilation " + std::to_string(dilation_h) +
                                    ", " + std::to_string(dilation_w) +
                                    " is not positive"));
  if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION)
    return report(fn, dnn::badParam("mode " + std::to_string(int(mode)) +
                                    " is not a cudnnConvolutionMode_t"));
  if (!dnn::isConvolutionComputeType(computeType))
    return report(fn, dnn::badParam("computeType " +
                                    std::to_string(int(computeType)) +
                                    " is not a compute type"));
  dnn::ConvDesc &d = c->desc;
  d.padH = pad_h, d.padW = pad_w, d.strideH = u, d.strideW = v;
  d.dilationH = dilation_h, d.dilationW = dilation_w;
  d.mode = mode;
  d.computeType = computeType;
  c->set = true;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetConvolutionGroupCount(
    cudnnConvolutionDescriptor_t convDesc, int groupCount) {
  const char *fn = "cudnnSetConvolutionGroupCount";
  auto lock = lockDevice();
  ConvolutionObject *c = registries().convolutions.find(convDesc);
  if (!c)
    return report(fn, dnn::badParam("convDesc is not a live convolution "
                                    "descriptor"));
  if (groupCount < 1)
    return report(fn, dnn::badParam("groupCount " + std::to_string(groupCount) +
                                    " is less than 1"));
  c->desc.groups = groupCount;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetConvolutionMathType(
    cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType) {
  const char *fn = "cudnnSetConvolutionMathType";
  auto lock = lockDevice();
  ConvolutionObject *c = registries().convolutions.find(convDesc);
  if (!c)
    return report(fn, dnn::badParam("convDesc is not a live convolution "
                                    "descriptor"));
  if (mathType < CUDNN_DEFAULT_MATH || mathType > CUDNN_FMA_MATH)
    return report(fn,
                  dnn::badParam("mathType " + std::to_string(int(mathType)) +
                                " is not a cudnnMathType_t"));
  c->desc.mathType = mathType;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnDestroyConvolutionDescriptor(
    cudnnConvolutionDescriptor_t convDesc) {
  auto lock = lockDevice();
  if (!convDesc)
    return CUDNN_STATUS_SUCCESS;
  if (!registries().convolutions.destroy(convDesc))
    return report("cudnnDestroyConvolutionDescriptor",
                  dnn::badParam("convDesc is not a live convolution "
                                "descriptor"));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnCreateActivationDescriptor(
    cudnnActivationDescriptor_t *activationDesc) {
  auto lock = lockDevice();
  if (!activationDesc)
    return report("cudnnCreateActivationDescriptor",
                  dnn::badParam("activationDesc is null"));
  *activationDesc = reinterpret_cast<cudnnActivationDescriptor_t>(
      registries().activations.create());
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnSetActivationDescriptor(
    cudnnActivationDescriptor_t activationDesc, cudnnActivationMode_t mode,
    cudnnNanPropagation_t reluNanOpt, double coef) {
  const char *fn = "cudnnSetActivationDescriptor";
  auto lock = lockDevice();
  ActivationObject *a = registries().activations.find(activationDesc);
  if (!a)
    return report(fn, dnn::badParam("activationDesc is not a live "
                                    "activation descriptor"));
  // [ops] BAD_PARAM: "mode or reluNanOpt has an invalid enumerant value".
  // cudnnActivationMode_t runs from CUDNN_ACTIVATION_SIGMOID (0) to
  // CUDNN_ACTIVATION_SWISH (6); the convolution rejects all but RELU and
  // IDENTITY.
  if (mode < 0 || mode > 6)
    return report(fn, dnn::badParam("mode " + std::to_string(int(mode)) +
                                    " is not a cudnnActivationMode_t"));
  if (reluNanOpt != CUDNN_NOT_PROPAGATE_NAN &&
      reluNanOpt != CUDNN_PROPAGATE_NAN)
    return report(fn, dnn::badParam("reluNanOpt " +
                                    std::to_string(int(reluNanOpt)) +
                                    " is not a cudnnNanPropagation_t"));
  a->desc = dnn::ActivationDesc{mode, reluNanOpt, coef};
  a->set = true;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnDestroyActivationDescriptor(
    cudnnActivationDescriptor_t activationDesc) {
  auto lock = lockDevice();
  if (!activationDesc)
    return CUDNN_STATUS_SUCCESS;
  if (!registries().activations.destroy(activationDesc))
    return report("cudnnDestroyActivationDescriptor",
                  dnn::badParam("activationDesc is not a live activation "
                                "descriptor"));
  return CUDNN_STATUS_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnFilterDescriptor_t filterDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount,
    int *returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t *perfResults) {
  const char *fn = "cudnnGetConvolutionForwardAlgorithm_v7";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::Forward, handle, srcDesc, "srcDesc", filterDesc,
                     "filterDesc", convDesc, destDesc, "destDesc", prep);
  // An unsupported configuration lists every algorithm as NOT_SUPPORTED.
  if (s.code == CUDNN_STATUS_BAD_PARAM)
    return report(fn, s);
  bool supported = s.ok();
  if (!(s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults))
           .ok())
    return report(fn, s);
  return report(fn, listAlgorithms(prep.problem, supported, requestedAlgoCount,
                                   returnedAlgoCount, perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnFindConvolutionForwardAlgorithmEx(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnFilterDescriptor_t wDesc, const void *w,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t yDesc, void *y, const int requestedAlgoCount,
    int *returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t *perfResults,
    void *workSpace, size_t workSpaceSizeInBytes) {
  const char *fn = "cudnnFindConvolutionForwardAlgorithmEx";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::Forward, handle, xDesc, "xDesc", wDesc, "wDesc",
                     convDesc, yDesc, "yDesc", prep);
  if (s.ok())
    s = checkPointers({{x, "x"}, {w, "w"}, {y, "y"}});
  if (s.ok())
    s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults);
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.in1 = address(x), call.in2 = address(w), call.out = address(y);
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn, findAlgorithms(prep, call, workSpace, workSpaceSizeInBytes,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionForwardWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
    const cudnnFilterDescriptor_t wDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t yDesc, cudnnConvolutionFwdAlgo_t algo,
    size_t *sizeInBytes) {
  const char *fn = "cudnnGetConvolutionForwardWorkspaceSize";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::Forward, handle, xDesc, "xDesc", wDesc, "wDesc",
                     convDesc, yDesc, "yDesc", prep);
  if (s.ok())
    s = checkPointers({{sizeInBytes, "sizeInBytes"}});
  // [cnn] NOT_SUPPORTED: "The combination of the tensor descriptors, filter
  // descriptor and convolution descriptor is not supported for the
  // specified algorithm."
  if (s.ok())
    s = dnn::checkAlgorithm(prep.problem, algo);
  if (!s.ok())
    return report(fn, s);
  *sizeInBytes = dnn::workspaceBytes(prep.problem, algo);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnConvolutionForward(
    cudnnHandle_t handle, const void *alpha,
    const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnFilterDescriptor_t wDesc, const void *w,
    const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
    void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
    const cudnnTensorDescriptor_t yDesc, void *y) {
  const char *fn = "cudnnConvolutionForward";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::Forward, handle, xDesc, "xDesc", wDesc, "wDesc",
                     convDesc, yDesc, "yDesc", prep);
  if (s.ok())
    s = checkPointers(
        {{alpha, "alpha"}, {beta, "beta"}, {x, "x"}, {w, "w"}, {y, "y"}});
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.algo = algo;
  call.in1 = address(x), call.in2 = address(w), call.out = address(y);
  call.alpha = readScale(alpha, prep.problem.scaleType());
  call.beta = readScale(beta, prep.problem.scaleType());
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn,
                run(prep, std::move(call), workSpace, workSpaceSizeInBytes));
}

cudnnStatus_t resnetc::cuda::cudnnConvolutionBiasActivationForward(
    cudnnHandle_t handle, const void *alpha1,
    const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnFilterDescriptor_t wDesc, const void *w,
    const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
    void *workSpace, size_t workSpaceSizeInBytes, const void *alpha2,
    const cudnnTensorDescriptor_t zDesc, const void *z,
    const cudnnTensorDescriptor_t biasDesc, const void *bias,
    const cudnnActivationDescriptor_t activationDesc,
    const cudnnTensorDescriptor_t yDesc, void *y) {
  const char *fn = "cudnnConvolutionBiasActivationForward";
  auto lock = lockDevice();
  Prepared prep;
  ConvCall call;
  Status s = prepare(ConvKind::Forward, handle, xDesc, "xDesc", wDesc, "wDesc",
                     convDesc, yDesc, "yDesc", prep);
  if (s.ok())
    s = getTensor(zDesc, "zDesc", call.zDesc);
  if (s.ok())
    s = getTensor(biasDesc, "biasDesc", call.biasDesc);
  if (s.ok())
    s = getActivation(activationDesc, call.activation);
  // [cnn] BAD_PARAM: "At least one of the following is NULL: handle, xDesc,
  // wDesc, convDesc, yDesc, zDesc, biasDesc, activationDesc, xData, wData,
  // yData, zData, bias, alpha1, and alpha2."
  if (s.ok())
    s = checkPointers({{alpha1, "alpha1"},
                       {alpha2, "alpha2"},
                       {x, "x"},
                       {w, "w"},
                       {z, "z"},
                       {bias, "bias"},
                       {y, "y"}});
  if (!s.ok())
    return report(fn, s);
  // An invalid algorithm value first, then the fused form's own rules, then
  // whether the algorithm supports the convolution.
  Status algoStatus = dnn::checkAlgorithm(prep.problem, algo);
  if (algoStatus.code == CUDNN_STATUS_BAD_PARAM)
    return report(fn, algoStatus);
  s = dnn::checkBiasActivation(prep.problem, algo, call.zDesc, call.biasDesc,
                               call.activation);
  if (!s.ok())
    return report(fn, s);
  call.problem = prep.problem;
  call.algo = algo;
  call.fused = true;
  call.in1 = address(x), call.in2 = address(w), call.out = address(y);
  call.z = address(z), call.bias = address(bias);
  call.alpha = readScale(alpha1, prep.problem.scaleType());
  call.alpha2 = readScale(alpha2, prep.problem.scaleType());
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn,
                run(prep, std::move(call), workSpace, workSpaceSizeInBytes));
}

//===----------------------------------------------------------------------===//
// Backward data
//===----------------------------------------------------------------------===//

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionBackwardDataAlgorithm_v7(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t filterDesc,
    const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t gradDesc, const int requestedAlgoCount,
    int *returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t *perfResults) {
  const char *fn = "cudnnGetConvolutionBackwardDataAlgorithm_v7";
  auto lock = lockDevice();
  Prepared prep;
  Status s =
      prepare(ConvKind::BackwardData, handle, gradDesc, "gradDesc", filterDesc,
              "filterDesc", convDesc, diffDesc, "diffDesc", prep);
  if (s.code == CUDNN_STATUS_BAD_PARAM)
    return report(fn, s);
  bool supported = s.ok();
  if (!(s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults))
           .ok())
    return report(fn, s);
  return report(fn, listAlgorithms(prep.problem, supported, requestedAlgoCount,
                                   returnedAlgoCount, perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnFindConvolutionBackwardDataAlgorithmEx(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc, const void *w,
    const cudnnTensorDescriptor_t dyDesc, const void *dy,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t dxDesc, void *dx,
    const int requestedAlgoCount, int *returnedAlgoCount,
    cudnnConvolutionBwdDataAlgoPerf_t *perfResults, void *workSpace,
    size_t workSpaceSizeInBytes) {
  const char *fn = "cudnnFindConvolutionBackwardDataAlgorithmEx";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardData, handle, dxDesc, "dxDesc", wDesc,
                     "wDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers({{w, "w"}, {dy, "dy"}, {dx, "dx"}});
  if (s.ok())
    s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults);
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.in1 = address(w), call.in2 = address(dy), call.out = address(dx);
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn, findAlgorithms(prep, call, workSpace, workSpaceSizeInBytes,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionBackwardDataWorkspaceSize(
    cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc,
    const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t dxDesc, cudnnConvolutionBwdDataAlgo_t algo,
    size_t *sizeInBytes) {
  const char *fn = "cudnnGetConvolutionBackwardDataWorkspaceSize";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardData, handle, dxDesc, "dxDesc", wDesc,
                     "wDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers({{sizeInBytes, "sizeInBytes"}});
  if (s.ok())
    s = dnn::checkAlgorithm(prep.problem, algo);
  if (!s.ok())
    return report(fn, s);
  *sizeInBytes = dnn::workspaceBytes(prep.problem, algo);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnConvolutionBackwardData(
    cudnnHandle_t handle, const void *alpha,
    const cudnnFilterDescriptor_t wDesc, const void *w,
    const cudnnTensorDescriptor_t dyDesc, const void *dy,
    const cudnnConvolutionDescriptor_t convDesc,
    cudnnConvolutionBwdDataAlgo_t algo, void *workSpace,
    size_t workSpaceSizeInBytes, const void *beta,
    const cudnnTensorDescriptor_t dxDesc, void *dx) {
  const char *fn = "cudnnConvolutionBackwardData";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardData, handle, dxDesc, "dxDesc", wDesc,
                     "wDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers(
        {{alpha, "alpha"}, {beta, "beta"}, {w, "w"}, {dy, "dy"}, {dx, "dx"}});
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.algo = algo;
  call.in1 = address(w), call.in2 = address(dy), call.out = address(dx);
  call.alpha = readScale(alpha, prep.problem.scaleType());
  call.beta = readScale(beta, prep.problem.scaleType());
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn,
                run(prep, std::move(call), workSpace, workSpaceSizeInBytes));
}

//===----------------------------------------------------------------------===//
// Backward filter
//===----------------------------------------------------------------------===//

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionBackwardFilterAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnTensorDescriptor_t diffDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnFilterDescriptor_t gradDesc, const int requestedAlgoCount,
    int *returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t *perfResults) {
  const char *fn = "cudnnGetConvolutionBackwardFilterAlgorithm_v7";
  auto lock = lockDevice();
  Prepared prep;
  Status s =
      prepare(ConvKind::BackwardFilter, handle, srcDesc, "srcDesc", gradDesc,
              "gradDesc", convDesc, diffDesc, "diffDesc", prep);
  if (s.code == CUDNN_STATUS_BAD_PARAM)
    return report(fn, s);
  bool supported = s.ok();
  if (!(s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults))
           .ok())
    return report(fn, s);
  return report(fn, listAlgorithms(prep.problem, supported, requestedAlgoCount,
                                   returnedAlgoCount, perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnFindConvolutionBackwardFilterAlgorithmEx(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnTensorDescriptor_t dyDesc, const void *y,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnFilterDescriptor_t dwDesc, void *dw,
    const int requestedAlgoCount, int *returnedAlgoCount,
    cudnnConvolutionBwdFilterAlgoPerf_t *perfResults, void *workSpace,
    size_t workSpaceSizeInBytes) {
  const char *fn = "cudnnFindConvolutionBackwardFilterAlgorithmEx";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardFilter, handle, xDesc, "xDesc", dwDesc,
                     "dwDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers({{x, "x"}, {y, "dy"}, {dw, "dw"}});
  if (s.ok())
    s = checkRequest(requestedAlgoCount, returnedAlgoCount, perfResults);
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.in1 = address(x), call.in2 = address(y), call.out = address(dw);
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn, findAlgorithms(prep, call, workSpace, workSpaceSizeInBytes,
                                   requestedAlgoCount, returnedAlgoCount,
                                   perfResults));
}

cudnnStatus_t resnetc::cuda::cudnnGetConvolutionBackwardFilterWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
    const cudnnTensorDescriptor_t dyDesc,
    const cudnnConvolutionDescriptor_t convDesc,
    const cudnnFilterDescriptor_t gradDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, size_t *sizeInBytes) {
  const char *fn = "cudnnGetConvolutionBackwardFilterWorkspaceSize";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardFilter, handle, xDesc, "xDesc", gradDesc,
                     "gradDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers({{sizeInBytes, "sizeInBytes"}});
  if (s.ok())
    s = dnn::checkAlgorithm(prep.problem, algo);
  if (!s.ok())
    return report(fn, s);
  *sizeInBytes = dnn::workspaceBytes(prep.problem, algo);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t resnetc::cuda::cudnnConvolutionBackwardFilter(
    cudnnHandle_t handle, const void *alpha,
    const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnTensorDescriptor_t dyDesc, const void *dy,
    const cudnnConvolutionDescriptor_t convDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, void *workSpace,
    size_t workSpaceSizeInBytes, const void *beta,
    const cudnnFilterDescriptor_t dwDesc, void *dw) {
  const char *fn = "cudnnConvolutionBackwardFilter";
  auto lock = lockDevice();
  Prepared prep;
  Status s = prepare(ConvKind::BackwardFilter, handle, xDesc, "xDesc", dwDesc,
                     "dwDesc", convDesc, dyDesc, "dyDesc", prep);
  if (s.ok())
    s = checkPointers(
        {{alpha, "alpha"}, {beta, "beta"}, {x, "x"}, {dy, "dy"}, {dw, "dw"}});
  if (!s.ok())
    return report(fn, s);
  ConvCall call;
  call.problem = prep.problem;
  call.algo = algo;
  call.in1 = address(x), call.in2 = address(dy), call.out = address(dw);
  call.alpha = readScale(alpha, prep.problem.scaleType());
  call.beta = readScale(beta, prep.problem.scaleType());
  call.what = std::string(fn) + " (" + prep.problem.str() + ")";
  return report(fn,
                run(prep, std::move(call), workSpace, workSpaceSizeInBytes));
}

//===----------------------------------------------------------------------===//
// Tensor addition
//===----------------------------------------------------------------------===//

cudnnStatus_t resnetc::cuda::cudnnAddTensor(cudnnHandle_t handle,
                                            const void *alpha,
                                            const cudnnTensorDescriptor_t aDesc,
                                            const void *A, const void *beta,
                                            const cudnnTensorDescriptor_t cDesc,
                                            void *C) {
  const char *fn = "cudnnAddTensor";
  auto lock = lockDevice();
  HandleObject *h;
  Stream *stream = nullptr;
  dnn::TensorDesc a, c;
  Status s = getHandle(handle, h);
  if (s.ok())
    s = getTensor(aDesc, "aDesc", a);
  if (s.ok())
    s = getTensor(cDesc, "cDesc", c);
  if (s.ok())
    s = checkPointers({{alpha, "alpha"}, {beta, "beta"}, {A, "A"}, {C, "C"}});
  if (s.ok())
    s = dnn::checkAddTensor(a, c);
  if (s.ok())
    s = handleStream(h, stream);
  if (!s.ok())
    return report(fn, s);
  cudnnDataType_t scaleType =
      c.type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
  double alphaValue = readScale(alpha, scaleType);
  double betaValue = readScale(beta, scaleType);
  std::string what =
      std::string(fn) + " (A " + a.str() + ", C " + c.str() + ")";
  uint64_t aPointer = address(A), cPointer = address(C);
  uint64_t e = dnn::elementBytes(c.type);
  return report(fn, enqueueWork(stream, what, [=]() -> std::optional<Fault> {
                  AccessScope scope(SimDevice::get().memory, what);
                  std::vector<Operand> ops = {
                      {aPointer, a.bytes(), e, "A", true, false},
                      {cPointer, c.bytes(), e, "C", betaValue != 0, true}};
                  if (std::optional<Fault> fault = access(scope, ops))
                    return fault;
                  dnn::addTensor(a, host(aPointer), alphaValue, c,
                                 host(cPointer), betaValue);
                  return std::nullopt;
                }));
}
