//===- Executor.cpp - Running compiled models on the CPU ------------------===//
//
// The CPU backend: dlopen, the plan from the `resnetc_plan` symbol, one
// aligned arena, and a small thread pool that splits the images of each
// batched step into contiguous ranges.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Executor.h"
#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Npy.h"
#include "resnetc/Runtime/PTXArtifact.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <functional>
#include <mutex>
#include <thread>

using namespace resnetc::runtime;

//===----------------------------------------------------------------------===//
// ThreadPool
//===----------------------------------------------------------------------===//

namespace resnetc::runtime {
/// Runs fn(begin, end) over [0, count) split across the workers and the
/// calling thread, and waits for all of them.
class ThreadPool {
public:
  explicit ThreadPool(unsigned threads) {
    for (unsigned i = 1; i < threads; ++i)
      workers.emplace_back([this, i] { work(i); });
    numThreads = threads;
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      ++generation;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  void parallelFor(int64_t count,
                   const std::function<void(int64_t, int64_t)> &fn) {
    unsigned parts = static_cast<unsigned>(
        std::min<int64_t>(count, static_cast<int64_t>(numThreads)));
    if (parts <= 1) {
      fn(0, count);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = &fn;
      jobCount = count;
      jobParts = parts;
      pending = parts - 1;
      ++generation;
    }
    wake.notify_all();
    runPart(0, fn, count, parts);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [this] { return pending == 0; });
    job = nullptr;
  }

private:
  static void runPart(unsigned part,
                      const std::function<void(int64_t, int64_t)> &fn,
                      int64_t count, unsigned parts) {
    int64_t begin = count * part / parts, end = count * (part + 1) / parts;
    if (begin < end)
      fn(begin, end);
  }

  void work(unsigned index) {
    uint64_t seen = 0;
    while (true) {
      const std::function<void(int64_t, int64_t)> *fn;
      int64_t count;
      unsigned parts;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = generation;
        if (stopping)
          return;
        if (!job || index >= jobParts)
          continue;
        fn = job;
        count = jobCount;
        parts = jobParts;
      }
      runPart(index, *fn, count, parts);
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (--pending == 0)
          done.notify_one();
      }
    }
  }

  std::vector<std::thread> workers;
  unsigned numThreads = 1;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t jobCount = 0;
  unsigned jobParts = 0, pending = 0;
  uint64_t generation = 0;
  bool stopping = false;
};
} // namespace resnetc::runtime

//===----------------------------------------------------------------------===//
// Artifact
//===----------------------------------------------------------------------===//

/// Whether `path` starts like a CUDA artifact (the plan's comment lines).
static bool looksLikePTXArtifact(const std::string &path) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return false;
  char head[32] = {};
  size_t n = std::fread(head, 1, std::strlen(kPTXPlanBegin), f);
  std::fclose(f);
  return n == std::strlen(kPTXPlanBegin) &&
         std::memcmp(head, kPTXPlanBegin, n) == 0;
}

