//===- Parser.cpp - Parses and decodes PTX modules ------------------------===//
//
// A tokenizer and a recursive-descent parser for the PTX that NVPTX emits:
// module directives (.version, .target, .address_size), kernels (.entry
// with .param lists, .maxntid and the other performance directives, .reg
// and .shared declarations, labels and instructions), module-scope .shared
// variables and the dynamic .extern .shared array. Each kernel's body is
// read into raw statements, then decoded: opcodes through decodeOpcode,
// operands checked against the registers' declared types and resolved to
// register-file rows, shared addresses, parameter offsets and instruction
// indices. Whatever is not understood is an error naming its line.
//
//===----------------------------------------------------------------------===//

#include "Decode.h"
#include "Exec.h"
#include "IR.h"
#include "Ops.h"

#include <algorithm>
#include <cstdlib>
#include <unordered_map>

using namespace resnetc::cudasim;
using namespace resnetc::cudasim::ptx;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

namespace {
struct TyInfo {
  const char *name;
  unsigned size;
};
constexpr TyInfo tyInfo[] = {
    {"", 0},     {".pred", 1}, {".b8", 1},  {".b16", 2}, {".b32", 4},
    {".b64", 8}, {".u8", 1},   {".u16", 2}, {".u32", 4}, {".u64", 8},
    {".s8", 1},  {".s16", 2},  {".s32", 4}, {".s64", 8}, {".bf16", 2},
    {".f32", 4}, {".f64", 8},
};
} // namespace

unsigned ptx::tySize(Ty t) { return tyInfo[unsigned(t)].size; }
const char *ptx::tyName(Ty t) { return tyInfo[unsigned(t)].name; }
bool ptx::isSignedTy(Ty t) { return t >= Ty::S8 && t <= Ty::S64; }
bool ptx::isUnsignedTy(Ty t) { return t >= Ty::U8 && t <= Ty::U64; }
bool ptx::isBitsTy(Ty t) { return t >= Ty::B8 && t <= Ty::B64; }
bool ptx::isFloatTy(Ty t) { return t >= Ty::BF16 && t <= Ty::F64; }
Ty ptx::parseTy(std::string_view name) {
  for (unsigned i = 1; i < sizeof(tyInfo) / sizeof(tyInfo[0]); ++i)
    if (name == tyInfo[i].name)
      return Ty(i);
  return Ty::None;
}

const SharedVar *Kernel::Impl::findShared(uint64_t offset) const {
  for (const SharedVar &v : shared)
    if (offset >= v.offset && offset < uint64_t(v.offset) + v.size)
      return &v;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Tokens
//===----------------------------------------------------------------------===//

namespace {

enum class Tok : uint8_t { End, Word, Punct, String };

struct Token {
  Tok kind = Tok::End;
  std::string_view text;
  uint32_t line = 0;
  bool is(std::string_view s) const {
    return kind != Tok::End && kind != Tok::String && text == s;
  }
};

bool isWordChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '$' || c == '.' || c == '%';
}

class Lexer {
public:
  explicit Lexer(std::string_view text) : text(text) {}

  const Token &peek() {
    if (!peeked) {
      current = lex();
      peeked = true;
    }
    return current;
  }
  Token next() {
    peek();
    peeked = false;
    return current;
  }
  uint32_t getLine() { return peek().line; }
  /// An unterminated block comment or string (as an error), else empty.
  const std::string &getError() const { return error; }

private:
  Token lex() {
    const char *p = text.data() + pos, *end = text.data() + text.size();
    for (;;) {
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        if (*p == '\n')
          ++line;
        ++p;
      }
      if (p + 1 < end && p[0] == '/' && p[1] == '/') {
        while (p < end && *p != '\n')
          ++p;
        continue;
      }
      if (p + 1 < end && p[0] == '/' && p[1] == '*') {
        uint32_t start = line;
        p += 2;
        while (p + 1 < end && !(p[0] == '*' && p[1] == '/')) {
          if (*p == '\n')
            ++line;
          ++p;
        }
        if (p + 1 >= end) {
          error =
              "line " + std::to_string(start) + ": unterminated block comment";
          pos = text.size();
          return {Tok::End, {}, line};
        }
        p += 2;
        continue;
      }
      break;
    }
    Token t;
    t.line = line;
    if (p >= end) {
      pos = text.size();
      t.kind = Tok::End;
      return t;
    }
    const char *start = p;
    if (isWordChar(static_cast<unsigned char>(*p))) {
      while (p < end && isWordChar(static_cast<unsigned char>(*p)))
        ++p;
      t.kind = Tok::Word;
    } else if (*p == '"') {
      ++p;
      while (p < end && *p != '"' && *p != '\n')
        ++p;
      if (p >= end || *p != '"') {
        error = "line " + std::to_string(line) + ": unterminated string";
        pos = text.size();
        return {Tok::End, {}, line};
      }
      ++p;
      t.kind = Tok::String;
    } else {
      ++p;
      t.kind = Tok::Punct;
    }
    t.text = std::string_view(start, p - start);
    pos = p - text.data();
    return t;
  }

  std::string_view text;
  size_t pos = 0;
  uint32_t line = 1;
  Token current;
  bool peeked = false;
  std::string error;
};

/// Parses an unsigned integer literal (decimal, 0x hex, 0b binary, 0
/// octal, optional U suffix).
bool parseUInt(std::string_view s, uint64_t &value) {
  if (!s.empty() && (s.back() == 'U' || s.back() == 'u'))
    s.remove_suffix(1);
  if (s.empty())
    return false;
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  unsigned __int128 v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return false;
    if (d >= base)
      return false;
    v = v * base + d;
    if (v > ~uint64_t(0))
      return false;
  }
  value = static_cast<uint64_t>(v);
  return true;
}

