//===- SimDeviceTest.cpp - The simulated GPU's streams, events and graphs -===//

#include "SimDevice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace resnetc::cudasim;
using namespace resnetc::cuda;

namespace {
/// Work that appends `tag` to `log`.
Work append(std::vector<std::string> &log, std::string tag) {
  return [&log, tag]() -> std::optional<Fault> {
    log.push_back(tag);
    return std::nullopt;
  };
}

TEST(SimDeviceTest, WorkRunsWhenTheStreamIsDrainedInOrder) {
  SimDevice &d = SimDevice::get();
  std::vector<std::string> log;
  Stream *s = d.createStream();
  EXPECT_EQ(d.enqueue(s, "a", append(log, "a")), CUDA_SUCCESS);
  EXPECT_EQ(d.enqueue(s, "b", append(log, "b")), CUDA_SUCCESS);
  EXPECT_TRUE(log.empty()); // lazily executed
  EXPECT_EQ(d.drain(s), CUDA_SUCCESS);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
  d.destroyStream(s);
}

TEST(SimDeviceTest, EventWaitsOrderStreams) {
  SimDevice &d = SimDevice::get();
  std::vector<std::string> log;
  Stream *copy = d.createStream(), *compute = d.createStream();
  Event *e = d.createEvent(false);
  d.enqueue(copy, "upload", append(log, "upload"));
  d.record(e, copy);
  d.enqueue(copy, "later upload", append(log, "later upload"));
  d.wait(compute, e);
  d.enqueue(compute, "kernel", append(log, "kernel"));
  // Draining compute runs what the event waits for, and no more of copy.
  EXPECT_EQ(d.drain(compute), CUDA_SUCCESS);
  EXPECT_EQ(log, (std::vector<std::string>{"upload", "kernel"}));
  EXPECT_EQ(d.drain(e), CUDA_SUCCESS);
  EXPECT_EQ(d.drainAll(), CUDA_SUCCESS);
  EXPECT_EQ(log.back(), "later upload");
  d.destroyEvent(e);
  d.destroyStream(copy);
  d.destroyStream(compute);
}

TEST(SimDeviceTest, CapturedGraphsReplay) {
  SimDevice &d = SimDevice::get();
  std::vector<std::string> log;
  Stream *s = d.createStream();
  ASSERT_EQ(d.beginCapture(s), CUDA_SUCCESS);
  d.enqueue(s, "a", append(log, "a"));
  d.enqueue(s, "b", append(log, "b"));
  // Recording an event while capturing is not how the runtime captures.
  Event *e = d.createEvent(false);
  EXPECT_EQ(d.record(e, s), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
  Graph *g = nullptr;
  ASSERT_EQ(d.endCapture(s, &g), CUDA_SUCCESS);
  EXPECT_TRUE(log.empty()); // captured, not run
  d.launch(g, s);
  d.launch(g, s);
  d.drain(s);
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b", "a", "b"}));
  d.destroyGraph(g);
  EXPECT_FALSE(d.isGraph(g));
  d.destroyEvent(e);
  d.destroyStream(s);
}
} // namespace
