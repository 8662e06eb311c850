//===- Frontend.h - From .rn text to a checked Network ----------*- C++ -*-===//
//
// One front-end run: the prelude and the user's file are loaded into a
// SourceManager, parsed, and analyzed. Used by the resnetc driver, the unit
// tests and the fuzzer.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_FRONTEND_H
#define RESNETC_FRONTEND_FRONTEND_H

#include "resnetc/Frontend/AST.h"
#include "resnetc/Frontend/Network.h"
#include "resnetc/Frontend/Sema.h"

#include <optional>
#include <ostream>
#include <string>

namespace resnetc {

/// The text of the built-in block library (lib/Frontend/Prelude.rn).
const char *getPreludeText();

class FrontendSession {
public:
  FrontendSession();

  /// Parses the prelude and `text`, which is shown as `filename` in
  /// diagnostics. Returns false if either has a syntax error.
  bool parse(const std::string &filename, std::string text);

  /// Instantiates the parsed model. Requires a successful parse().
  std::optional<Network> analyze(const SemaLimits &limits = {});

  const Module &getUserModule() const { return user; }
  const SourceManager &getSourceManager() const { return sm; }
  DiagnosticEngine &getDiagnostics() { return diags; }

private:
  SourceManager sm;
  DiagnosticEngine diags;
  Module prelude, user;
};

/// Prints the per-layer table of `resnetc --summary`, ending with the lines
/// `params: N` and `MACs: N`.
void printSummary(const Network &net, std::ostream &os);

} // namespace resnetc

#endif // RESNETC_FRONTEND_FRONTEND_H