/// 0fXXXXXXXX (f32 bits) or 0dXXXXXXXXXXXXXXXX (f64 bits).
bool parseFloatBits(std::string_view s, bool &isDouble, uint64_t &bits) {
  if (s.size() < 3 || s[0] != '0' ||
      (s[1] != 'f' && s[1] != 'F' && s[1] != 'd' && s[1] != 'D'))
    return false;
  isDouble = s[1] == 'd' || s[1] == 'D';
  std::string_view digits = s.substr(2);
  if (digits.size() != (isDouble ? 16u : 8u))
    return false;
  return parseUInt("0x" + std::string(digits), bits);
}

//===----------------------------------------------------------------------===//
// Raw statements
//===----------------------------------------------------------------------===//

/// An operand as written.
struct RawOp {
  enum Kind : uint8_t {
    Reg,     ///< %r1 (name)
    Special, ///< %tid.x (name)
    Int,     ///< value
    Float,   ///< value (bits); isDouble
    Name,    ///< a label or variable (name)
    Address, ///< [name + value], [value]: name empty without a base
    Vector,  ///< {regs}: vectorRegs[first, first + count)
  } kind = Int;
  bool isDouble = false;
  std::string_view name;
  uint64_t value = 0;
  uint32_t first = 0, count = 0;
};

struct RawInst {
  uint32_t line = 0;
  std::string_view opcode, guard;
  bool guardNeg = false;
  uint32_t firstOp = 0, numOps = 0;
};

struct RegDecl {
  Ty ty = Ty::None;
  uint32_t base = 0, count = 0; ///< count 0: a single register.
};

struct SharedDecl {
  std::string name;
  uint32_t size = 0, align = 1;
  uint32_t line = 0;
  bool used = false;
};

struct SpecEntry {
  OpSpec spec;
  std::string error; ///< Non-empty: unsupported.
};

class Parser {
public:
  explicit Parser(std::string_view text) : lex(text) {}

  std::unique_ptr<Module::Impl> parse(std::string &error);

private:
  bool fail(uint32_t line, const std::string &message) {
    if (err.empty())
      err = "line " + std::to_string(line) + ": " + message;
    return false;
  }
  bool failAt(const Token &t, const std::string &message) {
    return fail(t.line, message);
  }
  bool expect(std::string_view s) {
    Token t = lex.next();
    if (!t.is(s))
      return failAt(t, "expected '" + std::string(s) + "', got " + describe(t));
    return true;
  }
  static std::string describe(const Token &t) {
    if (t.kind == Tok::End)
      return "end of input";
    return "'" + std::string(t.text) + "'";
  }
  bool parseNumber(const Token &t, uint64_t &value) {
    if (t.kind != Tok::Word || !parseUInt(t.text, value))
      return failAt(t, "expected a number, got " + describe(t));
    return true;
  }

  bool parseVersion();
  bool parseTarget();
  bool parseSharedDecl(uint32_t line, bool moduleScope);
  bool parseExternShared();
  bool parseKernel(uint32_t line);
  bool parseParams(Kernel::Impl &k);
  bool parseDims(std::array<unsigned, 3> &dims);
  bool parseBody(Kernel::Impl &k);
  bool parseRegDecl();
  bool parseStatement(const Token &first);
  bool parseOperand(RawOp &op);
  bool finishKernel(Kernel::Impl &k);

  // Decoding a kernel's statements.
  const RegDecl *findReg(std::string_view name, uint32_t &row);
  uint32_t constantRow(Kernel::Impl &k, uint64_t value);
  bool bindInst(Kernel::Impl &k, uint32_t index, const RawInst &raw,
                Inst &inst);
  bool bindSource(Kernel::Impl &k, const RawInst &raw, const RawOp &op, Ty want,
                  bool relaxed, bool symbolOk, unsigned index, uint32_t &row,
                  bool &isSymbol);
  bool bindRegister(const RawInst &raw, std::string_view name, Ty want,
                    bool relaxed, bool pred, unsigned index, uint32_t &row);
  bool bindAddress(Kernel::Impl &k, const RawInst &raw, const OpSpec &spec,
                   const RawOp &op, Inst &inst);
  SharedDecl *findSharedDecl(std::string_view name);

  Lexer lex;
  std::string err;
  std::unique_ptr<Module::Impl> module;
  bool sawVersion = false, sawTarget = false;

  // Module-scope shared variables, and the dynamic shared array.
  std::vector<SharedDecl> moduleShared;
  std::string dynamicName;
  uint32_t dynamicAlign = 16;

  // Opcodes decoded so far (keys view the source text).
  std::unordered_map<std::string_view, SpecEntry> specs;

  // The kernel being parsed.
  std::unordered_map<std::string_view, RegDecl> ranges, singles;
  uint32_t nextRow = 0;
  std::vector<SharedDecl> kernelShared;
  std::vector<RawInst> insts;
  std::vector<RawOp> ops;
  std::vector<std::string_view> vectorRegs;
  std::unordered_map<std::string_view, uint32_t> labels;
  std::unordered_map<uint64_t, uint32_t> constantRows;
  std::unordered_map<std::string_view, uint16_t> opcodeIndex;
  /// Operands naming a shared variable, resolved once the kernel's shared
  /// memory is laid out: the address is added to Inst::imm (an address
  /// operand) or becomes the constant of Inst::op[row] (a mov source).
  struct Fixup {
    uint32_t inst;
    int row; ///< -1: Inst::imm.
    std::string_view name;
  };
  std::vector<Fixup> fixups;
  uint32_t fixupInst = 0;
};

