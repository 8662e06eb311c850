//===- Float.h - Floating-point semantics of PTX ----------------*- C++ -*-===//
//
// The floating-point operations of PTX on the host: rounding to float or
// double in each of PTX's rounding modes, exactly (the exact result is
// carried as a binary128 value plus the sign of what it leaves out, and
// rounded once), bf16 conversions (round to nearest even, bf16 arithmetic
// being fp32 arithmetic rounded to bf16), flushing subnormals (.ftz),
// saturation (.sat), PTX's min/max and float-to-integer conversions.
// Round-to-nearest arithmetic is the host's own (IEEE binary32/binary64,
// round to nearest even, subnormals kept).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_LIB_CUDASIM_PTX_FLOAT_H
#define RESNETC_LIB_CUDASIM_PTX_FLOAT_H

#include "IR.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace resnetc::cudasim::ptx {

/// A format wide enough to hold every product of two doubles, and the sums
/// and conversions below exactly or with a known residual sign.
using Wide = __float128;

template <typename T> inline T nextDown(T x) {
  return std::nextafter(x, -std::numeric_limits<T>::infinity());
}
template <typename T> inline T nextUp(T x) {
  return std::nextafter(x, std::numeric_limits<T>::infinity());
}

inline uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint64_t bitsOf(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double doubleOf(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

/// The NaN PTX's min/max and conversions produce.
template <typename T> inline T canonicalNaN() {
  if constexpr (std::is_same_v<T, float>)
    return floatOf(0x7fffffffu);
  else
    return doubleOf(0x7fffffffffffffffull);
}

/// Rounds the exact value v = hi + r, where r is a residual of sign `sign`
/// (-1, 0, 1) far below the precision of To, to To in the directed mode `m`
/// (RZ, RM, RP), or to odd (`toOdd`: truncate, then set the last bit when
/// inexact; rounding that to a format at least two bits narrower is
/// correctly rounded). Rounding to nearest is the host's own arithmetic.
template <typename To>
inline To roundWide(Wide hi, int sign, Rnd m, bool toOdd = false) {
  if (hi != hi)
    return std::numeric_limits<To>::quiet_NaN();
  To f = static_cast<To>(hi); // Round to nearest even.
  Wide fw = f;
  if (fw == hi && sign == 0)
    return f;
  // The neighbours of v in To.
  To lower, upper;
  if (fw == hi) {
    lower = sign < 0 ? nextDown(f) : f;
    upper = sign > 0 ? nextUp(f) : f;
  } else {
    lower = fw < hi ? f : nextDown(f);
    upper = fw > hi ? f : nextUp(f);
  }
  bool positive = hi > 0 || (hi == 0 && sign > 0);
  if (toOdd) {
    To t = positive ? lower : upper;
    if constexpr (std::is_same_v<To, float>)
      return floatOf(bitsOf(t) | 1u);
    else
      return doubleOf(bitsOf(t) | 1u);
  }
  if (m == Rnd::RM)
    return lower;
  if (m == Rnd::RP)
    return upper;
  return positive ? lower : upper; // Rnd::RZ.
}

/// The sign (-1, 0, 1) of a residual.
inline int signOf(Wide r) { return r > 0 ? 1 : r < 0 ? -1 : 0; }

/// Exact sum a + b as s + (residual of sign *sign) (TwoSum, exact for any
/// finite operands of the wide format).
inline Wide twoSum(Wide a, Wide b, int *sign) {
  Wide s = a + b;
  Wide bb = s - a;
  Wide err = (a - (s - bb)) + (b - bb);
  *sign = signOf(err);
  return s;
}

/// x with a subnormal flushed to a zero of its sign (.ftz).
template <typename T> inline T flush(T x) {
  return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(T(0), x) : x;
}

/// x clamped to [0, 1], NaN to +0 (.sat).
template <typename T> inline T saturate(T x) {
  if (!(x > 0))
    return 0; // NaN, zeros and negatives.
  return x > 1 ? T(1) : x;
}

/// The sum of the addends x and y (rounded in mode m) when it is exactly
/// zero: +0, or -0 when rounding down, unless both are zeros of one sign.
template <typename T> inline T exactZeroSum(T x, T y, Rnd m) {
  if (x == 0 && y == 0 && std::signbit(x) == std::signbit(y))
    return x;
  return m == Rnd::RM ? -T(0) : T(0);
}

/// a + b in mode m.
template <typename T> inline T addRounded(T a, T b, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None)
    return a + b;
  if (!std::isfinite(a) || !std::isfinite(b))
    return a + b;
  int sign;
  Wide s = twoSum(Wide(a), Wide(b), &sign);
  if (s == 0 && sign == 0)
    return exactZeroSum(a, b, m);
  return roundWide<T>(s, sign, m);
}

/// a * b in mode m (exact in the wide format).
template <typename T> inline T mulRounded(T a, T b, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None || !std::isfinite(a) ||
      !std::isfinite(b) || a == 0 || b == 0)
    return a * b;
  return roundWide<T>(Wide(a) * Wide(b), 0, m);
}

