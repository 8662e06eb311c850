//===- Decode.cpp - What a PTX opcode means -------------------------------===//
//
// See Decode.h. Each mnemonic takes the modifiers and types PTX allows it
// and this interpreter implements; a modifier left over is an error, so an
// opcode is either executed exactly as written or refused.
//
//===----------------------------------------------------------------------===//

#include "Decode.h"
#include "Ops.h"

#include <optional>
#include <vector>

using namespace resnetc::cudasim::ptx;
using namespace resnetc::cudasim::ptx::ops;

namespace {

/// An opcode split into its mnemonic and modifiers, which the decoder of
/// the mnemonic takes one by one.
class Opcode {
public:
  explicit Opcode(std::string_view text) {
    size_t dot = text.find('.');
    mnemonic = text.substr(0, dot);
    while (dot != std::string_view::npos) {
      size_t next = text.find('.', dot + 1);
      mods.push_back({text.substr(dot, next == std::string_view::npos
                                           ? std::string_view::npos
                                           : next - dot),
                      false});
      dot = next;
    }
  }

  std::string_view mnemonic;

  /// Takes `mod` (".rn") if present.
  bool take(std::string_view mod) {
    for (Mod &m : mods)
      if (!m.taken && m.text == mod) {
        m.taken = true;
        return true;
      }
    return false;
  }

  /// Takes every type modifier, in order.
  std::vector<Ty> takeTypes() {
    std::vector<Ty> types;
    for (Mod &m : mods) {
      if (m.taken)
        continue;
      Ty t = parseTy(m.text);
      if (t != Ty::None) {
        m.taken = true;
        types.push_back(t);
      }
    }
    return types;
  }

  /// Takes a float rounding modifier (.rn .rz .rm .rp).
  Rnd takeRounding() {
    if (take(".rn"))
      return Rnd::RN;
    if (take(".rz"))
      return Rnd::RZ;
    if (take(".rm"))
      return Rnd::RM;
    if (take(".rp"))
      return Rnd::RP;
    return Rnd::None;
  }
  /// Takes an integer rounding modifier (.rni .rzi .rmi .rpi).
  Rnd takeIntRounding() {
    if (take(".rni"))
      return Rnd::RNI;
    if (take(".rzi"))
      return Rnd::RZI;
    if (take(".rmi"))
      return Rnd::RMI;
    if (take(".rpi"))
      return Rnd::RPI;
    return Rnd::None;
  }

  std::optional<Cmp> takeCmp() {
    static const std::pair<const char *, Cmp> names[] = {
        {".eq", Cmp::Eq},   {".ne", Cmp::Ne},   {".lt", Cmp::Lt},
        {".le", Cmp::Le},   {".gt", Cmp::Gt},   {".ge", Cmp::Ge},
        {".lo", Cmp::Lo},   {".ls", Cmp::Ls},   {".hi", Cmp::Hi},
        {".hs", Cmp::Hs},   {".equ", Cmp::Equ}, {".neu", Cmp::Neu},
        {".ltu", Cmp::Ltu}, {".leu", Cmp::Leu}, {".gtu", Cmp::Gtu},
        {".geu", Cmp::Geu}, {".num", Cmp::Num}, {".nan", Cmp::Nan}};
    for (auto &[name, cmp] : names)
      if (take(name))
        return cmp;
    return std::nullopt;
  }

