//===- Diagnostics.cpp - Source buffers and located diagnostics -----------===//
//
// Rendering of front-end diagnostics with the offending source line and a
// caret under the reported column.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Diagnostics.h"

#include <algorithm>
#include <cctype>

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
    // Long lines are shown as a window around the reported column.
    constexpr size_t kWidth = 200;
    size_t col = d.loc.col ? d.loc.col - 1 : 0;
    size_t begin = 0;
    std::string prefix;
    if (line.size() > kWidth && col > kWidth / 2) {
      begin = std::min(col - kWidth / 2, line.size() - kWidth);
      prefix = "...";
    }
    std::string shown = line.substr(begin, kWidth);
    std::string suffix = begin + kWidth < line.size() ? "..." : "";
    os << "  " << prefix << shown << suffix << '\n'
       << std::string(2 + prefix.size(), ' ');
    for (size_t i = begin; i < col && i < line.size(); ++i)
      os << (line[i] == '\t' ? '\t' : ' ');
    os << "^\n";
  }
  for (const Diagnostic &n : d.notes)
    render(os, n);
}

unsigned resnetc::editDistance(const std::string &a, const std::string &b) {
  std::vector<unsigned> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = static_cast<unsigned>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<unsigned>(i);
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

static std::string lower(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string resnetc::didYouMean(
    const std::string &word, const std::vector<std::string> &candidates,
    const std::vector<std::pair<std::string, std::string>> &aliases) {
  auto result = [](const std::string &c) {
    return "; did you mean '" + c + "'?";
  };
  std::string lw = lower(word);
  for (const auto &[alias, target] : aliases)
    if (lower(alias) == lw)
      return result(target);
  for (const std::string &c : candidates)
    if (lower(c) == lw)
      return result(c);
  if (word.size() >= 2) {
    const std::string *prefixOf = nullptr;
    int matches = 0;
    for (const std::string &c : candidates)
      if (c.size() > word.size() && c.compare(0, word.size(), word) == 0) {
        prefixOf = &c;
        ++matches;
      }
    if (matches == 1)
      return result(*prefixOf);
  }
  if (word.size() < 3)
    return "";
  std::string best;
  unsigned bestDist = ~0u;
  for (const std::string &c : candidates) {
    unsigned d = editDistance(lw, lower(c));
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  unsigned limit =
      word.size() == 3
          ? 1u
          : std::max<unsigned>(2, static_cast<unsigned>(word.size()) / 3);
  if (best.empty() || bestDist > limit)
    return "";
  return result(best);
}

void DiagnosticEngine::print(std::ostream &os) const {
  for (const Diagnostic &d : diags)
    render(os, d);
}
