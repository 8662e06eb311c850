//===- Ops.h - The handlers of PTX instructions -----------------*- C++ -*-===//
//
// One handler per instruction form: a loop over the threads an instruction
// runs for, applying an operation functor to each thread's register lanes.
// A functor names its destination and source types (D, A, B, C) and
// computes one result from one thread's operands and the instruction (for
// its rounding mode and flags). Memory handlers check every access: global
// memory through the launch's AccessScope, shared memory for bounds,
// alignment, reads of bytes never written and races between threads within
// a barrier interval. Only the decoder includes this header.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_OPS_H
#define RESNETC_LIB_CUDASIM_PTX_OPS_H

#include "Exec.h"
#include "Float.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace resnetc::cudasim::ptx::ops {

//===----------------------------------------------------------------------===//
// Generic handlers
//===----------------------------------------------------------------------===//

template <typename Op> bool unary(Exec &e, const Inst &in, const Lanes &l) {
  uint64_t *d = e.row(in.op[0]);
  const uint64_t *a = e.row(in.op[1]);
  forLanes(l, [&](uint32_t t) {
    d[t] = put<typename Op::D>(Op::apply(in, get<typename Op::A>(a[t])));
  });
  return true;
}

template <typename Op> bool binary(Exec &e, const Inst &in, const Lanes &l) {
  uint64_t *d = e.row(in.op[0]);
  const uint64_t *a = e.row(in.op[1]), *b = e.row(in.op[2]);
  forLanes(l, [&](uint32_t t) {
    d[t] = put<typename Op::D>(
        Op::apply(in, get<typename Op::A>(a[t]), get<typename Op::B>(b[t])));
  });
  return true;
}

template <typename Op> bool ternary(Exec &e, const Inst &in, const Lanes &l) {
  uint64_t *d = e.row(in.op[0]);
  const uint64_t *a = e.row(in.op[1]), *b = e.row(in.op[2]),
                 *c = e.row(in.op[3]);
  forLanes(l, [&](uint32_t t) {
    d[t] = put<typename Op::D>(Op::apply(in, get<typename Op::A>(a[t]),
                                         get<typename Op::B>(b[t]),
                                         get<typename Op::C>(c[t])));
  });
  return true;
}

/// Registers wider than a loaded integer get it sign- or zero-extended.
template <typename T> inline uint64_t widen(T x) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
    return static_cast<uint64_t>(static_cast<int64_t>(x));
  else
    return put<T>(x);
}

//===----------------------------------------------------------------------===//
// Integer operations
//===----------------------------------------------------------------------===//

template <typename T> using Unsigned = std::make_unsigned_t<T>;
/// Unsigned arithmetic at least as wide as int, so that nothing overflows.
template <typename T>
using Arith = std::conditional_t<(sizeof(T) < 4), uint32_t, Unsigned<T>>;

template <typename T> struct Same2 {
  using D = T;
  using A = T;
  using B = T;
};
template <typename T> struct Same3 : Same2<T> { using C = T; };

template <typename T> struct Add : Same2<T> {
  static T apply(const Inst &, T a, T b) {
    return static_cast<T>(Arith<T>(Unsigned<T>(a)) + Arith<T>(Unsigned<T>(b)));
  }
};
template <typename T> struct Sub : Same2<T> {
  static T apply(const Inst &, T a, T b) {
    return static_cast<T>(Arith<T>(Unsigned<T>(a)) - Arith<T>(Unsigned<T>(b)));
  }
};
template <typename T> inline T mulLo(T a, T b) {
  return static_cast<T>(Arith<T>(Unsigned<T>(a)) * Arith<T>(Unsigned<T>(b)));
}
template <typename T> inline T mulHi(T a, T b) {
  if constexpr (sizeof(T) == 8) {
    using W =
        std::conditional_t<std::is_signed_v<T>, __int128, unsigned __int128>;
    return static_cast<T>((W(a) * W(b)) >> 64);
  } else {
    using W = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
    return static_cast<T>((W(a) * W(b)) >> (8 * sizeof(T)));
  }
}
template <typename T> struct MulLo : Same2<T> {
  static T apply(const Inst &, T a, T b) { return mulLo(a, b); }
};
template <typename T> struct MulHi : Same2<T> {
  static T apply(const Inst &, T a, T b) { return mulHi(a, b); }
};
/// The type twice as wide as T, of its signedness.
template <typename T>
using Twice = std::conditional_t<
    sizeof(T) == 2, std::conditional_t<std::is_signed_v<T>, int32_t, uint32_t>,
    std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