Expected<std::unique_ptr<Artifact>> Artifact::load(const std::string &path) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->path = path;
  if (looksLikePTXArtifact(path)) {
    // Checked in full, so that a broken artifact is reported as such.
    Expected<std::vector<uint8_t>> bytes =
        readFileBytes(path, kMaxPTXArtifactBytes);
    if (!bytes)
      return bytes.takeError();
    Expected<Plan> plan =
        readPTXArtifact(std::string(bytes->begin(), bytes->end()), path);
    if (!plan)
      return plan.takeError();
    return Error(path + ": a CUDA artifact (model " + plan->model +
                 ", batch " + std::to_string(plan->batch) +
                 "); this resnet-run has the CPU backend only: compile the "
                 "model with resnetc --target=cpu -o model.so to run it here");
  }
  // A relative path without a slash would make dlopen search the library
  // path instead of opening the file.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  a->handle = dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!a->handle) {
    const char *why = dlerror();
    return Error(
        path + ": cannot load the artifact: " + (why ? why : "unknown error") +
        " (is it a CPU artifact built by resnetc --target=cpu?)");
  }
  auto *text = static_cast<const char *>(dlsym(a->handle, "resnetc_plan"));
  if (!text)
    return Error(path + ": not a resnetc artifact (no resnetc_plan symbol)");
  Expected<Plan> plan = parsePlan(text, path);
  if (!plan)
    return plan.takeError();
  if (plan->target != "cpu")
    return Error(path + ": compiled for target '" + plan->target +
                 "', but this runtime backend runs 'cpu' artifacts");
  for (const PlanBuffer &b : plan->buffers)
    if (b.dtype != DType::F32 &&
        !(b.dtype == DType::I64 &&
          (b.role == BufferRole::Labels || b.role == BufferRole::Correct)))
      return Error(path + ": buffer '" + b.name + "' is " +
                   getDTypeName(b.dtype) +
                   "; the CPU runtime runs fp32 plans only");
  if (plan->precision != "fp32")
    return Error(path + ": precision " + plan->precision +
                 " is not supported on the CPU");
  if (!plan->findEntry("infer"))
    return Error(path + ": the plan has no 'infer' entry");
  a->plan = std::move(*plan);
  for (const PlanEntry &e : a->plan.entries)
    for (const PlanStep &s : e.steps) {
      if (a->kernels.count(s.kernel))
        continue;
      std::string symbol = s.kernel + "_entry";
      void *fn = dlsym(a->handle, symbol.c_str());
      if (!fn)
        return Error(path + ": kernel '" + symbol +
                     "' named by the plan is missing");
      a->kernels[s.kernel] = reinterpret_cast<KernelFn>(fn);
    }
  return a;
}

Artifact::~Artifact() {
  if (handle)
    dlclose(handle);
}

Artifact::KernelFn Artifact::getKernel(const std::string &name) const {
  auto it = kernels.find(name);
  return it == kernels.end() ? nullptr : it->second;
}

//===----------------------------------------------------------------------===//
// Executor
//===----------------------------------------------------------------------===//

Executor::Executor(const Artifact &artifact, unsigned threads)
    : artifact(artifact) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  pool = std::make_unique<ThreadPool>(threads);
  size_t bytes = static_cast<size_t>(getPlan().arenaBytes);
  bytes = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  arena = std::aligned_alloc(kBufferAlignment, bytes ? bytes : 64);
  if (arena)
    std::memset(arena, 0, bytes);
}

Executor::~Executor() { std::free(arena); }

float *Executor::bufferData(int64_t index) {
  return reinterpret_cast<float *>(static_cast<char *>(arena) +
                                   getPlan().buffers[index].offset);
}

