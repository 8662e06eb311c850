//===- ThreadPool.cpp - The CPU device's worker threads -------------------===//
//
// Workers wait for a task on the queue and run it; parallelFor queues one
// task per range but the first, runs that one itself, and waits until the
// queued ones have finished.
//
//===----------------------------------------------------------------------===//

#include "ThreadPool.h"

#include <algorithm>

using namespace resnetc::runtime;

ThreadPool::ThreadPool(unsigned threads) : numThreads(std::max(1u, threads)) {
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

void ThreadPool::parallelFor(int64_t count,
                             const std::function<void(int64_t, int64_t)> &fn) {
  unsigned parts = static_cast<unsigned>(
      std::min<int64_t>(count, static_cast<int64_t>(numThreads)));
  if (parts <= 1) {
    fn(0, count);
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
