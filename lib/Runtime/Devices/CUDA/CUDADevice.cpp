//===- CUDADevice.cpp - The CUDA device -----------------------------------===//
//
// See CUDADevice.h. The device holds one context (the GPU's primary one),
// a compute and a transfer stream, and the cuDNN handle (on the compute
// stream). An executable is the artifact's PTX module with every kernel of
// its plan resolved and checked; on its first run over an arena it packs
// every launch's parameters, builds the cuDNN calls, chooses their
// algorithms and allocates one workspace. Each entry runs directly the
// first time and is then captured as a CUDA graph and replayed. Every
// driver and cuDNN call is checked; an error names the call, the step and
// the kernel.
//
//===----------------------------------------------------------------------===//

#include "CUDADevice.h"
#include "CUDALibraries.h"
#include "CuDNNConvolutions.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/PTXArtifact.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

using namespace resnetc::runtime;
using namespace resnetc::cuda;

/// "where: cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)
/// [CUDADevice.cpp:123]", or success.
#define RESNETC_CU(where, call)                                                \
  if (CUresult r_ = cu.call; r_ != CUDA_SUCCESS)                               \
    return Error(std::string(where) + #call " failed: " + cu.describe(r_) +    \
                 " [CUDADevice.cpp:" + std::to_string(__LINE__) + "]");

namespace {

/// "12.4 GB".
std::string formatBytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  return buf;
}