  /// True when every modifier was taken; otherwise says which was not.
  /// With `unknownOnly`, only modifiers no instruction has count.
  bool done(std::string &error, bool unknownOnly = false) const {
    for (const Mod &m : mods) {
      if (m.taken || (unknownOnly && isKnown(m.text)))
        continue;
      std::string_view t = m.text;
      bool typeLike = t.size() > 2 &&
                      (t[1] == 'b' || t[1] == 's' || t[1] == 'u' ||
                       t[1] == 'f' || t[1] == 'e') &&
                      (t[2] >= '0' && t[2] <= '9');
      if (parseTy(t) != Ty::None)
        error = "type '" + std::string(t) + "' not allowed here";
      else if (typeLike)
        error = "unsupported type '" + std::string(t) + "'";
      else
        error = "unsupported modifier '" + std::string(t) + "'";
      return false;
    }
    return true;
  }

private:
  /// Whether some instruction takes `mod`.
  static bool isKnown(std::string_view mod) {
    static const char *known[] = {
        ".rn",       ".rz",   ".rm",      ".rp",     ".rni",    ".rzi",
        ".rmi",      ".rpi",  ".ftz",     ".sat",    ".approx", ".full",
        ".NaN",      ".lo",   ".hi",      ".wide",   ".eq",     ".ne",
        ".lt",       ".le",   ".gt",      ".ge",     ".ls",     ".hs",
        ".equ",      ".neu",  ".ltu",     ".leu",    ".gtu",    ".geu",
        ".num",      ".nan",  ".to",      ".global", ".shared", ".param",
        ".volatile", ".nc",   ".ca",      ".cg",     ".cs",     ".lu",
        ".cv",       ".wb",   ".wt",      ".v2",     ".v4",     ".uni",
        ".cta",      ".sync", ".aligned", ".local",  ".const"};
    for (const char *k : known)
      if (mod == k)
        return true;
    return parseTy(mod) != Ty::None;
  }

