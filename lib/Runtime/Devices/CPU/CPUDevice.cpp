//===- CPUDevice.cpp - The CPU device -------------------------------------===//
//
// See CPUDevice.h. The artifact is loaded with dlopen and its plan read from
// the `resnetc_plan` symbol; kernels are `void <kernel>_entry(void **args,
// int64_t n)` (docs/artifact.md). Memory is host memory, every queue
// operation runs at once, in order, so events are always complete.
//
//===----------------------------------------------------------------------===//

#include "CPUDevice.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>
#include <mutex>
#include <thread>

using namespace resnetc::runtime;

//===----------------------------------------------------------------------===//
// ThreadPool
//===----------------------------------------------------------------------===//

namespace {
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

//===----------------------------------------------------------------------===//
// CPUExecutable
//===----------------------------------------------------------------------===//

/// `void entry(void **args, int64_t n)` of every kernel.
using KernelFn = void (*)(void **, int64_t);

class CPUExecutable : public Executable {
public:
  CPUExecutable(std::string path, Plan plan, void *handle,
                std::map<std::string, KernelFn> kernels, ThreadPool &pool)
      : Executable(std::move(path), std::move(plan)), handle(handle),
        kernels(std::move(kernels)), pool(pool) {}
  ~CPUExecutable() override { dlclose(handle); }

  Status run(const PlanEntry &entry, DeviceAddress arena, int64_t count,
             const StepCallback *afterStep) override {
    std::vector<void *> args;
    char *base = reinterpret_cast<char *>(arena);
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      const PlanStep &step = entry.steps[s];
      KernelFn fn = kernels.at(step.kernel);
      args.clear();
      for (int64_t b : step.args)
        args.push_back(base + getPlan().buffers[b].offset);
      void **argv = args.data();
      if (!step.batched)
        fn(argv, 0);
      else
        pool.parallelFor(count, [&](int64_t begin, int64_t end) {
          for (int64_t n = begin; n < end; ++n)
            fn(argv, n);
        });
      if (afterStep)
        if (Status st = (*afterStep)(s); !st)
          return st;
    }
    return Status::success();
  }

private:
  void *handle;
  std::map<std::string, KernelFn> kernels;
  ThreadPool &pool;
};

//===----------------------------------------------------------------------===//
// CPUDevice
//===----------------------------------------------------------------------===//

class CPUDevice : public Device {
public:
  explicit CPUDevice(unsigned threads) : pool(threads) {}

  std::string getName() const override { return "cpu"; }

  Expected<std::unique_ptr<Executable>> load(const std::string &path) override;

  Expected<DeviceAddress> allocate(uint64_t bytes,
                                   const std::string &what) override {
    void *p = allocateAligned(bytes);
    if (!p)
      return Error("cannot allocate " + std::to_string(bytes) +
                   " bytes of memory for " + what);
    sizes[p] = bytes;
    countAllocation(static_cast<int64_t>(bytes));
    return reinterpret_cast<DeviceAddress>(p);
  }
  void deallocate(DeviceAddress address) override {
    auto *p = reinterpret_cast<void *>(address);
    if (auto it = sizes.find(p); it != sizes.end()) {
      countAllocation(-static_cast<int64_t>(it->second));
      sizes.erase(it);
    }
    std::free(p);
  }
  Expected<void *> allocateHost(uint64_t bytes,
                                const std::string &what) override {
    void *p = allocateAligned(bytes);
    if (!p)
      return Error("cannot allocate " + std::to_string(bytes) +
                   " bytes of memory for " + what);
    return p;
  }
  void deallocateHost(void *pointer) override { std::free(pointer); }

  Status copyToDevice(Queue, DeviceAddress dst, const void *src,
                      uint64_t bytes) override {
    std::memmove(reinterpret_cast<void *>(dst), src, bytes);
    return Status::success();
  }
  Status copyToHost(Queue, void *dst, DeviceAddress src,
                    uint64_t bytes) override {
    std::memmove(dst, reinterpret_cast<const void *>(src), bytes);
    return Status::success();
  }
  Status copyOnDevice(Queue, DeviceAddress dst, DeviceAddress src,
                      uint64_t bytes) override {
    std::memmove(reinterpret_cast<void *>(dst),
                 reinterpret_cast<const void *>(src), bytes);
    return Status::success();
  }
  Status fill32(Queue, DeviceAddress dst, uint32_t value,
                uint64_t count) override {
    auto *p = reinterpret_cast<uint32_t *>(dst);
    std::fill(p, p + count, value);
    return Status::success();
  }