template <typename T> struct MulWide {
  using D = Twice<T>;
  using A = T;
  using B = T;
  static D apply(const Inst &, T a, T b) { return D(a) * D(b); }
};
template <typename T> struct MadLo : Same3<T> {
  static T apply(const Inst &i, T a, T b, T c) {
    return Add<T>::apply(i, mulLo(a, b), c);
  }
};
template <typename T> struct MadHi : Same3<T> {
  static T apply(const Inst &i, T a, T b, T c) {
    return Add<T>::apply(i, mulHi(a, b), c);
  }
};
template <typename T> struct MadWide {
  using D = Twice<T>;
  using A = T;
  using B = T;
  using C = Twice<T>;
  static D apply(const Inst &i, T a, T b, D c) {
    return Add<D>::apply(i, D(a) * D(b), c);
  }
};
/// Division by zero gives all ones (unsigned) or -1 (signed); the most
/// negative value divided by -1 gives itself.
template <typename T> struct Div : Same2<T> {
  static T apply(const Inst &, T a, T b) {
    if (b == 0)
      return static_cast<T>(-1);
    if constexpr (std::is_signed_v<T>)
      if (b == -1)
        return static_cast<T>(Arith<T>(0) - Arith<T>(Unsigned<T>(a)));
    return static_cast<T>(a / b);
  }
};
/// The remainder by zero is the dividend.
template <typename T> struct Rem : Same2<T> {
  static T apply(const Inst &, T a, T b) {
    if (b == 0)
      return a;
    if constexpr (std::is_signed_v<T>)
      if (b == -1)
        return 0;
    return static_cast<T>(a % b);
  }
};
template <typename T> struct Min : Same2<T> {
  static T apply(const Inst &, T a, T b) { return a < b ? a : b; }
};
template <typename T> struct Max : Same2<T> {
  static T apply(const Inst &, T a, T b) { return a > b ? a : b; }
};
template <typename T> struct And : Same2<T> {
  static T apply(const Inst &, T a, T b) { return static_cast<T>(a & b); }
};
template <typename T> struct Or : Same2<T> {
  static T apply(const Inst &, T a, T b) { return static_cast<T>(a | b); }
};
template <typename T> struct Xor : Same2<T> {
  static T apply(const Inst &, T a, T b) { return static_cast<T>(a ^ b); }
};
/// Shift amounts are .u32; amounts of the width or more shift everything
/// out (a signed right shift then fills with the sign).
template <typename T> struct Shl {
  using D = T;
  using A = T;
  using B = uint32_t;
  static T apply(const Inst &, T a, uint32_t b) {
    if (b >= 8 * sizeof(T))
      return 0;
    return static_cast<T>(Arith<T>(Unsigned<T>(a)) << b);
  }
};
template <typename T> struct Shr {
  using D = T;
  using A = T;
  using B = uint32_t;
  static T apply(const Inst &, T a, uint32_t b) {
    if (b >= 8 * sizeof(T))
      return std::is_signed_v<T> && a < 0 ? T(-1) : T(0);
    return static_cast<T>(a >> b);
  }
};
template <typename T> struct Not {
  using D = T;
  using A = T;
  static T apply(const Inst &, T a) { return static_cast<T>(~a); }
};
template <typename T> struct Neg {
  using D = T;
  using A = T;
  static T apply(const Inst &, T a) {
    return static_cast<T>(Arith<T>(0) - Arith<T>(Unsigned<T>(a)));
  }
};
template <typename T> struct Abs {
  using D = T;
  using A = T;
  static T apply(const Inst &i, T a) { return a < 0 ? Neg<T>::apply(i, a) : a; }
};
struct PredAnd : Same2<bool> {
  static bool apply(const Inst &, bool a, bool b) { return a && b; }
};
struct PredOr : Same2<bool> {
  static bool apply(const Inst &, bool a, bool b) { return a || b; }
};
struct PredXor : Same2<bool> {
  static bool apply(const Inst &, bool a, bool b) { return a != b; }
};
struct PredNot {
  using D = bool;
  using A = bool;
  static bool apply(const Inst &, bool a) { return !a; }
};
/// bfe: the field of c bits at bit b of a (both taken mod 256), zero- or
/// sign-extended; bits beyond a's msb read as the sign bit.
template <typename T> struct Bfe {
  using D = T;
  using A = T;
  using B = uint32_t;
  using C = uint32_t;
  static T apply(const Inst &, T a, uint32_t b, uint32_t c) {
    using U = Unsigned<T>;
    constexpr unsigned width = 8 * sizeof(T);
    unsigned pos = b & 0xff, len = c & 0xff;
    if (len == 0)
      return 0;
    U x = static_cast<U>(a);
    // The sign bit: the field's top bit, or a's msb when the field runs
    // past it (signed types only).
    bool sbit =
        std::is_signed_v<T> && ((x >> std::min(pos + len - 1, width - 1)) & 1);
    U fill = sbit ? static_cast<U>(~U(0)) : U(0);
    if (pos >= width)
      return static_cast<T>(fill);
    unsigned n = std::min(len, width - pos); // Bits taken from a.
    U mask =
        n >= width ? static_cast<U>(~U(0)) : static_cast<U>((U(1) << n) - 1);
    return static_cast<T>(((x >> pos) & mask) | (fill & ~mask));
  }
};
template <typename T> struct Selp {
  using D = T;
  using A = T;
  using B = T;
  using C = bool;
  static T apply(const Inst &, T a, T b, bool c) { return c ? a : b; }
};
template <typename T> struct Mov {
  using D = T;
  using A = T;
  static T apply(const Inst &, T a) { return a; }
};