std::unique_ptr<Module::Impl> Parser::parse(std::string &error) {
  module = std::make_unique<Module::Impl>();
  bool ok = true;
  while (ok) {
    Token t = lex.next();
    if (t.kind == Tok::End)
      break;
    if (t.kind != Tok::Word) {
      ok = failAt(t, "unexpected " + describe(t));
    } else if (t.text == ".version") {
      ok = parseVersion();
    } else if (t.text == ".target") {
      ok = parseTarget();
    } else if (t.text == ".address_size") {
      uint64_t bits;
      Token n = lex.next();
      ok = parseNumber(n, bits) &&
           (bits == 64 || failAt(n, "only .address_size 64 is supported"));
    } else if (t.text == ".visible" || t.text == ".entry") {
      if (t.text == ".visible") {
        Token e = lex.next();
        if (e.is(".func"))
          ok = failAt(e, "device functions (.func) are not supported");
        else if (!e.is(".entry"))
          ok = failAt(e,
                      "expected '.entry' after '.visible', got " + describe(e));
      }
      if (ok)
        ok = parseKernel(t.line);
    } else if (t.text == ".func") {
      ok = failAt(t, "device functions (.func) are not supported");
    } else if (t.text == ".shared") {
      ok = parseSharedDecl(t.line, /*moduleScope=*/true);
    } else if (t.text == ".extern") {
      ok = parseExternShared();
    } else if (t.text == ".global" || t.text == ".const" ||
               t.text == ".local") {
      ok = failAt(t, "module-scope " + std::string(t.text) +
                         " variables are not supported");
    } else {
      ok = failAt(t, "unsupported directive " + describe(t));
    }
  }
  if (ok && !lex.getError().empty()) {
    err = lex.getError();
    ok = false;
  }
  if (ok && !sawVersion)
    ok = fail(1, "missing .version");
  if (ok && !sawTarget)
    ok = fail(1, "missing .target");
  if (!ok) {
    error = err;
    return nullptr;
  }
  for (auto &[op, entry] : specs)
    module->instructions.insert(std::string(op));
  return std::move(module);
}

bool Parser::parseVersion() {
  Token t = lex.next();
  std::string_view s = t.text;
  size_t dot = s.find('.');
  uint64_t major, minor;
  if (t.kind != Tok::Word || dot == std::string_view::npos ||
      !parseUInt(s.substr(0, dot), major) ||
      !parseUInt(s.substr(dot + 1), minor) || minor > 9 || major > 99)
    return failAt(t, "malformed .version " + describe(t));
  module->version = int(major * 10 + minor);
  sawVersion = true;
  return true;
}

bool Parser::parseTarget() {
  Token t = lex.next();
  if (t.kind != Tok::Word || t.text.substr(0, 3) != "sm_")
    return failAt(t, "unsupported .target " + describe(t));
  module->target = std::string(t.text);
  if (lex.peek().is(","))
    return failAt(lex.peek(), "unsupported .target options");
  sawTarget = true;
  return true;
}

/// [.align N] .type name[[N]] ;  (after .shared)
bool Parser::parseSharedDecl(uint32_t line, bool moduleScope) {
  SharedDecl d;
  d.line = line;
  Token t = lex.next();
  uint64_t align = 0;
  if (t.is(".align")) {
    if (!parseNumber(lex.next(), align))
      return false;
    if (align == 0 || (align & (align - 1)) || align > 4096)
      return failAt(t, "bad alignment");
    t = lex.next();
  }
  Ty ty = parseTy(t.text);
  if (ty == Ty::None || ty == Ty::Pred)
    return failAt(t,
                  "unsupported type " + describe(t) + " of a .shared variable");
  Token name = lex.next();
  if (name.kind != Tok::Word || name.text[0] == '%')
    return failAt(name, "expected a variable name, got " + describe(name));
  d.name = std::string(name.text);
  uint64_t elements = 1;
  if (lex.peek().is("[")) {
    lex.next();
    if (!parseNumber(lex.next(), elements) || !expect("]"))
      return false;
    if (lex.peek().is("["))
      return failAt(lex.peek(), "multidimensional arrays are not supported");
  }
  if (lex.peek().is("="))
    return failAt(lex.peek(), "initialized .shared variables are not "
                              "supported");
  if (!expect(";"))
    return false;
  uint64_t size = elements * tySize(ty);
  if (size > (1u << 24))
    return fail(line, "shared variable too large");
  d.size = uint32_t(size);
  d.align = align ? uint32_t(align) : tySize(ty);
  auto &list = moduleScope ? moduleShared : kernelShared;
  for (const SharedDecl &other : list)
    if (other.name == d.name)
      return fail(line, "redeclaration of '" + d.name + "'");
  list.push_back(std::move(d));
  return true;
}

/// .extern .shared [.align N] .b8 name[];
bool Parser::parseExternShared() {
  Token t = lex.next();
  if (!t.is(".shared"))
    return failAt(t, "only .extern .shared variables are supported");
  t = lex.next();
  uint64_t align = 1;
  if (t.is(".align")) {
    if (!parseNumber(lex.next(), align))
      return false;
    if (align == 0 || (align & (align - 1)) || align > 4096)
      return failAt(t, "bad alignment");
    t = lex.next();
  }
  Ty ty = parseTy(t.text);
  if (ty == Ty::None || ty == Ty::Pred)
    return failAt(t, "unsupported type " + describe(t));
  Token name = lex.next();
  if (name.kind != Tok::Word)
    return failAt(name, "expected a variable name, got " + describe(name));
  if (!expect("[") || !expect("]") || !expect(";"))
    return false;
  if (!dynamicName.empty())
    return failAt(name, "a second dynamic shared array");
  dynamicName = std::string(name.text);
  dynamicAlign = std::max<uint32_t>(uint32_t(align), tySize(ty));
  return true;
}

bool Parser::parseDims(std::array<unsigned, 3> &dims) {
  dims = {1, 1, 1};
  for (unsigned i = 0; i < 3; ++i) {
    uint64_t v;
    Token t = lex.next();
    if (!parseNumber(t, v))
      return false;
    if (v == 0 || v > 1024)
      return failAt(t, "bad thread count");
    dims[i] = unsigned(v);
    if (!lex.peek().is(","))
      break;
    lex.next();
  }
  return true;
}

