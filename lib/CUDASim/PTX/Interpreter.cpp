//===- Interpreter.cpp - Runs PTX kernels ---------------------------------===//
//
// Runs a kernel's grid one thread block after another. The threads of a
// block run in lockstep groups: a group is a set of threads at the same
// instruction, and each instruction executes for all threads of its group
// at once (one handler call looping over the threads' register lanes).
// Branches split groups; the group with the lowest instruction index runs
// first, and groups meeting at an instruction merge, which reconverges the
// structured control flow compilers emit (both sides of an if meet at its
// join, threads leaving a loop early wait at its exit). A thread reaching
// bar.sync waits there until every thread of the block that has not exited
// is waiting at that same barrier; threads waiting at different barriers
// are a barrier-divergence fault. Each barrier starts a new interval
// (epoch) of the shared-memory race checks.
//
//===----------------------------------------------------------------------===//

#include "Exec.h"
#include "IR.h"
#include "Ops.h"

#include <algorithm>
#include <cctype>
#include <numeric>

using namespace resnetc::cudasim;
using namespace resnetc::cudasim::ptx;
namespace cuda = resnetc::cuda;

//===----------------------------------------------------------------------===//
// Messages and shared-memory checks
//===----------------------------------------------------------------------===//

static std::string dims(unsigned x, unsigned y, unsigned z) {
  return "(" + std::to_string(x) + "," + std::to_string(y) + "," +
         std::to_string(z) + ")";
}

