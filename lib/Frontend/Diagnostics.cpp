//===- Diagnostics.cpp - Source buffers and located diagnostics -----------===//
//
// Rendering of front-end diagnostics with the offending source line and a
// caret under the reported column.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Diagnostics.h"

using namespace resnetc;

int SourceManager::addBuffer(std::string name, std::string text) {
  Buffer b;
  b.name = std::move(name);
  b.text = std::move(text);
  b.lineStarts.push_back(0);
  for (size_t i = 0; i < b.text.size(); ++i)
    if (b.text[i] == '\n')
      b.lineStarts.push_back(i + 1);
  buffers.push_back(std::move(b));
  return static_cast<int>(buffers.size()) - 1;
}

std::string SourceManager::getLine(int buffer, uint32_t line) const {
  if (buffer < 0 || buffer >= getNumBuffers() || line == 0)
    return {};
  const Buffer &b = buffers[buffer];
  if (line > b.lineStarts.size())
    return {};
  size_t begin = b.lineStarts[line - 1];
  size_t end = b.text.find('\n', begin);
  if (end == std::string::npos)
    end = b.text.size();
  std::string text = b.text.substr(begin, end - begin);
  if (!text.empty() && text.back() == '\r')
    text.pop_back();
  return text;
}

Diagnostic &DiagnosticEngine::error(SourceLoc loc, std::string message) {
  diags.push_back({Severity::Error, loc, std::move(message), {}});
  ++numErrors;
  return diags.back();
}

void DiagnosticEngine::note(SourceLoc loc, std::string message) {
  if (diags.empty())
    return;
  diags.back().notes.push_back({Severity::Note, loc, std::move(message), {}});
}

static const char *severityName(Severity s) {
  switch (s) {
  case Severity::Error:
    return "error";
  case Severity::Warning:
    return "warning";
  case Severity::Note:
    return "note";
  }
  return "error";
}

void DiagnosticEngine::render(std::ostream &os, const Diagnostic &d) const {
  if (d.loc.isValid()) {
    os << sm.getName(d.loc.buffer) << ':' << d.loc.line << ':' << d.loc.col
       << ": ";
  }
  os << severityName(d.severity) << ": " << d.message << '\n';
  if (d.loc.isValid()) {
    std::string line = sm.getLine(d.loc.buffer, d.loc.line);
    // Never echo control bytes of a binary file back to the terminal.
    for (char &c : line)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        c = '?';
    if (line.size() > 200)
      line = line.substr(0, 200) + "...";
    os << "  " << line << '\n' << "  ";
    for (uint32_t i = 1; i < d.loc.col && i <= line.size(); ++i)
      os << (line[i - 1] == '\t' ? '\t' : ' ');
    os << "^\n";
  }
  for (const Diagnostic &n : d.notes)
    render(os, n);
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : diags)
    render(os, d);
}