//===----------------------------------------------------------------------===//
// Comparisons
//===----------------------------------------------------------------------===//

enum class Cmp : uint8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Lo,
  Ls,
  Hi,
  Hs,
  Equ,
  Neu,
  Ltu,
  Leu,
  Gtu,
  Geu,
  Num,
  Nan,
};

template <Cmp C, typename T> inline bool compare(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    bool unordered = std::isnan(a) || std::isnan(b);
    switch (C) {
    case Cmp::Eq:
      return !unordered && a == b;
    case Cmp::Ne:
      return !unordered && a != b;
    case Cmp::Lt:
      return !unordered && a < b;
    case Cmp::Le:
      return !unordered && a <= b;
    case Cmp::Gt:
      return !unordered && a > b;
    case Cmp::Ge:
      return !unordered && a >= b;
    case Cmp::Equ:
      return unordered || a == b;
    case Cmp::Neu:
      return unordered || a != b;
    case Cmp::Ltu:
      return unordered || a < b;
    case Cmp::Leu:
      return unordered || a <= b;
    case Cmp::Gtu:
      return unordered || a > b;
    case Cmp::Geu:
      return unordered || a >= b;
    case Cmp::Num:
      return !unordered;
    case Cmp::Nan:
      return unordered;
    default:
      return false;
    }
  } else {
    using U = Unsigned<T>;
    switch (C) {
    case Cmp::Eq:
      return a == b;
    case Cmp::Ne:
      return a != b;
    case Cmp::Lt:
      return a < b;
    case Cmp::Le:
      return a <= b;
    case Cmp::Gt:
      return a > b;
    case Cmp::Ge:
      return a >= b;
    case Cmp::Lo:
      return U(a) < U(b);
    case Cmp::Ls:
      return U(a) <= U(b);
    case Cmp::Hi:
      return U(a) > U(b);
    case Cmp::Hs:
      return U(a) >= U(b);
    default:
      return false;
    }
  }
}

template <Cmp C, typename T> struct Setp {
  using D = bool;
  using A = T;
  using B = T;
  static bool apply(const Inst &i, T a, T b) {
    if constexpr (std::is_same_v<T, float>)
      if (i.ftz)
        return compare<C>(flush(a), flush(b));
    return compare<C>(a, b);
  }
};
template <Cmp C> struct SetpBF16 {
  using D = bool;
  using A = uint16_t;
  using B = uint16_t;
  static bool apply(const Inst &, uint16_t a, uint16_t b) {
    return compare<C>(bf16ToFloat(a), bf16ToFloat(b));
  }
};