/// An environment variable's value, or "".
std::string getEnv(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

/// The PTX ISA version a module declares (`.version 8.0` is 80) and its
/// `.target` ("sm_80", "sm_90a"); zero and empty when absent.
void readPTXHeader(const std::string &ptx, int &version, std::string &target) {
  version = 0;
  target.clear();
  size_t start = ptx.find(kPTXPlanEnd);
  start = start == std::string::npos ? 0 : start;
  size_t v = ptx.find("\n.version ", start);
  if (v != std::string::npos) {
    int major = 0, minor = 0;
    if (std::sscanf(ptx.c_str() + v + 10, "%d.%d", &major, &minor) == 2)
      version = major * 10 + minor;
  }
  size_t t = ptx.find("\n.target ", start);
  if (t != std::string::npos) {
    size_t end = ptx.find_first_of(", \n", t + 9);
    target = ptx.substr(t + 9, end - (t + 9));
  }
}

/// The driver version (CUDA_VERSION style, 12000 for 12.0) that first
/// accepts PTX ISA `version` (80 for 8.0), or 0 when unknown.
int getDriverForPTX(int version) {
  static const std::pair<int, int> table[] = {
      {70, 11000}, {71, 11010}, {72, 11020}, {73, 11030}, {74, 11040},
      {75, 11050}, {76, 11060}, {77, 11070}, {78, 11080}, {80, 12000},
      {81, 12010}, {82, 12020}, {83, 12030}, {84, 12040}, {85, 12050},
      {86, 12070}, {87, 12080}, {88, 12090}, {90, 13000}};
  for (auto [ptx, driver] : table)
    if (ptx == version)
      return driver;
  return 0;
}

std::string formatCUDAVersion(int v) {
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

class CUDADevice;

/// One kernel launch with its parameter buffer packed.
struct PreparedLaunch {
  CUfunction function = nullptr;
  const PlanLaunch *launch = nullptr;
  std::vector<uint8_t> params;
};

class CUDAExecutable : public Executable {
public:
  CUDAExecutable(CUDADevice &device, std::string path, Plan plan,
                 CUmodule module, std::map<std::string, CUfunction> functions,
                 std::map<std::string, std::vector<std::string>> paramTypes)
      : Executable(std::move(path), std::move(plan)), device(device),
        module(module), functions(std::move(functions)),
        paramTypes(std::move(paramTypes)) {}
  ~CUDAExecutable() override;

  Status run(const PlanEntry &entry, DeviceAddress arena, int64_t count,
             const StepCallback *afterStep) override;

private:
  /// Packs every launch and builds the cuDNN calls for `arena`.
  Status bind(DeviceAddress arena);
  /// Builds the cuDNN calls and packs the launches of every step over
  /// `arena`; `largest` and `largestBias` receive the most bytes a call's
  /// operands and bias span.
  Status prepareSteps(DeviceAddress arena, uint64_t &largest,
                      uint64_t &largestBias);
  /// Packs the parameters of `launch`, of step `s` of `entry`, over `arena`.
  Status prepareLaunch(const PlanEntry &entry, size_t s,
                       const PlanLaunch &launch, DeviceAddress arena,
                       PreparedLaunch &prepared);
  /// Chooses the algorithm of every cuDNN call (with --conv-algo search,
  /// timed on buffers of `largest` bytes, or taken from the cache) and
  /// sizes the workspace.
  Status chooseAlgorithms(uint64_t largest);
  /// Allocates zero-filled buffers of `largest` bytes and a workspace to
  /// time algorithms on; `scratch` receives them, to be freed.
  Status allocateSearchBuffers(uint64_t largest, SearchBuffers &buffers,
                               std::vector<DeviceAddress> &scratch);
  /// Allocates cuDNN's workspace and a zero bias of `largestBias` bytes.
  Status allocateWorkspaces(uint64_t largestBias);
  Status enqueueStep(const PlanEntry &entry, size_t s);
  Status enqueueSteps(const PlanEntry &entry);
  std::string where(const PlanEntry &entry, size_t s) const;

  CUDADevice &device;
  CUmodule module;
  std::map<std::string, CUfunction> functions;
  std::map<std::string, std::vector<std::string>> paramTypes;
  DeviceAddress boundArena = 0;
  /// By entry name, then step: the launches, or the cuDNN call.
  std::map<std::string, std::vector<std::vector<PreparedLaunch>>> launches;
  std::map<std::string, std::vector<std::unique_ptr<CuDNNConvolution>>>
      convolutions;
  DeviceAddress workspace = 0, zeroBias = 0;
  uint64_t workspaceBytes = 0;
  std::map<std::string, CUgraphExec> graphs;
  std::map<std::string, int> runs;
  std::set<std::string> uncapturable;
};

class CUDADevice : public Device {
public:
  CUDADevice(std::unique_ptr<DriverLibrary> driver, DeviceOptions options)
      : driver(std::move(driver)), cu(*this->driver),
        options(std::move(options)) {}
  ~CUDADevice() override;

  Status initialize();
  std::string getName() const override { return name; }
  Expected<std::unique_ptr<Executable>> load(const std::string &path) override;

  Expected<DeviceAddress> allocate(uint64_t bytes,
                                   const std::string &what) override;
  void deallocate(DeviceAddress address) override {
    if (auto it = sizes.find(address); it != sizes.end()) {
      countAllocation(-static_cast<int64_t>(it->second));
      sizes.erase(it);
    }
    (void)cu.cuMemFree_v2(address);
  }
  Expected<void *> allocateHost(uint64_t bytes,
                                const std::string &what) override;
  void deallocateHost(void *pointer) override {
    if (pointer)
      (void)cu.cuMemFreeHost(pointer);
  }
  void annotate(DeviceAddress address, uint64_t bytes,
                const std::string &name) override {
    if (cu.annotateRegion)
      (void)cu.annotateRegion(address, bytes, name.c_str());
  }

  Status copyToDevice(Queue queue, DeviceAddress dst, const void *src,
                      uint64_t bytes) override {
    RESNETC_CU("", cuMemcpyHtoDAsync_v2(dst, src, bytes, stream(queue)));
    return Status::success();
  }
  Status copyToHost(Queue queue, void *dst, DeviceAddress src,
                    uint64_t bytes) override {
    RESNETC_CU("", cuMemcpyDtoHAsync_v2(dst, src, bytes, stream(queue)));
    return Status::success();
  }
  Status copyOnDevice(Queue queue, DeviceAddress dst, DeviceAddress src,
                      uint64_t bytes) override {
    RESNETC_CU("", cuMemcpyDtoDAsync_v2(dst, src, bytes, stream(queue)));
    return Status::success();
  }
  Status fill32(Queue queue, DeviceAddress dst, uint32_t value,
                uint64_t count) override {
    RESNETC_CU("", cuMemsetD32Async(dst, value, count, stream(queue)));
    return Status::success();
  }
  Expected<EventId> createEvent() override {
    CUevent e = nullptr;
    RESNETC_CU("", cuEventCreate(&e, kEventDisableTiming));
    events.push_back(e);
    return static_cast<EventId>(events.size() - 1);
  }
  Status record(Queue queue, EventId event) override {
    RESNETC_CU("", cuEventRecord(events.at(event), stream(queue)));
    return Status::success();
  }
  Status wait(Queue queue, EventId event) override {
    RESNETC_CU("", cuStreamWaitEvent(stream(queue), events.at(event), 0));
    return Status::success();
  }
  Status synchronize(EventId event) override {
    return checkAsync(cu.cuEventSynchronize(events.at(event)));
  }
  Status synchronize() override {
    if (Status s = checkAsync(cu.cuStreamSynchronize(compute)); !s)
      return s;
    return checkAsync(cu.cuStreamSynchronize(transfer));
  }
  /// A failure reported when waiting: a kernel or copy enqueued before
  /// failed, and which one is not known here.
  Status checkAsync(CUresult r) const {
    if (r == CUDA_SUCCESS)
      return Status::success();
    return Error(name + " failed running what was enqueued: " + cu.describe(r) +
                 (syncSteps ? ""
                            : "; rerun with RESNETC_CUDA_SYNC=1 to find the "
                              "step that fails"));
  }

  CUstream stream(Queue queue) const {
    return queue == Queue::Compute ? compute : transfer;
  }
  const DriverLibrary &getDriver() const { return cu; }
  const CuDNNLibrary *getCuDNN() const { return dnn.get(); }
  cudnnHandle_t getCuDNNHandle() const { return dnnHandle; }
  const DeviceOptions &getOptions() const { return options; }
  AlgorithmCache &getAlgorithmCache();
  /// Synchronize after every step (RESNETC_CUDA_SYNC=1): errors name the
  /// step that failed, and no graphs are captured.
  bool syncEachStep() const { return syncSteps; }

private:
  Status loadCuDNN();

  std::unique_ptr<DriverLibrary> driver;
  const DriverLibrary &cu;
  DeviceOptions options;
  std::string name;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream compute = nullptr, transfer = nullptr;
  int ccMajor = 0, ccMinor = 0, driverVersion = 0;
  std::vector<CUevent> events;
  std::unique_ptr<CuDNNLibrary> dnn;
  cudnnHandle_t dnnHandle = nullptr;
  std::unique_ptr<AlgorithmCache> algorithmCache;
  bool syncSteps = false;
  std::map<DeviceAddress, uint64_t> sizes; ///< Live allocations.
};
} // namespace

//===----------------------------------------------------------------------===//
// CUDADevice
//===----------------------------------------------------------------------===//

Status CUDADevice::initialize() {
  syncSteps = getEnv("RESNETC_CUDA_SYNC") == "1";
  RESNETC_CU("", cuInit(0));
  RESNETC_CU("", cuDriverGetVersion(&driverVersion));
  int count = 0;
  RESNETC_CU("", cuDeviceGetCount(&count));
  if (count == 0)
    return Error("the CUDA driver finds no GPU; run on the CPU (compile "
                 "with resnetc --target=cpu) or on the simulated GPU "
                 "(--device=cuda-sim)");
  if (options.ordinal < 0 || options.ordinal >= count)
    return Error("there is no GPU " + std::to_string(options.ordinal) +
                 " (the driver finds " + std::to_string(count) + ")");
  RESNETC_CU("", cuDeviceGet(&device, options.ordinal));
  char buf[256] = {};
  RESNETC_CU("", cuDeviceGetName(buf, sizeof(buf) - 1, device));
  name = buf;
  RESNETC_CU(
      "", cuDeviceGetAttribute(
              &ccMajor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device));
  RESNETC_CU(
      "", cuDeviceGetAttribute(
              &ccMinor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device));
  RESNETC_CU("", cuDevicePrimaryCtxRetain(&context, device));
  RESNETC_CU("", cuCtxSetCurrent(context));
  RESNETC_CU("", cuStreamCreate(&compute, kStreamNonBlocking));
  RESNETC_CU("", cuStreamCreate(&transfer, kStreamNonBlocking));
  return Status::success();
}

CUDADevice::~CUDADevice() {
  if (compute)
    (void)cu.cuStreamSynchronize(compute);
  if (transfer)
    (void)cu.cuStreamSynchronize(transfer);
  if (algorithmCache)
    if (Status s = algorithmCache->save(); !s)
      std::fprintf(stderr, "resnet-run: warning: %s\n", s.message().c_str());
  if (dnnHandle)
    dnn->cudnnDestroy(dnnHandle);
  for (CUevent e : events)
    (void)cu.cuEventDestroy_v2(e);
  if (compute)
    (void)cu.cuStreamDestroy_v2(compute);
  if (transfer)
    (void)cu.cuStreamDestroy_v2(transfer);
  if (context)
    (void)cu.cuDevicePrimaryCtxRelease_v2(device);
}

AlgorithmCache &CUDADevice::getAlgorithmCache() {
  if (!algorithmCache) {
    std::string path = options.algoCache;
    if (path.empty()) {
      std::string base = getEnv("XDG_CACHE_HOME");
      if (base.empty() && !getEnv("HOME").empty())
        base = getEnv("HOME") + "/.cache";
      if (!base.empty())
        path = base + "/resnetc/cudnn-algorithms.json";
    }
    algorithmCache = std::make_unique<AlgorithmCache>(path);
  }
  return *algorithmCache;
}

Status CUDADevice::loadCuDNN() {
  if (dnn)
    return Status::success();
  std::vector<std::string> candidates;
  if (!options.libcudnn.empty()) {
    candidates.push_back(options.libcudnn);
  } else {
    candidates.push_back("libcudnn.so.9");
    for (std::string root : {getEnv("CUDA_HOME"), getEnv("CUDA_PATH"),
                             std::string("/usr/local/cuda")})
      if (!root.empty())
        candidates.push_back(root + "/lib64/libcudnn.so.9");
  }
  std::string why;
  for (const std::string &path : candidates) {
    Expected<std::unique_ptr<CuDNNLibrary>> lib = CuDNNLibrary::load(path);
    if (lib) {
      dnn = lib.take();
      break;
    }
    if (why.empty())
      why = lib.error().message();
  }
  if (!dnn)
    return Error(why + "; the artifact's convolutions are cuDNN calls: "
                       "install cuDNN 9 (or point RESNETC_LIBCUDNN at "
                       "libcudnn.so.9), or compile with resnetc "
                       "--conv=generated");
  size_t version = dnn->cudnnGetVersion();
  if (version < 90000)
    return Error(dnn->path + " is cuDNN " + std::to_string(version / 10000) +
                 "." + std::to_string(version / 100 % 100) +
                 "; resnet-run needs cuDNN 9");
  if (cudnnStatus_t s = dnn->cudnnCreate(&dnnHandle); s != CUDNN_STATUS_SUCCESS)
    return Error("cudnnCreate failed: " + dnn->describe(s));
  if (cudnnStatus_t s = dnn->cudnnSetStream(dnnHandle, compute);
      s != CUDNN_STATUS_SUCCESS)
    return Error("cudnnSetStream failed: " + dnn->describe(s));
  return Status::success();
}

Expected<DeviceAddress> CUDADevice::allocate(uint64_t bytes,
                                             const std::string &what) {
  CUdeviceptr p = 0;
  if (CUresult r = cu.cuMemAlloc_v2(&p, bytes ? bytes : 1); r != CUDA_SUCCESS) {
    size_t free = 0, total = 0;
    std::string detail;
    if (cu.cuMemGetInfo_v2(&free, &total) == CUDA_SUCCESS)
      detail =
          "; " + formatBytes(free) + " of " + formatBytes(total) + " are free";
    return Error("cannot allocate " + formatBytes(bytes) + " on " + name +
                 " for " + what + ": " + cu.describe(r) + detail);
  }
  sizes[p] = bytes;
  countAllocation(static_cast<int64_t>(bytes));
  return static_cast<DeviceAddress>(p);
}

Expected<void *> CUDADevice::allocateHost(uint64_t bytes,
                                          const std::string &what) {
  void *p = nullptr;
  if (CUresult r = cu.cuMemAllocHost_v2(&p, bytes ? bytes : 1);
      r != CUDA_SUCCESS)
    return Error("cannot allocate " + formatBytes(bytes) +
                 " of pinned host memory for " + what + ": " + cu.describe(r));
  std::memset(p, 0, bytes);
  return p;
}

Expected<std::unique_ptr<Executable>>
CUDADevice::load(const std::string &path) {
  if (getArtifactDeviceKind(path) != "cuda")
    return Error(path + ": not a CUDA artifact; a CPU artifact (model.so) "
                        "runs with --device=cpu");
  Expected<std::vector<uint8_t>> bytes =
      readFileBytes(path, kMaxPTXArtifactBytes);
  if (!bytes)
    return bytes.takeError();
  std::string ptx(bytes->begin(), bytes->end());
  Expected<Plan> plan = readPTXArtifact(ptx, path);
  if (!plan)
    return plan.takeError();

  // Will this GPU and driver take the PTX?
  int version = 0;
  std::string target;
  readPTXHeader(ptx, version, target);
  int needed = getDriverForPTX(version);
  if (version == 0 || needed == 0)
    return Error(path + ": the PTX declares no known .version");
  if (driverVersion < needed)
    return Error(path + ": its PTX is ISA " + std::to_string(version / 10) +
                 "." + std::to_string(version % 10) + ", which needs a CUDA " +
                 formatCUDAVersion(needed) + " driver; this driver is CUDA " +
                 formatCUDAVersion(driverVersion) + " (update the driver)");
  int sm = 0;
  bool archSpecific = false;
  if (target.rfind("sm_", 0) == 0) {
    sm = std::atoi(target.c_str() + 3);
    archSpecific = !target.empty() && target.back() == 'a';
  }
  int have = ccMajor * 10 + ccMinor;
  if (sm == 0)
    return Error(path + ": the PTX declares no known .target");
  if (archSpecific ? have != sm : have < sm)
    return Error(path + ": compiled for " + target + ", but " + name +
                 " has compute capability " + std::to_string(ccMajor) + "." +
                 std::to_string(ccMinor) + "; recompile with resnetc " +
                 (archSpecific ? "without --arch (sm_80 PTX runs on every GPU "
                                 "since the A100)"
                               : "--arch sm_" + std::to_string(have)));

  // Load the module, with the JIT's log when it fails.
  std::vector<char> errorLog(16384, 0), infoLog(16384, 0);
  CUjit_option jitOptions[] = {
      CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
      CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *jitValues[] = {
      errorLog.data(), reinterpret_cast<void *>(errorLog.size() - 1),
      infoLog.data(), reinterpret_cast<void *>(infoLog.size() - 1)};
  CUmodule module = nullptr;
  if (CUresult r =
          cu.cuModuleLoadDataEx(&module, ptx.c_str(), 4, jitOptions, jitValues);
      r != CUDA_SUCCESS)
    return Error(path + ": the driver cannot load its PTX: " + cu.describe(r) +
                 (errorLog[0] ? std::string("\n") + errorLog.data() : ""));

  // Every kernel the plan launches, checked against its launches.
  std::map<std::string, CUfunction> functions;
  for (const PlanEntry &entry : plan->entries)
    for (const PlanStep &step : entry.steps)
      for (const PlanLaunch &launch : step.launches) {
        auto [it, fresh] = functions.try_emplace(launch.kernel, nullptr);
        if (fresh) {
          if (CUresult r = cu.cuModuleGetFunction(&it->second, module,
                                                  launch.kernel.c_str());
              r != CUDA_SUCCESS) {
            (void)cu.cuModuleUnload(module);
            return Error(path + ": kernel '" + launch.kernel +
                         "': cuModuleGetFunction failed: " + cu.describe(r));
          }
        }
        int maxThreads = 0;
        if (CUresult r = cu.cuFuncGetAttribute(
                &maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                it->second);
            r != CUDA_SUCCESS) {
          (void)cu.cuModuleUnload(module);
          return Error(path + ": kernel '" + launch.kernel +
                       "': cuFuncGetAttribute failed: " + cu.describe(r));
        }
        int64_t threads = launch.block[0] * launch.block[1] * launch.block[2];
        if (threads > maxThreads) {
          (void)cu.cuModuleUnload(module);
          return Error(path + ": step '" + step.kernel + "' of '" + entry.name +
                       "' launches kernel '" + launch.kernel + "' with " +
                       std::to_string(threads) + " threads per block; " + name +
                       " runs it with at "
                       "most " +
                       std::to_string(maxThreads));
        }
      }
  bool usesCuDNN = false;
  for (const PlanEntry &entry : plan->entries)
    for (const PlanStep &step : entry.steps)
      usesCuDNN |= step.library.has_value();
  if (usesCuDNN)
    if (Status s = loadCuDNN(); !s) {
      (void)cu.cuModuleUnload(module);
      return s.takeError();
    }
  return std::unique_ptr<Executable>(
      new CUDAExecutable(*this, path, std::move(*plan), module,
                         std::move(functions), getPTXEntryParams(ptx)));
}

//===----------------------------------------------------------------------===//
// CUDAExecutable
//===----------------------------------------------------------------------===//

CUDAExecutable::~CUDAExecutable() {
  const DriverLibrary &cu = device.getDriver();
  (void)device.synchronize();
  for (auto &[name, graph] : graphs)
    (void)cu.cuGraphExecDestroy(graph);
  convolutions.clear();
  if (workspace)
    device.deallocate(workspace);
  if (zeroBias)
    device.deallocate(zeroBias);
  (void)cu.cuModuleUnload(module);
}

std::string CUDAExecutable::where(const PlanEntry &entry, size_t s) const {
  const PlanStep &step = entry.steps[s];
  return entry.name + " step " + std::to_string(s) + " (" +
         (step.layer.empty() ? step.kernel : step.layer) + ")";
}

Status CUDAExecutable::bind(DeviceAddress arena) {
  if (boundArena == arena)
    return Status::success();
  if (boundArena)
    return Error("internal error: an executable runs over one arena");
  uint64_t largest = 0, largestBias = 0;
  if (Status s = prepareSteps(arena, largest, largestBias); !s)
    return s;
  if (Status s = chooseAlgorithms(largest); !s)
    return s;
  if (Status s = allocateWorkspaces(largestBias); !s)
    return s;
  boundArena = arena;
  return Status::success();
}

Status CUDAExecutable::prepareSteps(DeviceAddress arena, uint64_t &largest,
                                    uint64_t &largestBias) {
  const Plan &plan = getPlan();
  for (const PlanEntry &entry : plan.entries) {
    auto &entryLaunches = launches[entry.name];
    auto &entryConvs = convolutions[entry.name];
    entryLaunches.resize(entry.steps.size());
    entryConvs.resize(entry.steps.size());
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      const PlanStep &step = entry.steps[s];
      if (step.library) {
        Expected<std::unique_ptr<CuDNNConvolution>> conv =
            CuDNNConvolution::create(*device.getCuDNN(),
                                     device.getCuDNNHandle(), plan, step,
                                     getPath() + ": " + where(entry, s));
        if (!conv)
          return conv.takeError();
        largest = std::max(largest, (*conv)->getLargestOperandBytes());
        largestBias = std::max(largestBias, (*conv)->getBiasBytes());
        entryConvs[s] = conv.take();
        continue;
      }
      for (const PlanLaunch &launch : step.launches) {
        PreparedLaunch prepared;
        if (Status st = prepareLaunch(entry, s, launch, arena, prepared); !st)
          return st;
        entryLaunches[s].push_back(std::move(prepared));
      }
    }
  }
  return Status::success();
}

Status CUDAExecutable::prepareLaunch(const PlanEntry &entry, size_t s,
                                     const PlanLaunch &launch,
                                     DeviceAddress arena,
                                     PreparedLaunch &prepared) {
  const Plan &plan = getPlan();
  const DriverLibrary &cu = device.getDriver();
  // Parameters laid out as the kernel declares them, each aligned to its
  // size.
  prepared.function = functions.at(launch.kernel);
  prepared.launch = &launch;
  const std::vector<std::string> &types = paramTypes.at(launch.kernel);
  for (size_t i = 0; i < launch.args.size(); ++i) {
    const LaunchArg &arg = launch.args[i];
    size_t size = types[i] == "u32" || types[i] == "f32" ? 4 : 8;
    size_t offset = (prepared.params.size() + size - 1) / size * size;
    prepared.params.resize(offset + size);
    uint64_t bits =
        arg.kind == LaunchArg::Kind::Buffer
            ? arena + static_cast<uint64_t>(plan.buffers[arg.buffer].offset)
            : arg.bits;
    std::memcpy(prepared.params.data() + offset, &bits, size);
  }
  if (cu.declareLaunch) {
    // The simulated GPU checks each argument against the bytes the plan
    // says the kernel accesses.
    std::vector<size_t> bytes;
    std::vector<const char *> names;
    for (const LaunchArg &arg : launch.args) {
      bool buffer = arg.kind == LaunchArg::Kind::Buffer;
      bytes.push_back(buffer ? static_cast<size_t>(arg.bytes) : 0);
      names.push_back(buffer ? plan.buffers[arg.buffer].name.c_str() : "");
    }
    RESNETC_CU(getPath() + ": " + where(entry, s) + ": ",
               declareLaunch(prepared.function, prepared.params.data(),
                             prepared.params.size(),
                             static_cast<unsigned>(bytes.size()), bytes.data(),
                             names.data()));
  }
  return Status::success();
}

Status
CUDAExecutable::allocateSearchBuffers(uint64_t largest, SearchBuffers &buffers,
                                      std::vector<DeviceAddress> &scratch) {
  buffers.workspaceBytes = uint64_t(256) << 20;
  for (auto [field, bytes] :
       {std::pair<DeviceAddress *, uint64_t>{&buffers.x, largest},
        {&buffers.w, largest},
        {&buffers.y, largest},
        {&buffers.workspace, buffers.workspaceBytes}}) {
    Expected<DeviceAddress> a =
        device.allocate(bytes, "timing cuDNN's algorithms");
    if (!a)
      return a.takeError();
    scratch.push_back(*a);
    *field = *a;
    if (Status st = device.fill32(Queue::Compute, *a, 0, bytes / 4); !st)
      return st;
  }
  return Status::success();
}

Status CUDAExecutable::chooseAlgorithms(uint64_t largest) {
  // The algorithms, and one workspace for the largest.
  bool search = device.getOptions().convAlgo == ConvAlgoSearch::Search;
  bool deterministic = device.getOptions().deterministic;
  SearchBuffers buffers;
  std::vector<DeviceAddress> scratch;
  auto cleanup = [&] {
    for (DeviceAddress a : scratch)
      device.deallocate(a);
  };
  if (search && largest)
    if (Status s = allocateSearchBuffers(largest, buffers, scratch); !s) {
      cleanup();
      return s;
    }
  AlgorithmCache *cache = search ? &device.getAlgorithmCache() : nullptr;
  std::string prefix =
      device.getName() + " cudnn " +
      std::to_string(device.getCuDNN() ? device.getCuDNN()->cudnnGetVersion()
                                       : 0) +
      (deterministic ? " deterministic" : "") + ": ";
  for (auto &[entryName, convs] : convolutions)
    for (auto &conv : convs) {
      if (!conv)
        continue;
      Status s;
      if (!search) {
        s = conv->chooseByHeuristic(deterministic);
      } else if (int cached = cache->lookup(prefix + conv->getKey());
                 cached >= 0 && conv->chooseAlgorithm(cached)) {
        s = Status::success();
      } else {
        Expected<float> ms = conv->chooseBySearch(deterministic, buffers);
        if (ms)
          cache->insert(prefix + conv->getKey(), conv->getAlgorithm(), *ms);
        else
          s = ms.takeError();
      }
      if (!s) {
        cleanup();
        return s;
      }
      workspaceBytes = std::max(workspaceBytes, conv->getWorkspaceBytes());
    }
  if (Status s = device.synchronize(); !s) {
    cleanup();
    return s;
  }
  cleanup();
  if (cache)
    if (Status s = cache->save(); !s)
      std::fprintf(stderr, "resnet-run: warning: %s\n", s.message().c_str());
  return Status::success();
}

Status CUDAExecutable::allocateWorkspaces(uint64_t largestBias) {
  if (workspaceBytes) {
    Expected<DeviceAddress> a =
        device.allocate(workspaceBytes, "cuDNN's workspace");
    if (!a)
      return a.takeError();
    workspace = *a;
  }
  if (largestBias) {
    Expected<DeviceAddress> a = device.allocate(largestBias, "a zero bias");
    if (!a)
      return a.takeError();
    zeroBias = *a;
    if (Status s = device.fill32(Queue::Compute, zeroBias, 0, largestBias / 4);
        !s)
      return s;
  }
  return Status::success();
}

Status CUDAExecutable::enqueueStep(const PlanEntry &entry, size_t s) {
  const DriverLibrary &cu = device.getDriver();
  CUstream stream = device.stream(Queue::Compute);
  if (const auto &conv = convolutions[entry.name][s])
    return conv->run(boundArena, workspace, workspaceBytes, zeroBias);
  for (const PreparedLaunch &l : launches[entry.name][s]) {
    size_t size = l.params.size();
    void *params = const_cast<uint8_t *>(l.params.data());
    void *extra[] = {reinterpret_cast<void *>(kLaunchParamBufferPointer),
                     params, reinterpret_cast<void *>(kLaunchParamBufferSize),
                     &size, reinterpret_cast<void *>(kLaunchParamEnd)};
    const PlanLaunch &p = *l.launch;
    if (CUresult r = cu.cuLaunchKernel(
            l.function, static_cast<unsigned>(p.grid[0]),
            static_cast<unsigned>(p.grid[1]), static_cast<unsigned>(p.grid[2]),
            static_cast<unsigned>(p.block[0]),
            static_cast<unsigned>(p.block[1]),
            static_cast<unsigned>(p.block[2]), 0, stream, nullptr, extra);
        r != CUDA_SUCCESS)
      return Error(getPath() + ": " + where(entry, s) + ": launching kernel '" +
                   p.kernel + "' failed: " + cu.describe(r));
  }
  return Status::success();
}

Status CUDAExecutable::enqueueSteps(const PlanEntry &entry) {
  for (size_t s = 0; s < entry.steps.size(); ++s)
    if (Status st = enqueueStep(entry, s); !st)
      return st;
  return Status::success();
}

Status CUDAExecutable::run(const PlanEntry &entry, DeviceAddress arena,
                           int64_t count, const StepCallback *afterStep) {
  (void)count; // A CUDA plan computes the whole batch.
  if (Status s = bind(arena); !s)
    return s;
  const DriverLibrary &cu = device.getDriver();
  CUstream stream = device.stream(Queue::Compute);
  int run = ++runs[entry.name];

  // One step at a time, synchronized: for the caller's callback, or to
  // name the step that fails.
  if (afterStep || device.syncEachStep()) {
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      if (Status st = enqueueStep(entry, s); !st)
        return st;
      if (CUresult r = cu.cuStreamSynchronize(stream); r != CUDA_SUCCESS)
        return Error(getPath() + ": " + where(entry, s) + " failed on " +
                     device.getName() + ": " + cu.describe(r));
      if (afterStep)
        if (Status st = (*afterStep)(s); !st)
          return st;
    }
    return Status::success();
  }
  // The first run goes directly (and shows that every step launches); from
  // the second on, the entry is one CUDA graph. prepare runs once, directly.
  bool graphable = device.getOptions().graphs && entry.name != "prepare" &&
                   !uncapturable.count(entry.name);
  if (run == 1 || !graphable)
    return enqueueSteps(entry);
  CUgraphExec &exec = graphs[entry.name];
  if (!exec) {
    RESNETC_CU(
        getPath() + ": " + entry.name + ": ",
        cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL));
    Status captured = enqueueSteps(entry);
    CUgraph graph = nullptr;
    CUresult ended = cu.cuStreamEndCapture(stream, &graph);
    if (!captured || ended != CUDA_SUCCESS || !graph) {
      // Run without a graph from now on.
      if (graph)
        (void)cu.cuGraphDestroy(graph);
      graphs.erase(entry.name);
      uncapturable.insert(entry.name);
      std::fprintf(stderr,
                   "resnet-run: warning: %s: %s cannot be captured as a "
                   "CUDA graph (%s); its steps are launched one by one\n",
                   getPath().c_str(), entry.name.c_str(),
                   !captured ? captured.message().c_str()
                             : cu.describe(ended).c_str());
      return enqueueSteps(entry);
    }
    CUresult made = cu.cuGraphInstantiateWithFlags(&exec, graph, 0);
    (void)cu.cuGraphDestroy(graph);
    if (made != CUDA_SUCCESS) {
      graphs.erase(entry.name);
      return Error(
          getPath() + ": " + entry.name +
          ": cuGraphInstantiateWithFlags failed: " + cu.describe(made));
    }
  }
  RESNETC_CU(getPath() + ": " + entry.name + ": ", cuGraphLaunch(exec, stream));
  return Status::success();
}