std::string Exec::thread(uint32_t t) const {
  return dims(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
}

std::string Exec::who(uint32_t t) const {
  std::string s = scopeNamesKernel ? "" : "kernel " + kernel->name + ", ";
  return s + "block " + dims(ctaid.x, ctaid.y, ctaid.z) + ", thread " +
         thread(t);
}

std::string Exec::where(const Inst &in) const {
  return "'" + kernel->opcodes[in.text] + "' at line " +
         std::to_string(in.line);
}

bool Exec::fail(CUresult code, uint32_t t, const Inst &in,
                const std::string &what) {
  scope->setFault(
      {code, prefix + who(t) + ": " + what + " (" + where(in) + ")"});
  return false;
}

/// "byte 12 of '__wg_k_0'" for a shared address.
static std::string describeShared(const Exec &e, uint64_t address) {
  if (const SharedVar *v = e.kernel->findShared(address))
    return "byte " + std::to_string(address - v->offset) + " of '" + v->name +
           "'";
  if (address >= e.kernel->dynamicOffset)
    return "byte " + std::to_string(address - e.kernel->dynamicOffset) +
           " of the dynamic shared memory";
  return "shared address " + std::to_string(address);
}

bool ops::sharedFault(Exec &e, const Inst &in, uint32_t t, uint64_t address,
                      uint32_t size, bool write) {
  auto fault = [&](CUresult code, const std::string &detail) {
    return e.fail(code, t, in,
                  std::string("shared-memory ") + (write ? "write" : "read") +
                      " of " + std::to_string(size) + " byte" +
                      (size == 1 ? "" : "s") + " at shared address " +
                      std::to_string(int64_t(address)) + " " + detail);
  };
  if (address % size != 0)
    return fault(cuda::CUDA_ERROR_MISALIGNED_ADDRESS,
                 "is misaligned (not a multiple of " + std::to_string(size) +
                     ")");
  if (address >= e.sharedBytes || e.sharedBytes - address < size)
    return fault(cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
                 "is out of bounds (the block has " +
                     std::to_string(e.sharedBytes) +
                     " bytes of shared memory)");
  const Shadow &s = e.shadow;
  for (uint64_t i = address; i < address + size; ++i) {
    bool writtenNow = s.writeEpoch[i] == e.epoch && s.writer[i] != t;
    if (!write && s.writeEpoch[i] < e.blockEpoch)
      return fault(cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
                   "reads " + describeShared(e, i) +
                       ", which was never written");
    if (writtenNow)
      return fault(cuda::CUDA_ERROR_LAUNCH_FAILED,
                   std::string("is a shared-memory race: it ") +
                       (write ? "writes " : "reads ") + describeShared(e, i) +
                       ", written by thread " + e.thread(s.writer[i]) +
                       " with no bar.sync in between");
    if (write && s.readEpoch[i] == e.epoch && s.reader[i] != t)
      return fault(cuda::CUDA_ERROR_LAUNCH_FAILED,
                   "is a shared-memory race: it writes " +
                       describeShared(e, i) + ", read by " +
                       (s.reader[i] == ManyReaders
                            ? std::string("other threads")
                            : "thread " + e.thread(s.reader[i])) +
                       " with no bar.sync in between");
  }
  return e.fail(cuda::CUDA_ERROR_UNKNOWN, t, in,
                "shared-memory access check failed");
}

//===----------------------------------------------------------------------===//
// Launch checks
//===----------------------------------------------------------------------===//

std::optional<Fault> ptx::checkLaunch(const Kernel &kernel, Dim3 grid,
                                      Dim3 block, unsigned dynamicSharedBytes,
                                      size_t paramBytes,
                                      const DeviceLimits &limits) {
  const Kernel::Impl &k = kernel.getImpl();
  std::string name = "kernel " + k.name + ": ";
  auto invalid = [&](const std::string &what) {
    return Fault{cuda::CUDA_ERROR_INVALID_VALUE, name + what};
  };
  auto resources = [&](const std::string &what) {
    return Fault{cuda::CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, name + what};
  };
  unsigned g[3] = {grid.x, grid.y, grid.z}, b[3] = {block.x, block.y, block.z};
  for (unsigned i = 0; i < 3; ++i) {
    if (g[i] == 0 || g[i] > limits.maxGrid[i])
      return invalid(
          "grid " + dims(grid.x, grid.y, grid.z) +
          " is outside the device's limits " +
          dims(limits.maxGrid[0], limits.maxGrid[1], limits.maxGrid[2]));
    if (b[i] == 0 || b[i] > limits.maxBlock[i])
      return invalid(
          "block " + dims(block.x, block.y, block.z) +
          " is outside the device's limits " +
          dims(limits.maxBlock[0], limits.maxBlock[1], limits.maxBlock[2]));
  }
  uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads > limits.maxThreadsPerBlock)
    return invalid("block " + dims(block.x, block.y, block.z) + " has " +
                   std::to_string(threads) + " threads, more than the " +
                   std::to_string(limits.maxThreadsPerBlock) +
                   " the device allows");
  if (paramBytes != k.paramBytes)
    return invalid("passed " + std::to_string(paramBytes) +
                   " bytes of parameters; the kernel takes " +
                   std::to_string(k.paramBytes));
  if (k.maxntid[0]) {
    uint64_t most = uint64_t(k.maxntid[0]) * k.maxntid[1] * k.maxntid[2];
    if (threads > most)
      return resources("block " + dims(block.x, block.y, block.z) + " has " +
                       std::to_string(threads) +
                       " threads, more than its "
                       ".maxntid " +
                       dims(k.maxntid[0], k.maxntid[1], k.maxntid[2]) +
                       " allows (" + std::to_string(most) + ")");
  }
  if (k.reqntid[0] && (k.reqntid[0] != block.x || k.reqntid[1] != block.y ||
                       k.reqntid[2] != block.z))
    return invalid("block " + dims(block.x, block.y, block.z) +
                   " is not its .reqntid " +
                   dims(k.reqntid[0], k.reqntid[1], k.reqntid[2]));
  uint64_t shared = uint64_t(k.staticShared) + dynamicSharedBytes;
  if (shared > limits.maxSharedPerBlock)
    return resources(
        "needs " + std::to_string(shared) + " bytes of shared memory (" +
        std::to_string(k.staticShared) + " static, " +
        std::to_string(dynamicSharedBytes) + " dynamic), more than the " +
        std::to_string(limits.maxSharedPerBlock) + " a block may have");
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Scheduling
//===----------------------------------------------------------------------===//

namespace {

/// Threads at the same instruction, sorted by index.
struct Group {
  uint32_t pc = 0;
  std::vector<uint16_t> threads;
};

Lanes lanesOf(const std::vector<uint16_t> &threads) {
  Lanes l;
  l.idx = threads.data();
  l.n = uint32_t(threads.size());
  if (l.n && uint32_t(threads.back()) - threads.front() + 1 == l.n) {
    l.contiguous = true;
    l.first = threads.front();
  }
  return l;
}

/// Runs the thread blocks of one launch.
class BlockRunner {
public:
  BlockRunner(Exec &e, RunStats &stats) : e(e), stats(stats) {}

  /// Runs the block e.ctaid; false after a fault.
  bool run(uint32_t threads);

private:
  /// Adds a group of threads at pc, merging it into a group already there.
  void addGroup(uint32_t pc, std::vector<uint16_t> &&threads);
  /// Removes group `index`, keeping its storage for later groups.
  void removeGroup(size_t index);
  /// An empty thread list (with storage from a removed group).
  std::vector<uint16_t> takeList();
  /// Merges the sorted `from` into the sorted `into`.
  void mergeSorted(std::vector<uint16_t> &into,
                   const std::vector<uint16_t> &from);
  /// The group to run next (the lowest pc) and the lowest pc of the others.
  size_t pick(uint32_t &limit) const;
  bool step(size_t index, uint32_t limit);
  bool barrierDivergence(const Group &g, const Inst &in);

  Exec &e;
  RunStats &stats;
  std::vector<Group> groups;
  std::vector<uint16_t> blocked; ///< Threads waiting at a barrier.
  uint32_t blockedPc = 0;
  uint32_t live = 0; ///< Threads not exited.
  std::vector<uint16_t> selected, rest, merged;
  std::vector<std::vector<uint16_t>> spare; ///< Storage of removed groups.
};

void BlockRunner::mergeSorted(std::vector<uint16_t> &into,
                              const std::vector<uint16_t> &from) {
  merged.resize(into.size() + from.size());
  std::merge(into.begin(), into.end(), from.begin(), from.end(),
             merged.begin());
  into.swap(merged);
}

std::vector<uint16_t> BlockRunner::takeList() {
  if (spare.empty())
    return {};
  std::vector<uint16_t> list = std::move(spare.back());
  spare.pop_back();
  list.clear();
  return list;
}

void BlockRunner::removeGroup(size_t index) {
  spare.push_back(std::move(groups[index].threads));
  if (index + 1 != groups.size())
    groups[index] = std::move(groups.back());
  groups.pop_back();
}

void BlockRunner::addGroup(uint32_t pc, std::vector<uint16_t> &&threads) {
  if (threads.empty()) {
    spare.push_back(std::move(threads));
    return;
  }
  for (Group &g : groups)
    if (g.pc == pc) {
      mergeSorted(g.threads, threads);
      spare.push_back(std::move(threads));
      return;
    }
  groups.push_back({pc, std::move(threads)});
}

size_t BlockRunner::pick(uint32_t &limit) const {
  size_t best = 0;
  for (size_t i = 1; i < groups.size(); ++i)
    if (groups[i].pc < groups[best].pc)
      best = i;
  limit = UINT32_MAX;
  for (size_t i = 0; i < groups.size(); ++i)
    if (i != best)
      limit = std::min(limit, groups[i].pc);
  return best;
}

bool BlockRunner::run(uint32_t threads) {
  while (!groups.empty())
    removeGroup(groups.size() - 1);
  blocked.clear();
  live = threads;
  std::vector<uint16_t> all = takeList();
  all.resize(threads);
  std::iota(all.begin(), all.end(), uint16_t(0));
  groups.push_back({0, std::move(all)});
  for (;;) {
    if (groups.empty()) {
      if (blocked.empty())
        return true;
      // Every thread that has not exited waits at the barrier: release.
      std::sort(blocked.begin(), blocked.end());
      groups.push_back({blockedPc + 1, std::move(blocked)});
      blocked = takeList();
      ++e.epoch;
    }
    uint32_t limit;
    size_t index = pick(limit);
    if (!step(index, limit))
      return false;
  }
}

bool BlockRunner::barrierDivergence(const Group &g, const Inst &in) {
  const Inst &other = e.kernel->code[blockedPc];
  return e.fail(cuda::CUDA_ERROR_LAUNCH_FAILED, g.threads.front(), in,
                "barrier divergence: this thread reached a bar.sync (line " +
                    std::to_string(in.line) + ") while thread " +
                    e.thread(blocked.front()) +
                    " waits at another bar.sync (line " +
                    std::to_string(other.line) + ")");
}

/// Runs group `index` until it branches divergently, jumps past another
/// group, reaches another group's pc (and merges), waits at a barrier or
/// exits.
bool BlockRunner::step(size_t index, uint32_t limit) {
  Group *g = &groups[index];
  const std::vector<Inst> &code = e.kernel->code;
  const uint32_t size = uint32_t(code.size());
  Lanes lanes = lanesOf(g->threads);
  for (;;) {
    uint32_t pc = g->pc;
    if (pc == limit) {
      // Another group waits here: join it.
      std::vector<uint16_t> threads = std::move(g->threads);
      removeGroup(index);
      addGroup(pc, std::move(threads));
      return true;
    }
    if (pc >= size) {
      // Falling off the end of the kernel: as ret.
      live -= uint32_t(g->threads.size());
      removeGroup(index);
      return true;
    }
    const Inst &in = code[pc];
    stats.instructions += 1;
    if (in.kind == Kind::Op && !in.guarded) {
      stats.threadInstructions += lanes.n;
      if (!in.fn(e, in, lanes))
        return false;
      g->pc = pc + 1;
      continue;
    }
    if (in.kind == Kind::Bar) {
      stats.threadInstructions += lanes.n;
      if (blocked.empty() && groups.size() == 1 && lanes.n == live) {
        // Everyone is here.
        ++e.epoch;
        g->pc = pc + 1;
        continue;
      }
      if (!blocked.empty() && blockedPc != pc)
        return barrierDivergence(*g, in);
      blockedPc = pc;
      blocked.insert(blocked.end(), g->threads.begin(), g->threads.end());
      removeGroup(index);
      return true;
    }
    // The threads the guard selects (all, without one).
    stats.threadInstructions += lanes.n;
    const uint32_t n = lanes.n;
    uint32_t count = n;
    const uint64_t *p = in.guarded ? e.row(in.guard) : nullptr;
    const uint64_t want = in.guardNeg ? 0 : 1;
    if (p) {
      count = 0;
      forLanes(lanes, [&](uint32_t t) { count += (p[t] & 1) == want; });
    }
    if (count != 0 && count != n) {
      // Split the group: `selected` execute the instruction.
      selected.resize(n);
      rest.resize(n);
      uint32_t ns = 0, nr = 0;
      for (uint16_t t : g->threads) {
        bool on = (p[t] & 1) == want;
        selected[ns] = t;
        rest[nr] = t;
        ns += on;
        nr += !on;
      }
      selected.resize(ns);
      rest.resize(nr);
    }
    if (in.kind == Kind::Op) {
      if (count == n && !in.fn(e, in, lanes))
        return false;
      if (count != 0 && count != n && !in.fn(e, in, lanesOf(selected)))
        return false;
      g->pc = pc + 1;
      continue;
    }
    if (in.kind == Kind::Ret) {
      live -= count;
      if (count == n) {
        removeGroup(index);
        return true;
      }
      if (count != 0) {
        g->threads.swap(rest);
        lanes = lanesOf(g->threads);
      }
      g->pc = pc + 1;
      continue;
    }
    // A branch.
    uint32_t target = in.target;
    if (count == n) {
      g->pc = target;
      if (target > limit)
        return true; // Let the group now lowest run first.
      continue;
    }
    if (count == 0) {
      g->pc = pc + 1;
      continue;
    }
    // Divergence: the threads not branching continue at pc + 1.
    g->threads.swap(rest);
    g->pc = pc + 1;
    std::vector<uint16_t> taken = takeList();
    taken.swap(selected);
    addGroup(target, std::move(taken));
    return true;
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

std::optional<Fault> ptx::run(const Kernel &kernel, Dim3 grid, Dim3 block,
                              unsigned dynamicSharedBytes,
                              const uint8_t *params, AccessScope &scope) {
  return run(kernel, grid, block, dynamicSharedBytes, params, scope, nullptr);
}

std::optional<Fault> ptx::run(const Kernel &kernel, Dim3 grid, Dim3 block,
                              unsigned dynamicSharedBytes,
                              const uint8_t *params, AccessScope &scope,
                              RunStats *statsOut) {
  if (scope.hasFault())
    return scope.getFault();
  const Kernel::Impl &k = kernel.getImpl();
  if (std::optional<Fault> f =
          checkLaunch(kernel, grid, block, dynamicSharedBytes, k.paramBytes))
    return f;
  if (k.paramBytes && !params)
    return Fault{cuda::CUDA_ERROR_INVALID_VALUE,
                 "kernel " + k.name + ": launched without its parameters"};

  const uint32_t threads = block.x * block.y * block.z;
  Exec e;
  e.kernel = &k;
  e.stride = (threads + 7) / 8 * 8;
  e.params = params;
  e.scope = &scope;
  e.grid = grid;
  e.block = block;
  const std::string &what = scope.getWhat();
  // Whether the scope's description names the kernel (as a whole word).
  for (size_t at = what.find(k.name); at != std::string::npos;
       at = what.find(k.name, at + 1)) {
    auto identifier = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
             c == '$';
    };
    size_t end = at + k.name.size();
    if ((at == 0 || !identifier(what[at - 1])) &&
        (end == what.size() || !identifier(what[end])))
      e.scopeNamesKernel = true;
  }
  e.prefix = what.empty() ? "" : what + ": ";

  // The register file: registers start at zero; special registers and
  // constants fill their rows.
  thread_local std::vector<uint64_t> regs;
  regs.assign(size_t(k.rows()) * e.stride, 0);
  e.regs = regs.data();
  auto fill = [&](uint32_t row, uint64_t v) {
    std::fill_n(e.row(row), e.stride, v);
  };
  for (size_t i = 0; i < k.constants.size(); ++i)
    fill(k.constantBase + uint32_t(i), k.constants[i]);
  auto used = [&](Special s) { return (k.specialsUsed >> s) & 1; };
  for (uint32_t t = 0; t < threads; ++t) {
    e.row(k.specialBase + TidX)[t] = t % block.x;
    e.row(k.specialBase + TidY)[t] = (t / block.x) % block.y;
    e.row(k.specialBase + TidZ)[t] = t / (block.x * block.y);
  }
  fill(k.specialBase + NTidX, block.x);
  fill(k.specialBase + NTidY, block.y);
  fill(k.specialBase + NTidZ, block.z);
  fill(k.specialBase + NCtaIdX, grid.x);
  fill(k.specialBase + NCtaIdY, grid.y);
  fill(k.specialBase + NCtaIdZ, grid.z);

  // Shared memory and its shadow.
  uint32_t sharedBytes = dynamicSharedBytes
                             ? k.dynamicOffset + dynamicSharedBytes
                             : k.staticShared;
  thread_local std::vector<uint8_t> shared;
  thread_local std::vector<uint32_t> epochs;
  thread_local std::vector<uint16_t> threadsOf;
  shared.assign(sharedBytes, 0xcd);
  epochs.assign(2 * size_t(sharedBytes), 0);
  threadsOf.assign(2 * size_t(sharedBytes), 0);
  e.shared = shared.data();
  e.shadow.writeEpoch = epochs.data();
  e.shadow.readEpoch = epochs.data() + sharedBytes;
  e.shadow.writer = threadsOf.data();
  e.shadow.reader = threadsOf.data() + sharedBytes;
  e.sharedBytes = sharedBytes;

  RunStats stats;
  BlockRunner runner(e, stats);
  for (uint32_t z = 0; z < grid.z; ++z)
    for (uint32_t y = 0; y < grid.y; ++y)
      for (uint32_t x = 0; x < grid.x; ++x) {
        e.ctaid = {x, y, z};
        if (used(CtaIdX))
          fill(k.specialBase + CtaIdX, x);
        if (used(CtaIdY))
          fill(k.specialBase + CtaIdY, y);
        if (used(CtaIdZ))
          fill(k.specialBase + CtaIdZ, z);
        ++e.epoch;
        e.blockEpoch = e.epoch;
        ++stats.blocks;
        if (!runner.run(threads)) {
          if (statsOut)
            *statsOut = stats;
          return scope.getFault();
        }
      }
  if (statsOut)
    *statsOut = stats;
  return std::nullopt;
}