//===----------------------------------------------------------------------===//
// Floating-point operations
//===----------------------------------------------------------------------===//

/// The fast forms: round to nearest, no .ftz or .sat.
template <typename T> struct FAdd : Same2<T> {
  static T apply(const Inst &, T a, T b) { return a + b; }
};
template <typename T> struct FSub : Same2<T> {
  static T apply(const Inst &, T a, T b) { return a - b; }
};
template <typename T> struct FMul : Same2<T> {
  static T apply(const Inst &, T a, T b) { return a * b; }
};
template <typename T> struct FFma : Same3<T> {
  static T apply(const Inst &, T a, T b, T c) { return std::fma(a, b, c); }
};

/// .ftz on an input; .sat and .ftz on a result.
template <typename T> inline T ftzIn(const Inst &i, T x) {
  return i.ftz ? flush(x) : x;
}
template <typename T> inline T ftzOut(const Inst &i, T x) {
  if (i.sat)
    x = saturate(x);
  return i.ftz ? flush(x) : x;
}

/// The general forms: any rounding mode, .ftz, .sat.
template <typename T> struct FAddAny : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, addRounded(ftzIn(i, a), ftzIn(i, b), i.rnd));
  }
};
template <typename T> struct FSubAny : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, addRounded(ftzIn(i, a), -ftzIn(i, b), i.rnd));
  }
};
template <typename T> struct FMulAny : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, mulRounded(ftzIn(i, a), ftzIn(i, b), i.rnd));
  }
};
template <typename T> struct FFmaAny : Same3<T> {
  static T apply(const Inst &i, T a, T b, T c) {
    return ftzOut(i, fmaRounded(ftzIn(i, a), ftzIn(i, b), ftzIn(i, c), i.rnd));
  }
};
template <typename T> struct FDiv : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, divRounded(ftzIn(i, a), ftzIn(i, b), i.rnd));
  }
};
/// aux: 1 for .NaN.
template <typename T> struct FMin : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, minOf(ftzIn(i, a), ftzIn(i, b), i.aux != 0));
  }
};
template <typename T> struct FMax : Same2<T> {
  static T apply(const Inst &i, T a, T b) {
    return ftzOut(i, maxOf(ftzIn(i, a), ftzIn(i, b), i.aux != 0));
  }
};
template <typename T> struct FNeg {
  using D = T;
  using A = T;
  static T apply(const Inst &i, T a) { return -ftzIn(i, a); }
};
template <typename T> struct FAbs {
  using D = T;
  using A = T;
  static T apply(const Inst &i, T a) { return std::fabs(ftzIn(i, a)); }
};
template <typename T> struct FSqrt {
  using D = T;
  using A = T;
  static T apply(const Inst &i, T a) {
    return ftzOut(i, sqrtRounded(ftzIn(i, a), i.rnd));
  }
};
/// The approximate functions are computed to (nearly) correctly rounded
/// results: rsqrt exactly, the others with libm in double precision rounded
/// once to float, which is correctly rounded unless the double result lies
/// within an ulp of a rounding boundary.
struct RsqrtF32 {
  using D = float;
  using A = float;
  static float apply(const Inst &i, float a) {
    return ftzOut(i, rsqrtFloat(ftzIn(i, a)));
  }
};
struct RsqrtF64 {
  using D = double;
  using A = double;
  static double apply(const Inst &i, double a) {
    return ftzOut(i, 1.0 / std::sqrt(ftzIn(i, a)));
  }
};
template <typename T> struct Rcp {
  using D = T;
  using A = T;
  static T apply(const Inst &i, T a) {
    return ftzOut(i, divRounded(T(1), ftzIn(i, a), i.rnd));
  }
};
struct Ex2F32 {
  using D = float;
  using A = float;
  static float apply(const Inst &i, float a) {
    return ftzOut(i, static_cast<float>(std::exp2(double(ftzIn(i, a)))));
  }
};
struct Lg2F32 {
  using D = float;
  using A = float;
  static float apply(const Inst &i, float a) {
    return ftzOut(i, static_cast<float>(std::log2(double(ftzIn(i, a)))));
  }
};

