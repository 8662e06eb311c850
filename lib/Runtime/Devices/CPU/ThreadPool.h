//===- ThreadPool.h - The CPU device's worker threads -----------*- C++ -*-===//
//
// A fixed set of worker threads taking tasks from one queue, the standard
// design with nothing but the C++ standard library, and the one operation
// the CPU device needs of it: a parallel loop over the images of a batch.
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

private:
  void work();

  unsigned numThreads;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable ready, done;
  std::deque<std::function<void()>> tasks;
  unsigned pending = 0; ///< Tasks of the current parallelFor not finished.
  bool stopping = false;
};

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CPU_THREADPOOL_H
