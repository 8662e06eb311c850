//===- Sema.cpp - Semantic analysis and model instantiation ---------------===//
//
// Evaluates a .rn model into a Network. The analysis is a direct interpreter
// over the AST: layer lists are walked in order with a "current value" (the
// index of the layer producing it), blocks are instantiated with their
// arguments bound in a fresh scope, and every layer's output shape is
// computed with the shared rules of ShapeRules.h.
//
// Errors inside a built-in (prelude) block are reported at the user's
// instantiation site, with a note pointing into the prelude.
//
//===----------------------------------------------------------------------===//

#include "SemaAnalyzer.h"

#include <map>

using namespace resnetc;
using namespace resnetc::sema;

//===----------------------------------------------------------------------===//
// Network helpers
//===----------------------------------------------------------------------===//

const char *resnetc::getLayerOpName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Input:
    return "input";
  case LayerKind::Conv:
    return "conv2d";
  case LayerKind::BatchNorm:
    return "batch_norm";
  case LayerKind::ReLU:
    return "relu";
  case LayerKind::Dropout:
    return "dropout";
  case LayerKind::MaxPool:
    return "max_pool2d";
  case LayerKind::AvgPool:
    return "avg_pool2d";
  case LayerKind::GlobalAvgPool:
    return "global_avg_pool";
  case LayerKind::Flatten:
    return "flatten";
  case LayerKind::Linear:
    return "linear";
  case LayerKind::Add:
    return "add";
  }
  return "?";
}

std::string resnetc::formatDims(const Dims &dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

std::string resnetc::formatPair(const Pair &p) {
  if (p[0] == p[1])
    return std::to_string(p[0]);
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ")";
}

int64_t Network::totalParams() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.numParams;
  return n;
}

int64_t Network::totalMACs() const {
  int64_t n = 0;
  for (const Layer &l : layers)
    n += l.macs;
  return n;
}

//===----------------------------------------------------------------------===//
// The analyzer
//===----------------------------------------------------------------------===//

void Analyzer::error(SourceLoc loc, const std::string &message) {
  SourceLoc primary = loc;
  if (!loc.isValid() || isPrelude(loc)) {
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
      if (it->site.isValid() && !isPrelude(it->site)) {
        primary = it->site;
        break;
      }
  }
  diags.error(primary, message);
  if (isPrelude(loc) && primary.buffer != loc.buffer && !frames.empty())
    note(loc, "inside built-in block '" + frames.back().block +
                  "' (defined in the prelude)");
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if (it->site.buffer == primary.buffer && it->site.line == primary.line &&
        it->site.col == primary.col)
      continue;
    if (isPrelude(it->site))
      continue;
    note(it->site,
         "in " + it->path + " (block '" + it->block + "') instantiated here");
  }
}

std::optional<Network> Analyzer::run() {
  // Block names must be unique across the prelude and the file.
  std::map<std::string, const BlockDef *> seen;
  for (const Module *m : {&prelude, &user}) {
    for (const BlockDef &b : m->blocks) {
      auto [it, inserted] = seen.emplace(b.name, &b);
      if (!inserted) {
        error(b.loc, "block '" + b.name + "' is already defined" +
                         (isPrelude(it->second->loc)
                              ? " as a built-in block (choose another name)"
                              : ""));
        note(it->second->loc, "the first definition is here");
        return std::nullopt;
      }
      if (findPrimitive(b.name)) {
        error(b.loc, "block '" + b.name + "' has the name of a built-in layer");
        return std::nullopt;
      }
      std::map<std::string, SourceLoc> params;
      for (const Param &p : b.params) {
        if (!params.emplace(p.name, p.loc).second) {
          error(p.loc, "parameter '" + p.name + "' is declared twice");
          return std::nullopt;
        }
        if (isReservedInBlock(p.name)) {
          error(p.loc, reservedMessage(p.name));
          return std::nullopt;
        }
      }
      for (const LayerStmt &let : b.lets)
        if (isReservedInBlock(let.name)) {
          error(let.loc, reservedMessage(let.name));
          return std::nullopt;
        }
    }
  }
  if (user.models.empty()) {
    SourceLoc start;
    for (int b = 0; b < sm.getNumBuffers(); ++b)
      if (sm.getName(b) != "<prelude>")
        start = SourceLoc{b, 1, 1};
    error(start, "no model in this file (define one with 'model NAME { "
                 "input ... classes ... }')");
    return std::nullopt;
  }
  if (user.models.size() > 1) {
    error(user.models[1].loc, "only one model per file is supported");
    note(user.models[0].loc, "the first model is defined here");
    return std::nullopt;
  }
  if (!evalModel(user.models[0]))
    return std::nullopt;
  return std::move(net);
}

std::optional<Network> resnetc::analyze(const Module &prelude,
                                        const Module &user,
                                        const SourceManager &sm,
                                        DiagnosticEngine &diags,
                                        const SemaLimits &limits) {
  return Analyzer(prelude, user, sm, diags, limits).run();
}
