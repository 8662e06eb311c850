//===- Exec.h - The state of a running thread block -------------*- C++ -*-===//
//
// What an instruction handler sees while a kernel runs: the block's register
// file (one row per register, one 64-bit lane per thread), the parameter
// buffer, the access scope of global memory, the block's shared memory with
// its shadow (who wrote and read each byte in which barrier interval), and
// the set of threads an instruction executes for. Register lanes hold values
// zero-extended from their type's width; handlers read and write them
// through get<T> and put<T>.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_EXEC_H
#define RESNETC_LIB_CUDASIM_PTX_EXEC_H

#include "IR.h"

#include <cstring>
#include <string>
#include <type_traits>

namespace resnetc::cudasim::ptx {

/// The threads (indices within the block, x fastest) an instruction runs
/// for: [first, first + n) when `contiguous`, else idx[0..n).
struct Lanes {
  const uint16_t *idx = nullptr;
  uint32_t n = 0, first = 0;
  bool contiguous = false;
};

/// Calls f(thread) for every thread of `l`.
template <typename F> inline void forLanes(const Lanes &l, F &&f) {
  if (l.contiguous) {
    for (uint32_t t = l.first, e = l.first + l.n; t < e; ++t)
      f(t);
  } else {
    for (uint32_t i = 0; i < l.n; ++i)
      f(uint32_t(l.idx[i]));
  }
}

/// Calls f(thread) for every thread of `l` until it returns false.
template <typename F> inline bool forLanesChecked(const Lanes &l, F &&f) {
  if (l.contiguous) {
    for (uint32_t t = l.first, e = l.first + l.n; t < e; ++t)
      if (!f(t))
        return false;
  } else {
    for (uint32_t i = 0; i < l.n; ++i)
      if (!f(uint32_t(l.idx[i])))
        return false;
  }
  return true;
}

/// A register lane's value as a T.
template <typename T> inline T get(uint64_t v) {
  if constexpr (std::is_same_v<T, float>) {
    uint32_t u = static_cast<uint32_t>(v);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  } else if constexpr (std::is_same_v<T, double>) {
    double d;
    std::memcpy(&d, &v, 8);
    return d;
  } else {
    return static_cast<T>(v);
  }
}

/// A T as a register lane (zero-extended).
template <typename T> inline uint64_t put(T x) {
  if constexpr (std::is_same_v<T, float>) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
  } else if constexpr (std::is_same_v<T, double>) {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    return u;
  } else if constexpr (std::is_same_v<T, bool>) {
    return x ? 1 : 0;
  } else {
    return static_cast<uint64_t>(static_cast<std::make_unsigned_t<T>>(x));
  }
}

/// Per byte of shared memory (structure of arrays): the barrier interval
/// (epoch) of its last write and the thread that wrote it, the epoch of its
/// last read and the thread that read it (ManyReaders for several). Epoch 0
/// is "never".
struct Shadow {
  uint32_t *writeEpoch = nullptr, *readEpoch = nullptr;
  uint16_t *writer = nullptr, *reader = nullptr;
};
/// Shadow::reader when several threads read the byte.
constexpr uint16_t ManyReaders = 0xffff;

/// The state of the thread block being run.
struct Exec {
  const Kernel::Impl *kernel = nullptr;
  uint64_t *regs = nullptr;
  size_t stride = 0; ///< Lanes per row.
  const uint8_t *params = nullptr;
  AccessScope *scope = nullptr;
  uint8_t *shared = nullptr;
  uint32_t sharedBytes = 0;
  Shadow shadow;
  /// The current barrier interval, and the first of this block (bytes
  /// written in an earlier epoch were written by another block).
  uint32_t epoch = 1, blockEpoch = 1;
  Dim3 grid, block, ctaid;
  /// How faults begin ("kernel k1: "), and whether the scope's own
  /// messages name the kernel.
  std::string prefix;
  bool scopeNamesKernel = false;

  uint64_t *row(uint32_t r) const { return regs + size_t(r) * stride; }

  /// "(x,y,z)" of thread `t`.
  std::string thread(uint32_t t) const;
  /// "block (x,y,z), thread (x,y,z)", for the scope's messages.
  std::string who(uint32_t t) const;
  /// Records a fault of thread `t` at instruction `in`; returns false.
  bool fail(CUresult code, uint32_t t, const Inst &in, const std::string &what);
  /// "'ld.shared.f32' at line 12".
  std::string where(const Inst &in) const;
};

} // namespace resnetc::cudasim::ptx

#endif // RESNETC_LIB_CUDASIM_PTX_EXEC_H
