//===- Memory.h - The simulated GPU's memory and its checks -----*- C++ -*-===//
//
// Device memory of the simulated GPU: allocations (host memory whose address
// is the device address), the named regions the runtime annotates inside
// them (an arena's buffers, which may overlap where buffers that are never
// alive together share memory), and a shadow bit per byte that says whether
// it was ever written. Every access of a kernel or a cuDNN call goes through
// an AccessScope, which allows exactly the ranges the launch is passed (the
// bytes the runtime declares for each argument, or else the region starting
// at it) and reports what real GPUs punish or leave undefined: addresses
// outside those ranges, misaligned accesses and reads of bytes never
// written, each as a Fault whose message names the buffer and offset.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_MEMORY_H
#define RESNETC_LIB_CUDASIM_MEMORY_H

#include "resnetc/CUDA/DriverAPI.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace resnetc::cudasim {

using cuda::CUresult;

/// A violation: the CUDA error a real GPU (or driver) would report, and a
/// message saying what happened where.
struct Fault {
  CUresult code = cuda::CUDA_ERROR_UNKNOWN;
  std::string message;
};

/// A part of an allocation the runtime named (or the whole allocation).
struct Region {
  uint64_t begin = 0, end = 0; ///< [begin, end) device addresses.
  std::string name;
};

/// One allocation with its shadow of written bytes and its named regions.
struct Allocation {
  uint64_t begin = 0, end = 0;
  std::string name; ///< "allocation #N of B bytes".
  std::vector<uint64_t> written; ///< One bit per byte.
  std::vector<Region> regions;   ///< Sorted by begin; may overlap.

  bool isWritten(uint64_t address, uint64_t size) const;
  void markWritten(uint64_t address, uint64_t size);
  /// The smallest region containing `address`, or null.
  const Region *findRegion(uint64_t address) const;
  /// The largest region starting at `address`, or null.
  const Region *findRegionAt(uint64_t address) const;
};

/// Every allocation of the simulated device.
class DeviceMemory {
public:
  DeviceMemory() = default;
  DeviceMemory(const DeviceMemory &) = delete;
  DeviceMemory &operator=(const DeviceMemory &) = delete;
  ~DeviceMemory();

  /// A new allocation of `bytes` (256-byte aligned, never written); 0 when
  /// the host has no memory for it.
  uint64_t allocate(uint64_t bytes);
  /// Frees the allocation starting at `address`; false if there is none.
  bool free(uint64_t address);
  /// Names [address, address + bytes) inside one allocation; false when it
  /// is not inside one.
  bool annotate(uint64_t address, uint64_t bytes, const std::string &name);

  /// The allocation containing `address`, or null.
  Allocation *find(uint64_t address);

  /// Host memory the runtime allocated as pinned (cuMemAllocHost).
  void *allocateHost(uint64_t bytes);
  bool freeHost(void *pointer);
  bool isPinned(const void *pointer, uint64_t bytes) const;

  /// Bytes allocated now, and the most ever.
  uint64_t getAllocatedBytes() const { return allocated; }

private:
  std::map<uint64_t, std::unique_ptr<Allocation>> allocations; ///< By begin.
  std::map<uintptr_t, uint64_t> pinned; ///< Host begin -> bytes.
  uint64_t allocated = 0;
  unsigned count = 0;
};

/// The memory one launch (a kernel's grid, or one cuDNN call) may touch:
/// for each pointer it is passed, the region starting there (or, in an
/// allocation without regions there, the rest of the allocation).
class AccessScope {
public:
  /// `what` names the launch in fault messages ("kernel k3_stem_relu1").
  AccessScope(DeviceMemory &memory, std::string what)
      : memory(memory), what(std::move(what)) {}

  /// Allows [pointer, pointer + bytes) when `bytes` is given (the runtime
  /// declared it, naming the buffer `buffer`), else the largest region
  /// starting at `pointer` (or the rest of the region or allocation it lies
  /// in); `argument` describes it in messages ("parameter 2", "x"). A value
  /// that is no device address (an integer argument) allows nothing.
  void allow(uint64_t pointer, const std::string &argument,
             uint64_t bytes = 0, const std::string &buffer = "");

  /// Checks an access of `size` bytes at `address` and returns the host
  /// memory behind it, or null after recording a fault (see getFault). A
  /// read of bytes never written is a fault; a write marks them written.
  /// `who` describes the accessor (a thread) and is called only to build a
  /// fault message.
  template <typename Who>
  void *access(uint64_t address, uint64_t size, bool write, Who &&who) {
    if (last && address >= last->begin && address < last->end &&
        size <= last->end - address && address % size == 0) {
      if (write) {
        last->allocation->markWritten(address, size);
        return reinterpret_cast<void *>(address);
      }
      if (last->allocation->isWritten(address, size))
        return reinterpret_cast<void *>(address);
    }
    if (void *p = findAccess(address, size, write))
      return p;
    return slowAccess(address, size, write, who());
  }

  /// Checks that [address, address + size) lies in one allowed range; for
  /// reads, that every byte was written (cuDNN's whole-tensor accesses).
  void *accessRange(uint64_t address, uint64_t size, bool write,
                    const std::string &who);

  bool hasFault() const { return fault.has_value(); }
  const std::optional<Fault> &getFault() const { return fault; }
  void setFault(Fault f) {
    if (!fault)
      fault = std::move(f);
  }
  const std::string &getWhat() const { return what; }

private:
  struct Range {
    uint64_t begin, end;
    Allocation *allocation;
    std::string argument, name;
  };
  /// access() for a valid access in a range other than `last`, without
  /// building a message (`who` is not called); null when it is not valid.
  void *findAccess(uint64_t address, uint64_t size, bool write);
  void *slowAccess(uint64_t address, uint64_t size, bool write,
                   const std::string &who);

  DeviceMemory &memory;
  std::string what;
  std::vector<Range> ranges;
  const Range *last = nullptr;
  std::optional<Fault> fault;
};

} // namespace resnetc::cudasim

#endif // RESNETC_LIB_CUDASIM_MEMORY_H