bool Parser::parseKernel(uint32_t line) {
  auto k = std::make_unique<Kernel::Impl>();
  Token name = lex.next();
  if (name.kind != Tok::Word || name.text[0] == '%' || name.text[0] == '.')
    return failAt(name, "expected a kernel name, got " + describe(name));
  k->name = std::string(name.text);
  if (module->byName.count(k->name))
    return failAt(name, "redefinition of kernel '" + k->name + "'");
  if (!parseParams(*k))
    return false;
  // Performance directives up to the body.
  for (;;) {
    Token t = lex.next();
    if (t.is("{"))
      break;
    if (t.is(".maxntid")) {
      if (!parseDims(k->maxntid))
        return false;
    } else if (t.is(".reqntid")) {
      if (!parseDims(k->reqntid))
        return false;
    } else if (t.is(".minnctapersm") || t.is(".maxnreg")) {
      uint64_t v;
      if (!parseNumber(lex.next(), v))
        return false;
    } else if (t.is(".pragma")) {
      if (lex.next().kind != Tok::String || !expect(";"))
        return failAt(t, "malformed .pragma");
    } else if (t.is(";")) {
      return failAt(t, "kernel declarations without a body are not "
                       "supported");
    } else {
      return failAt(t, "unsupported kernel directive " + describe(t));
    }
  }
  if (!parseBody(*k) || !finishKernel(*k))
    return false;
  (void)line;
  module->byName[k->name] = module->kernels.size();
  module->kernels.push_back(std::make_unique<Kernel>(std::move(k)));
  return true;
}

/// ( .param .type [.ptr [.space] [.align N]] name[[N]], ... )
bool Parser::parseParams(Kernel::Impl &k) {
  if (!expect("("))
    return false;
  if (lex.peek().is(")")) {
    lex.next();
    return true;
  }
  unsigned offset = 0;
  for (;;) {
    Token t = lex.next();
    if (!t.is(".param"))
      return failAt(t, "expected '.param', got " + describe(t));
    t = lex.next();
    uint64_t align = 0;
    if (t.is(".align")) {
      if (!parseNumber(lex.next(), align))
        return false;
      if (align == 0 || (align & (align - 1)) || align > 256)
        return failAt(t, "bad alignment");
      t = lex.next();
    }
    Ty ty = parseTy(t.text);
    if (ty == Ty::None || ty == Ty::Pred)
      return failAt(t, "unsupported parameter type " + describe(t));
    Token typeTok = t;
    t = lex.next();
    if (t.is(".ptr")) {
      t = lex.next();
      if (t.is(".global") || t.is(".shared") || t.is(".const") ||
          t.is(".local"))
        t = lex.next();
      if (t.is(".align")) {
        uint64_t pointee;
        if (!parseNumber(lex.next(), pointee))
          return false;
        t = lex.next();
      }
    }
    if (t.kind != Tok::Word || t.text[0] == '%' || t.text[0] == '.')
      return failAt(t, "expected a parameter name, got " + describe(t));
    KernelParam p;
    p.name = std::string(t.text);
    p.type = std::string(typeTok.text.substr(1));
    uint64_t elements = 1;
    if (lex.peek().is("[")) {
      lex.next();
      if (!parseNumber(lex.next(), elements) || !expect("]"))
        return false;
      if (elements == 0 || elements > 4096)
        return failAt(t, "bad parameter array size");
    }
    p.size = unsigned(elements * tySize(ty));
    unsigned a = align ? unsigned(align) : tySize(ty);
    offset = (offset + a - 1) / a * a;
    p.offset = offset;
    offset += p.size;
    for (const KernelParam &other : k.params)
      if (other.name == p.name)
        return failAt(t, "duplicate parameter '" + p.name + "'");
    k.params.push_back(std::move(p));
    t = lex.next();
    if (t.is(")"))
      break;
    if (!t.is(","))
      return failAt(t, "expected ',' or ')', got " + describe(t));
  }
  if (offset > 32764)
    return fail(lex.getLine(), "kernel parameters exceed 32764 bytes");
  k.paramBytes = offset;
  return true;
}

bool Parser::parseBody(Kernel::Impl &k) {
  ranges.clear();
  singles.clear();
  nextRow = 0;
  kernelShared.clear();
  insts.clear();
  ops.clear();
  vectorRegs.clear();
  labels.clear();
  constantRows.clear();
  opcodeIndex.clear();
  fixups.clear();
  for (SharedDecl &d : moduleShared)
    d.used = false;
  unsigned depth = 1;
  for (;;) {
    Token t = lex.next();
    if (t.kind == Tok::End)
      return failAt(t, "unterminated body of kernel '" + k.name + "'");
    if (t.is("}")) {
      if (--depth == 0)
        return true;
      continue;
    }
    if (t.is("{")) {
      ++depth;
      continue;
    }
    if (t.is(".reg")) {
      if (!parseRegDecl())
        return false;
      continue;
    }
    if (t.is(".shared")) {
      if (!parseSharedDecl(t.line, /*moduleScope=*/false))
        return false;
      continue;
    }
    if (t.is(".pragma")) {
      if (lex.next().kind != Tok::String || !expect(";"))
        return failAt(t, "malformed .pragma");
      continue;
    }
    if (t.kind == Tok::Word && t.text[0] == '.')
      return failAt(t, "unsupported directive " + describe(t) +
                           " in a kernel body");
    if (!parseStatement(t))
      return false;
  }
}