Status Executor::setParameters(const std::map<std::string, HostTensor> &tensors,
                               const std::string &source) {
  if (!arena)
    return Error("cannot allocate the arena of " +
                 std::to_string(getPlan().arenaBytes) + " bytes");
  // Check everything before writing anything.
  for (const PlanBuffer &b : getPlan().buffers) {
    if (b.role != BufferRole::Param && b.role != BufferRole::State)
      continue;
    auto it = tensors.find(b.name);
    if (it == tensors.end())
      return Error(source + ": tensor '" + b.name + "' is missing");
    const HostTensor &t = it->second;
    if (t.dtype != DType::F32)
      return Error(source + ": tensor '" + b.name + "' has dtype " +
                   getDTypeName(t.dtype) + ", expected F32");
    if (t.shape != b.shape) {
      auto fmt = [](const std::vector<int64_t> &s) {
        std::string out = "[";
        for (size_t i = 0; i < s.size(); ++i)
          out += (i ? ", " : "") + std::to_string(s[i]);
        return out + "]";
      };
      return Error(source + ": tensor '" + b.name + "' has shape " +
                   fmt(t.shape) + ", the model expects " + fmt(b.shape));
    }
    // A backstop: shape and dtype already imply the size.
    if (static_cast<int64_t>(t.bytes.size()) != b.bytes)
      return Error(source + ": tensor '" + b.name + "' holds " +
                   std::to_string(t.bytes.size()) +
                   " bytes, the model "
                   "expects " +
                   std::to_string(b.bytes));
  }
  for (size_t i = 0; i < getPlan().buffers.size(); ++i) {
    const PlanBuffer &b = getPlan().buffers[i];
    if (b.role != BufferRole::Param && b.role != BufferRole::State)
      continue;
    const HostTensor &t = tensors.at(b.name);
    std::memcpy(bufferData(static_cast<int64_t>(i)), t.bytes.data(),
                static_cast<size_t>(b.bytes));
  }
  // Velocities come from the checkpoint when it has them (to resume
  // training), else start at zero.
  for (size_t i = 0; i < getPlan().buffers.size(); ++i) {
    const PlanBuffer &b = getPlan().buffers[i];
    if (b.role != BufferRole::Velocity)
      continue;
    auto it = tensors.find(b.name);
    if (it != tensors.end() && it->second.dtype == DType::F32 &&
        it->second.shape == b.shape &&
        static_cast<int64_t>(it->second.bytes.size()) == b.bytes)
      std::memcpy(bufferData(static_cast<int64_t>(i)), it->second.bytes.data(),
                  static_cast<size_t>(b.bytes));
    else
      std::memset(bufferData(static_cast<int64_t>(i)), 0,
                  static_cast<size_t>(b.bytes));
  }
  parametersSet = true;
  prepared = false;
  return prepare();
}

Status Executor::prepare() {
  if (getPlan().findEntry("prepare")) {
    if (Status s = runEntry("prepare", 1); !s)
      return s;
  }
  prepared = true;
  return Status::success();
}

/// The index of the buffer with `role` (and `name`, if given), or -1.
static int64_t findBuffer(const Plan &plan, BufferRole role,
                          const std::string &name = "") {
  for (size_t i = 0; i < plan.buffers.size(); ++i)
    if (plan.buffers[i].role == role &&
        (name.empty() || plan.buffers[i].name == name))
      return static_cast<int64_t>(i);
  return -1;
}

Status Executor::trainStep(const int64_t *labels, float lr, float &loss,
                           int64_t &correct) {
  if (!parametersSet)
    return Error("the model's parameters have not been set");
  const Plan &plan = getPlan();
  if (!plan.findEntry("train_step"))
    return Error(artifact.getPath() + ": compiled without a train_step "
                                      "entry (recompile with resnetc "
                                      "--mode=train)");
  int64_t labelBuffer = findBuffer(plan, BufferRole::Labels),
          lrBuffer = findBuffer(plan, BufferRole::Hyper, "lr"),
          lossBuffer = findBuffer(plan, BufferRole::Loss),
          correctBuffer = findBuffer(plan, BufferRole::Correct);
  if (labelBuffer < 0 || lrBuffer < 0 || lossBuffer < 0 || correctBuffer < 0)
    return Error(artifact.getPath() + ": the train_step entry lacks its "
                                      "labels, lr, loss or correct buffer");
  for (int64_t n = 0; n < plan.batch; ++n)
    if (labels[n] < 0 || labels[n] >= plan.classes)
      return Error("label " + std::to_string(labels[n]) +
                   " is not a class "
                   "of this model (0 to " +
                   std::to_string(plan.classes - 1) + ")");
  std::memcpy(bufferData(labelBuffer), labels,
              static_cast<size_t>(plan.batch) * sizeof(int64_t));
  *bufferData(lrBuffer) = lr;
  if (Status s = runEntry("train_step", plan.batch); !s)
    return s;
  loss = *bufferData(lossBuffer);
  correct = *reinterpret_cast<const int64_t *>(bufferData(correctBuffer));
  // The weights changed: what prepare derives from them is stale.
  prepared = false;
  return Status::success();
}