  struct Mod {
    std::string_view text;
    bool taken;
  };
  std::vector<Mod> mods;
};

//===----------------------------------------------------------------------===//
// Handler selection by type
//===----------------------------------------------------------------------===//

template <typename Op, int N> Handler arity() {
  if constexpr (N == 1)
    return &unary<Op>;
  else if constexpr (N == 2)
    return &binary<Op>;
  else
    return &ternary<Op>;
}

/// Calls f with a value of the C++ type of integer or bit type t (bit types
/// as unsigned); null for other types.
template <typename F> Handler withInt(Ty t, F f) {
  switch (t) {
  case Ty::U8:
  case Ty::B8:
    return f(uint8_t());
  case Ty::S8:
    return f(int8_t());
  case Ty::U16:
  case Ty::B16:
    return f(uint16_t());
  case Ty::S16:
    return f(int16_t());
  case Ty::U32:
  case Ty::B32:
    return f(uint32_t());
  case Ty::S32:
    return f(int32_t());
  case Ty::U64:
  case Ty::B64:
    return f(uint64_t());
  case Ty::S64:
    return f(int64_t());
  default:
    return nullptr;
  }
}
template <typename F> Handler withFloat(Ty t, F f) {
  switch (t) {
  case Ty::F32:
    return f(float());
  case Ty::F64:
    return f(double());
  default:
    return nullptr;
  }
}

template <int N, template <typename> class Op> Handler byInt(Ty t) {
  return withInt(t, [](auto x) { return arity<Op<decltype(x)>, N>(); });
}
template <int N, template <typename> class Op> Handler byFloat(Ty t) {
  return withFloat(t, [](auto x) { return arity<Op<decltype(x)>, N>(); });
}

template <Cmp C> struct SetpOf { template <typename T> using Op = Setp<C, T>; };
template <Cmp C> Handler setpFor(Ty t) {
  if (t == Ty::BF16)
    return &binary<SetpBF16<C>>;
  if (isFloatTy(t))
    return byFloat<2, SetpOf<C>::template Op>(t);
  return byInt<2, SetpOf<C>::template Op>(t);
}
Handler setpHandler(Cmp c, Ty t) {
  switch (c) {
  case Cmp::Eq:
    return setpFor<Cmp::Eq>(t);
  case Cmp::Ne:
    return setpFor<Cmp::Ne>(t);
  case Cmp::Lt:
    return setpFor<Cmp::Lt>(t);
  case Cmp::Le:
    return setpFor<Cmp::Le>(t);
  case Cmp::Gt:
    return setpFor<Cmp::Gt>(t);
  case Cmp::Ge:
    return setpFor<Cmp::Ge>(t);
  case Cmp::Lo:
    return setpFor<Cmp::Lo>(t);
  case Cmp::Ls:
    return setpFor<Cmp::Ls>(t);
  case Cmp::Hi:
    return setpFor<Cmp::Hi>(t);
  case Cmp::Hs:
    return setpFor<Cmp::Hs>(t);
  case Cmp::Equ:
    return setpFor<Cmp::Equ>(t);
  case Cmp::Neu:
    return setpFor<Cmp::Neu>(t);
  case Cmp::Ltu:
    return setpFor<Cmp::Ltu>(t);
  case Cmp::Leu:
    return setpFor<Cmp::Leu>(t);
  case Cmp::Gtu:
    return setpFor<Cmp::Gtu>(t);
  case Cmp::Geu:
    return setpFor<Cmp::Geu>(t);
  case Cmp::Num:
    return setpFor<Cmp::Num>(t);
  case Cmp::Nan:
    return setpFor<Cmp::Nan>(t);
  }
  return nullptr;
}

Handler cvtHandler(Ty to, Ty from) {
  if (to == Ty::BF16) {
    if (from == Ty::BF16)
      return &unary<CvtBB>;
    if (isFloatTy(from))
      return withFloat(
          from, [](auto x) { return Handler(&unary<CvtFB<decltype(x)>>); });
    return withInt(from,
                   [](auto x) { return Handler(&unary<CvtIB<decltype(x)>>); });
  }
  if (from == Ty::BF16) {
    if (isFloatTy(to))
      return withFloat(
          to, [](auto x) { return Handler(&unary<CvtBF<decltype(x)>>); });
    return withInt(to,
                   [](auto x) { return Handler(&unary<CvtBI<decltype(x)>>); });
  }
  if (isFloatTy(to)) {
    return withFloat(to, [from](auto x) {
      using To = decltype(x);
      if (isFloatTy(from))
        return withFloat(from, [](auto y) {
          return Handler(&unary<CvtFF<To, decltype(y)>>);
        });
      return withInt(
          from, [](auto y) { return Handler(&unary<CvtIF<To, decltype(y)>>); });
    });
  }
  return withInt(to, [from](auto x) {
    using To = decltype(x);
    if (isFloatTy(from))
      return withFloat(
          from, [](auto y) { return Handler(&unary<CvtFI<To, decltype(y)>>); });
    return withInt(
        from, [](auto y) { return Handler(&unary<CvtII<To, decltype(y)>>); });
  });
}

/// The C++ type a load or store of t moves (its bits; signed integers are
/// sign-extended into wider registers).
template <typename F> Handler withMemoryType(Ty t, F f) {
  switch (t) {
  case Ty::F32:
    return f(uint32_t());
  case Ty::F64:
    return f(uint64_t());
  default:
    return withInt(t, f);
  }
}

//===----------------------------------------------------------------------===//
// Decoders
//===----------------------------------------------------------------------===//

void setSlots(OpSpec &s, std::initializer_list<std::pair<Slot, Ty>> slots) {
  s.numSlots = 0;
  for (auto &[slot, ty] : slots) {
    s.slots[s.numSlots] = slot;
    s.types[s.numSlots] = ty;
    ++s.numSlots;
  }
}

Ty twice(Ty t) {
  switch (t) {
  case Ty::U16:
    return Ty::U32;
  case Ty::S16:
    return Ty::S32;
  case Ty::U32:
    return Ty::U64;
  case Ty::S32:
    return Ty::S64;
  default:
    return Ty::None;
  }
}

bool isIntArith(Ty t) {
  return t == Ty::U16 || t == Ty::S16 || t == Ty::U32 || t == Ty::S32 ||
         t == Ty::U64 || t == Ty::S64;
}
bool isBits(Ty t) { return t == Ty::B16 || t == Ty::B32 || t == Ty::B64; }

/// The one type of `op`, or an error.
bool oneType(Opcode &op, Ty &t, std::string &error) {
  std::vector<Ty> types = op.takeTypes();
  if (types.size() != 1) {
    error = types.empty() ? "missing type" : "expects one type";
    return false;
  }
  t = types[0];
  return true;
}

bool fail(std::string &error, std::string why) {
  error = std::move(why);
  return false;
}
bool badType(std::string &error, Ty t) {
  return fail(error, std::string("type '") + tyName(t) + "' not supported");
}

/// add, sub, mul, fma, div, min, max, ... on floats: the rounding mode and
/// flags (f32 only: .ftz, .sat), the general handler unless the fast one
/// does.
struct FloatForm {
  bool rounding = true;        ///< .rn .rz .rm .rp allowed.
  bool roundingNeeded = false; ///< One of them (or .approx/.full) needed.
  bool ftzSat = true;          ///< .ftz and .sat allowed on f32.
  bool approx = false, full = false;
};
bool floatMods(Opcode &op, OpSpec &s, Ty t, FloatForm form,
               std::string &error) {
  bool approx = form.approx && op.take(".approx");
  bool full = form.full && op.take(".full");
  if (form.rounding)
    s.rnd = op.takeRounding();
  if (t == Ty::F32 && form.ftzSat) {
    s.ftz = op.take(".ftz");
    s.sat = op.take(".sat");
  } else if (t == Ty::F32 && op.take(".ftz")) {
    s.ftz = true;
  }
  int modes = (s.rnd != Rnd::None) + approx + full;
  if (modes > 1)
    return fail(error, "conflicting rounding modifiers");
  if (form.roundingNeeded && modes == 0)
    return fail(error, "a rounding modifier is required");
  if (approx || full)
    s.rnd = Rnd::RN; // Computed exactly; see Ops.h.
  return true;
}

bool decodeArith(Opcode &op, OpSpec &s, std::string &error) {
  std::string_view m = op.mnemonic;
  Ty t;
  if (!oneType(op, t, error))
    return false;
  setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, t}});

  if (t == Ty::BF16) {
    if (m == "add" || m == "sub" || m == "mul" || m == "fma") {
      Rnd r = op.takeRounding();
      if (r != Rnd::None && r != Rnd::RN)
        return fail(error, "bf16 arithmetic rounds to nearest only");
      if (m == "fma" && r == Rnd::None)
        return fail(error, "a rounding modifier is required");
      s.rnd = Rnd::RN;
    }
    if (m == "add")
      s.fn = &binary<BAdd>;
    else if (m == "sub")
      s.fn = &binary<BSub>;
    else if (m == "mul")
      s.fn = &binary<BMul>;
    else if (m == "fma") {
      s.fn = &ternary<BFma>;
      setSlots(
          s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, t}, {Slot::Src, t}});
    } else if (m == "min" || m == "max") {
      s.aux = op.take(".NaN");
      s.fn = m == "min" ? &binary<BMin> : &binary<BMax>;
    } else if (m == "neg" || m == "abs") {
      s.fn = m == "neg" ? &unary<BNeg> : &unary<BAbs>;
      setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
    } else {
      return badType(error, t);
    }
    return true;
  }

  if (isFloatTy(t)) {
    bool fast = false;
    if (m == "add" || m == "sub" || m == "mul") {
      if (!floatMods(op, s, t, {}, error))
        return false;
      fast = (s.rnd == Rnd::None || s.rnd == Rnd::RN) && !s.ftz && !s.sat;
      if (m == "add")
        s.fn = fast ? byFloat<2, FAdd>(t) : byFloat<2, FAddAny>(t);
      else if (m == "sub")
        s.fn = fast ? byFloat<2, FSub>(t) : byFloat<2, FSubAny>(t);
      else
        s.fn = fast ? byFloat<2, FMul>(t) : byFloat<2, FMulAny>(t);
    } else if (m == "fma" || m == "mad") {
      FloatForm form;
      form.roundingNeeded = true;
      if (!floatMods(op, s, t, form, error))
        return false;
      fast = s.rnd == Rnd::RN && !s.ftz && !s.sat;
      s.fn = fast ? byFloat<3, FFma>(t) : byFloat<3, FFmaAny>(t);
      setSlots(
          s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, t}, {Slot::Src, t}});
    } else if (m == "div") {
      FloatForm form;
      form.roundingNeeded = true;
      form.ftzSat = false;
      form.approx = form.full = t == Ty::F32;
      if (!floatMods(op, s, t, form, error))
        return false;
      s.fn = byFloat<2, FDiv>(t);
    } else if (m == "min" || m == "max") {
      FloatForm form;
      form.rounding = false;
      form.ftzSat = false;
      if (!floatMods(op, s, t, form, error))
        return false;
      if (t == Ty::F32)
        s.aux = op.take(".NaN");
      s.fn = m == "min" ? byFloat<2, FMin>(t) : byFloat<2, FMax>(t);
    } else if (m == "neg" || m == "abs") {
      FloatForm form;
      form.rounding = false;
      form.ftzSat = false;
      if (!floatMods(op, s, t, form, error))
        return false;
      s.fn = m == "neg" ? byFloat<1, FNeg>(t) : byFloat<1, FAbs>(t);
      setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
    } else {
      return badType(error, t);
    }
    return s.fn != nullptr || badType(error, t);
  }

  if (m == "add" || m == "sub") {
    if (!isIntArith(t))
      return badType(error, t);
    s.fn = m == "add" ? byInt<2, Add>(t) : byInt<2, Sub>(t);
  } else if (m == "mul" || m == "mad") {
    if (!isIntArith(t))
      return badType(error, t);
    bool lo = op.take(".lo"), hi = op.take(".hi"), wide = op.take(".wide");
    if (lo + hi + wide != 1)
      return fail(error, "needs one of .lo, .hi, .wide");
    bool mad = m == "mad";
    if (wide) {
      Ty w = twice(t);
      if (w == Ty::None)
        return fail(error, ".wide takes a 16- or 32-bit type");
      s.fn = mad ? byInt<3, MadWide>(t) : byInt<2, MulWide>(t);
      if (mad)
        setSlots(
            s,
            {{Slot::Dst, w}, {Slot::Src, t}, {Slot::Src, t}, {Slot::Src, w}});
      else
        setSlots(s, {{Slot::Dst, w}, {Slot::Src, t}, {Slot::Src, t}});
    } else if (mad) {
      s.fn = lo ? byInt<3, MadLo>(t) : byInt<3, MadHi>(t);
      setSlots(
          s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, t}, {Slot::Src, t}});
    } else {
      s.fn = lo ? byInt<2, MulLo>(t) : byInt<2, MulHi>(t);
    }
  } else if (m == "div" || m == "rem" || m == "min" || m == "max") {
    if (!isIntArith(t))
      return badType(error, t);
    if (m == "div")
      s.fn = byInt<2, Div>(t);
    else if (m == "rem")
      s.fn = byInt<2, Rem>(t);
    else
      s.fn = m == "min" ? byInt<2, Min>(t) : byInt<2, Max>(t);
  } else if (m == "neg" || m == "abs") {
    if (t != Ty::S16 && t != Ty::S32 && t != Ty::S64)
      return badType(error, t);
    s.fn = m == "neg" ? byInt<1, Neg>(t) : byInt<1, Abs>(t);
    setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
  } else if (m == "fma") {
    return badType(error, t);
  }
  return s.fn != nullptr || badType(error, t);
}