/// bf16 arithmetic: fp32 arithmetic on the exact values, rounded to bf16
/// (rounding the fp32 sum or product again loses nothing: fp32 has more
/// than twice bf16's precision).
struct BAdd : Same2<uint16_t> {
  static uint16_t apply(const Inst &, uint16_t a, uint16_t b) {
    return floatToBF16(bf16ToFloat(a) + bf16ToFloat(b), Rnd::RN);
  }
};
struct BSub : Same2<uint16_t> {
  static uint16_t apply(const Inst &, uint16_t a, uint16_t b) {
    return floatToBF16(bf16ToFloat(a) - bf16ToFloat(b), Rnd::RN);
  }
};
struct BMul : Same2<uint16_t> {
  static uint16_t apply(const Inst &, uint16_t a, uint16_t b) {
    return floatToBF16(bf16ToFloat(a) * bf16ToFloat(b), Rnd::RN);
  }
};
/// fma rounds once: the exact a * b + c to bf16.
struct BFma : Same3<uint16_t> {
  static uint16_t apply(const Inst &, uint16_t a, uint16_t b, uint16_t c) {
    float x = bf16ToFloat(a), y = bf16ToFloat(b), z = bf16ToFloat(c);
    if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z))
      return floatToBF16(std::fma(x, y, z), Rnd::RN);
    int sign;
    Wide s = twoSum(Wide(x) * Wide(y), Wide(z), &sign);
    if (s == 0 && sign == 0)
      return floatToBF16(std::fma(x, y, z), Rnd::RN);
    return wideToBF16(s, sign, Rnd::RN);
  }
};
struct BMin : Same2<uint16_t> {
  static uint16_t apply(const Inst &i, uint16_t a, uint16_t b) {
    return floatToBF16(minOf(bf16ToFloat(a), bf16ToFloat(b), i.aux != 0),
                       Rnd::RN);
  }
};
struct BMax : Same2<uint16_t> {
  static uint16_t apply(const Inst &i, uint16_t a, uint16_t b) {
    return floatToBF16(maxOf(bf16ToFloat(a), bf16ToFloat(b), i.aux != 0),
                       Rnd::RN);
  }
};
struct BNeg {
  using D = uint16_t;
  using A = uint16_t;
  static uint16_t apply(const Inst &, uint16_t a) { return a ^ 0x8000; }
};
struct BAbs {
  using D = uint16_t;
  using A = uint16_t;
  static uint16_t apply(const Inst &, uint16_t a) { return a & 0x7fff; }
};

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

