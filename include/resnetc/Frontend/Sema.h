//===- Sema.h - Semantic analysis and model instantiation -------*- C++ -*-===//
//
// Turns the AST of a .rn file (plus the prelude's built-in blocks) into a
// Network: evaluates expressions, binds block parameters, expands stages,
// infers channels like PyTorch's lazy layers, computes every layer's output
// shape and checks every residual add. Reports located errors, with notes
// that point at block definitions and instantiation sites.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_SEMA_H
#define RESNETC_FRONTEND_SEMA_H

#include "resnetc/Frontend/AST.h"
#include "resnetc/Frontend/Network.h"

#include <optional>

namespace resnetc {

/// Limits that keep hostile input from exhausting time or memory.
struct SemaLimits {
  int64_t maxLayers = 100000;
  int64_t maxBlocksPerStage = 10000;
  int maxInstantiationDepth = 16;
  int64_t maxActivationElements = int64_t(1) << 34;
};

/// Instantiates the single model of `user` with the blocks of `prelude` and
/// `user`. `userBuffers` tells which buffers hold user text (errors inside the
/// prelude are reported at the user's instantiation site). Returns nothing if
/// an error was reported.
std::optional<Network> analyze(const Module &prelude, const Module &user,
                               const SourceManager &sm, DiagnosticEngine &diags,
                               const SemaLimits &limits = {});

} // namespace resnetc

#endif // RESNETC_FRONTEND_SEMA_H