bool decodeLogic(Opcode &op, OpSpec &s, std::string &error) {
  std::string_view m = op.mnemonic;
  Ty t;
  if (!oneType(op, t, error))
    return false;
  if (t == Ty::Pred) {
    if (m == "not") {
      s.fn = &unary<PredNot>;
      setSlots(s, {{Slot::PredDst, t}, {Slot::PredSrc, t}});
      return true;
    }
    s.fn = m == "and"  ? &binary<PredAnd>
           : m == "or" ? &binary<PredOr>
                       : &binary<PredXor>;
    setSlots(s, {{Slot::PredDst, t}, {Slot::PredSrc, t}, {Slot::PredSrc, t}});
    return true;
  }
  if (!isBits(t))
    return badType(error, t);
  if (m == "not") {
    s.fn = byInt<1, Not>(t);
    setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
    return true;
  }
  s.fn = m == "and"  ? byInt<2, And>(t)
         : m == "or" ? byInt<2, Or>(t)
                     : byInt<2, Xor>(t);
  setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, t}});
  return true;
}

bool decodeShift(Opcode &op, OpSpec &s, std::string &error) {
  Ty t;
  if (!oneType(op, t, error))
    return false;
  bool left = op.mnemonic == "shl";
  if (left ? !isBits(t) : !(isBits(t) || isIntArith(t)))
    return badType(error, t);
  s.fn = left ? byInt<2, Shl>(t) : byInt<2, Shr>(t);
  setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}, {Slot::Src, Ty::U32}});
  return true;
}

