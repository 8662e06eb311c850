//===- Device.h - The runtime's device interface ----------------*- C++ -*-===//
//
// What the executor needs from a device, in the manner of IREE's HAL: device
// memory and pinned host memory, copies and fills on two in-order queues
// (compute and transfer) with events between them, and executables, loaded
// from an artifact, that run a plan entry over an arena. The CPU
// (lib/Runtime/Devices/CPU), CUDA (lib/Runtime/Devices/CUDA) and the
// simulated GPU (the CUDA device over the stand-in libraries of
// lib/CUDASim) implement it; inference, training, checkpoints and data
// loading are written once above it (Executor.h, Train.h). No MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_DEVICE_H
#define RESNETC_RUNTIME_DEVICE_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Runtime/Status.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace resnetc::runtime {

/// An address in a device's memory. On the CPU it is a host address.
using DeviceAddress = uint64_t;

/// A device runs work on two in-order queues; work on different queues may
/// overlap unless events order it.
enum class Queue {
  Compute,  ///< Kernels, library calls and the copies that feed them.
  Transfer, ///< Copies that overlap compute (the next batch's input).
};

/// An event of a device, created once and recorded many times.
using EventId = unsigned;

/// How a device chooses cuDNN's convolution algorithms.
enum class ConvAlgoSearch {
  Heuristic, ///< cuDNN's heuristics (no timing).
  Search,    ///< Timed search, once per shape, cached on disk.
};

/// What createDevice builds.
struct DeviceOptions {
  /// "cpu", "cuda" or "cuda-sim" (the CUDA device over the simulated GPU's
  /// stand-in libraries).
  std::string kind = "cpu";
  /// CPU: worker threads; 0 uses every core.
  unsigned threads = 0;
  /// CUDA: the driver and cuDNN libraries to dlopen. Empty:
  /// $RESNETC_LIBCUDA / $RESNETC_LIBCUDNN, else libcuda.so.1 and
  /// libcudnn.so.9; for cuda-sim, the simulated GPU's library.
  std::string libcuda, libcudnn;
  /// CUDA: the device ordinal.
  int ordinal = 0;
  ConvAlgoSearch convAlgo = ConvAlgoSearch::Heuristic;
  /// CUDA: only deterministic cuDNN algorithms.
  bool deterministic = false;
  /// CUDA: the file caching timed algorithm choices; empty: the default
  /// ($XDG_CACHE_HOME or ~/.cache, resnetc/cudnn-algorithms.json).
  std::string algoCache;
  /// CUDA: capture each entry as a CUDA graph after its first run and
  /// replay it.
  bool graphs = true;
  /// The directory of the running program (for cuda-sim's library).
  std::string programDir;
};

/// Called after each step of an entry, with the step's index, once the
/// step's results are in memory; may fail the run.
using StepCallback = std::function<Status(size_t step)>;

/// A compiled model loaded on a device: its plan and its kernels.
class Executable {
public:
  virtual ~Executable();

  const Plan &getPlan() const { return plan; }
  const std::string &getPath() const { return path; }

  /// Enqueues the steps of `entry` on the compute queue, over the arena at
  /// `arena`, for the first `count` images of the batch (a CUDA plan
  /// computes the whole compiled batch). With `afterStep`, the steps run
  /// one at a time and `afterStep` is called after each.
  virtual Status run(const PlanEntry &entry, DeviceAddress arena, int64_t count,
                     const StepCallback *afterStep) = 0;

protected:
  Executable(std::string path, Plan plan)
      : path(std::move(path)), plan(std::move(plan)) {}

private:
  std::string path;
  Plan plan;
};

/// A device: memory, queues and executables.
class Device {
public:
  virtual ~Device();

  /// The device's name in messages: "cpu", or the GPU's name.
  virtual std::string getName() const = 0;

  /// Loads the artifact at `path` for this device.
  virtual Expected<std::unique_ptr<Executable>>
  load(const std::string &path) = 0;

  /// Device memory of `bytes` (at least 64-byte aligned); `what` names it
  /// in errors.
  virtual Expected<DeviceAddress> allocate(uint64_t bytes,
                                           const std::string &what) = 0;
  virtual void deallocate(DeviceAddress address) = 0;
  /// The most device memory allocated at once so far, in bytes.
  uint64_t getPeakAllocatedBytes() const { return peakBytes; }
  /// Host memory the device copies from and to without staging (pinned on
  /// a GPU).
  virtual Expected<void *> allocateHost(uint64_t bytes,
                                        const std::string &what) = 0;
  virtual void deallocateHost(void *pointer) = 0;

  /// Names a part of an allocation (an arena's buffer) for tools that
  /// check memory accesses; a device without such a tool ignores it.
  virtual void annotate(DeviceAddress address, uint64_t bytes,
                        const std::string &name) {}

  /// Enqueue a copy or fill on `queue`. With host memory from allocateHost
  /// they are asynchronous: the host memory must stay untouched until an
  /// event recorded after them completes.
  virtual Status copyToDevice(Queue queue, DeviceAddress dst, const void *src,
                              uint64_t bytes) = 0;
  virtual Status copyToHost(Queue queue, void *dst, DeviceAddress src,
                            uint64_t bytes) = 0;
  virtual Status copyOnDevice(Queue queue, DeviceAddress dst, DeviceAddress src,
                              uint64_t bytes) = 0;
  /// Fills `count` 32-bit words at `dst` with `value`.
  virtual Status fill32(Queue queue, DeviceAddress dst, uint32_t value,
                        uint64_t count) = 0;

  virtual Expected<EventId> createEvent() = 0;
  /// Records `event` on `queue`: it completes when the work enqueued on
  /// `queue` so far has.
  virtual Status record(Queue queue, EventId event) = 0;
  /// Makes the work enqueued on `queue` from now on wait for `event`.
  virtual Status wait(Queue queue, EventId event) = 0;
  /// Blocks the host until `event` completes.
  virtual Status synchronize(EventId event) = 0;
  /// Blocks the host until both queues are idle.
  virtual Status synchronize() = 0;

protected:
  /// Implementations count what they allocate and free.
  void countAllocation(int64_t bytes) {
    allocatedBytes += bytes;
    peakBytes = std::max(peakBytes, allocatedBytes);
  }

private:
  uint64_t allocatedBytes = 0, peakBytes = 0;
};

/// The device `options` describe. Fails with a message saying what is
/// missing (a GPU, the driver, cuDNN) and what would fix it.
Expected<std::unique_ptr<Device>> createDevice(const DeviceOptions &options);

/// What an artifact file holds, from its first bytes: "cuda" for a PTX
/// artifact, "cpu" otherwise (a shared library, or not an artifact; the
/// CPU device's loader says which).
std::string getArtifactDeviceKind(const std::string &path);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_DEVICE_H
