//===- PTX.h - A PTX interpreter for the simulated GPU ----------*- C++ -*-===//
//
// Parses the PTX modules resnetc emits (the instructions, types and state
// spaces NVPTX produces for its kernels; anything else is an error naming
// the line, never skipped) and runs a kernel's grid of thread blocks on the
// CPU with the semantics of the PTX ISA: threads of a block advance together
// between barriers (bar.sync), and every access is checked: global memory
// through an AccessScope (bounds of the buffers the launch was passed,
// alignment, reads of memory never written), shared memory for bounds,
// alignment, reads before writes and races between threads of a block
// within one barrier interval; barriers reached by only some threads
// (divergence) and launches beyond the kernel's or the device's limits are
// faults too. Every fault names the kernel, the block and the thread.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_PTX_H
#define RESNETC_LIB_CUDASIM_PTX_PTX_H

#include "../Memory.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace resnetc::cudasim::ptx {

/// One `.param` of a kernel, as the launch lays it out.
struct KernelParam {
  std::string name;
  std::string type; ///< "u64", "u32", "f32", "f64", ...
  unsigned size = 0, offset = 0;
};

class Kernel;

/// A parsed PTX module. It does not change once parsed: launches of its
/// kernels share nothing but what they are passed.
class Module {
public:
  /// Parses `text`. On failure returns null and sets `error` to a message
  /// starting with the line: "line 120: unsupported instruction
  /// 'atom.global.add.f32'".
  static std::unique_ptr<Module> parse(std::string_view text,
                                       std::string &error);
  ~Module();

  /// The `.version` directive: 80 for 8.0.
  int getVersion() const;
  /// The `.target` directive's architecture: "sm_80", "sm_90a".
  const std::string &getTarget() const;

  /// The `.entry` named `name`, or null.
  const Kernel *getKernel(std::string_view name) const;
  std::vector<std::string> getKernelNames() const;

  /// Every distinct instruction of the module, with its modifiers and
  /// types as written ("ld.global.f32", "setp.gt.u32", "bar.sync").
  std::set<std::string> getInstructions() const;

  struct Impl;

private:
  explicit Module(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

/// A kernel of a module.
class Kernel {
public:
  const std::string &getName() const;
  const std::vector<KernelParam> &getParams() const;
  /// The bytes of its parameter buffer (the last parameter's end).
  unsigned getParamBytes() const;
  /// Its `.shared` variables' bytes.
  unsigned getStaticSharedBytes() const;
  /// Its `.maxntid` (zeros when it has none).
  std::array<unsigned, 3> getMaxThreads() const;

  struct Impl;
  explicit Kernel(std::unique_ptr<Impl> impl);
  ~Kernel();
  const Impl &getImpl() const { return *impl; }

private:
  std::unique_ptr<Impl> impl;
};

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

/// The limits a launch is checked against (those of the simulated device).
struct DeviceLimits {
  unsigned maxThreadsPerBlock = 1024;
  std::array<unsigned, 3> maxBlock = {1024, 1024, 64};
  std::array<unsigned, 3> maxGrid = {2147483647u, 65535, 65535};
  unsigned maxSharedPerBlock = 48 * 1024;
};

/// Checks a launch before it is enqueued: the grid and block within the
/// device's limits and the kernel's `.maxntid` (the product of its extents
/// bounds the block's threads) and `.reqntid`, its shared memory (static
/// and dynamic) within the device's, and `paramBytes` equal to the kernel's
/// parameter bytes. CUDA_ERROR_INVALID_VALUE for a bad grid, block or
/// parameter size, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES for more threads than
/// `.maxntid` or more shared memory than a block may have.
std::optional<Fault> checkLaunch(const Kernel &kernel, Dim3 grid, Dim3 block,
                                 unsigned dynamicSharedBytes, size_t paramBytes,
                                 const DeviceLimits &limits = {});

/// Runs `kernel` over `grid` blocks of `block` threads with its parameter
/// buffer `params` (laid out as getParams says); global memory goes
/// through `scope`. Returns the first fault (also recorded in `scope`),
/// after which nothing more runs: the launch's checkLaunch fault (with the
/// default limits), a fault `scope` already held, or one of the kernel's:
/// CUDA_ERROR_ILLEGAL_ADDRESS (out of bounds, or a read of memory never
/// written), CUDA_ERROR_MISALIGNED_ADDRESS, CUDA_ERROR_LAUNCH_FAILED (a
/// shared-memory race, barrier divergence).
std::optional<Fault> run(const Kernel &kernel, Dim3 grid, Dim3 block,
                         unsigned dynamicSharedBytes, const uint8_t *params,
                         AccessScope &scope);

/// What a run executed.
struct RunStats {
  uint64_t blocks = 0;
  /// Instructions executed by a group of threads together, and the sum
  /// over them of the threads executing each (thread-instructions).
  uint64_t instructions = 0, threadInstructions = 0;
};

/// run, also returning what it executed in `stats` (when not null).
std::optional<Fault> run(const Kernel &kernel, Dim3 grid, Dim3 block,
                         unsigned dynamicSharedBytes, const uint8_t *params,
                         AccessScope &scope, RunStats *stats);

} // namespace resnetc::cudasim::ptx

#endif // RESNETC_LIB_CUDASIM_PTX_PTX_H