/// .reg .type %name<N>, %other, ... ;
bool Parser::parseRegDecl() {
  Token t = lex.next();
  Ty ty = parseTy(t.text);
  if (ty == Ty::None || ty == Ty::B8 || ty == Ty::U8 || ty == Ty::S8)
    return failAt(t, t.text.substr(0, 2) == ".v"
                         ? "vector registers are not supported"
                         : "unsupported register type " + describe(t));
  for (;;) {
    Token name = lex.next();
    if (name.kind != Tok::Word || name.text[0] != '%' ||
        name.text.find('.') != std::string_view::npos)
      return failAt(name, "expected a register name, got " + describe(name));
    RegDecl d;
    d.ty = ty;
    d.base = nextRow;
    if (lex.peek().is("<")) {
      lex.next();
      uint64_t n;
      Token count = lex.next();
      if (!parseNumber(count, n) || !expect(">"))
        return false;
      if (n == 0 || n > (1u << 20))
        return failAt(count, "bad register count");
      d.count = uint32_t(n);
      if (ranges.count(name.text) || singles.count(name.text))
        return failAt(name,
                      "redeclaration of '" + std::string(name.text) + "'");
      ranges[name.text] = d;
      nextRow += d.count;
    } else {
      if (singles.count(name.text))
        return failAt(name,
                      "redeclaration of '" + std::string(name.text) + "'");
      singles[name.text] = d;
      nextRow += 1;
    }
    if (nextRow > (1u << 22))
      return failAt(name, "too many registers");
    Token sep = lex.next();
    if (sep.is(";"))
      return true;
    if (!sep.is(","))
      return failAt(sep, "expected ',' or ';', got " + describe(sep));
  }
}

/// [@[!]%p] opcode operands ;   or   label:
bool Parser::parseStatement(const Token &first) {
  RawInst raw;
  raw.line = first.line;
  Token t = first;
  if (t.is("@")) {
    Token g = lex.next();
    if (g.is("!")) {
      raw.guardNeg = true;
      g = lex.next();
    }
    if (g.kind != Tok::Word || g.text[0] != '%')
      return failAt(g, "expected a predicate register after '@', got " +
                           describe(g));
    raw.guard = g.text;
    t = lex.next();
  }
  if (t.kind != Tok::Word || t.text[0] == '%' ||
      (t.text[0] >= '0' && t.text[0] <= '9'))
    return failAt(t, "expected an instruction, got " + describe(t));
  if (raw.guard.empty() && lex.peek().is(":")) {
    lex.next();
    if (labels.count(t.text))
      return failAt(t, "duplicate label '" + std::string(t.text) + "'");
    labels[t.text] = uint32_t(insts.size());
    return true;
  }
  raw.opcode = t.text;
  raw.firstOp = uint32_t(ops.size());
  if (!lex.peek().is(";")) {
    for (;;) {
      RawOp op;
      if (!parseOperand(op))
        return false;
      ops.push_back(op);
      Token sep = lex.next();
      if (sep.is(";"))
        break;
      if (!sep.is(","))
        return failAt(sep, sep.is("|")
                               ? "predicate pairs (p|q) are not supported"
                               : "expected ',' or ';', got " + describe(sep));
    }
  } else {
    lex.next();
  }
  raw.numOps = uint32_t(ops.size()) - raw.firstOp;
  insts.push_back(raw);
  return true;
}