bool decodeSetp(Opcode &op, OpSpec &s, std::string &error) {
  std::optional<Cmp> cmp = op.takeCmp();
  if (!cmp)
    return fail(error, "missing comparison");
  Ty t;
  if (!oneType(op, t, error))
    return false;
  if (t == Ty::F32)
    s.ftz = op.take(".ftz");
  bool floating = isFloatTy(t);
  bool ordered = *cmp <= Cmp::Ge,
       unsignedCmp = *cmp >= Cmp::Lo && *cmp <= Cmp::Hs;
  if (floating ? unsignedCmp : !(ordered || unsignedCmp))
    return fail(error, "comparison not allowed for this type");
  if (isBits(t) && *cmp != Cmp::Eq && *cmp != Cmp::Ne)
    return fail(error, "bit types compare with .eq and .ne only");
  if (isSignedTy(t) && unsignedCmp)
    return fail(error, "unsigned comparison of a signed type");
  if (!floating && !isBits(t) && !isIntArith(t))
    return badType(error, t);
  s.fn = setpHandler(*cmp, t);
  setSlots(s, {{Slot::PredDst, Ty::Pred}, {Slot::Src, t}, {Slot::Src, t}});
  return s.fn != nullptr || badType(error, t);
}

bool decodeSelpMov(Opcode &op, OpSpec &s, std::string &error) {
  Ty t;
  if (!oneType(op, t, error))
    return false;
  bool selp = op.mnemonic == "selp";
  if (t == Ty::Pred) {
    if (selp)
      return badType(error, t);
    s.fn = &unary<Mov<bool>>;
    setSlots(s, {{Slot::PredDst, t}, {Slot::PredSrc, t}});
    return true;
  }
  Ty bits = t;
  switch (tySize(t)) {
  case 2:
    bits = Ty::B16;
    break;
  case 4:
    bits = Ty::B32;
    break;
  case 8:
    bits = Ty::B64;
    break;
  default:
    return badType(error, t);
  }
  if (selp) {
    s.fn = withInt(bits,
                   [](auto x) { return Handler(&ternary<Selp<decltype(x)>>); });
    setSlots(s, {{Slot::Dst, t},
                 {Slot::Src, t},
                 {Slot::Src, t},
                 {Slot::PredSrc, Ty::Pred}});
  } else {
    s.fn =
        withInt(bits, [](auto x) { return Handler(&unary<Mov<decltype(x)>>); });
    s.symbolSource = tySize(t) == 8;
    setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
  }
  return true;
}

