//===- Memory.cpp - The simulated GPU's memory and its checks -------------===//
//
// See Memory.h.
//
//===----------------------------------------------------------------------===//

#include "Memory.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace resnetc::cudasim;

/// "0x7f..." for messages.
static std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

bool Allocation::isWritten(uint64_t address, uint64_t size) const {
  uint64_t i = address - begin, e = i + size;
  // Fast path: within one word of the bitmap.
  if ((i >> 6) == ((e - 1) >> 6)) {
    uint64_t mask = (size == 64 ? ~uint64_t(0)
                                : ((uint64_t(1) << size) - 1))
                    << (i & 63);
    return (written[i >> 6] & mask) == mask;
  }
  for (; i < e; ++i)
    if (!(written[i >> 6] >> (i & 63) & 1))
      return false;
  return true;
}

void Allocation::markWritten(uint64_t address, uint64_t size) {
  uint64_t i = address - begin, e = i + size;
  for (; i < e && (i & 63); ++i)
    written[i >> 6] |= uint64_t(1) << (i & 63);
  for (; i + 64 <= e; i += 64)
    written[i >> 6] = ~uint64_t(0);
  for (; i < e; ++i)
    written[i >> 6] |= uint64_t(1) << (i & 63);
}

const Region *Allocation::findRegion(uint64_t address) const {
  const Region *best = nullptr;
  for (const Region &r : regions) {
    if (r.begin > address)
      break;
    if (address < r.end && (!best || r.end - r.begin < best->end - best->begin))
      best = &r;
  }
  return best;
}

const Region *Allocation::findRegionAt(uint64_t address) const {
  auto it = std::lower_bound(
      regions.begin(), regions.end(), address,
      [](const Region &r, uint64_t a) { return r.begin < a; });
  const Region *best = nullptr;
  for (; it != regions.end() && it->begin == address; ++it)
    if (!best || it->end > best->end)
      best = &*it;
  return best;
}

DeviceMemory::~DeviceMemory() {
  for (auto &[begin, a] : allocations)
    std::free(reinterpret_cast<void *>(begin));
  for (auto &[begin, bytes] : pinned)
    std::free(reinterpret_cast<void *>(begin));
}

uint64_t DeviceMemory::allocate(uint64_t bytes) {
  uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 255) / 256 * 256;
  void *p = std::aligned_alloc(256, rounded);
  if (!p)
    return 0;
  // Never-written bytes hold a pattern, so that a read the checks miss
  // does not quietly see zeros.
  std::memset(p, 0xcd, rounded);
  auto a = std::make_unique<Allocation>();
  a->begin = reinterpret_cast<uint64_t>(p);
  a->end = a->begin + bytes;
  a->name = "allocation #" + std::to_string(++count) + " (" +
            std::to_string(bytes) + " bytes)";
  a->written.assign((rounded + 63) / 64, 0);
  uint64_t begin = a->begin;
  allocations[begin] = std::move(a);
  allocated += bytes;
  return begin;
}

bool DeviceMemory::free(uint64_t address) {
  auto it = allocations.find(address);
  if (it == allocations.end())
    return false;
  allocated -= it->second->end - it->second->begin;
  std::free(reinterpret_cast<void *>(address));
  allocations.erase(it);
  return true;
}

Allocation *DeviceMemory::find(uint64_t address) {
  auto it = allocations.upper_bound(address);
  if (it == allocations.begin())
    return nullptr;
  --it;
  return address < it->second->end ? it->second.get() : nullptr;
}

bool DeviceMemory::annotate(uint64_t address, uint64_t bytes,
                            const std::string &name) {
  Allocation *a = find(address);
  if (!a || bytes > a->end - address)
    return false;
  Region r{address, address + bytes, name};
  auto it = std::upper_bound(
      a->regions.begin(), a->regions.end(), address,
      [](uint64_t v, const Region &x) { return v < x.begin; });
  a->regions.insert(it, std::move(r));
  return true;
}

void *DeviceMemory::allocateHost(uint64_t bytes) {
  uint64_t rounded = (std::max<uint64_t>(bytes, 1) + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded);
  if (p)
    pinned[reinterpret_cast<uintptr_t>(p)] = bytes;
  return p;
}

bool DeviceMemory::freeHost(void *pointer) {
  auto it = pinned.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == pinned.end())
    return false;
  std::free(pointer);
  pinned.erase(it);
  return true;
}

bool DeviceMemory::isPinned(const void *pointer, uint64_t bytes) const {
  auto p = reinterpret_cast<uintptr_t>(pointer);
  auto it = pinned.upper_bound(p);
  if (it == pinned.begin())
    return false;
  --it;
  return p >= it->first && p + bytes <= it->first + it->second;
}

void AccessScope::allow(uint64_t pointer, const std::string &argument,
                        uint64_t bytes, const std::string &buffer) {
  Allocation *a = memory.find(pointer);
  if (!a)
    return;
  Range r{pointer, a->end, a, argument, a->name};
  if (bytes) {
    r.end = std::min(a->end, pointer + bytes);
    const Region *region = a->findRegionAt(pointer);
    r.name = !buffer.empty() ? "'" + buffer + "'"
             : region        ? "'" + region->name + "'"
                             : a->name;
  } else if (const Region *region = a->findRegionAt(pointer)) {
    r.end = region->end;
    r.name = "'" + region->name + "'";
  } else if (const Region *inside = a->findRegion(pointer)) {
    // A pointer inside a region, not at its start, is not how the runtime
    // passes buffers; allow the rest of that region.
    r.end = inside->end;
    r.name = "'" + inside->name + "'";
  } else if (!a->regions.empty()) {
    // Between regions: up to the next one.
    for (const Region &next : a->regions)
      if (next.begin > pointer) {
        r.end = next.begin;
        break;
      }
  }
  ranges.push_back(std::move(r));
  last = nullptr;
}