/// Integer to integer: extended by the source's signedness, then clamped
/// to the destination's range with .sat, then truncated.
template <typename To, typename From> struct CvtII {
  using D = To;
  using A = From;
  static To apply(const Inst &i, From a) {
    if (i.sat) {
      __int128 v = a;
      __int128 lo = std::numeric_limits<To>::min();
      __int128 hi = std::numeric_limits<To>::max();
      return static_cast<To>(v < lo ? lo : v > hi ? hi : v);
    }
    return static_cast<To>(a);
  }
};
/// Float to integer: rounded as .rni/.rzi/.rmi/.rpi say, saturated.
template <typename To, typename From> struct CvtFI {
  using D = To;
  using A = From;
  static To apply(const Inst &i, From a) {
    return floatToInt<To>(ftzIn(i, a), i.rnd);
  }
};
template <typename To> struct CvtBI {
  using D = To;
  using A = uint16_t;
  static To apply(const Inst &i, uint16_t a) {
    return floatToInt<To>(bf16ToFloat(a), i.rnd);
  }
};
/// Integer to float, rounded as .rn/.rz/.rm/.rp say.
template <typename To, typename From> struct CvtIF {
  using D = To;
  using A = From;
  static To apply(const Inst &i, From a) {
    To r = (i.rnd == Rnd::RN || i.rnd == Rnd::None)
               ? static_cast<To>(a)
               : roundWide<To>(Wide(a), 0, i.rnd);
    return ftzOut(i, r);
  }
};
template <typename From> struct CvtIB {
  using D = uint16_t;
  using A = From;
  static uint16_t apply(const Inst &i, From a) {
    return wideToBF16(Wide(a), 0, i.rnd);
  }
};
/// Float to float: widening is exact; narrowing rounds as .rn/.rz/.rm/.rp
/// say; the same type with .rni/.rzi/.rmi/.rpi rounds to an integral value.
template <typename To, typename From> struct CvtFF {
  using D = To;
  using A = From;
  static To apply(const Inst &i, From a) {
    From x = ftzIn(i, a);
    To r;
    if (i.rnd >= Rnd::RNI)
      r = static_cast<To>(roundIntegral(x, i.rnd));
    else if (sizeof(To) >= sizeof(From) || i.rnd == Rnd::RN ||
             i.rnd == Rnd::None || !std::isfinite(x))
      r = static_cast<To>(x);
    else
      r = roundWide<To>(Wide(x), 0, i.rnd);
    return ftzOut(i, r);
  }
};
/// bf16 to float or double: exact (.rni and the like round to an integral
/// value).
template <typename To> struct CvtBF {
  using D = To;
  using A = uint16_t;
  static To apply(const Inst &i, uint16_t a) {
    To r = static_cast<To>(bf16ToFloat(a));
    if (i.rnd >= Rnd::RNI)
      r = roundIntegral(r, i.rnd);
    return ftzOut(i, r);
  }
};
/// Float or double to bf16.
template <typename From> struct CvtFB {
  using D = uint16_t;
  using A = From;
  static uint16_t apply(const Inst &i, From a) {
    From x = ftzIn(i, a);
    if (i.sat)
      x = saturate(x);
    if (std::is_same_v<From, float> || !std::isfinite(x))
      return floatToBF16(static_cast<float>(x), i.rnd);
    return wideToBF16(Wide(x), 0, i.rnd);
  }
};
struct CvtBB {
  using D = uint16_t;
  using A = uint16_t;
  static uint16_t apply(const Inst &i, uint16_t a) {
    float x = bf16ToFloat(a);
    if (i.rnd >= Rnd::RNI)
      x = roundIntegral(x, i.rnd);
    if (i.sat)
      x = saturate(x);
    return floatToBF16(x, Rnd::RN);
  }
};

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// State spaces (Inst::aux of loads and stores).
enum Space : uint8_t { Global, Shared, Param };

/// The rows of a load's destinations or a store's sources, and the
/// address's base (Inst::op[4]).
inline uint64_t addressOf(Exec &e, const Inst &in, uint32_t t) {
  return e.row(in.op[4])[t] + static_cast<uint64_t>(in.imm);
}

/// Reports the fault of a shared-memory access by thread t that
/// checkShared found wrong; returns false.
bool sharedFault(Exec &e, const Inst &in, uint32_t t, uint64_t address,
                 uint32_t size, bool write);

/// Checks a shared-memory access of Size bytes by thread t (in bounds,
/// aligned, reading bytes written in this block, no other thread's write of
/// them, or for a write, read, in this barrier interval) and updates the
/// shadow; false after recording a fault.
template <uint32_t Size>
inline bool checkShared(Exec &e, const Inst &in, uint32_t t, uint64_t address,
                        bool write) {
  if (address % Size != 0 || address >= e.sharedBytes ||
      e.sharedBytes - address < Size)
    return sharedFault(e, in, t, address, Size, write);
  const uint32_t epoch = e.epoch;
  uint32_t *we = e.shadow.writeEpoch + address,
           *re = e.shadow.readEpoch + address;
  uint16_t *wr = e.shadow.writer + address, *rd = e.shadow.reader + address;
  const uint16_t me = static_cast<uint16_t>(t);
  bool bad = false;
  if (write) {
    for (uint32_t i = 0; i < Size; ++i)
      bad |= (we[i] == epoch && wr[i] != me) | (re[i] == epoch && rd[i] != me);
    if (bad)
      return sharedFault(e, in, t, address, Size, write);
    for (uint32_t i = 0; i < Size; ++i) {
      we[i] = epoch;
      wr[i] = me;
    }
  } else {
    for (uint32_t i = 0; i < Size; ++i)
      bad |= (we[i] < e.blockEpoch) | (we[i] == epoch && wr[i] != me);
    if (bad)
      return sharedFault(e, in, t, address, Size, write);
    for (uint32_t i = 0; i < Size; ++i) {
      rd[i] = re[i] != epoch || rd[i] == me ? me : ManyReaders;
      re[i] = epoch;
    }
  }
  return true;
}