bool decodeBfe(Opcode &op, OpSpec &s, std::string &error) {
  Ty t;
  if (!oneType(op, t, error))
    return false;
  if (t != Ty::U32 && t != Ty::S32 && t != Ty::U64 && t != Ty::S64)
    return badType(error, t);
  s.fn = byInt<3, Bfe>(t);
  setSlots(s, {{Slot::Dst, t},
               {Slot::Src, t},
               {Slot::Src, Ty::U32},
               {Slot::Src, Ty::U32}});
  return true;
}

bool decodeCvt(Opcode &op, OpSpec &s, std::string &error) {
  Rnd frnd = op.takeRounding(), irnd = op.takeIntRounding();
  s.ftz = op.take(".ftz");
  s.sat = op.take(".sat");
  std::vector<Ty> types = op.takeTypes();
  if (types.size() != 2)
    return fail(error, "expects a destination and a source type");
  Ty to = types[0], from = types[1];
  for (Ty t : types)
    if (t == Ty::Pred || isBits(t) || t == Ty::B8)
      return badType(error, t);
  if (frnd != Rnd::None && irnd != Rnd::None)
    return fail(error, "conflicting rounding modifiers");
  bool floatTo = isFloatTy(to), floatFrom = isFloatTy(from);
  if (s.ftz && to != Ty::F32 && from != Ty::F32)
    return fail(error, ".ftz needs an f32 operand");
  if (!floatTo && !floatFrom) {
    if (frnd != Rnd::None || irnd != Rnd::None)
      return fail(error, "integer conversions take no rounding modifier");
  } else if (!floatTo) {
    if (irnd == Rnd::None)
      return fail(error, "float-to-integer conversion needs .rni, .rzi, "
                         ".rmi or .rpi");
    s.rnd = irnd;
  } else if (!floatFrom) {
    if (frnd == Rnd::None)
      return fail(error, "integer-to-float conversion needs .rn, .rz, .rm "
                         "or .rp");
    s.rnd = frnd;
  } else {
    unsigned toBytes = tySize(to), fromBytes = tySize(from);
    if (to == from) {
      if (frnd != Rnd::None)
        return fail(error, "a conversion to the same type takes .rni, "
                           ".rzi, .rmi or .rpi");
      s.rnd = irnd;
    } else if (toBytes < fromBytes) {
      if (irnd != Rnd::None || frnd == Rnd::None)
        return fail(error, "a narrowing conversion needs .rn, .rz, .rm or "
                           ".rp");
      s.rnd = frnd;
    } else {
      if (irnd != Rnd::None)
        return fail(error, "a widening conversion takes no integer "
                           "rounding");
      s.rnd = frnd; // Exact anyway.
    }
  }
  s.fn = cvtHandler(to, from);
  setSlots(s, {{Slot::Dst, to}, {Slot::Src, from}});
  return s.fn != nullptr || fail(error, "conversion not supported");
}