//===----------------------------------------------------------------------===//
// createCUDADevice
//===----------------------------------------------------------------------===//

Expected<std::unique_ptr<Device>>
resnetc::runtime::createCUDADevice(const DeviceOptions &given) {
  DeviceOptions options = given;
  if (options.kind == "cuda-sim") {
    // The simulated GPU's stand-in library provides both.
    std::string sim = options.programDir + "/../lib/libresnetc-cudasim.so";
    if (options.libcuda.empty())
      options.libcuda = sim;
    if (options.libcudnn.empty())
      options.libcudnn = sim;
  } else {
    if (options.libcuda.empty())
      options.libcuda = getEnv("RESNETC_LIBCUDA");
    if (options.libcudnn.empty())
      options.libcudnn = getEnv("RESNETC_LIBCUDNN");
  }
  std::string libcuda =
      options.libcuda.empty() ? "libcuda.so.1" : options.libcuda;
  Expected<std::unique_ptr<DriverLibrary>> driver =
      DriverLibrary::load(libcuda);
  if (!driver) {
    if (options.kind == "cuda-sim")
      return Error(driver.error().message() +
                   "; the simulated GPU's library is built with resnet-run "
                   "(lib/libresnetc-cudasim.so beside bin/resnet-run)");
    return Error(driver.error().message() +
                 ": this machine has no NVIDIA driver. Install it to run on "
                 "a GPU, or run the artifact on the simulated GPU "
                 "(--device=cuda-sim), or compile the model for the CPU "
                 "(resnetc --target=cpu -o model.so)");
  }
  auto device = std::make_unique<CUDADevice>(driver.take(), options);
  if (Status s = device->initialize(); !s)
    return s.takeError();
  return std::unique_ptr<Device>(std::move(device));
}