bool Parser::parseOperand(RawOp &op) {
  Token t = lex.next();
  if (t.is("[")) {
    op.kind = RawOp::Address;
    Token base = lex.next();
    int64_t offset = 0;
    if (base.kind != Tok::Word)
      return failAt(base, "bad address " + describe(base));
    uint64_t v;
    if (parseUInt(base.text, v)) {
      offset = int64_t(v);
    } else {
      if (base.text[0] >= '0' && base.text[0] <= '9')
        return failAt(base, "bad address " + describe(base));
      op.name = base.text;
      Token s = lex.peek();
      if (s.is("+") || s.is("-")) {
        lex.next();
        bool negative = s.is("-");
        if (lex.peek().is("-")) {
          lex.next();
          negative = !negative;
        }
        Token n = lex.next();
        if (!parseNumber(n, v))
          return false;
        offset = negative ? -int64_t(v) : int64_t(v);
      }
    }
    op.value = uint64_t(offset);
    return expect("]");
  }
  if (t.is("{")) {
    op.kind = RawOp::Vector;
    op.first = uint32_t(vectorRegs.size());
    for (;;) {
      Token r = lex.next();
      if (r.kind != Tok::Word || r.text[0] != '%')
        return failAt(r, "expected a register in a vector, got " + describe(r));
      vectorRegs.push_back(r.text);
      Token s = lex.next();
      if (s.is("}"))
        break;
      if (!s.is(","))
        return failAt(s, "expected ',' or '}', got " + describe(s));
    }
    op.count = uint32_t(vectorRegs.size()) - op.first;
    return true;
  }
  bool negative = false;
  if (t.is("-")) {
    negative = true;
    t = lex.next();
  }
  if (t.kind != Tok::Word)
    return failAt(t, "bad operand " + describe(t));
  std::string_view s = t.text;
  if (s[0] >= '0' && s[0] <= '9') {
    bool isDouble;
    uint64_t bits;
    if (parseFloatBits(s, isDouble, bits)) {
      if (negative)
        bits ^= isDouble ? (uint64_t(1) << 63) : (uint64_t(1) << 31);
      op.kind = RawOp::Float;
      op.isDouble = isDouble;
      op.value = bits;
      return true;
    }
    uint64_t v;
    if (!parseUInt(s, v))
      return failAt(t, "bad number " + describe(t));
    op.kind = RawOp::Int;
    op.value = negative ? uint64_t(0) - v : v;
    return true;
  }
  if (negative)
    return failAt(t, "bad operand '-" + std::string(s) + "'");
  if (s[0] == '%') {
    op.kind =
        s.find('.') != std::string_view::npos ? RawOp::Special : RawOp::Reg;
    op.name = s;
    return true;
  }
  if (s[0] == '.')
    return failAt(t, "bad operand " + describe(t));
  op.kind = RawOp::Name;
  op.name = s;
  return true;
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

const RegDecl *Parser::findReg(std::string_view name, uint32_t &row) {
  auto single = singles.find(name);
  if (single != singles.end()) {
    row = single->second.base;
    return &single->second;
  }
  size_t digits = name.size();
  while (digits > 0 && name[digits - 1] >= '0' && name[digits - 1] <= '9')
    --digits;
  if (digits == name.size() ||
      (name.size() - digits > 1 && name[digits] == '0'))
    return nullptr;
  auto range = ranges.find(name.substr(0, digits));
  if (range == ranges.end())
    return nullptr;
  uint64_t n;
  if (!parseUInt(name.substr(digits), n) || n >= range->second.count)
    return nullptr;
  row = range->second.base + uint32_t(n);
  return &range->second;
}

uint32_t Parser::constantRow(Kernel::Impl &k, uint64_t value) {
  auto [it, inserted] =
      constantRows.try_emplace(value, uint32_t(k.constants.size()));
  if (inserted)
    k.constants.push_back(value);
  return it->second; // Relative to constantBase, fixed up later.
}

SharedDecl *Parser::findSharedDecl(std::string_view name) {
  for (SharedDecl &d : kernelShared)
    if (d.name == name)
      return &d;
  for (SharedDecl &d : moduleShared)
    if (d.name == name)
      return &d;
  return nullptr;
}

/// Whether a register of type `reg` may be an operand of type `want`:
/// equal sizes (or, `relaxed`, a wider integer register for loads and
/// stores), floats only in float or bit-size registers, integers not in
/// float registers.
static bool compatible(Ty reg, Ty want, bool relaxed) {
  if (reg == Ty::Pred || want == Ty::Pred)
    return reg == want;
  unsigned rs = tySize(reg), ws = tySize(want);
  bool floatWant = isFloatTy(want);
  if (relaxed && !floatWant) {
    if (rs < ws)
      return false;
  } else if (rs != ws) {
    return false;
  }
  if (floatWant)
    return isBitsTy(reg) || reg == want;
  if (isFloatTy(reg))
    return isBitsTy(want);
  return true;
}

/// Whether `name` is one of PTX's special registers (those this
/// interpreter does not provide included).
static bool isSpecialName(std::string_view name) {
  static const char *names[] = {"%laneid",
                                "%warpid",
                                "%nwarpid",
                                "%smid",
                                "%nsmid",
                                "%gridid",
                                "%clock",
                                "%clock64",
                                "%lanemask_eq",
                                "%lanemask_le",
                                "%lanemask_lt",
                                "%lanemask_ge",
                                "%lanemask_gt",
                                "%globaltimer",
                                "%globaltimer_lo",
                                "%globaltimer_hi",
                                "%dynamic_smem_size",
                                "%total_smem_size",
                                "%aggr_smem_size",
                                "%tid",
                                "%ntid",
                                "%ctaid",
                                "%nctaid",
                                "%clusterid",
                                "%nclusterid",
                                "%cluster_ctaid",
                                "%cluster_nctaid",
                                "%cluster_ctarank",
                                "%cluster_nctarank",
                                "%is_explicit_cluster"};
  for (const char *n : names)
    if (name == n)
      return true;
  return name.substr(0, 7) == "%envreg" || name.substr(0, 3) == "%pm";
}

static std::string ordinal(unsigned i) {
  static const char *names[] = {"first", "second", "third", "fourth", "fifth"};
  return i < 5 ? names[i] : std::to_string(i + 1) + "th";
}

bool Parser::bindRegister(const RawInst &raw, std::string_view name, Ty want,
                          bool relaxed, bool pred, unsigned index,
                          uint32_t &row) {
  const RegDecl *d = findReg(name, row);
  if (!d && isSpecialName(name))
    return fail(raw.line,
                "unsupported special register '" + std::string(name) + "'");
  if (!d)
    return fail(raw.line, "undeclared register '" + std::string(name) +
                              "' in '" + std::string(raw.opcode) + "'");
  if (pred ? d->ty != Ty::Pred : !compatible(d->ty, want, relaxed))
    return fail(raw.line,
                "the " + ordinal(index) + " operand of '" +
                    std::string(raw.opcode) + "' is '" + std::string(name) +
                    "', a " + tyName(d->ty) + " register, where " +
                    (pred ? std::string(".pred") : std::string(tyName(want))) +
                    " is expected");
  return true;
}

static bool fitsInt(uint64_t v, unsigned bytes) {
  if (bytes >= 8)
    return true;
  uint64_t limit = uint64_t(1) << (8 * bytes);
  int64_t s = int64_t(v);
  return v < limit || (s < 0 && s >= -int64_t(limit / 2));
}

bool Parser::bindSource(Kernel::Impl &k, const RawInst &raw, const RawOp &op,
                        Ty want, bool relaxed, bool symbolOk, unsigned index,
                        uint32_t &row, bool &isSymbol) {
  isSymbol = false;
  auto what = [&] {
    return "the " + ordinal(index) + " operand of '" + std::string(raw.opcode) +
           "'";
  };
  switch (op.kind) {
  case RawOp::Reg:
    return bindRegister(raw, op.name, want, relaxed, /*pred=*/false, index,
                        row);
  case RawOp::Special: {
    static const char *names[NumSpecials] = {
        "%tid.x",   "%tid.y",    "%tid.z",    "%ntid.x",
        "%ntid.y",  "%ntid.z",   "%ctaid.x",  "%ctaid.y",
        "%ctaid.z", "%nctaid.x", "%nctaid.y", "%nctaid.z"};
    for (unsigned s = 0; s < NumSpecials; ++s)
      if (op.name == names[s]) {
        if (tySize(want) != 4 || isFloatTy(want))
          return fail(raw.line, what() + " is " + std::string(op.name) +
                                    ", a 32-bit special register, where " +
                                    tyName(want) + " is expected");
        k.specialsUsed |= 1u << s;
        row = k.specialBase + s;
        return true;
      }
    return fail(raw.line,
                "unsupported special register '" + std::string(op.name) + "'");
  }
  case RawOp::Int:
    if (isFloatTy(want))
      return fail(raw.line, what() + " is an integer where " +
                                std::string(tyName(want)) +
                                " is expected (write 0f/0d hex floats)");
    if (!fitsInt(op.value, tySize(want)))
      return fail(raw.line, what() + " is out of range of " + tyName(want));
    row = k.constantBase +
          constantRow(k, tySize(want) >= 8
                             ? op.value
                             : op.value &
                                   ((uint64_t(1) << (8 * tySize(want))) - 1));
    return true;
  case RawOp::Float: {
    uint64_t bits;
    if (want == Ty::F32) {
      bits = op.isDouble ? put<float>(static_cast<float>(get<double>(op.value)))
                         : op.value;
    } else if (want == Ty::F64) {
      bits = op.isDouble ? op.value : put<double>(get<float>(op.value));
    } else {
      return fail(raw.line, what() + " is a floating-point constant where " +
                                std::string(tyName(want)) + " is expected");
    }
    row = k.constantBase + constantRow(k, bits);
    return true;
  }
  case RawOp::Name: {
    if (symbolOk) {
      if (SharedDecl *d = findSharedDecl(op.name)) {
        d->used = true;
        isSymbol = true;
        return true;
      }
      if (op.name == dynamicName && !dynamicName.empty()) {
        isSymbol = true;
        return true;
      }
      for (const KernelParam &p : k.params)
        if (p.name == op.name)
          return fail(raw.line, "taking the address of parameter '" + p.name +
                                    "' is not supported");
    }
    return fail(raw.line,
                "unknown symbol '" + std::string(op.name) + "' as " + what());
  }
  default:
    return fail(raw.line, "bad operand: " + what() +
                              " must be a register or "
                              "a constant");
  }
}

bool Parser::bindAddress(Kernel::Impl &k, const RawInst &raw,
                         const OpSpec &spec, const RawOp &op, Inst &inst) {
  if (op.kind != RawOp::Address)
    return fail(raw.line,
                "'" + std::string(raw.opcode) + "' expects an address [..]");
  int64_t offset = int64_t(op.value);
  // The access size, for the parameter bounds check.
  uint32_t accessBytes = tySize(spec.types[spec.isLoad ? 0 : 1]) * spec.count;
  if (spec.space == ops::Param) {
    for (const KernelParam &p : k.params) {
      if (p.name != op.name)
        continue;
      int64_t at = int64_t(p.offset) + offset;
      if (at < 0 || uint64_t(at) + accessBytes > k.paramBytes)
        return fail(raw.line, "'" + std::string(raw.opcode) +
                                  "' reads past the parameters");
      if (at % accessBytes)
        return fail(raw.line, "misaligned parameter access");
      inst.imm = at;
      inst.op[4] = 0;
      return true;
    }
    return fail(raw.line, op.name.empty() ? "ld.param needs a parameter name"
                                          : "unknown parameter '" +
                                                std::string(op.name) + "'");
  }
  inst.imm = offset;
  if (op.name.empty()) {
    inst.op[4] = k.constantBase + constantRow(k, 0);
    return true;
  }
  if (op.name[0] == '%') {
    uint32_t row;
    const RegDecl *d = findReg(op.name, row);
    if (!d)
      return fail(raw.line, "undeclared register '" + std::string(op.name) +
                                "' in '" + std::string(raw.opcode) + "'");
    unsigned size = tySize(d->ty);
    if (d->ty == Ty::Pred || isFloatTy(d->ty) ||
        (size != 8 && !(size == 4 && spec.space == ops::Shared)))
      return fail(raw.line, "address register '" + std::string(op.name) +
                                "' is a " + tyName(d->ty) + " register");
    inst.op[4] = row;
    return true;
  }
  if (spec.space == ops::Shared) {
    // A shared variable: its address is added by finishKernel.
    SharedDecl *d = findSharedDecl(op.name);
    if (d || (!dynamicName.empty() && op.name == dynamicName)) {
      if (d)
        d->used = true;
      inst.op[4] = k.constantBase + constantRow(k, 0);
      fixups.push_back({fixupInst, -1, op.name});
      return true;
    }
  }
  return fail(raw.line, "unknown symbol '" + std::string(op.name) + "' in '" +
                            std::string(raw.opcode) + "'");
}

bool Parser::bindInst(Kernel::Impl &k, uint32_t index, const RawInst &raw,
                      Inst &inst) {
  fixupInst = index;
  auto [it, inserted] = specs.try_emplace(raw.opcode);
  if (inserted)
    decodeOpcode(raw.opcode, it->second.spec, it->second.error);
  if (!it->second.error.empty())
    return fail(raw.line, "unsupported instruction '" +
                              std::string(raw.opcode) +
                              "': " + it->second.error);
  const OpSpec &spec = it->second.spec;
  if (spec.kind == Kind::Op && !spec.fn)
    return fail(raw.line,
                "unsupported instruction '" + std::string(raw.opcode) + "'");
  if (raw.numOps != spec.numSlots)
    return fail(raw.line, "'" + std::string(raw.opcode) + "' expects " +
                              std::to_string(spec.numSlots) + " operand" +
                              (spec.numSlots == 1 ? "" : "s") + ", got " +
                              std::to_string(raw.numOps));
  inst.fn = spec.fn;
  inst.kind = spec.kind;
  inst.rnd = spec.rnd;
  inst.ftz = spec.ftz;
  inst.sat = spec.sat;
  inst.aux = spec.aux;
  inst.count = spec.count;
  inst.line = raw.line;
  auto [textIt, newText] =
      opcodeIndex.try_emplace(raw.opcode, uint16_t(k.opcodes.size()));
  if (newText) {
    if (k.opcodes.size() >= 0xffff)
      return fail(raw.line, "too many distinct instructions");
    k.opcodes.push_back(std::string(raw.opcode));
  }
  inst.text = textIt->second;

  if (!raw.guard.empty()) {
    if (spec.kind == Kind::Bar)
      return fail(raw.line, "a predicated bar.sync is not supported");
    uint32_t row;
    if (!bindRegister(raw, raw.guard, Ty::Pred, false, /*pred=*/true, 0, row))
      return false;
    inst.guarded = true;
    inst.guardNeg = raw.guardNeg;
    inst.guard = row;
  }

  unsigned next = 0; // The next operand row.
  for (unsigned i = 0; i < spec.numSlots; ++i) {
    const RawOp &op = ops[raw.firstOp + i];
    Ty want = spec.types[i];
    bool relaxed = spec.isLoad || spec.isStore;
    switch (spec.slots[i]) {
    case Slot::Dst:
    case Slot::Src: {
      bool dst = spec.slots[i] == Slot::Dst;
      if (spec.count > 1) {
        if (op.kind != RawOp::Vector || op.count != spec.count)
          return fail(raw.line, "'" + std::string(raw.opcode) +
                                    "' expects a vector of " +
                                    std::to_string(spec.count) + " registers");
        for (unsigned e = 0; e < op.count; ++e)
          if (!bindRegister(raw, vectorRegs[op.first + e], want, relaxed, false,
                            i, inst.op[next++]))
            return false;
        break;
      }
      if (dst) {
        if (op.kind != RawOp::Reg)
          return fail(raw.line, "the " + ordinal(i) + " operand of '" +
                                    std::string(raw.opcode) +
                                    "' must be a register");
        if (!bindRegister(raw, op.name, want, relaxed, false, i,
                          inst.op[next++]))
          return false;
        break;
      }
      uint32_t row;
      bool isSymbol;
      if (!bindSource(k, raw, op, want, relaxed, spec.symbolSource, i, row,
                      isSymbol))
        return false;
      if (isSymbol)
        fixups.push_back({index, int(next), op.name});
      inst.op[next++] = row;
      break;
    }
    case Slot::PredDst:
    case Slot::PredSrc:
      if (op.kind != RawOp::Reg)
        return fail(raw.line, "the " + ordinal(i) + " operand of '" +
                                  std::string(raw.opcode) +
                                  "' must be a predicate register");
      if (!bindRegister(raw, op.name, Ty::Pred, false, true, i,
                        inst.op[next++]))
        return false;
      break;
    case Slot::Addr:
      if (!bindAddress(k, raw, spec, op, inst))
        return false;
      break;
    case Slot::Label: {
      if (op.kind != RawOp::Name)
        return fail(raw.line,
                    "'" + std::string(raw.opcode) + "' expects a label");
      auto l = labels.find(op.name);
      if (l == labels.end())
        return fail(raw.line, "undefined label '" + std::string(op.name) + "'");
      inst.target = l->second;
      break;
    }
    case Slot::Imm:
      if (op.kind != RawOp::Int)
        return fail(raw.line, "'" + std::string(raw.opcode) +
                                  "' expects a constant barrier number");
      if (op.value > 15)
        return fail(raw.line, "barrier number out of range");
      inst.imm = int64_t(op.value);
      break;
    }
  }
  return true;
}

bool Parser::finishKernel(Kernel::Impl &k) {
  // Rows: registers, special registers, constants.
  k.numRegs = nextRow;
  k.specialBase = nextRow;
  k.constantBase = nextRow + NumSpecials;
  k.code.resize(insts.size());
  for (size_t i = 0; i < insts.size(); ++i)
    if (!bindInst(k, uint32_t(i), insts[i], k.code[i]))
      return false;

  // Shared memory: the module's variables the kernel names, then its own.
  uint32_t offset = 0;
  auto place = [&](const SharedDecl &d) {
    offset = (offset + d.align - 1) / d.align * d.align;
    k.shared.push_back({d.name, offset, d.size, d.align});
    offset += d.size;
  };
  for (const SharedDecl &d : moduleShared)
    if (d.used)
      place(d);
  for (const SharedDecl &d : kernelShared)
    place(d);
  k.staticShared = offset;
  k.dynamicName = dynamicName;
  k.dynamicOffset = (offset + dynamicAlign - 1) / dynamicAlign * dynamicAlign;

  // Resolve the operands naming shared variables.
  for (const Fixup &f : fixups) {
    uint64_t address = k.dynamicOffset;
    for (const SharedVar &v : k.shared)
      if (v.name == f.name)
        address = v.offset;
    Inst &inst = k.code[f.inst];
    if (f.row < 0)
      inst.imm += int64_t(address);
    else
      inst.op[f.row] = k.constantBase + constantRow(k, address);
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// Module and Kernel
//===----------------------------------------------------------------------===//

Module::Module(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Module::~Module() = default;

std::unique_ptr<Module> Module::parse(std::string_view text,
                                      std::string &error) {
  Parser parser(text);
  std::unique_ptr<Impl> impl = parser.parse(error);
  if (!impl)
    return nullptr;
  return std::unique_ptr<Module>(new Module(std::move(impl)));
}

int Module::getVersion() const { return impl->version; }
const std::string &Module::getTarget() const { return impl->target; }

const Kernel *Module::getKernel(std::string_view name) const {
  auto it = impl->byName.find(name);
  return it == impl->byName.end() ? nullptr : impl->kernels[it->second].get();
}

std::vector<std::string> Module::getKernelNames() const {
  std::vector<std::string> names;
  for (const auto &k : impl->kernels)
    names.push_back(k->getName());
  return names;
}

std::set<std::string> Module::getInstructions() const {
  return impl->instructions;
}

Kernel::Kernel(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
Kernel::~Kernel() = default;
const std::string &Kernel::getName() const { return impl->name; }
const std::vector<KernelParam> &Kernel::getParams() const {
  return impl->params;
}
unsigned Kernel::getParamBytes() const { return impl->paramBytes; }
unsigned Kernel::getStaticSharedBytes() const { return impl->staticShared; }
std::array<unsigned, 3> Kernel::getMaxThreads() const { return impl->maxntid; }