bool decodeMemory(Opcode &op, OpSpec &s, std::string &error) {
  bool load = op.mnemonic == "ld";
  if (op.take(".global"))
    s.space = Global;
  else if (op.take(".shared"))
    s.space = Shared;
  else if (load && op.take(".param"))
    s.space = Param;
  else
    return fail(error, "state space not supported (only .global, .shared" +
                           std::string(load ? ", .param" : "") + ")");
  // Cache and ordering hints change nothing here.
  op.take(".volatile");
  if (s.space == Global) {
    if (load) {
      op.take(".nc") || op.take(".ca") || op.take(".cg") || op.take(".cs") ||
          op.take(".lu") || op.take(".cv");
    } else {
      op.take(".wb") || op.take(".cg") || op.take(".cs") || op.take(".wt");
    }
  }
  if (op.take(".v2"))
    s.count = 2;
  else if (op.take(".v4"))
    s.count = 4;
  Ty t;
  if (!oneType(op, t, error))
    return false;
  if (t == Ty::Pred || t == Ty::BF16)
    return badType(error, t);
  if (s.count * tySize(t) > 16)
    return fail(error, "vector of more than 16 bytes");
  s.isLoad = load;
  s.isStore = !load;
  if (s.space == Param)
    s.fn = withMemoryType(
        t, [](auto x) { return Handler(&loadParam<decltype(x)>); });
  else if (s.space == Global)
    s.fn =
        load ? withMemoryType(
                   t, [](auto x) { return Handler(&loadGlobal<decltype(x)>); })
             : withMemoryType(t, [](auto x) {
                 return Handler(&storeGlobal<decltype(x)>);
               });
  else
    s.fn =
        load ? withMemoryType(
                   t, [](auto x) { return Handler(&loadShared<decltype(x)>); })
             : withMemoryType(t, [](auto x) {
                 return Handler(&storeShared<decltype(x)>);
               });
  s.aux = s.space;
  if (load)
    setSlots(s, {{Slot::Dst, t}, {Slot::Addr, Ty::U64}});
  else
    setSlots(s, {{Slot::Addr, Ty::U64}, {Slot::Src, t}});
  return s.fn != nullptr || badType(error, t);
}