/// checkShared for a run-time size (1, 2, 4, 8 or 16).
inline bool checkShared(Exec &e, const Inst &in, uint32_t t, uint64_t address,
                        uint32_t size, bool write) {
  switch (size) {
  case 1:
    return checkShared<1>(e, in, t, address, write);
  case 2:
    return checkShared<2>(e, in, t, address, write);
  case 4:
    return checkShared<4>(e, in, t, address, write);
  case 8:
    return checkShared<8>(e, in, t, address, write);
  default:
    return checkShared<16>(e, in, t, address, write);
  }
}

template <typename T> bool loadGlobal(Exec &e, const Inst &in, const Lanes &l) {
  const uint32_t size = sizeof(T) * in.count;
  return forLanesChecked(l, [&](uint32_t t) {
    uint64_t address = addressOf(e, in, t);
    const void *p = e.scope->access(address, size, /*write=*/false, [&] {
      return e.who(t) + " (" + e.where(in) + ")";
    });
    if (!p)
      return false;
    for (unsigned k = 0; k < in.count; ++k) {
      T x;
      std::memcpy(&x, static_cast<const uint8_t *>(p) + k * sizeof(T),
                  sizeof(T));
      e.row(in.op[k])[t] = widen(x);
    }
    return true;
  });
}

template <typename T>
bool storeGlobal(Exec &e, const Inst &in, const Lanes &l) {
  const uint32_t size = sizeof(T) * in.count;
  return forLanesChecked(l, [&](uint32_t t) {
    uint64_t address = addressOf(e, in, t);
    void *p = e.scope->access(address, size, /*write=*/true, [&] {
      return e.who(t) + " (" + e.where(in) + ")";
    });
    if (!p)
      return false;
    for (unsigned k = 0; k < in.count; ++k) {
      T x = get<T>(e.row(in.op[k])[t]);
      std::memcpy(static_cast<uint8_t *>(p) + k * sizeof(T), &x, sizeof(T));
    }
    return true;
  });
}

template <typename T> bool loadShared(Exec &e, const Inst &in, const Lanes &l) {
  const uint32_t size = sizeof(T) * in.count;
  return forLanesChecked(l, [&](uint32_t t) {
    uint64_t address = addressOf(e, in, t);
    if (!(in.count == 1
              ? checkShared<sizeof(T)>(e, in, t, address, /*write=*/false)
              : checkShared(e, in, t, address, size, /*write=*/false)))
      return false;
    for (unsigned k = 0; k < in.count; ++k) {
      T x;
      std::memcpy(&x, e.shared + address + k * sizeof(T), sizeof(T));
      e.row(in.op[k])[t] = widen(x);
    }
    return true;
  });
}

template <typename T>
bool storeShared(Exec &e, const Inst &in, const Lanes &l) {
  const uint32_t size = sizeof(T) * in.count;
  return forLanesChecked(l, [&](uint32_t t) {
    uint64_t address = addressOf(e, in, t);
    if (!(in.count == 1
              ? checkShared<sizeof(T)>(e, in, t, address, /*write=*/true)
              : checkShared(e, in, t, address, size, /*write=*/true)))
      return false;
    for (unsigned k = 0; k < in.count; ++k) {
      T x = get<T>(e.row(in.op[k])[t]);
      std::memcpy(e.shared + address + k * sizeof(T), &x, sizeof(T));
    }
    return true;
  });
}

/// ld.param: the parameter buffer at a constant offset (checked against
/// its size when decoded), the same for every thread.
template <typename T> bool loadParam(Exec &e, const Inst &in, const Lanes &l) {
  for (unsigned k = 0; k < in.count; ++k) {
    T x;
    std::memcpy(&x, e.params + in.imm + k * sizeof(T), sizeof(T));
    uint64_t v = widen(x);
    uint64_t *d = e.row(in.op[k]);
    forLanes(l, [&](uint32_t t) { d[t] = v; });
  }
  return true;
}

} // namespace resnetc::cudasim::ptx::ops

#endif // RESNETC_LIB_CUDASIM_PTX_OPS_H
