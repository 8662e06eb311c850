//===- SimDevice.h - The simulated GPU --------------------------*- C++ -*-===//
//
// The state behind the stand-in driver and cuDNN: one simulated device with
// its memory, streams, events and captured graphs, and the sticky error of
// its context. Work enqueued on a stream does not run when it is enqueued:
// it runs when something waits for it (a stream or event synchronization,
// an event another stream waits for, a copy to pageable host memory), in
// each stream's order. A program that reads results before synchronizing,
// or reuses a buffer an enqueued copy still reads, therefore sees the
// wrong data here, as it could on a GPU. A fault (an out-of-bounds access,
// a read of memory never written, a shared-memory race) is printed once,
// naming the kernel or call, and becomes the context's sticky error, which
// every later call returns, as on a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_SIMDEVICE_H
#define RESNETC_LIB_CUDASIM_SIMDEVICE_H

#include "Memory.h"

#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace resnetc::cudasim {

/// Work enqueued on a stream: returns a fault, or nothing when it ran.
using Work = std::function<std::optional<Fault>()>;

struct Stream;
struct Graph;

/// A recorded point of a stream.
struct Event {
  Stream *stream = nullptr; ///< Where it was last recorded.
  uint64_t recorded = 0;    ///< Records so far.
  uint64_t reached = 0;     ///< Records the stream has executed.
  double milliseconds = 0;  ///< Host time when last reached.
  bool timing = true;
};

/// One operation of a stream or a graph.
struct Operation {
  enum class Kind { Work, Record, Wait } kind = Kind::Work;
  std::string what;
  Work work;               ///< Kind::Work.
  Event *event = nullptr;  ///< Record and Wait.
  uint64_t generation = 0; ///< Record: which record of the event.
};

struct Stream {
  std::deque<Operation> pending;
  Graph *capture = nullptr; ///< Non-null while capturing.
  bool isDefault = false;
};

struct Graph {
  std::vector<Operation> nodes; ///< Work only, in capture order.
};

/// The simulated device. All calls hold its lock.
class SimDevice {
public:
  /// The device of this process, created on first use. Its compute
  /// capability is $RESNETC_SIM_CC ("8.0", "9.0", ...; default 9.0).
  static SimDevice &get();

  std::recursive_mutex mutex;
  DeviceMemory memory;
  int ccMajor = 9, ccMinor = 0;
  std::string name;
  uint64_t totalMemory = uint64_t(80) << 30;

  /// The context's sticky error (CUDA_SUCCESS while none).
  CUresult stickyError = cuda::CUDA_SUCCESS;

  /// The stream for a CUstream handle (null: the default stream); null
  /// for an unknown handle.
  Stream *getStream(cuda::CUstream handle);
  Stream *createStream();
  bool destroyStream(Stream *stream);
  Event *createEvent(bool timing);
  bool destroyEvent(Event *event);
  bool isEvent(Event *event) const;

  /// Enqueues `work` on `stream`, or adds it to the stream's capture.
  CUresult enqueue(Stream *stream, std::string what, Work work);
  /// Enqueues a record of `event` on `stream`.
  CUresult record(Event *event, Stream *stream);
  /// Makes `stream` wait for the last record of `event`.
  CUresult wait(Stream *stream, Event *event);

  /// Runs what `stream` has pending; returns the sticky error.
  CUresult drain(Stream *stream);
  /// Runs until `event`'s last record is reached.
  CUresult drain(Event *event);
  /// Runs everything pending on every stream.
  CUresult drainAll();

  CUresult beginCapture(Stream *stream);
  CUresult endCapture(Stream *stream, Graph **graph);
  /// Enqueues the nodes of `graph` on `stream`.
  CUresult launch(Graph *graph, Stream *stream);
  bool isGraph(Graph *graph) const;
  void destroyGraph(Graph *graph);

  /// Records `fault` as the sticky error and prints it (the first one).
  void reportFault(const Fault &fault);

private:
  SimDevice();
  /// Runs the first pending operation of `stream`.
  void step(Stream *stream);

  Stream defaultStream;
  std::vector<std::unique_ptr<Stream>> streams;
  std::vector<std::unique_ptr<Event>> events;
  std::vector<std::unique_ptr<Graph>> graphs;
};

} // namespace resnetc::cudasim

#endif // RESNETC_LIB_CUDASIM_SIMDEVICE_H
