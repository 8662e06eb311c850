//===- Diagnostics.h - Source buffers and located diagnostics ---*- C++ -*-===//
//
// A small, MLIR-free diagnostic engine for the .rn front end. Diagnostics are
// printed the way compilers and editors expect:
//
//   model.rn:12:5: error: main path gives 256x28x28 but the shortcut gives
//   64x56x56
//       stages bottleneck [(3, 64), (4, 128)]
//       ^
//   model.rn:3:7: note: ...
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_DIAGNOSTICS_H
#define RESNETC_FRONTEND_DIAGNOSTICS_H

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace resnetc {

/// A position in a source buffer. `buffer` indexes SourceManager's buffers;
/// lines and columns are 1-based. A default-constructed location is invalid.
struct SourceLoc {
  int buffer = -1;
  uint32_t line = 0;
  uint32_t col = 0;
  bool isValid() const { return buffer >= 0; }
};

/// Owns the text of every buffer the front end reads (the user's file and the
/// built-in prelude) and maps locations back to file names and lines.
class SourceManager {
public:
  /// Adds a buffer and returns its id.
  int addBuffer(std::string name, std::string text);
  const std::string &getName(int buffer) const { return buffers[buffer].name; }
  const std::string &getText(int buffer) const { return buffers[buffer].text; }
  /// The text of the 1-based line `line` in `buffer`, without its newline.
  std::string getLine(int buffer, uint32_t line) const;
  int getNumBuffers() const { return static_cast<int>(buffers.size()); }

private:
  struct Buffer {
    std::string name;
    std::string text;
    std::vector<size_t> lineStarts;
  };
  std::vector<Buffer> buffers;
};

enum class Severity { Error, Warning, Note };

/// One diagnostic with the notes attached to it.
struct Diagnostic {
  Severity severity;
  SourceLoc loc;
  std::string message;
  std::vector<Diagnostic> notes;
};

/// Collects diagnostics and renders them with source lines and carets.
class DiagnosticEngine {
public:
  explicit DiagnosticEngine(const SourceManager &sm) : sm(sm) {}

  /// Reports an error; the returned reference lets the caller attach notes.
  Diagnostic &error(SourceLoc loc, std::string message);
  /// Attaches a note to the most recent error.
  void note(SourceLoc loc, std::string message);

  bool hasErrors() const { return numErrors > 0; }
  const std::vector<Diagnostic> &getDiagnostics() const { return diags; }

  /// Prints every diagnostic in the `file:line:col: error: message` form.
  void print(std::ostream &os) const;
  /// Renders a single diagnostic (used by print and by tests).
  void render(std::ostream &os, const Diagnostic &d) const;

private:
  const SourceManager &sm;
  std::vector<Diagnostic> diags;
  unsigned numErrors = 0;
};

/// Edit distance between two words, for suggestions.
unsigned editDistance(const std::string &a, const std::string &b);

/// "; did you mean 'x'?" for the candidate closest to `word`, or "" when
/// none is plausible. A candidate is plausible when it equals the word up to
/// case, when the word is a prefix of it (two letters at least), or when it
/// is within a few edits of a word of three letters or more. `aliases` maps
/// other spellings (PyTorch's, the IR's) to a candidate.
std::string didYouMean(
    const std::string &word, const std::vector<std::string> &candidates,
    const std::vector<std::pair<std::string, std::string>> &aliases = {});

} // namespace resnetc

#endif // RESNETC_FRONTEND_DIAGNOSTICS_H
