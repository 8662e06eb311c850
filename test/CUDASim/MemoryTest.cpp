//===- MemoryTest.cpp - The simulated GPU's memory checks -----------------===//

#include "Memory.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace resnetc::cudasim;
using namespace resnetc::cuda;

namespace {
std::string who() { return "thread (0,0,0)"; }

TEST(MemoryTest, AllocationsAreFoundByAnyAddressInside) {
  DeviceMemory memory;
  uint64_t a = memory.allocate(1000), b = memory.allocate(24);
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  EXPECT_EQ(a % 256, 0u);
  EXPECT_EQ(memory.find(a)->begin, a);
  EXPECT_EQ(memory.find(a + 999)->begin, a);
  EXPECT_EQ(memory.find(a + 1000), nullptr);
  EXPECT_EQ(memory.find(b + 23)->begin, b);
  EXPECT_EQ(memory.getAllocatedBytes(), 1024u);
  EXPECT_TRUE(memory.free(a));
  EXPECT_FALSE(memory.free(a));
  EXPECT_EQ(memory.find(a), nullptr);
  EXPECT_EQ(memory.getAllocatedBytes(), 24u);
}

TEST(MemoryTest, WrittenBitsTrackEveryByte) {
  DeviceMemory memory;
  uint64_t a = memory.allocate(300);
  Allocation *alloc = memory.find(a);
  EXPECT_FALSE(alloc->isWritten(a, 1));
  alloc->markWritten(a + 3, 130); // crosses two 64-bit words
  EXPECT_FALSE(alloc->isWritten(a + 2, 1));
  EXPECT_TRUE(alloc->isWritten(a + 3, 130));
  EXPECT_TRUE(alloc->isWritten(a + 60, 8));
  EXPECT_FALSE(alloc->isWritten(a + 130, 4));
  EXPECT_TRUE(alloc->isWritten(a + 132, 1));
  EXPECT_FALSE(alloc->isWritten(a + 133, 1));
  EXPECT_TRUE(alloc->isWritten(a + 128, 4));
}

TEST(MemoryTest, RegionsLieInsideOneAllocationAndMayOverlap) {
  DeviceMemory memory;
  uint64_t a = memory.allocate(1024);
  EXPECT_TRUE(memory.annotate(a, 64, "input"));
  EXPECT_TRUE(memory.annotate(a + 128, 64, "weight"));
  EXPECT_FALSE(memory.annotate(a + 1000, 64, "past the end"));
  // Buffers never alive together share memory.
  EXPECT_TRUE(memory.annotate(a + 128, 512, "reused"));
  EXPECT_EQ(memory.find(a)->findRegion(a + 130)->name, "weight");
  EXPECT_EQ(memory.find(a)->findRegion(a + 200)->name, "reused");
  EXPECT_EQ(memory.find(a)->findRegionAt(a + 128)->name, "reused");
  EXPECT_EQ(memory.find(a)->findRegion(a + 100), nullptr);
  EXPECT_EQ(memory.find(a)->findRegionAt(a + 130), nullptr);
}

TEST(MemoryTest, DeclaredBytesBoundAnArgumentExactly) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(1024);
  memory.annotate(arena, 512, "big");
  memory.annotate(arena, 64, "small");
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0", 64, "small");
  EXPECT_NE(scope.access(arena + 60, 4, true, who), nullptr);
  EXPECT_EQ(scope.access(arena + 64, 4, true, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_NE(scope.getFault()->message.find(
                "(0 bytes past the end of 'small', parameter 0)"),
            std::string::npos)
      << scope.getFault()->message;
  // Without declared bytes the largest region starting there is allowed.
  AccessScope loose(memory, "kernel k");
  loose.allow(arena, "parameter 0");
  EXPECT_NE(loose.access(arena + 64, 4, true, who), nullptr);
  EXPECT_FALSE(loose.hasFault());
}

TEST(MemoryTest, ScopeAllowsTheRegionsItIsPassed) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(1024);
  memory.annotate(arena, 256, "input");
  memory.annotate(arena + 256, 256, "output");
  memory.annotate(arena + 512, 256, "other");
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  scope.allow(arena + 256, "parameter 1");
  scope.allow(7, "parameter 2"); // an integer, not an address
  float *out = static_cast<float *>(scope.access(arena + 256, 4, true, who));
  ASSERT_NE(out, nullptr);
  *out = 2.5f;
  float *back = static_cast<float *>(scope.access(arena + 256, 4, false, who));
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(*back, 2.5f);
  EXPECT_FALSE(scope.hasFault());
}

TEST(MemoryTest, ReadOfNeverWrittenMemoryFaults) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(256);
  memory.annotate(arena, 256, "activation");
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  EXPECT_EQ(scope.access(arena + 8, 4, false, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_EQ(scope.getFault()->code, CUDA_ERROR_ILLEGAL_ADDRESS);
  EXPECT_EQ(
      scope.getFault()->message,
      "kernel k: thread (0,0,0): read of 4 bytes at " +
          [&] {
            char b[32];
            std::snprintf(b, sizeof(b), "0x%llx",
                          (unsigned long long)(arena + 8));
            return std::string(b);
          }() +
          " at offset 8 of 'activation' (parameter 0) reads memory "
          "that was never written");
}

TEST(MemoryTest, AccessIntoANeighbourRegionFaults) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(1024);
  memory.annotate(arena, 256, "input");
  memory.annotate(arena + 256, 256, "output");
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  EXPECT_EQ(scope.access(arena + 260, 4, true, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_NE(scope.getFault()->message.find(
                "is out of bounds: offset 4 of 'output', which the launch "
                "was not passed (4 bytes past the end of 'input', "
                "parameter 0)"),
            std::string::npos)
      << scope.getFault()->message;
}

TEST(MemoryTest, AccessStraddlingTheEndFaults) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(1024);
  memory.annotate(arena, 250, "input");
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  EXPECT_EQ(scope.access(arena + 248, 8, true, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_NE(scope.getFault()->message.find("runs past the end of 'input'"),
            std::string::npos)
      << scope.getFault()->message;
}

TEST(MemoryTest, MisalignedAccessFaults) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(64);
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  EXPECT_EQ(scope.access(arena + 2, 4, true, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_EQ(scope.getFault()->code, CUDA_ERROR_MISALIGNED_ADDRESS);
}

TEST(MemoryTest, AddressOutsideEveryAllocationFaults) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(64);
  AccessScope scope(memory, "kernel k");
  scope.allow(arena, "parameter 0");
  EXPECT_EQ(scope.access(16, 4, false, who), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_NE(scope.getFault()->message.find("is out of bounds: no allocation"),
            std::string::npos);
}

TEST(MemoryTest, WholeRangeAccessesForLibraryCalls) {
  DeviceMemory memory;
  uint64_t arena = memory.allocate(1024);
  memory.annotate(arena, 512, "x");
  memory.annotate(arena + 512, 512, "y");
  AccessScope scope(memory, "cudnnConvolutionForward");
  scope.allow(arena, "x");
  scope.allow(arena + 512, "y");
  EXPECT_NE(scope.accessRange(arena + 512, 512, true, "y"), nullptr);
  EXPECT_NE(scope.accessRange(arena + 512, 512, false, "y"), nullptr);
  // x was never written from byte 0.
  EXPECT_EQ(scope.accessRange(arena, 512, false, "x"), nullptr);
  ASSERT_TRUE(scope.hasFault());
  EXPECT_NE(scope.getFault()->message.find("of which byte 0 was never written"),
            std::string::npos)
      << scope.getFault()->message;

  AccessScope big(memory, "cudnnConvolutionForward");
  big.allow(arena, "x");
  EXPECT_EQ(big.accessRange(arena, 600, true, "x"), nullptr);
  EXPECT_NE(big.getFault()->message.find("run past the end of 'x'"),
            std::string::npos)
      << big.getFault()->message;
}

TEST(MemoryTest, PinnedHostMemoryIsKnown) {
  DeviceMemory memory;
  void *p = memory.allocateHost(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(memory.isPinned(p, 100));
  EXPECT_TRUE(memory.isPinned(static_cast<char *>(p) + 10, 90));
  EXPECT_FALSE(memory.isPinned(static_cast<char *>(p) + 10, 91));
  int local = 0;
  EXPECT_FALSE(memory.isPinned(&local, 4));
  EXPECT_TRUE(memory.freeHost(p));
  EXPECT_FALSE(memory.freeHost(p));
}
} // namespace