/// a * b + c in mode m, rounded once.
template <typename T> inline T fmaRounded(T a, T b, T c, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None || !std::isfinite(a) ||
      !std::isfinite(b) || !std::isfinite(c))
    return std::fma(a, b, c);
  Wide p = Wide(a) * Wide(b); // Exact.
  int sign;
  Wide s = twoSum(p, Wide(c), &sign);
  if (s == 0 && sign == 0) {
    // The product's sign, as a T, for the zero rules.
    T pz = (a == 0 || b == 0)
               ? (std::signbit(a) != std::signbit(b) ? -T(0) : T(0))
               : T(1);
    return exactZeroSum(pz, c, m);
  }
  return roundWide<T>(s, sign, m);
}

/// a / b in mode m.
template <typename T> inline T divRounded(T a, T b, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None || !std::isfinite(a) ||
      !std::isfinite(b) || a == 0 || b == 0)
    return a / b;
  // q = a / b rounded to double; a - q * b is exact in the wide format
  // (q * b has at most 106 bits and nearly cancels a).
  double q = double(a) / double(b);
  Wide r = Wide(a) - Wide(q) * Wide(b);
  int sign = signOf(r) * (b < 0 ? -1 : 1);
  return roundWide<T>(Wide(q), sign, m);
}

/// sqrt(a) in mode m.
template <typename T> inline T sqrtRounded(T a, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None || !(a > 0) || std::isinf(a))
    return std::sqrt(a);
  double s = std::sqrt(double(a));
  Wide r = Wide(a) - Wide(s) * Wide(s); // Exact.
  return roundWide<T>(Wide(s), signOf(r), m);
}

/// 1 / sqrt(a), correctly rounded to float (the result of sqrt in double,
/// divided, then moved to the nearer float by exact comparisons with the
/// midpoints: y is above x^-1/2 iff y * y * x > 1).
inline float rsqrtFloat(float a) {
  if (std::isnan(a) || a < 0)
    return std::numeric_limits<float>::quiet_NaN();
  if (a == 0)
    return std::copysign(std::numeric_limits<float>::infinity(), a);
  if (std::isinf(a))
    return 0.0f;
  float y = static_cast<float>(1.0 / std::sqrt(double(a)));
  for (int i = 0; i < 2; ++i) {
    Wide up = (Wide(y) + Wide(nextUp(y))) / 2;
    Wide down = (Wide(y) + Wide(nextDown(y))) / 2;
    if (up * up * Wide(a) < 1)
      y = nextUp(y);
    else if (down * down * Wide(a) > 1)
      y = nextDown(y);
    else
      break;
  }
  return y;
}

/// bf16 (its bits) to float, exactly.
inline float bf16ToFloat(uint16_t b) { return floatOf(uint32_t(b) << 16); }

/// A float to bf16 in mode m (NaN becomes the canonical 0x7fff).
inline uint16_t floatToBF16(float f, Rnd m) {
  uint32_t u = bitsOf(f);
  if (std::isnan(f))
    return 0x7fff;
  uint16_t hi = static_cast<uint16_t>(u >> 16);
  bool inexact = (u & 0xffff) != 0, negative = u >> 31;
  switch (m) {
  case Rnd::RZ:
    return hi;
  case Rnd::RM:
    return inexact && negative ? hi + 1 : hi;
  case Rnd::RP:
    return inexact && !negative ? hi + 1 : hi;
  default:
    return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
}

/// The exact value hi + residual(sign) to bf16 in mode m: to nearest via
/// rounding to odd in float first, directed modes through float directly
/// (directed roundings compose).
inline uint16_t wideToBF16(Wide hi, int sign, Rnd m) {
  if (m == Rnd::RN || m == Rnd::None)
    return floatToBF16(roundWide<float>(hi, sign, Rnd::RZ, /*toOdd=*/true),
                       Rnd::RN);
  return floatToBF16(roundWide<float>(hi, sign, m), m);
}

/// PTX max/min: a NaN operand yields the other operand (both NaN: the
/// canonical NaN), or with .NaN any NaN operand yields the canonical NaN;
/// -0 orders below +0.
template <typename T> inline T maxOf(T a, T b, bool nanPropagates) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) {
    if (nanPropagates || (na && nb))
      return canonicalNaN<T>();
    return na ? b : a;
  }
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
template <typename T> inline T minOf(T a, T b, bool nanPropagates) {
  bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) {
    if (nanPropagates || (na && nb))
      return canonicalNaN<T>();
    return na ? b : a;
  }
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

/// x rounded to an integral value (.rni .rzi .rmi .rpi).
template <typename T> inline T roundIntegral(T x, Rnd m) {
  switch (m) {
  case Rnd::RZI:
    return std::trunc(x);
  case Rnd::RMI:
    return std::floor(x);
  case Rnd::RPI:
    return std::ceil(x);
  default:
    return std::nearbyint(x); // The host rounds to nearest even.
  }
}

/// A float to integer type I: rounded to an integral value in mode m, then
/// saturated to I's range; NaN becomes 0.
template <typename I, typename T> inline I floatToInt(T x, Rnd m) {
  if (std::isnan(x))
    return 0;
  T r = roundIntegral(x, m);
  constexpr I lo = std::numeric_limits<I>::min();
  constexpr I hi = std::numeric_limits<I>::max();
  if (r <= static_cast<T>(lo))
    return lo;
  // static_cast<T>(hi) rounds up to a power of two for 32 and 64 bits.
  if (r >= static_cast<T>(hi))
    return hi;
  return static_cast<I>(r);
}

} // namespace resnetc::cudasim::ptx

#endif // RESNETC_LIB_CUDASIM_PTX_FLOAT_H
