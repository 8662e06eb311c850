//===- OneDNNConvolutions.h - A CPU plan's oneDNN calls ---------*- C++ -*-===//
//
// The convolutions of a CPU plan compiled with `--conv=onednn` are library
// calls (`onednn.conv2d_forward`, `onednn.conv2d_backward_data`,
// `onednn.conv2d_backward_filter`) that the CPU device carries out with
// oneDNN, the library PyTorch's CPU convolutions use: forward with its bias,
// residual sum and ReLU as post-ops, backward data and backward weights.
// Activations are taken in the plan's layout (NHWC pays: oneDNN's fastest
// kernels read it directly); filters are reordered into the layout the
// primitive prefers, once for a derived filter (inference's, computed by
// `prepare`) and at every run for the others (training's change every
// step). Primitives are created once per batch size, at the first step that
// runs it, and reused.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_RUNTIME_DEVICES_CPU_ONEDNNCONVOLUTIONS_H
#define RESNETC_LIB_RUNTIME_DEVICES_CPU_ONEDNNCONVOLUTIONS_H

#include "resnetc/Runtime/Plan.h"
#include "resnetc/Runtime/Status.h"

#include <memory>
#include <string>

namespace resnetc::runtime {

/// True when this runtime was built with oneDNN.
bool isOneDNNAvailable();

/// oneDNN's version, "major.minor.patch", or "" without oneDNN.
std::string getOneDNNVersion();

/// The oneDNN engine and stream of a CPU device, and the scratch memory its
/// primitives share (they run one at a time).
class OneDNNContext {
public:
  virtual ~OneDNNContext();
  /// A context whose primitives use `threads` threads. Fails when the
  /// runtime was built without oneDNN.
  static Expected<std::unique_ptr<OneDNNContext>> create(unsigned threads);

protected:
  OneDNNContext() = default;
};

/// One library call of a plan.
class OneDNNConvolution {
public:
  virtual ~OneDNNConvolution();

  /// The call `step.library` over `plan`'s buffers. Checks what oneDNN is
  /// asked to compute (fp32, cross-correlation, FMA math) and that it can;
  /// `where` names the step in errors.
  static Expected<std::unique_ptr<OneDNNConvolution>>
  create(OneDNNContext &context, const Plan &plan, const PlanStep &step,
         const std::string &where);

  /// Runs the call over the first `count` images of the arena at `arena`.
  virtual Status run(char *arena, int64_t count) = 0;

  /// Says that the plan's derived buffers are about to be recomputed (the
  /// `prepare` entry runs): a filter kept reordered from one is stale.
  virtual void invalidateDerived() = 0;

  /// oneDNN's implementation for the compiled batch ("jit:avx512_core",
  /// "brg:avx2", ...), for profiles.
  virtual std::string getImplementation() = 0;

protected:
  OneDNNConvolution() = default;
};

} // namespace resnetc::runtime

#endif // RESNETC_LIB_RUNTIME_DEVICES_CPU_ONEDNNCONVOLUTIONS_H
