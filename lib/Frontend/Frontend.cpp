//===- Frontend.cpp - From .rn text to a checked Network ------------------===//
//
// Glue between the lexer, parser and Sema, plus the summary table.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Frontend.h"
#include "resnetc/Frontend/Parser.h"

#include <iomanip>

using namespace resnetc;

const char *resnetc::getPreludeText() {
  static const char text[] =
#include "Prelude.inc"
      ;
  return text;
}

FrontendSession::FrontendSession() : diags(sm) {}

bool FrontendSession::parse(const std::string &filename, std::string text) {
  int preludeBuffer = sm.addBuffer("<prelude>", getPreludeText());
  int userBuffer = sm.addBuffer(filename, std::move(text));
  if (!Parser(sm, preludeBuffer, diags).parseFile(prelude))
    return false;
  if (!prelude.models.empty()) {
    diags.error(prelude.models[0].loc, "the prelude must not define models");
    return false;
  }
  return Parser(sm, userBuffer, diags).parseFile(user);
}

std::optional<Network> FrontendSession::analyze(const SemaLimits &limits) {
  return resnetc::analyze(prelude, user, sm, diags, limits);
}

/// 1234567 -> "1,234,567".
static std::string withCommas(int64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n && n % 3 == 0 && *it != '-')
      out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++n;
  }
  return out;
}

void resnetc::printSummary(const Network &net, std::ostream &os) {
  size_t width = 5;
  for (const Layer &l : net.layers)
    width = std::max(width, l.path.size());
  width += 2;
  os << "model " << net.name << ": input " << formatDims(net.inputShape) << ", "
     << net.classes << " classes\n";
  os << std::left << std::setw(width) << "layer" << std::setw(17) << "op"
     << std::setw(14) << "output" << std::right << std::setw(13) << "params"
     << std::setw(16) << "MACs"
     << "\n";
  for (const Layer &l : net.layers) {
    os << std::left << std::setw(width) << l.path << std::setw(17)
       << getLayerOpName(l.kind) << std::setw(14) << formatDims(l.shape)
       << std::right << std::setw(13) << withCommas(l.numParams)
       << std::setw(16) << withCommas(l.macs) << "\n";
  }
  os << "params: " << net.totalParams() << "\n";
  os << "MACs: " << net.totalMACs() << "\n";
}