void *AccessScope::findAccess(uint64_t address, uint64_t size, bool write) {
  if (address % size != 0)
    return nullptr;
  // The first range holding the whole access, as slowAccess looks for it
  // (ranges overlap where buffers share memory).
  for (const Range &r : ranges) {
    if (address < r.begin || address >= r.end || size > r.end - address)
      continue;
    if (!write && !r.allocation->isWritten(address, size))
      return nullptr;
    if (write)
      r.allocation->markWritten(address, size);
    last = &r;
    return reinterpret_cast<void *>(address);
  }
  return nullptr;
}

void *AccessScope::slowAccess(uint64_t address, uint64_t size, bool write,
                              const std::string &who) {
  std::string kind = std::string(write ? "write" : "read") + " of " +
                     std::to_string(size) + " byte" + (size == 1 ? "" : "s") +
                     " at " + hex(address);
  if (address % size != 0) {
    setFault({cuda::CUDA_ERROR_MISALIGNED_ADDRESS,
              what + ": " + who + ": misaligned " + kind + " (not a multiple of " +
                  std::to_string(size) + ")"});
    return nullptr;
  }
  // A range holding the whole access (ranges may overlap), else one that
  // holds its start.
  const Range *holds = nullptr, *starts = nullptr;
  for (const Range &r : ranges) {
    if (address < r.begin || address >= r.end)
      continue;
    if (size <= r.end - address) {
      holds = &r;
      break;
    }
    starts = &r;
  }
  if (!holds && starts) {
    const Range &r = *starts;
    setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
              what + ": " + who + ": " + kind + " runs past the end of " +
                  r.name + " (" + r.argument + ", " +
                  std::to_string(r.end - r.begin) + " bytes) at offset " +
                  std::to_string(address - r.begin)});
    return nullptr;
  }
  if (holds) {
    const Range &r = *holds;
    last = &r;
    if (write) {
      r.allocation->markWritten(address, size);
      return reinterpret_cast<void *>(address);
    }
    if (!r.allocation->isWritten(address, size)) {
      setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
                what + ": " + who + ": " + kind + " at offset " +
                    std::to_string(address - r.begin) + " of " + r.name +
                    " (" + r.argument +
                    ") reads memory that was never written"});
      return nullptr;
    }
    return reinterpret_cast<void *>(address);
  }
  // Not in any range the launch was given: say where it is.
  std::string where;
  if (Allocation *a = memory.find(address)) {
    const Region *region = a->findRegion(address);
    where = region ? "offset " + std::to_string(address - region->begin) +
                         " of '" + region->name + "', which the launch was "
                         "not passed"
                   : "offset " + std::to_string(address - a->begin) + " of " +
                         a->name + ", outside every buffer the launch was "
                         "passed";
    // The nearest range below, for the usual off-the-end mistake.
    const Range *below = nullptr;
    for (const Range &r : ranges)
      if (r.end <= address && (!below || r.end > below->end))
        below = &r;
    if (below)
      where += " (" + std::to_string(address - below->end) +
               " bytes past the end of " + below->name + ", " +
               below->argument + ")";
  } else {
    where = "no allocation";
  }
  setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
            what + ": " + who + ": " + kind + " is out of bounds: " + where});
  return nullptr;
}

void *AccessScope::accessRange(uint64_t address, uint64_t size, bool write,
                               const std::string &who) {
  if (size == 0)
    return reinterpret_cast<void *>(address);
  // A tensor is passed by its start: the range starting there (ranges
  // overlap where buffers share memory), else one containing it.
  const Range *match = nullptr;
  for (const Range &r : ranges)
    if (r.begin == address && (!match || r.end > match->end))
      match = &r;
  for (const Range &r : ranges)
    if (!match && address >= r.begin && address < r.end)
      match = &r;
  if (match) {
    const Range &r = *match;
    if (size > r.end - address) {
      setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
                what + ": " + who + ": " + std::to_string(size) +
                    " bytes at offset " + std::to_string(address - r.begin) +
                    " run past the end of " + r.name + " (" + r.argument +
                    ", " + std::to_string(r.end - r.begin) + " bytes)"});
      return nullptr;
    }
    if (write) {
      r.allocation->markWritten(address, size);
    } else if (!r.allocation->isWritten(address, size)) {
      uint64_t first = address;
      while (r.allocation->isWritten(first, 1))
        ++first;
      setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
                what + ": " + who + ": reads " + std::to_string(size) +
                    " bytes of " + r.name + " (" + r.argument +
                    "), of which byte " + std::to_string(first - address) +
                    " was never written"});
      return nullptr;
    }
    return reinterpret_cast<void *>(address);
  }
  setFault({cuda::CUDA_ERROR_ILLEGAL_ADDRESS,
            what + ": " + who + ": " + hex(address) +
                " is not the start of a buffer passed to the call"});
  return nullptr;
}