std::map<std::string, HostTensor>
Executor::getParameters(bool withVelocities) const {
  std::map<std::string, HostTensor> out;
  for (size_t i = 0; i < getPlan().buffers.size(); ++i) {
    const PlanBuffer &b = getPlan().buffers[i];
    if (b.role != BufferRole::Param && b.role != BufferRole::State &&
        !(withVelocities && b.role == BufferRole::Velocity))
      continue;
    HostTensor t;
    t.dtype = DType::F32;
    t.shape = b.shape;
    const char *data = static_cast<const char *>(arena) + b.offset;
    t.bytes.assign(data, data + b.bytes);
    out[b.name] = std::move(t);
  }
  return out;
}

Status Executor::runEntry(const std::string &name, int64_t count) {
  const PlanEntry *entry = getPlan().findEntry(name);
  if (!entry)
    return Error(artifact.getPath() + ": no entry '" + name + "'");
  std::vector<void *> args;
  std::vector<bool> written(getPlan().buffers.size());
  ++runs[name];
  for (size_t s = 0; s < entry->steps.size(); ++s) {
    const PlanStep &step = entry->steps[s];
    Artifact::KernelFn fn = artifact.getKernel(step.kernel);
    args.clear();
    for (int64_t b : step.args)
      args.push_back(bufferData(b));
    void **argv = args.data();
    if (!step.batched)
      fn(argv, 0);
    else
      pool->parallelFor(count, [&](int64_t begin, int64_t end) {
        for (int64_t n = begin; n < end; ++n)
          fn(argv, n);
      });
    if (!dumpDirectory.empty())
      if (Status st = dumpResults(*entry, s, written); !st)
        return st;
  }
  return Status::success();
}

/// Writes the activations step `s` of `entry` produced: its activation and
/// output arguments not seen in an earlier step (each is defined once).
Status Executor::dumpResults(const PlanEntry &entry, size_t s,
                             std::vector<bool> &written) {
  const PlanStep &step = entry.steps[s];
  char number[16];
  std::snprintf(number, sizeof(number), "%03zu", s);
  int result = 0;
  for (int64_t b : step.args) {
    const PlanBuffer &buffer = getPlan().buffers[b];
    if ((buffer.role != BufferRole::Activation &&
         buffer.role != BufferRole::Output) ||
        written[b])
      continue;
    written[b] = true;
    HostTensor t;
    t.dtype = buffer.dtype;
    t.shape = buffer.shape;
    const char *data = static_cast<const char *>(arena) + buffer.offset;
    if (buffer.layout == Layout::NHWC) {
      // Dumps are in the logical (NCHW) order whatever the storage.
      int64_t n = buffer.shape[0], c = buffer.shape[1], h = buffer.shape[2],
              w = buffer.shape[3];
      size_t size = getDTypeSize(buffer.dtype);
      t.bytes.resize(buffer.bytes);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x)
            for (int64_t k = 0; k < c; ++k)
              std::memcpy(&t.bytes[(((i * c + k) * h + y) * w + x) * size],
                          data + (((i * h + y) * w + x) * c + k) * size, size);
    } else {
      t.bytes.assign(data, data + buffer.bytes);
    }
    std::string path = dumpDirectory + "/" + entry.name + "." +
                       std::to_string(runs[entry.name]) + "." + number + "." +
                       step.kernel + "." + std::to_string(result++) + ".npy";
    if (Status st = writeNpy(path, t); !st)
      return st;
  }
  return Status::success();
}

Status Executor::infer(int64_t count) {
  if (!parametersSet)
    return Error("the model's parameters have not been set");
  if (!prepared)
    if (Status s = prepare(); !s)
      return s;
  if (count < 1 || count > getPlan().batch)
    return Error("batch of " + std::to_string(count) +
                 " images: the artifact runs 1 to " +
                 std::to_string(getPlan().batch));
  return runEntry("infer", count);
}
