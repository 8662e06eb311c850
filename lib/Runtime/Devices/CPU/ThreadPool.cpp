//===- ThreadPool.cpp - The CPU device's worker threads -------------------===//
//
// With an OpenMP runtime in the process, parallelFor opens one parallel
// region of the loop's parts (libgomp's GOMP_parallel, the entry point of
// every `#pragma omp parallel` GCC compiles; found with dlsym, as
// OneDNNConvolutions.cpp finds omp_set_num_threads, so that the runtime is
// not linked a second time). Otherwise workers wait for a task on the
// queue and run it; parallelFor queues one task per range but the first,
// runs that one itself, and waits until the queued ones have finished.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include <algorithm>
#include <dlfcn.h>

using namespace resnetc::runtime;

/// libgomp's entry points.
struct ThreadPool::OpenMP {
  using Parallel = void (*)(void (*)(void *), void *, unsigned, unsigned);
  using ThreadNum = int (*)();
  Parallel parallel;
  ThreadNum threadNum, numThreads;

  /// The process's libgomp, or null.
  static const OpenMP *find() {
    static const OpenMP found = {
        reinterpret_cast<Parallel>(dlsym(RTLD_DEFAULT, "GOMP_parallel")),
        reinterpret_cast<ThreadNum>(dlsym(RTLD_DEFAULT, "omp_get_thread_num")),
        reinterpret_cast<ThreadNum>(
            dlsym(RTLD_DEFAULT, "omp_get_num_threads"))};
    return found.parallel && found.threadNum && found.numThreads ? &found
                                                                 : nullptr;
  }
};

ThreadPool::ThreadPool(unsigned threads)
    : numThreads(std::max(1u, threads)), openMP(OpenMP::find()) {
  if (openMP)
    return;
  for (unsigned i = 1; i < numThreads; ++i)
    workers.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  ready.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex);
      ready.wait(lock, [this] { return stopping || !tasks.empty(); });
      if (tasks.empty())
        return; // Stopping, and nothing left to run.
      task = std::move(tasks.front());
      tasks.pop_front();
    }
    task();
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0)
      done.notify_one();
  }
}

namespace {
/// One parallelFor on OpenMP's team: each thread runs its part.
struct Region {
  const std::function<void(int64_t, int64_t)> *fn;
  int64_t count;
  int (*threadNum)();
  int (*numThreads)();

  static void run(void *data) {
    auto *r = static_cast<Region *>(data);
    int64_t parts = r->numThreads(), part = r->threadNum();
    int64_t begin = r->count * part / parts,
            end = r->count * (part + 1) / parts;
    if (begin < end)
      (*r->fn)(begin, end);
  }
};
} // namespace

void ThreadPool::parallelFor(int64_t count,
                             const std::function<void(int64_t, int64_t)> &fn) {
  unsigned parts = static_cast<unsigned>(
      std::min<int64_t>(count, static_cast<int64_t>(numThreads)));
  if (parts <= 1) {
    fn(0, count);
    return;
  }
  if (openMP) {
    Region region{&fn, count, openMP->threadNum, openMP->numThreads};
    openMP->parallel(&Region::run, &region, parts, 0);
    return;
  }
  auto runPart = [&fn, count, parts](unsigned part) {
    int64_t begin = count * part / parts, end = count * (part + 1) / parts;
    if (begin < end)
      fn(begin, end);
  };
  {
    std::lock_guard<std::mutex> lock(mutex);
    pending = parts - 1;
    for (unsigned part = 1; part < parts; ++part)
      tasks.push_back([&runPart, part] { runPart(part); });
  }
  ready.notify_all();
  runPart(0);
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [this] { return pending == 0; });
}
