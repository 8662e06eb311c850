//===- ASTDump.cpp - Indented printing of the .rn AST ---------------------===//
//
// `resnetc --emit=ast`: one node a line, children indented, each with its
// location, in the style of toy's AST dump.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/AST.h"

#include <sstream>

using namespace resnetc;

namespace {
class ASTDumper {
public:
  ASTDumper(const SourceManager &sm, std::ostream &os) : sm(sm), os(os) {}

  void dump(const Module &m) {
    for (const BlockDef &b : m.blocks)
      dump(b);
    for (const ModelDef &md : m.models)
      dump(md);
  }

private:
  std::string loc(SourceLoc l) {
    if (!l.isValid())
      return "@<unknown>";
    std::ostringstream s;
    s << "@" << sm.getName(l.buffer) << ":" << l.line << ":" << l.col;
    return s.str();
  }
  void indent() {
    for (int i = 0; i < depth; ++i)
      os << "  ";
  }

  std::string expr(const Expr &e) {
    std::ostringstream s;
    switch (e.kind) {
    case Expr::Kind::Int:
      s << e.intValue;
      break;
    case Expr::Kind::Float:
      s << e.floatValue;
      break;
    case Expr::Kind::Bool:
      s << (e.boolValue ? "true" : "false");
      break;
    case Expr::Kind::Name:
      s << e.name;
      break;
    case Expr::Kind::Unary:
      s << "(" << (e.op == TokenKind::KwNot ? "not " : "-") << expr(*e.lhs)
        << ")";
      break;
    case Expr::Kind::Call:
    case Expr::Kind::Tuple:
      s << e.name << "(";
      for (size_t i = 0; i < e.args.size(); ++i)
        s << (i ? ", " : "") << expr(*e.args[i]);
      s << ")";
      break;
    case Expr::Kind::Binary: {
      std::string op = getTokenKindName(e.op);
      op = op.substr(1, op.size() - 2); // strip quotes
      s << "(" << expr(*e.lhs) << " " << op << " " << expr(*e.rhs) << ")";
      break;
    }
    }
    return s.str();
  }

  void args(const std::vector<Arg> &as) {
    os << "(";
    for (size_t i = 0; i < as.size(); ++i) {
      if (i)
        os << ", ";
      if (!as[i].name.empty())
        os << as[i].name << "=";
      os << expr(*as[i].value);
    }
    os << ")";
  }

  void layers(const std::vector<LayerStmt> &ls) {
    ++depth;
    for (const LayerStmt &l : ls) {
      indent();
      switch (l.kind) {
      case LayerStmt::Kind::Layer:
        os << "Layer " << l.name;
        args(l.args);
        os << " " << loc(l.loc) << "\n";
        break;
      case LayerStmt::Kind::Let:
        os << "Let " << l.name << " = " << expr(*l.value) << " " << loc(l.loc)
           << "\n";
        break;
      case LayerStmt::Kind::Tap:
      case LayerStmt::Kind::From:
        os << (l.kind == LayerStmt::Kind::Tap ? "Tap " : "From ") << l.name
           << " " << loc(l.loc) << "\n";
        break;
      case LayerStmt::Kind::If:
        os << "If " << expr(*l.value) << " " << loc(l.loc) << "\n";
        layers(l.thenBody);
        if (!l.elseBody.empty()) {
          indent();
          os << "Else\n";
          layers(l.elseBody);
        }
        break;
      }
    }
    --depth;
  }

  void dump(const BlockDef &b) {
    os << "Block " << b.name << "(";
    for (size_t i = 0; i < b.params.size(); ++i) {
      if (i)
        os << ", ";
      os << b.params[i].name;
      if (b.params[i].defaultValue)
        os << "=" << expr(*b.params[i].defaultValue);
    }
    os << ") " << loc(b.loc) << "\n";
    depth = 1;
    layers(b.lets);
    auto section = [&](const char *name, bool present, SourceLoc l,
                       const std::vector<LayerStmt> &body) {
      if (!present)
        return;
      indent();
      os << name << " " << loc(l) << "\n";
      layers(body);
    };
    section("Main", b.hasMain, b.mainLoc, b.main);
    section("Shortcut", b.hasShortcut, b.shortcutLoc, b.shortcut);
    section("Out", b.hasOut, b.outLoc, b.out);
    depth = 0;
  }

  void dump(const ModelDef &m) {
    os << "Model " << m.name << " " << loc(m.loc) << "\n";
    depth = 1;
    for (const ModelItem &it : m.items) {
      indent();
      switch (it.kind) {
      case ModelItem::Kind::Input:
        os << "Input ";
        for (size_t i = 0; i < it.shape.size(); ++i)
          os << (i ? "x" : "") << it.shape[i];
        os << " " << loc(it.loc) << "\n";
        break;
      case ModelItem::Kind::Setting:
        os << "Setting " << it.name << " = " << expr(*it.value) << " "
           << loc(it.loc) << "\n";
        break;
      case ModelItem::Kind::Let:
        os << "Let " << it.name << " = " << expr(*it.value) << " "
           << loc(it.loc) << "\n";
        break;
      case ModelItem::Kind::Stem:
        os << "Stem " << loc(it.loc) << "\n";
        layers(it.layers);
        break;
      case ModelItem::Kind::Head:
        os << "Head " << loc(it.loc) << "\n";
        layers(it.layers);
        break;
      case ModelItem::Kind::Stages:
        os << "Stages " << it.name;
        args(it.args);
        os << " " << loc(it.loc) << "\n";
        ++depth;
        for (const StageSpec &s : it.stages) {
          indent();
          os << "Stage blocks=" << expr(*s.blocks)
             << " channels=" << expr(*s.channels);
          if (s.stride)
            os << " stride=" << expr(*s.stride);
          os << " " << loc(s.loc) << "\n";
        }
        --depth;
        break;
      }
    }
    depth = 0;
  }

  const SourceManager &sm;
  std::ostream &os;
  int depth = 0;
};
} // namespace

void resnetc::dumpAST(const Module &module, const SourceManager &sm,
                      std::ostream &os) {
  ASTDumper(sm, os).dump(module);
}
