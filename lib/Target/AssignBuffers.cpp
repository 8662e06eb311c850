//===- AssignBuffers.cpp - The rn-assign-buffers pass ---------------------===//
//
// Persistent buffers are laid out first; the temporaries share the rest of
// the arena by liveness: a step's buffers are placed first-fit in the free
// space, then the buffers whose last use was that step are freed. A result
// never shares memory with an operand of its own step. Entries never run at
// the same time, so each lays out its temporaries over the same region.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Target/Passes.h"
#include "resnetc/Target/PlanAttr.h"

#include <algorithm>
#include <map>
#include <set>

using namespace mlir;
using namespace resnetc;
using namespace resnetc::runtime;

static int64_t alignUp(int64_t v) {
  return (v + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
}

namespace {
/// First-fit allocator over [0, infinity) with a high-water mark.
class ArenaAllocator {
public:
  int64_t allocate(int64_t bytes) {
    bytes = alignUp(bytes);
    for (auto it = freeBlocks.begin(); it != freeBlocks.end(); ++it) {
      if (it->second >= bytes) {
        int64_t offset = it->first, size = it->second;
        freeBlocks.erase(it);
        if (size > bytes)
          freeBlocks[offset + bytes] = size - bytes;
        return offset;
      }
    }
    // Extend the top, merging with a free block that ends there.
    int64_t offset = top;
    if (!freeBlocks.empty()) {
      auto last = std::prev(freeBlocks.end());
      if (last->first + last->second == top) {
        offset = last->first;
        freeBlocks.erase(last);
      }
    }
    top = offset + bytes;
    return offset;
  }
  void release(int64_t offset, int64_t bytes) {
    bytes = alignUp(bytes);
    auto it = freeBlocks.emplace(offset, bytes).first;
    // Merge with the next and previous blocks.
    auto next = std::next(it);
    if (next != freeBlocks.end() && it->first + it->second == next->first) {
      it->second += next->second;
      freeBlocks.erase(next);
    }
    if (it != freeBlocks.begin()) {
      auto prev = std::prev(it);
      if (prev->first + prev->second == it->first) {
        prev->second += it->second;
        freeBlocks.erase(it);
      }
    }
  }
  int64_t highWater() const { return top; }

private:
  std::map<int64_t, int64_t> freeBlocks; // offset -> size
  int64_t top = 0;
};
} // namespace

/// Lays out the arena of `plan` (see the pass description).
static void layoutPlan(Plan &plan) {
  int64_t offset = 0;
  auto isTemporary = [](BufferRole role) {
    return role == BufferRole::Activation || role == BufferRole::Output ||
           role == BufferRole::Scratch;
  };
  for (PlanBuffer &b : plan.buffers)
    if (!isTemporary(b.role)) {
      b.offset = offset;
      offset += alignUp(b.bytes);
    }
  int64_t base = offset, peak = 0;
  for (const PlanEntry &entry : plan.entries) {
    // The temporaries each step refers to, and the last step of each.
    std::vector<std::vector<int64_t>> used(entry.steps.size());
    std::map<int64_t, size_t> last;
    for (auto [s, step] : llvm::enumerate(entry.steps)) {
      std::vector<int64_t> refs = step.args;
      for (const PlanLaunch &launch : step.launches)
        for (const LaunchArg &arg : launch.args)
          if (arg.kind == LaunchArg::Kind::Buffer)
            refs.push_back(arg.buffer);
      for (int64_t b : refs)
        if (isTemporary(plan.buffers[b].role) &&
            std::find(used[s].begin(), used[s].end(), b) == used[s].end()) {
          used[s].push_back(b);
          last[b] = s;
        }
    }
    ArenaAllocator arena;
    std::set<int64_t> placed;
    for (size_t s = 0; s < entry.steps.size(); ++s) {
      // A step's new buffers are placed while its operands are still
      // allocated, so they never share memory.
      for (int64_t b : used[s])
        if (placed.insert(b).second)
          plan.buffers[b].offset = base + arena.allocate(plan.buffers[b].bytes);
      for (int64_t b : used[s])
        if (last[b] == s && plan.buffers[b].role != BufferRole::Output)
          arena.release(plan.buffers[b].offset - base, plan.buffers[b].bytes);
    }
    peak = std::max(peak, arena.highWater());
  }
  plan.peakActivationBytes = peak;
  plan.arenaBytes = base + peak;
}

namespace resnetc {
#define GEN_PASS_DEF_RNASSIGNBUFFERS
#include "resnetc/Target/Passes.h.inc"
} // namespace resnetc

namespace {
struct RNAssignBuffers : resnetc::impl::RNAssignBuffersBase<RNAssignBuffers> {
  void runOnOperation() override {
    FailureOr<Plan> plan = getPlan(getOperation());
    if (failed(plan))
      return signalPassFailure();
    layoutPlan(*plan);
    setPlan(getOperation(), *plan);
  }
};
} // namespace
