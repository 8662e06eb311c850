//===- SimDevice.cpp - The simulated GPU ----------------------------------===//
//
// See SimDevice.h.
//
//===----------------------------------------------------------------------===//

#include "SimDevice.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace resnetc::cudasim;
using namespace resnetc::cuda;

SimDevice &SimDevice::get() {
  static SimDevice *device = new SimDevice();
  return *device;
}

SimDevice::SimDevice() {
  defaultStream.isDefault = true;
  if (const char *cc = std::getenv("RESNETC_SIM_CC")) {
    int major = 0, minor = 0;
    if (std::sscanf(cc, "%d.%d", &major, &minor) == 2 && major > 0)
      ccMajor = major, ccMinor = minor;
  }
  name = "resnetc simulated GPU (sm_" + std::to_string(ccMajor) +
         std::to_string(ccMinor) + ")";
}

Stream *SimDevice::getStream(CUstream handle) {
  if (!handle)
    return &defaultStream;
  auto *s = reinterpret_cast<Stream *>(handle);
  for (auto &owned : streams)
    if (owned.get() == s)
      return s;
  return nullptr;
}

Stream *SimDevice::createStream() {
  streams.push_back(std::make_unique<Stream>());
  return streams.back().get();
}

bool SimDevice::destroyStream(Stream *stream) {
  auto it = std::find_if(streams.begin(), streams.end(),
                         [&](auto &s) { return s.get() == stream; });
  if (it == streams.end())
    return false;
  // A destroyed stream still finishes its work.
  drain(stream);
  streams.erase(it);
  return true;
}

Event *SimDevice::createEvent(bool timing) {
  events.push_back(std::make_unique<Event>());
  events.back()->timing = timing;
  return events.back().get();
}

bool SimDevice::isEvent(Event *event) const {
  return std::any_of(events.begin(), events.end(),
                     [&](auto &e) { return e.get() == event; });
}

bool SimDevice::destroyEvent(Event *event) {
  auto it = std::find_if(events.begin(), events.end(),
                         [&](auto &e) { return e.get() == event; });
  if (it == events.end())
    return false;
  // Operations still pending may refer to it.
  drainAll();
  events.erase(it);
  return true;
}

CUresult SimDevice::enqueue(Stream *stream, std::string what, Work work) {
  if (stickyError != CUDA_SUCCESS)
    return stickyError;
  Operation op;
  op.what = std::move(what);
  op.work = std::move(work);
  if (stream->capture) {
    stream->capture->nodes.push_back(std::move(op));
    return CUDA_SUCCESS;
  }
  if (stream->isDefault) {
    // The legacy default stream waits for every other stream, and they for
    // it: run in place.
    drainAll();
    stream->pending.push_back(std::move(op));
    return drain(stream);
  }
  stream->pending.push_back(std::move(op));
  return CUDA_SUCCESS;
}

CUresult SimDevice::record(Event *event, Stream *stream) {
  if (stickyError != CUDA_SUCCESS)
    return stickyError;
  if (stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  Operation op;
  op.kind = Operation::Kind::Record;
  op.what = "event record";
  op.event = event;
  op.generation = ++event->recorded;
  event->stream = stream;
  stream->pending.push_back(std::move(op));
  if (stream->isDefault)
    return drain(stream);
  return CUDA_SUCCESS;
}

CUresult SimDevice::wait(Stream *stream, Event *event) {
  if (stickyError != CUDA_SUCCESS)
    return stickyError;
  if (stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  // Waiting for an event never recorded completes at once.
  if (!event->stream || event->reached >= event->recorded)
    return CUDA_SUCCESS;
  Operation op;
  op.kind = Operation::Kind::Wait;
  op.what = "event wait";
  op.event = event;
  op.generation = event->recorded;
  stream->pending.push_back(std::move(op));
  return CUDA_SUCCESS;
}

static double nowMilliseconds() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch())
      .count();
}

void SimDevice::step(Stream *stream) {
  Operation op = std::move(stream->pending.front());
  stream->pending.pop_front();
  switch (op.kind) {
  case Operation::Kind::Work:
    if (stickyError != CUDA_SUCCESS)
      return; // A faulted context runs nothing more.
    if (std::optional<Fault> fault = op.work())
      reportFault(*fault);
    return;
  case Operation::Kind::Record:
    if (op.event->reached < op.generation) {
      op.event->reached = op.generation;
      op.event->milliseconds = nowMilliseconds();
    }
    return;
  case Operation::Kind::Wait:
    // Everything the event's stream had before the record runs first.
    while (op.event->reached < op.generation && op.event->stream &&
           !op.event->stream->pending.empty())
      step(op.event->stream);
    return;
  }
}

CUresult SimDevice::drain(Stream *stream) {
  while (!stream->pending.empty())
    step(stream);
  return stickyError;
}

CUresult SimDevice::drain(Event *event) {
  while (event->reached < event->recorded && event->stream &&
         !event->stream->pending.empty())
    step(event->stream);
  return stickyError;
}

CUresult SimDevice::drainAll() {
  drain(&defaultStream);
  for (auto &s : streams)
    drain(s.get());
  return stickyError;
}

CUresult SimDevice::beginCapture(Stream *stream) {
  if (stickyError != CUDA_SUCCESS)
    return stickyError;
  if (stream->isDefault || stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  graphs.push_back(std::make_unique<Graph>());
  stream->capture = graphs.back().get();
  return CUDA_SUCCESS;
}

CUresult SimDevice::endCapture(Stream *stream, Graph **graph) {
  if (!stream->capture)
    return CUDA_ERROR_ILLEGAL_STATE;
  *graph = stream->capture;
  stream->capture = nullptr;
  return stickyError;
}

CUresult SimDevice::launch(Graph *graph, Stream *stream) {
  if (stickyError != CUDA_SUCCESS)
    return stickyError;
  if (stream->capture)
    return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  for (const Operation &node : graph->nodes)
    stream->pending.push_back(node);
  if (stream->isDefault)
    return drain(stream);
  return CUDA_SUCCESS;
}

bool SimDevice::isGraph(Graph *graph) const {
  return std::any_of(graphs.begin(), graphs.end(),
                     [&](auto &g) { return g.get() == graph; });
}

void SimDevice::destroyGraph(Graph *graph) {
  // A launched graph's work may still be pending: it holds copies of the
  // nodes, so the graph itself can go.
  graphs.erase(std::remove_if(graphs.begin(), graphs.end(),
                              [&](auto &g) { return g.get() == graph; }),
               graphs.end());
}

void SimDevice::reportFault(const Fault &fault) {
  if (stickyError != CUDA_SUCCESS)
    return;
  stickyError = fault.code;
  std::fprintf(stderr, "cuda-sim: error: %s\n", fault.message.c_str());
  std::fflush(stderr);
}
