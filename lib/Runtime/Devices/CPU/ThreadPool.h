//===- ThreadPool.h - The CPU device's worker threads -----------*- C++ -*-===//
//
// The one operation the CPU device needs of threads: a parallel loop over
// the images of a batch (or the rows of a kernel). When the process has an
// OpenMP runtime (the one oneDNN is built on, as Debian's is), the loop
// runs on OpenMP's thread team, the threads oneDNN's convolutions run on:
// a second set of threads would compete with that team's, which keep
// spinning for a while after each convolution, for the same cores.
// Without one, a fixed set of worker threads takes tasks from one queue,
// the standard design with nothing but the C++ standard library.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CPU_THREADPOOL_H
#define RESNETC_LIB_RUNTIME_DEVICES_CPU_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace resnetc::runtime {

class ThreadPool {
public:
  /// A pool of `threads` threads in all: `threads - 1` workers and the
  /// thread that calls parallelFor.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Runs fn(begin, end) over [0, count), split into at most as many
  /// contiguous ranges as there are threads, the first on the calling
  /// thread; returns when all have run. One caller at a time.
  void parallelFor(int64_t count,
                   const std::function<void(int64_t, int64_t)> &fn);

  /// Whether the loops run on the process's OpenMP thread team.
  bool usesOpenMP() const { return openMP != nullptr; }

private:
  struct OpenMP;
  void work();

  unsigned numThreads;
  /// The OpenMP runtime's entry points, when the process has one.
  const OpenMP *openMP = nullptr;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable ready, done;
  std::deque<std::function<void()>> tasks;
  unsigned pending = 0; ///< Tasks of the current parallelFor not finished.
  bool stopping = false;
};

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CPU_THREADPOOL_H