  Expected<EventId> createEvent() override { return nextEvent++; }
  Status record(Queue, EventId) override { return Status::success(); }
  Status wait(Queue, EventId) override { return Status::success(); }
  Status synchronize(EventId) override { return Status::success(); }
  Status synchronize() override { return Status::success(); }

private:
  /// Zeroed, 64-byte aligned memory (never null for 0 bytes).
  static void *allocateAligned(uint64_t bytes) {
    uint64_t rounded = (std::max<uint64_t>(bytes, 1) + kBufferAlignment - 1) /
                       kBufferAlignment * kBufferAlignment;
    void *p = std::aligned_alloc(kBufferAlignment, rounded);
    if (p)
      std::memset(p, 0, rounded);
    return p;
  }

  ThreadPool pool;
  EventId nextEvent = 0;
  std::map<void *, uint64_t> sizes; ///< Device allocations.
};
} // namespace

Expected<std::unique_ptr<Executable>> CPUDevice::load(const std::string &path) {
  if (getArtifactDeviceKind(path) == "cuda")
    return Error(path + ": a CUDA artifact; run it on a GPU (--device=cuda) "
                        "or on the simulated GPU (--device=cuda-sim), or "
                        "compile the model with resnetc --target=cpu -o "
                        "model.so to run it on the CPU");
  // A relative path without a slash would make dlopen search the library
  // path instead of opening the file.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return Error(
        path + ": cannot load the artifact: " + (why ? why : "unknown error") +
        " (is it a CPU artifact built by resnetc --target=cpu?)");
  }
  auto fail =
      [&](std::string message) -> Expected<std::unique_ptr<Executable>> {
    dlclose(handle);
    return Error(std::move(message));
  };
  auto *text = static_cast<const char *>(dlsym(handle, "resnetc_plan"));
  if (!text)
    return fail(path + ": not a resnetc artifact (no resnetc_plan symbol)");
  Expected<Plan> plan = parsePlan(text, path);
  if (!plan)
    return fail(plan.error().message());
  if (plan->target != "cpu")
    return fail(path + ": compiled for target '" + plan->target +
                "', but the CPU device runs 'cpu' artifacts");
  for (const PlanBuffer &b : plan->buffers)
    if (b.dtype != DType::F32 &&
        !(b.dtype == DType::I64 &&
          (b.role == BufferRole::Labels || b.role == BufferRole::Correct)))
      return fail(path + ": buffer '" + b.name + "' is " +
                  getDTypeName(b.dtype) +
                  "; the CPU runtime runs fp32 plans only");
  if (plan->precision != "fp32")
    return fail(path + ": precision " + plan->precision +
                " is not supported on the CPU");
  if (!plan->findEntry("infer"))
    return fail(path + ": the plan has no 'infer' entry");
  std::map<std::string, KernelFn> kernels;
  for (const PlanEntry &e : plan->entries)
    for (const PlanStep &s : e.steps) {
      if (kernels.count(s.kernel))
        continue;
      std::string symbol = s.kernel + "_entry";
      void *fn = dlsym(handle, symbol.c_str());
      if (!fn)
        return fail(path + ": kernel '" + symbol +
                    "' named by the plan is missing");
      kernels[s.kernel] = reinterpret_cast<KernelFn>(fn);
    }
  return std::unique_ptr<Executable>(new CPUExecutable(
      path, std::move(*plan), handle, std::move(kernels), pool));
}

Expected<std::unique_ptr<Device>>
resnetc::runtime::createCPUDevice(const DeviceOptions &options) {
  unsigned threads = options.threads;
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  return std::unique_ptr<Device>(new CPUDevice(threads));
}