bool decodeMath(Opcode &op, OpSpec &s, std::string &error) {
  std::string_view m = op.mnemonic;
  Ty t;
  if (!oneType(op, t, error))
    return false;
  setSlots(s, {{Slot::Dst, t}, {Slot::Src, t}});
  bool approx = op.take(".approx");
  if (t == Ty::F32)
    s.ftz = op.take(".ftz");
  if (m == "sqrt" || m == "rcp") {
    Rnd r = op.takeRounding();
    if (approx == (r != Rnd::None))
      return fail(error, "needs .approx or a rounding modifier");
    if (approx && t == Ty::F64 && !(m == "rcp" && op.take(".ftz")))
      return fail(error, ".approx.f64 not supported");
    s.rnd = approx ? Rnd::RN : r;
    s.fn = m == "sqrt" ? byFloat<1, FSqrt>(t) : byFloat<1, Rcp>(t);
    return s.fn != nullptr || badType(error, t);
  }
  if (!approx)
    return fail(error, "needs .approx");
  if (m == "rsqrt") {
    if (t == Ty::F64)
      op.take(".ftz");
    s.fn = t == Ty::F32   ? &unary<RsqrtF32>
           : t == Ty::F64 ? &unary<RsqrtF64>
                          : nullptr;
  } else if (t == Ty::F32) {
    s.fn = m == "ex2" ? &unary<Ex2F32> : &unary<Lg2F32>;
  }
  return s.fn != nullptr || badType(error, t);
}

} // namespace

bool resnetc::cudasim::ptx::decodeOpcode(std::string_view text, OpSpec &s,
                                         std::string &error) {
  Opcode op(text);
  std::string_view m = op.mnemonic;
  bool ok;
  if (m == "add" || m == "sub" || m == "mul" || m == "mad" || m == "fma" ||
      m == "div" || m == "rem" || m == "min" || m == "max" || m == "neg" ||
      m == "abs") {
    ok = decodeArith(op, s, error);
  } else if (m == "and" || m == "or" || m == "xor" || m == "not") {
    ok = decodeLogic(op, s, error);
  } else if (m == "shl" || m == "shr") {
    ok = decodeShift(op, s, error);
  } else if (m == "setp") {
    ok = decodeSetp(op, s, error);
  } else if (m == "selp" || m == "mov") {
    ok = decodeSelpMov(op, s, error);
  } else if (m == "bfe") {
    ok = decodeBfe(op, s, error);
  } else if (m == "cvt") {
    ok = decodeCvt(op, s, error);
  } else if (m == "cvta") {
    // Global addresses are generic addresses here.
    bool to = op.take(".to");
    if (!op.take(".global")) {
      ok = fail(error, "only .global addresses convert");
    } else {
      Ty t;
      ok = oneType(op, t, error);
      if (ok && t != Ty::U64)
        ok = badType(error, t);
      (void)to;
      s.fn = &unary<Mov<uint64_t>>;
      setSlots(s, {{Slot::Dst, Ty::U64}, {Slot::Src, Ty::U64}});
    }
  } else if (m == "ld" || m == "st") {
    ok = decodeMemory(op, s, error);
  } else if (m == "sqrt" || m == "rsqrt" || m == "rcp" || m == "ex2" ||
             m == "lg2") {
    ok = decodeMath(op, s, error);
  } else if (m == "bra") {
    op.take(".uni");
    s.kind = Kind::Bra;
    setSlots(s, {{Slot::Label, Ty::None}});
    ok = true;
  } else if (m == "ret" || m == "exit") {
    op.take(".uni");
    s.kind = Kind::Ret;
    ok = true;
  } else if (m == "bar" || m == "barrier") {
    op.take(".cta");
    if (!op.take(".sync")) {
      ok = fail(error, "only bar.sync is supported");
    } else {
      if (m == "barrier")
        op.take(".aligned");
      s.kind = Kind::Bar;
      setSlots(s, {{Slot::Imm, Ty::U32}});
      ok = true;
    }
  } else {
    return fail(error, "unknown instruction");
  }
  if (!ok) {
    // A modifier no instruction has says more than what it caused.
    std::string unknown;
    if (!op.done(unknown, /*unknownOnly=*/true))
      error = unknown;
    return false;
  }
  return op.done(error);
}
