//===- PTXSemanticsTest.cpp - What each PTX instruction computes ----------===//
//
// Every instruction family the interpreter implements, run one element per
// thread on chosen and random operands, against results computed here in
// plain C++: integer wrap-around, high and wide products, shifts by the
// width and more, bit-field extraction, comparisons (ordered, unordered,
// unsigned), conversions with their rounding and saturation, floating-point
// arithmetic in every rounding mode (the expectations from the host's FPU in
// that mode), .ftz and .sat, min/max with NaNs, bf16 arithmetic and
// conversions with ties, predicates.
//
//===----------------------------------------------------------------------===//

#include "PTXTestSupport.h"

#include <gtest/gtest.h>

#include <cfenv>
#include <climits>
#include <cmath>
#include <limits>
#include <random>

using namespace resnetc::cudasim;
using namespace resnetc::cudasim::ptx;
using namespace resnetc::cudasim::ptx::test;

namespace {

template <typename T> std::vector<T> randomInts(size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (T &x : v)
    x = static_cast<T>(rng());
  return v;
}

std::vector<float> randomFloats(size_t n, unsigned seed, float scale = 100) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(rng);
  return v;
}

std::vector<double> randomDoubles(size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(-1e3, 1e3);
  std::vector<double> v(n);
  for (double &x : v)
    x = d(rng);
  return v;
}

const float fNaN = std::numeric_limits<float>::quiet_NaN();
const float fInf = std::numeric_limits<float>::infinity();
const double dNaN = std::numeric_limits<double>::quiet_NaN();

//===----------------------------------------------------------------------===//
// Integers
//===----------------------------------------------------------------------===//

TEST(PTXSemanticsTest, AddSubWrap) {
  std::vector<int32_t> a = {INT_MAX, INT_MIN, -1, 5, 0, 123456789};
  std::vector<int32_t> b = {1, -1, 1, -7, INT_MIN, 987654321};
  auto add = elementwise<int32_t>("add.s32 %d, %a0, %a1;",
                                  {in(".s32", a), in(".s32", b)}, ".s32");
  auto sub = elementwise<int32_t>("sub.s32 %d, %a0, %a1;",
                                  {in(".s32", a), in(".s32", b)}, ".s32");
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(add[i], int32_t(uint32_t(a[i]) + uint32_t(b[i]))) << i;
    EXPECT_EQ(sub[i], int32_t(uint32_t(a[i]) - uint32_t(b[i]))) << i;
  }
  std::vector<uint16_t> c = {0xffff, 0x8000, 1, 300},
                        d = {1, 0x8000, 0xffff, 65000};
  auto add16 = elementwise<uint16_t>("add.s16 %d, %a0, %a1;",
                                     {in(".s16", c), in(".s16", d)}, ".s16");
  auto sub16 = elementwise<uint16_t>("sub.s16 %d, %a0, %a1;",
                                     {in(".s16", c), in(".s16", d)}, ".s16");
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(add16[i], uint16_t(c[i] + d[i])) << i;
    EXPECT_EQ(sub16[i], uint16_t(c[i] - d[i])) << i;
  }
  std::vector<uint64_t> e = randomInts<uint64_t>(64, 1),
                        f = randomInts<uint64_t>(64, 2);
  auto add64 = elementwise<uint64_t>("add.s64 %d, %a0, %a1;",
                                     {in(".s64", e), in(".s64", f)}, ".s64");
  auto imm64 =
      elementwise<uint64_t>("add.s64 %d, %a0, -14;", {in(".s64", e)}, ".s64");
  for (size_t i = 0; i < e.size(); ++i) {
    EXPECT_EQ(add64[i], e[i] + f[i]);
    EXPECT_EQ(imm64[i], e[i] - 14);
  }
}

TEST(PTXSemanticsTest, Multiplication) {
  std::vector<uint32_t> a = randomInts<uint32_t>(64, 3),
                        b = randomInts<uint32_t>(64, 4);
  a[0] = 0xffffffff, b[0] = 0xffffffff;
  a[1] = 0x80000000, b[1] = 0x80000000;
  auto lo = elementwise<uint32_t>("mul.lo.s32 %d, %a0, %a1;",
                                  {in(".u32", a), in(".u32", b)}, ".u32");
  auto hiU = elementwise<uint32_t>("mul.hi.u32 %d, %a0, %a1;",
                                   {in(".u32", a), in(".u32", b)}, ".u32");
  auto hiS = elementwise<uint32_t>("mul.hi.s32 %d, %a0, %a1;",
                                   {in(".s32", a), in(".s32", b)}, ".s32");
  auto wideU = elementwise<uint64_t>("mul.wide.u32 %d, %a0, %a1;",
                                     {in(".u32", a), in(".u32", b)}, ".u64");
  auto wideS = elementwise<uint64_t>("mul.wide.s32 %d, %a0, %a1;",
                                     {in(".s32", a), in(".s32", b)}, ".s64");
  auto madLo = elementwise<uint32_t>("mad.lo.s32 %d, %a0, %a1, %a0;",
                                     {in(".u32", a), in(".u32", b)}, ".u32");
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(lo[i], a[i] * b[i]) << i;
    EXPECT_EQ(hiU[i], uint32_t((uint64_t(a[i]) * b[i]) >> 32)) << i;
    EXPECT_EQ(hiS[i], uint32_t((int64_t(int32_t(a[i])) * int32_t(b[i])) >> 32))
        << i;
    EXPECT_EQ(wideU[i], uint64_t(a[i]) * b[i]) << i;
    EXPECT_EQ(wideS[i], uint64_t(int64_t(int32_t(a[i])) * int32_t(b[i]))) << i;
    EXPECT_EQ(madLo[i], a[i] * b[i] + a[i]) << i;
  }
  // 16-bit: mul.lo.s16 and mul.hi.u16 as NVPTX uses them to divide by
  // constants (x / 3 = mul.hi(x, 43691) >> 1 and the like).
  std::vector<uint16_t> x(1000);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = uint16_t(i * 65);
  auto lo16 = elementwise<uint16_t>("mul.lo.s16 %d, %a0, 171;", {in(".u16", x)},
                                    ".u16");
  auto hi16 = elementwise<uint16_t>("mul.hi.u16 %d, %a0, 18725;",
                                    {in(".u16", x)}, ".u16");
  auto wide16 = elementwise<uint32_t>("mul.wide.s16 %d, %a0, -3;",
                                      {in(".s16", x)}, ".s32");
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(lo16[i], uint16_t(uint32_t(x[i]) * 171u)) << i;
    EXPECT_EQ(hi16[i], uint16_t((uint32_t(x[i]) * 18725u) >> 16)) << i;
    EXPECT_EQ(int32_t(wide16[i]), int32_t(int16_t(x[i])) * -3) << i;
  }
  // 64-bit high halves.
  std::vector<uint64_t> c = randomInts<uint64_t>(64, 5),
                        d = randomInts<uint64_t>(64, 6);
  auto hi64 = elementwise<uint64_t>("mul.hi.u64 %d, %a0, %a1;",
                                    {in(".u64", c), in(".u64", d)}, ".u64");
  auto hi64s = elementwise<uint64_t>("mul.hi.s64 %d, %a0, %a1;",
                                     {in(".s64", c), in(".s64", d)}, ".s64");
  auto lo64 = elementwise<uint64_t>("mul.lo.s64 %d, %a0, 896;", {in(".s64", c)},
                                    ".s64");
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(hi64[i], uint64_t((unsigned __int128)c[i] * d[i] >> 64)) << i;
    EXPECT_EQ(hi64s[i],
              uint64_t(((__int128)int64_t(c[i]) * int64_t(d[i])) >> 64))
        << i;
    EXPECT_EQ(lo64[i], c[i] * 896) << i;
  }
}

TEST(PTXSemanticsTest, DivisionRemainderMinMax) {
  std::vector<int32_t> a = {7, -7, 7, -7, INT_MIN, 100, 0};
  std::vector<int32_t> b = {2, 2, -2, -2, 3, 7, 5};
  auto div = elementwise<int32_t>("div.s32 %d, %a0, %a1;",
                                  {in(".s32", a), in(".s32", b)}, ".s32");
  auto rem = elementwise<int32_t>("rem.s32 %d, %a0, %a1;",
                                  {in(".s32", a), in(".s32", b)}, ".s32");
  auto divU = elementwise<uint32_t>("div.u32 %d, %a0, %a1;",
                                    {in(".s32", a), in(".s32", b)}, ".u32");
  auto minS = elementwise<int32_t>("min.s32 %d, %a0, %a1;",
                                   {in(".s32", a), in(".s32", b)}, ".s32");
  auto maxU = elementwise<uint32_t>("max.u32 %d, %a0, %a1;",
                                    {in(".s32", a), in(".s32", b)}, ".u32");
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(div[i], a[i] / b[i]) << i;
    EXPECT_EQ(rem[i], a[i] % b[i]) << i;
    EXPECT_EQ(divU[i], uint32_t(a[i]) / uint32_t(b[i])) << i;
    EXPECT_EQ(minS[i], std::min(a[i], b[i])) << i;
    EXPECT_EQ(maxU[i], std::max(uint32_t(a[i]), uint32_t(b[i]))) << i;
  }
  std::vector<uint64_t> c = {0, 15, 16, 1ull << 63, ~0ull};
  auto min64 =
      elementwise<uint64_t>("min.u64 %d, %a0, 15;", {in(".u64", c)}, ".u64");
  auto max64 =
      elementwise<uint64_t>("max.s64 %d, %a0, 15;", {in(".s64", c)}, ".s64");
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(min64[i], std::min<uint64_t>(c[i], 15)) << i;
    EXPECT_EQ(int64_t(max64[i]), std::max<int64_t>(int64_t(c[i]), 15)) << i;
  }
}

TEST(PTXSemanticsTest, Shifts) {
  std::vector<uint32_t> amounts = {0,  1,  7,  15,  16,  17,        31,
                                   32, 33, 64, 255, 256, 0xffffffff};
  std::vector<uint32_t> x32(amounts.size(), 0x80f0000fu);
  std::vector<uint64_t> x64(amounts.size(), 0x8000f0000000000full);
  std::vector<uint16_t> x16(amounts.size(), 0x80f1);
  auto shl32 = elementwise<uint32_t>(
      "shl.b32 %d, %a0, %a1;", {in(".b32", x32), in(".u32", amounts)}, ".b32");
  auto shrU32 = elementwise<uint32_t>(
      "shr.u32 %d, %a0, %a1;", {in(".u32", x32), in(".u32", amounts)}, ".u32");
  auto shrS32 = elementwise<uint32_t>(
      "shr.s32 %d, %a0, %a1;", {in(".s32", x32), in(".u32", amounts)}, ".s32");
  auto shl64 = elementwise<uint64_t>(
      "shl.b64 %d, %a0, %a1;", {in(".b64", x64), in(".u32", amounts)}, ".b64");
  auto shrS64 = elementwise<uint64_t>(
      "shr.s64 %d, %a0, %a1;", {in(".s64", x64), in(".u32", amounts)}, ".s64");
  auto shl16 = elementwise<uint16_t>(
      "shl.b16 %d, %a0, %a1;", {in(".b16", x16), in(".u32", amounts)}, ".b16");
  auto shrU16 = elementwise<uint16_t>(
      "shr.u16 %d, %a0, %a1;", {in(".u16", x16), in(".u32", amounts)}, ".u16");
  auto shrS16 = elementwise<uint16_t>(
      "shr.s16 %d, %a0, %a1;", {in(".s16", x16), in(".u32", amounts)}, ".s16");
  for (size_t i = 0; i < amounts.size(); ++i) {
    uint32_t n = amounts[i];
    // Shifting by the width or more shifts every bit out.
    EXPECT_EQ(shl32[i], n >= 32 ? 0u : x32[i] << n) << n;
    EXPECT_EQ(shrU32[i], n >= 32 ? 0u : x32[i] >> n) << n;
    EXPECT_EQ(shrS32[i], n >= 32 ? 0xffffffffu : uint32_t(int32_t(x32[i]) >> n))
        << n;
    EXPECT_EQ(shl64[i], n >= 64 ? 0ull : x64[i] << n) << n;
    EXPECT_EQ(shrS64[i], n >= 64 ? ~0ull : uint64_t(int64_t(x64[i]) >> n)) << n;
    EXPECT_EQ(shl16[i], n >= 16 ? 0 : uint16_t(x16[i] << n)) << n;
    EXPECT_EQ(shrU16[i], n >= 16 ? 0 : uint16_t(x16[i] >> n)) << n;
    EXPECT_EQ(shrS16[i], n >= 16 ? 0xffff : uint16_t(int16_t(x16[i]) >> n))
        << n;
  }
}

TEST(PTXSemanticsTest, BitwiseAndBitFieldExtract) {
  std::vector<uint64_t> a = randomInts<uint64_t>(32, 7),
                        b = randomInts<uint64_t>(32, 8);
  auto and64 = elementwise<uint64_t>("and.b64 %d, %a0, %a1;",
                                     {in(".b64", a), in(".b64", b)}, ".b64");
  auto or64 = elementwise<uint64_t>("or.b64 %d, %a0, %a1;",
                                    {in(".b64", a), in(".b64", b)}, ".b64");
  auto xor64 = elementwise<uint64_t>("xor.b64 %d, %a0, %a1;",
                                     {in(".b64", a), in(".b64", b)}, ".b64");
  auto not64 =
      elementwise<uint64_t>("not.b64 %d, %a0;", {in(".b64", a)}, ".b64");
  auto and16 = elementwise<uint16_t>(
      "cvt.u16.u64 %d, %a0;\n\tand.b16 %d, %d, 255;", {in(".u64", a)}, ".b16");
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(and64[i], a[i] & b[i]);
    EXPECT_EQ(or64[i], a[i] | b[i]);
    EXPECT_EQ(xor64[i], a[i] ^ b[i]);
    EXPECT_EQ(not64[i], ~a[i]);
    EXPECT_EQ(and16[i], a[i] & 255);
  }

  // bfe d, a, pos, len per the PTX ISA: bit i of d is bit pos + i of a for
  // i < len within a's width, else the sign bit (the field's top bit for
  // signed types, 0 for unsigned).
  std::vector<uint32_t> pos, len;
  std::vector<uint32_t> x32;
  std::vector<uint64_t> x64;
  for (uint32_t p : {0u, 1u, 5u, 16u, 31u, 32u, 40u, 63u, 64u, 200u, 256u + 3})
    for (uint32_t l : {0u, 1u, 4u, 8u, 31u, 32u, 33u, 64u, 255u, 256u + 5}) {
      pos.push_back(p);
      len.push_back(l);
      x32.push_back(0xa5c3f00fu ^ (p * 2654435761u));
      x64.push_back(0xf0e1d2c3b4a59687ull ^ (uint64_t(l) << 40));
    }
  auto bfeU32 = elementwise<uint32_t>(
      "bfe.u32 %d, %a0, %a1, %a2;",
      {in(".u32", x32), in(".u32", pos), in(".u32", len)}, ".u32");
  auto bfeS32 = elementwise<uint32_t>(
      "bfe.s32 %d, %a0, %a1, %a2;",
      {in(".s32", x32), in(".u32", pos), in(".u32", len)}, ".s32");
  auto bfeU64 = elementwise<uint64_t>(
      "bfe.u64 %d, %a0, %a1, %a2;",
      {in(".u64", x64), in(".u32", pos), in(".u32", len)}, ".u64");
  auto bfeS64 = elementwise<uint64_t>(
      "bfe.s64 %d, %a0, %a1, %a2;",
      {in(".s64", x64), in(".u32", pos), in(".u32", len)}, ".s64");
  auto reference = [](uint64_t a, unsigned width, bool isSigned, uint32_t p,
                      uint32_t l) {
    unsigned msb = width - 1, po = p & 255, le = l & 255;
    unsigned top = std::min(po + le - 1, msb);
    bool sbit = isSigned && le != 0 && ((a >> top) & 1);
    uint64_t d = 0;
    for (unsigned i = 0; i <= msb; ++i) {
      bool bit = (i < le && po + i <= msb) ? (a >> (po + i)) & 1 : sbit;
      d |= uint64_t(bit) << i;
    }
    return d;
  };
  for (size_t i = 0; i < pos.size(); ++i) {
    EXPECT_EQ(bfeU32[i], reference(x32[i], 32, false, pos[i], len[i]))
        << pos[i] << "," << len[i];
    EXPECT_EQ(bfeS32[i], reference(x32[i], 32, true, pos[i], len[i]))
        << pos[i] << "," << len[i];
    EXPECT_EQ(bfeU64[i], reference(x64[i], 64, false, pos[i], len[i]))
        << pos[i] << "," << len[i];
    EXPECT_EQ(bfeS64[i], reference(x64[i], 64, true, pos[i], len[i]))
        << pos[i] << "," << len[i];
  }
  // The forms NVPTX emits: an immediate position and length.
  auto sign = elementwise<uint64_t>(
      "bfe.s64 %d, %a0, 4, 8;",
      {in(".s64", std::vector<uint64_t>{0xff0, 0x7f0, 0x800})}, ".s64");
  EXPECT_EQ(sign, (std::vector<uint64_t>{~0ull, 0x7f, ~0ull << 7}));
}

TEST(PTXSemanticsTest, IntegerComparisons) {
  std::vector<int32_t> a = {-5, -5, 5, 5, 0, INT_MIN, INT_MAX, -1};
  std::vector<int32_t> b = {-5, 5, -5, 5, -1, INT_MAX, INT_MIN, 0};
  const char *ops[] = {"eq", "ne", "lt", "le", "gt",
                       "ge", "lo", "ls", "hi", "hs"};
  for (const char *op : ops) {
    std::string o = op;
    bool unsignedOnly = o == "lo" || o == "ls" || o == "hi" || o == "hs";
    for (const char *type : {".s32", ".u32"}) {
      if (unsignedOnly && std::string(type) == ".s32")
        continue;
      auto r = elementwise<uint32_t>(
          "setp." + o + type + " %p1, %a0, %a1;\n\tselp.u32 %d, 1, 0, %p1;",
          {in(type, a), in(type, b)}, ".u32");
      for (size_t i = 0; i < a.size(); ++i) {
        bool u = std::string(type) == ".u32" || unsignedOnly;
        int64_t x = u ? int64_t(uint32_t(a[i])) : a[i];
        int64_t y = u ? int64_t(uint32_t(b[i])) : b[i];
        bool want = o == "eq"                ? x == y
                    : o == "ne"              ? x != y
                    : o == "lt" || o == "lo" ? x < y
                    : o == "le" || o == "ls" ? x <= y
                    : o == "gt" || o == "hi" ? x > y
                                             : x >= y;
        EXPECT_EQ(r[i], uint32_t(want))
            << "setp." << o << type << " " << a[i] << ", " << b[i];
      }
    }
  }
  // 16- and 64-bit forms, and .b32 equality.
  auto lt16 = elementwise<uint32_t>(
      "setp.lt.u16 %p1, %a0, 300;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".u16", std::vector<uint16_t>{299, 300, 0xffff})}, ".u32");
  EXPECT_EQ(lt16, (std::vector<uint32_t>{1, 0, 0}));
  auto ne16 = elementwise<uint32_t>(
      "setp.ne.s16 %p1, %a0, -1;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".s16", std::vector<uint16_t>{0xffff, 1})}, ".u32");
  EXPECT_EQ(ne16, (std::vector<uint32_t>{0, 1}));
  auto lt64 = elementwise<uint32_t>(
      "setp.lt.s64 %p1, %a0, 0;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".s64", std::vector<uint64_t>{~0ull, 0, 1ull << 63})}, ".u32");
  EXPECT_EQ(lt64, (std::vector<uint32_t>{1, 0, 1}));
  auto eqb = elementwise<uint32_t>(
      "setp.eq.b32 %p1, %a0, 7;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".b32", std::vector<uint32_t>{7, 8})}, ".u32");
  EXPECT_EQ(eqb, (std::vector<uint32_t>{1, 0}));
}

TEST(PTXSemanticsTest, SelectMoveAndPredicates) {
  std::vector<uint32_t> a = {0, 1, 2, 3};
  // p = a & 1, q = a & 2; d encodes and/or/xor/not of them.
  auto r = elementwise<uint32_t>(
      "and.b32 %r10, %a0, 1;\n\tsetp.ne.s32 %p1, %r10, 0;\n"
      "\tand.b32 %r11, %a0, 2;\n\tsetp.ne.s32 %p2, %r11, 0;\n"
      "\tand.pred %p3, %p1, %p2;\n\tor.pred %p4, %p1, %p2;\n"
      "\txor.pred %p5, %p1, %p2;\n\tnot.pred %p6, %p1;\n"
      "\tselp.u32 %r12, 1, 0, %p3;\n\tselp.u32 %r13, 2, 0, %p4;\n"
      "\tselp.u32 %r14, 4, 0, %p5;\n\tselp.u32 %r15, 8, 0, %p6;\n"
      "\tor.b32 %d, %r12, %r13;\n\tor.b32 %d, %d, %r14;\n"
      "\tor.b32 %d, %d, %r15;\n"
      // A guarded move, and one guarded by a negated predicate.
      "\t@%p3 mov.u32 %d, 100;\n\t@!%p4 mov.u32 %d, 200;",
      {in(".u32", a)}, ".u32");
  for (uint32_t x : a) {
    bool p = x & 1, q = x & 2;
    uint32_t want = (p && q) * 1 + (p || q) * 2 + (p != q) * 4 + (!p) * 8;
    if (p && q)
      want = 100;
    if (!(p || q))
      want = 200;
    EXPECT_EQ(r[x], want) << x;
  }
  // Immediates as NVPTX writes them: hex for 16-bit bit patterns, 0f/0d for
  // floats; mov of registers of another type (bit casts).
  auto b16 = elementwise<uint16_t>(
      "mov.b16 %d, 0xFF80;", {in(".u32", std::vector<uint32_t>{0})}, ".b16");
  EXPECT_EQ(b16[0], 0xff80);
  auto cast = elementwise<uint32_t>(
      ".reg .f32 %f1;\n\tmov.f32 %f1, 0f3F800000;\n\tmov.b32 %d, %f1;",
      {in(".u32", std::vector<uint32_t>{0})}, ".b32");
  EXPECT_EQ(cast[0], 0x3f800000u);
  auto selpF = elementwise<float>(
      "setp.gt.f32 %p1, %a0, 0f00000000;\n\tselp.f32 %d, %a0, 0fBF800000, "
      "%p1;",
      {in(".f32", std::vector<float>{2.5f, -3.0f})}, ".f32");
  EXPECT_EQ(selpF, (std::vector<float>{2.5f, -1.0f}));
  auto selp16 = elementwise<uint16_t>(
      "setp.ne.s16 %p1, %a0, 0;\n\tselp.b16 %d, %a0, 0x0000, %p1;",
      {in(".b16", std::vector<uint16_t>{0, 7})}, ".b16");
  EXPECT_EQ(selp16, (std::vector<uint16_t>{0, 7}));
}

TEST(PTXSemanticsTest, IntegerConversions) {
  std::vector<uint32_t> a = {0,      1,          0x7fff,     0x8000,
                             0xffff, 0x12345678, 0x80000000, 0xffffffff};
  auto u64 =
      elementwise<uint64_t>("cvt.u64.u32 %d, %a0;", {in(".u32", a)}, ".u64");
  auto s64 =
      elementwise<uint64_t>("cvt.s64.s32 %d, %a0;", {in(".s32", a)}, ".s64");
  auto u16 =
      elementwise<uint16_t>("cvt.u16.u32 %d, %a0;", {in(".u32", a)}, ".u16");
  auto s32s16 = elementwise<uint32_t>(
      ".reg .b16 %rs1;\n\tcvt.u16.u32 %rs1, %a0;\n\tcvt.s32.s16 %d, %rs1;",
      {in(".u32", a)}, ".s32");
  auto u32u16 = elementwise<uint32_t>(
      ".reg .b16 %rs1;\n\tcvt.u16.u32 %rs1, %a0;\n\tcvt.u32.u16 %d, %rs1;",
      {in(".u32", a)}, ".u32");
  auto sat16 = elementwise<uint16_t>("cvt.sat.s16.s32 %d, %a0;",
                                     {in(".s32", a)}, ".s16");
  auto satU16 = elementwise<uint16_t>("cvt.sat.u16.s32 %d, %a0;",
                                      {in(".s32", a)}, ".u16");
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(u64[i], uint64_t(a[i])) << i;
    EXPECT_EQ(s64[i], uint64_t(int64_t(int32_t(a[i])))) << i;
    EXPECT_EQ(u16[i], uint16_t(a[i])) << i;
    EXPECT_EQ(s32s16[i], uint32_t(int32_t(int16_t(uint16_t(a[i]))))) << i;
    EXPECT_EQ(u32u16[i], uint32_t(uint16_t(a[i]))) << i;
    int64_t v = int32_t(a[i]);
    EXPECT_EQ(int16_t(sat16[i]), std::clamp<int64_t>(v, -32768, 32767)) << i;
    EXPECT_EQ(satU16[i], std::clamp<int64_t>(v, 0, 65535)) << i;
  }
  std::vector<uint64_t> b = {0x123456789abcdef0ull, ~0ull};
  auto u16u64 =
      elementwise<uint16_t>("cvt.u16.u64 %d, %a0;", {in(".u64", b)}, ".u16");
  auto u32u64 =
      elementwise<uint32_t>("cvt.u32.u64 %d, %a0;", {in(".u64", b)}, ".u32");
  EXPECT_EQ(u16u64, (std::vector<uint16_t>{0xdef0, 0xffff}));
  EXPECT_EQ(u32u64, (std::vector<uint32_t>{0x9abcdef0, 0xffffffff}));
}

//===----------------------------------------------------------------------===//
// Floating point
//===----------------------------------------------------------------------===//

/// The host's arithmetic in a rounding mode (volatile operands and results
/// keep the operations between the mode changes).
template <typename T> T hostOp(char op, T a, T b, T c, int mode) {
  volatile T x = a, y = b, z = c;
  std::fesetround(mode);
  volatile T r;
  switch (op) {
  case '+':
    r = x + y;
    break;
  case '-':
    r = x - y;
    break;
  case '*':
    r = x * y;
    break;
  case '/':
    r = x / y;
    break;
  case 's':
    r = std::sqrt(T(x));
    break;
  default:
    if constexpr (std::is_same_v<T, float>)
      r = fmaf(x, y, z);
    else
      r = fma(x, y, z);
  }
  std::fesetround(FE_TONEAREST);
  return r;
}

/// Operands that round in interesting ways: random ones, near-ties,
/// cancellations, overflow, underflow into subnormals.
std::vector<float> floatOperands(unsigned seed) {
  std::vector<float> v = randomFloats(200, seed);
  std::vector<float> special = {1.0f,        -1.0f, 0.0f,    -0.0f,    1e-30f,
                                -3e-39f,     1e30f, 3.4e38f, -3.4e38f, 1e-45f,
                                0.1f,        3.0f,  fInf,    -fInf,    fNaN,
                                16777217.0f, 1.5f,  2.5f,    1e-20f,   7e-39f};
  v.insert(v.end(), special.begin(), special.end());
  std::mt19937 rng(seed);
  std::shuffle(v.begin(), v.end(), rng);
  return v;
}

TEST(PTXSemanticsTest, FloatArithmeticInEveryRoundingMode) {
  std::vector<float> a = floatOperands(20), b = floatOperands(21),
                     c = floatOperands(22);
  struct Mode {
    const char *name;
    int host;
  } modes[] = {{"rn", FE_TONEAREST},
               {"rz", FE_TOWARDZERO},
               {"rm", FE_DOWNWARD},
               {"rp", FE_UPWARD}};
  for (const Mode &m : modes) {
    std::string r = m.name;
    auto add = elementwise<float>("add." + r + ".f32 %d, %a0, %a1;",
                                  {in(".f32", a), in(".f32", b)}, ".f32");
    auto sub = elementwise<float>("sub." + r + ".f32 %d, %a0, %a1;",
                                  {in(".f32", a), in(".f32", b)}, ".f32");
    auto mul = elementwise<float>("mul." + r + ".f32 %d, %a0, %a1;",
                                  {in(".f32", a), in(".f32", b)}, ".f32");
    auto div = elementwise<float>("div." + r + ".f32 %d, %a0, %a1;",
                                  {in(".f32", a), in(".f32", b)}, ".f32");
    auto fma = elementwise<float>("fma." + r + ".f32 %d, %a0, %a1, %a2;",
                                  {in(".f32", a), in(".f32", b), in(".f32", c)},
                                  ".f32");
    auto sqrt = elementwise<float>("sqrt." + r + ".f32 %d, %a0;",
                                   {in(".f32", a)}, ".f32");
    for (size_t i = 0; i < a.size(); ++i) {
      auto same = [&](float got, float want, const char *op) {
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got))
              << op << "." << r << " " << a[i] << " " << b[i] << " " << c[i];
        else
          EXPECT_EQ(floatToBits(got), floatToBits(want))
              << op << "." << r << " " << a[i] << " " << b[i] << " " << c[i]
              << ": " << got << " vs " << want;
      };
      same(add[i], hostOp<float>('+', a[i], b[i], 0, m.host), "add");
      same(sub[i], hostOp<float>('-', a[i], b[i], 0, m.host), "sub");
      same(mul[i], hostOp<float>('*', a[i], b[i], 0, m.host), "mul");
      same(div[i], hostOp<float>('/', a[i], b[i], 0, m.host), "div");
      same(fma[i], hostOp<float>('f', a[i], b[i], c[i], m.host), "fma");
      same(sqrt[i], hostOp<float>('s', a[i], 0, 0, m.host), "sqrt");
    }
  }
}

TEST(PTXSemanticsTest, DoubleArithmeticInEveryRoundingMode) {
  std::vector<double> a = randomDoubles(200, 23), b = randomDoubles(200, 24),
                      c = randomDoubles(200, 25);
  a[0] = 1, b[0] = -1;              // Exact cancellation: -0 rounding down.
  a[1] = 1, b[1] = 0x1p-60;         // Far below an ulp.
  a[2] = 1e300, b[2] = 1e300;       // Overflow.
  a[3] = 0x1p-1000, b[3] = 0x1p-70; // Underflow into subnormals.
  struct Mode {
    const char *name;
    int host;
  } modes[] = {{"rn", FE_TONEAREST},
               {"rz", FE_TOWARDZERO},
               {"rm", FE_DOWNWARD},
               {"rp", FE_UPWARD}};
  for (const Mode &m : modes) {
    std::string r = m.name;
    auto add = elementwise<double>("add." + r + ".f64 %d, %a0, %a1;",
                                   {in(".f64", a), in(".f64", b)}, ".f64");
    auto mul = elementwise<double>("mul." + r + ".f64 %d, %a0, %a1;",
                                   {in(".f64", a), in(".f64", b)}, ".f64");
    auto div = elementwise<double>("div." + r + ".f64 %d, %a0, %a1;",
                                   {in(".f64", a), in(".f64", b)}, ".f64");
    auto sqrt = elementwise<double>("sqrt." + r + ".f64 %d, %a0;",
                                    {in(".f64", a)}, ".f64");
    auto fma = elementwise<double>(
        "fma." + r + ".f64 %d, %a0, %a1, %a2;",
        {in(".f64", a), in(".f64", b), in(".f64", c)}, ".f64");
    for (size_t i = 0; i < a.size(); ++i) {
      auto same = [&](double got, double want, const char *op) {
        if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got)) << op << "." << r << " " << a[i];
        else
          EXPECT_EQ(doubleToBits(got), doubleToBits(want))
              << op << "." << r << " " << a[i] << " " << b[i] << ": " << got
              << " vs " << want;
      };
      same(add[i], hostOp<double>('+', a[i], b[i], 0, m.host), "add");
      same(mul[i], hostOp<double>('*', a[i], b[i], 0, m.host), "mul");
      same(div[i], hostOp<double>('/', a[i], b[i], 0, m.host), "div");
      same(sqrt[i], hostOp<double>('s', a[i], 0, 0, m.host), "sqrt");
      same(fma[i], hostOp<double>('f', a[i], b[i], c[i], m.host), "fma");
    }
  }
}

/// fma.rm.f32 as the expf sequence NVPTX emits uses it, and the cases a
/// naive fma-then-round gets wrong.
TEST(PTXSemanticsTest, FusedMultiplyAddRoundsOnce) {
  std::vector<float> a = {1.0f, -1.0f, 1.0f, 0x1.000002p0f, 1.0f, 0.5f};
  std::vector<float> b = {1.0f, 1.0f, 1.0f, 0x1.000002p0f, -1.0f, 252.0f};
  std::vector<float> c = {0x1p-30f, -0x1p-30f, -0x1p-30f,
                          -1.0f,    1.0f,      12582913.0f};
  auto rm =
      elementwise<float>("fma.rm.f32 %d, %a0, %a1, %a2;",
                         {in(".f32", a), in(".f32", b), in(".f32", c)}, ".f32");
  auto rp =
      elementwise<float>("fma.rp.f32 %d, %a0, %a1, %a2;",
                         {in(".f32", a), in(".f32", b), in(".f32", c)}, ".f32");
  auto rn =
      elementwise<float>("fma.rn.f32 %d, %a0, %a1, %a2;",
                         {in(".f32", a), in(".f32", b), in(".f32", c)}, ".f32");
  EXPECT_EQ(rm[0], 1.0f);
  EXPECT_EQ(rp[0], 0x1.000002p0f);
  EXPECT_EQ(rm[1], -0x1.000002p0f);
  EXPECT_EQ(rp[1], -1.0f);
  EXPECT_EQ(rm[2], 0x1.fffffep-1f);
  // (1 + 2^-23)^2 - 1 = 2^-22 + 2^-46 exactly: one rounding keeps 2^-46.
  EXPECT_EQ(rn[3], 0x1p-22f + 0x1p-46f);
  // An exact zero: -0 rounding down, +0 otherwise.
  EXPECT_TRUE(rm[4] == 0 && std::signbit(rm[4]));
  EXPECT_TRUE(rn[4] == 0 && !std::signbit(rn[4]));
  EXPECT_EQ(rm[5], 12583039.0f);
}

TEST(PTXSemanticsTest, MinMaxAndNaNs) {
  std::vector<float> a = {1.0f, fNaN, fNaN, -0.0f, 0.0f, -2.0f, fInf, 3.0f};
  std::vector<float> b = {2.0f, 5.0f, fNaN, 0.0f, -0.0f, -3.0f, 1.0f, fNaN};
  auto max = elementwise<float>("max.f32 %d, %a0, %a1;",
                                {in(".f32", a), in(".f32", b)}, ".f32");
  auto min = elementwise<float>("min.f32 %d, %a0, %a1;",
                                {in(".f32", a), in(".f32", b)}, ".f32");
  auto maxNaN = elementwise<float>("max.NaN.f32 %d, %a0, %a1;",
                                   {in(".f32", a), in(".f32", b)}, ".f32");
  auto minNaN = elementwise<float>("min.NaN.f32 %d, %a0, %a1;",
                                   {in(".f32", a), in(".f32", b)}, ".f32");
  for (size_t i = 0; i < a.size(); ++i) {
    bool na = std::isnan(a[i]), nb = std::isnan(b[i]);
    // A NaN operand yields the other one (both: NaN); -0 < +0.
    float wantMax = na             ? b[i]
                    : nb           ? a[i]
                    : a[i] == b[i] ? (std::signbit(a[i]) ? b[i] : a[i])
                                   : std::max(a[i], b[i]);
    float wantMin = na             ? b[i]
                    : nb           ? a[i]
                    : a[i] == b[i] ? (std::signbit(a[i]) ? a[i] : b[i])
                                   : std::min(a[i], b[i]);
    if (std::isnan(wantMax)) {
      EXPECT_TRUE(std::isnan(max[i])) << i;
      EXPECT_TRUE(std::isnan(min[i])) << i;
    } else {
      EXPECT_EQ(floatToBits(max[i]), floatToBits(wantMax)) << i;
      EXPECT_EQ(floatToBits(min[i]), floatToBits(wantMin)) << i;
    }
    // .NaN: any NaN operand gives the canonical NaN.
    if (na || nb) {
      EXPECT_EQ(floatToBits(maxNaN[i]), 0x7fffffffu) << i;
      EXPECT_EQ(floatToBits(minNaN[i]), 0x7fffffffu) << i;
    } else {
      EXPECT_EQ(floatToBits(maxNaN[i]), floatToBits(wantMax)) << i;
      EXPECT_EQ(floatToBits(minNaN[i]), floatToBits(wantMin)) << i;
    }
  }
  // ReLU as NVPTX writes it.
  auto relu =
      elementwise<float>("max.NaN.f32 %d, %a0, 0f00000000;",
                         {in(".f32", std::vector<float>{-1, 2, fNaN})}, ".f32");
  EXPECT_EQ(relu[0], 0.0f);
  EXPECT_EQ(relu[1], 2.0f);
  EXPECT_TRUE(std::isnan(relu[2]));
  auto max64 = elementwise<double>(
      "max.f64 %d, %a0, 0d0000000000000000;",
      {in(".f64", std::vector<double>{-1, 2, dNaN, -0.0})}, ".f64");
  EXPECT_EQ(bitsOf(max64), bitsOf(std::vector<double>{0, 2, 0, 0}));
}

TEST(PTXSemanticsTest, FloatComparisons) {
  std::vector<float> a = {1, 2, 2, fNaN, 1, fNaN, -0.0f, fInf};
  std::vector<float> b = {2, 1, 2, 1, fNaN, fNaN, 0.0f, fInf};
  const char *ops[] = {"eq",  "ne",  "lt",  "le",  "gt",  "ge",  "equ",
                       "neu", "ltu", "leu", "gtu", "geu", "num", "nan"};
  for (const char *op : ops) {
    std::string o = op;
    auto r = elementwise<uint32_t>(
        "setp." + o + ".f32 %p1, %a0, %a1;\n\tselp.u32 %d, 1, 0, %p1;",
        {in(".f32", a), in(".f32", b)}, ".u32");
    auto r64 = elementwise<uint32_t>(
        ".reg .f64 %fd<3>;\n\tcvt.f64.f32 %fd1, %a0;\n\tcvt.f64.f32 %fd2, "
        "%a1;\n\tsetp." +
            o + ".f64 %p1, %fd1, %fd2;\n\tselp.u32 %d, 1, 0, %p1;",
        {in(".f32", a), in(".f32", b)}, ".u32");
    for (size_t i = 0; i < a.size(); ++i) {
      float x = a[i], y = b[i];
      bool u = std::isnan(x) || std::isnan(y);
      bool want = o == "eq"    ? !u && x == y
                  : o == "ne"  ? !u && x != y
                  : o == "lt"  ? !u && x < y
                  : o == "le"  ? !u && x <= y
                  : o == "gt"  ? !u && x > y
                  : o == "ge"  ? !u && x >= y
                  : o == "equ" ? u || x == y
                  : o == "neu" ? u || x != y
                  : o == "ltu" ? u || x < y
                  : o == "leu" ? u || x <= y
                  : o == "gtu" ? u || x > y
                  : o == "geu" ? u || x >= y
                  : o == "num" ? !u
                               : u;
      EXPECT_EQ(r[i], uint32_t(want))
          << "setp." << o << ".f32 " << x << ", " << y;
      EXPECT_EQ(r64[i], uint32_t(want))
          << "setp." << o << ".f64 " << x << ", " << y;
    }
  }
}

TEST(PTXSemanticsTest, FloatConversions) {
  // Float to integer: rounded as asked, saturated, NaN to 0.
  std::vector<float> f = {2.5f,   3.5f, -2.5f, 2.7f,  -2.7f, 1e10f,
                          -1e10f, fNaN, fInf,  -fInf, -0.5f, 4294967040.0f};
  struct IntMode {
    const char *name;
    double (*round)(double);
  } modes[] = {{"rni", [](double x) { return std::nearbyint(x); }},
               {"rzi", [](double x) { return std::trunc(x); }},
               {"rmi", [](double x) { return std::floor(x); }},
               {"rpi", [](double x) { return std::ceil(x); }}};
  for (const IntMode &m : modes) {
    std::string r = m.name;
    auto s32 = elementwise<uint32_t>("cvt." + r + ".s32.f32 %d, %a0;",
                                     {in(".f32", f)}, ".s32");
    auto u32 = elementwise<uint32_t>("cvt." + r + ".u32.f32 %d, %a0;",
                                     {in(".f32", f)}, ".u32");
    auto s64 = elementwise<uint64_t>(
        ".reg .f64 %fd1;\n\tcvt.f64.f32 %fd1, %a0;\n\tcvt." + r +
            ".s64.f64 %d, %fd1;",
        {in(".f32", f)}, ".s64");
    for (size_t i = 0; i < f.size(); ++i) {
      double v = std::isnan(f[i]) ? 0 : m.round(f[i]);
      EXPECT_EQ(int32_t(s32[i]),
                int32_t(std::clamp(v, double(INT_MIN), double(INT_MAX))))
          << r << " " << f[i];
      EXPECT_EQ(u32[i], uint32_t(std::clamp(v, 0.0, double(UINT_MAX))))
          << r << " " << f[i];
      EXPECT_EQ(int64_t(s64[i]),
                std::isinf(v) ? (v > 0 ? INT64_MAX : INT64_MIN) : int64_t(v))
          << r << " " << f[i];
    }
  }
  // Integer to float in each rounding mode.
  std::vector<int32_t> i32 = {16777217, 16777219, -16777217, -16777219,
                              INT_MAX,  INT_MIN,  0,         -7};
  struct Mode {
    const char *name;
    int host;
  } fmodes[] = {{"rn", FE_TONEAREST},
                {"rz", FE_TOWARDZERO},
                {"rm", FE_DOWNWARD},
                {"rp", FE_UPWARD}};
  for (const Mode &m : fmodes) {
    std::string r = m.name;
    auto got = elementwise<float>("cvt." + r + ".f32.s32 %d, %a0;",
                                  {in(".s32", i32)}, ".f32");
    std::vector<uint64_t> u64 = {(1ull << 63) + 1, ~0ull, 9007199254740993ull,
                                 12345};
    auto got64 = elementwise<double>("cvt." + r + ".f64.u64 %d, %a0;",
                                     {in(".u64", u64)}, ".f64");
    std::vector<double> d = {1.0 + 0x1p-24,    1.0 + 0x1p-24 + 0x1p-50,
                             -(1.0 + 0x1p-24), 1e300,
                             -1e300,           0x1p-140,
                             3.0000001};
    auto narrowed = elementwise<float>("cvt." + r + ".f32.f64 %d, %a0;",
                                       {in(".f64", d)}, ".f32");
    for (size_t i = 0; i < i32.size(); ++i) {
      volatile int32_t x = i32[i];
      std::fesetround(m.host);
      volatile float want = float(x);
      std::fesetround(FE_TONEAREST);
      EXPECT_EQ(got[i], want) << r << " " << i32[i];
    }
    for (size_t i = 0; i < u64.size(); ++i) {
      volatile uint64_t x = u64[i];
      std::fesetround(m.host);
      volatile double want = double(x);
      std::fesetround(FE_TONEAREST);
      EXPECT_EQ(got64[i], want) << r << " " << u64[i];
    }
    for (size_t i = 0; i < d.size(); ++i) {
      volatile double x = d[i];
      std::fesetround(m.host);
      volatile float want = float(x);
      std::fesetround(FE_TONEAREST);
      EXPECT_EQ(floatToBits(narrowed[i]), floatToBits(want))
          << r << " " << d[i];
    }
  }
  // Saturation to [0, 1] (NaN to 0), widening, and integral rounding.
  auto sat = elementwise<float>(
      "cvt.sat.f32.f32 %d, %a0;",
      {in(".f32", std::vector<float>{-1, 0.25f, 2, fNaN, fInf})}, ".f32");
  EXPECT_EQ(sat, (std::vector<float>{0, 0.25f, 1, 0, 1}));
  auto wide = elementwise<double>(
      "cvt.f64.f32 %d, %a0;", {in(".f32", std::vector<float>{0.1f, -3e-39f})},
      ".f64");
  EXPECT_EQ(wide, (std::vector<double>{double(0.1f), double(-3e-39f)}));
  auto rni = elementwise<float>(
      "cvt.rni.f32.f32 %d, %a0;",
      {in(".f32", std::vector<float>{2.5f, 3.5f, -0.5f, 1e20f})}, ".f32");
  EXPECT_EQ(bitsOf(rni), bitsOf(std::vector<float>{2, 4, -0.0f, 1e20f}));
  auto s32f = elementwise<float>(
      "cvt.rn.f32.s32 %d, %a0;",
      {in(".s32", std::vector<int32_t>{-5, 33554431})}, ".f32");
  EXPECT_EQ(s32f, (std::vector<float>{-5, 33554432.0f}));
}

TEST(PTXSemanticsTest, FlushToZeroAndSaturation) {
  float sub = 0x1p-140f; // Subnormal.
  std::vector<float> a = {sub, -sub, 1.0f, 0x1p-70f};
  std::vector<float> b = {0.0f, -0.0f, sub, 0x1p-70f};
  auto add = elementwise<float>("add.ftz.f32 %d, %a0, %a1;",
                                {in(".f32", a), in(".f32", b)}, ".f32");
  auto addKeep = elementwise<float>("add.f32 %d, %a0, %a1;",
                                    {in(".f32", a), in(".f32", b)}, ".f32");
  auto mul = elementwise<float>("mul.rn.ftz.f32 %d, %a0, %a1;",
                                {in(".f32", a), in(".f32", b)}, ".f32");
  EXPECT_EQ(bitsOf(add),
            bitsOf(std::vector<float>{0.0f, -0.0f, 1.0f, 0x1p-69f}));
  EXPECT_EQ(addKeep[0], sub);
  // 2^-140 is flushed: the product 2^-70 * 2^-70 too.
  EXPECT_EQ(bitsOf(mul), bitsOf(std::vector<float>{0.0f, 0.0f, 0.0f, 0.0f}));
  auto sat =
      elementwise<float>("add.sat.f32 %d, %a0, %a1;",
                         {in(".f32", std::vector<float>{0.5f, -1, 0.75f, fNaN}),
                          in(".f32", std::vector<float>{0.25f, 0.5f, 0.5f, 1})},
                         ".f32");
  EXPECT_EQ(sat, (std::vector<float>{0.75f, 0, 1, 0}));
  auto neg = elementwise<float>("neg.f32 %d, %a0;",
                                {in(".f32", std::vector<float>{0.0f, -2, sub})},
                                ".f32");
  EXPECT_EQ(bitsOf(neg), bitsOf(std::vector<float>{-0.0f, 2, -sub}));
  auto abs = elementwise<float>(
      "abs.ftz.f32 %d, %a0;", {in(".f32", std::vector<float>{-0.0f, -2, -sub})},
      ".f32");
  EXPECT_EQ(bitsOf(abs), bitsOf(std::vector<float>{0.0f, 2, 0.0f}));
}

/// The approximate instructions give (nearly) correctly rounded results.
TEST(PTXSemanticsTest, ApproximateFunctions) {
  std::vector<float> x = randomFloats(500, 26, 50);
  for (float &v : x)
    v = std::fabs(v) + 1e-3f;
  x.push_back(0.0f);
  x.push_back(-0.0f);
  x.push_back(fInf);
  x.push_back(0x1p-140f);
  x.push_back(4.0f);
  auto sqrtA =
      elementwise<float>("sqrt.approx.f32 %d, %a0;", {in(".f32", x)}, ".f32");
  auto rsqrt =
      elementwise<float>("rsqrt.approx.f32 %d, %a0;", {in(".f32", x)}, ".f32");
  auto rcp =
      elementwise<float>("rcp.approx.f32 %d, %a0;", {in(".f32", x)}, ".f32");
  auto divA = elementwise<float>("div.approx.f32 %d, 0f3F800000, %a0;",
                                 {in(".f32", x)}, ".f32");
  auto divFull = elementwise<float>("div.full.f32 %d, 0f40400000, %a0;",
                                    {in(".f32", x)}, ".f32");
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(floatToBits(sqrtA[i]), floatToBits(std::sqrt(x[i]))) << x[i];
    long double r = 1.0L / std::sqrt((long double)x[i]);
    EXPECT_EQ(floatToBits(rsqrt[i]), floatToBits(float(r))) << x[i];
    EXPECT_EQ(floatToBits(rcp[i]), floatToBits(1.0f / x[i])) << x[i];
    EXPECT_EQ(floatToBits(divA[i]), floatToBits(1.0f / x[i])) << x[i];
    EXPECT_EQ(floatToBits(divFull[i]), floatToBits(3.0f / x[i])) << x[i];
  }
  // ex2 over the range expf uses; with .ftz subnormal results are zero.
  std::vector<float> e = randomFloats(500, 27, 120);
  e.push_back(-130.0f);
  e.push_back(0x1p-140f);
  e.push_back(-fInf);
  e.push_back(128.0f);
  auto ex2 = elementwise<float>("ex2.approx.ftz.f32 %d, %a0;", {in(".f32", e)},
                                ".f32");
  auto ex2Keep =
      elementwise<float>("ex2.approx.f32 %d, %a0;", {in(".f32", e)}, ".f32");
  for (size_t i = 0; i < e.size(); ++i) {
    double want = std::exp2(double(e[i]));
    if (want < 0x1p-126) {
      EXPECT_EQ(ex2[i], 0.0f) << e[i];
      EXPECT_EQ(ex2Keep[i], float(want)) << e[i];
    } else if (std::isinf(float(want))) {
      EXPECT_TRUE(std::isinf(ex2[i])) << e[i];
    } else {
      EXPECT_NEAR(ex2[i], want, want * 0x1p-24) << e[i];
    }
  }
  EXPECT_EQ(ex2[e.size() - 3], 1.0f); // 2^subnormal with .ftz: 2^0.
  auto rsqrtSpecial = elementwise<float>(
      "rsqrt.approx.f32 %d, %a0;",
      {in(".f32", std::vector<float>{-0.0f, -1.0f, fNaN})}, ".f32");
  EXPECT_EQ(rsqrtSpecial[0], -fInf);
  EXPECT_TRUE(std::isnan(rsqrtSpecial[1]));
  EXPECT_TRUE(std::isnan(rsqrtSpecial[2]));
}

//===----------------------------------------------------------------------===//
// bf16
//===----------------------------------------------------------------------===//

float bf16Value(uint16_t b) { return bitsToFloat(uint32_t(b) << 16); }

/// The bf16 nearest to x (ties to even), by comparing distances in double.
uint16_t nearestBF16(double x) {
  if (std::isnan(x))
    return 0x7fff;
  float f = float(x); // Within bf16's range question only.
  uint32_t u = floatToBits(f);
  uint16_t below = uint16_t(u >> 16);
  // Candidates around x: below, below +- 1 (in magnitude).
  uint16_t best = below;
  double bestError = std::fabs(double(bf16Value(below)) - x);
  for (int d : {-1, 1}) {
    uint16_t c = uint16_t(below + d);
    if ((c & 0x7f80) == 0x7f80 && (c & 0x7f))
      continue; // NaN.
    double v = bf16Value(c);
    if (std::isinf(v))
      v = std::copysign(0x1p128, v);
    double error = std::fabs(v - x);
    if (error < bestError || (error == bestError && !(c & 1))) {
      best = c;
      bestError = error;
    }
  }
  return best;
}

std::vector<uint16_t> randomBF16(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> exponent(120, 134);
  std::vector<uint16_t> v(n);
  for (uint16_t &x : v)
    x = uint16_t((rng() & 0x8000) | (exponent(rng) << 7) | (rng() & 0x7f));
  return v;
}

TEST(PTXSemanticsTest, BF16Arithmetic) {
  std::vector<uint16_t> a = randomBF16(2000, 28), b = randomBF16(2000, 29),
                        c = randomBF16(2000, 30);
  // Exact ties: 1 + 2^-8 and 1 + 3 * 2^-8.
  a[0] = 0x3f80, b[0] = 0x3b80;
  a[1] = 0x3f81, b[1] = 0x3b80;
  auto add = elementwise<uint16_t>("add.rn.bf16 %d, %a0, %a1;",
                                   {in(".bf16", a), in(".bf16", b)}, ".bf16");
  auto sub = elementwise<uint16_t>("sub.rn.bf16 %d, %a0, %a1;",
                                   {in(".bf16", a), in(".bf16", b)}, ".bf16");
  auto mul = elementwise<uint16_t>("mul.rn.bf16 %d, %a0, %a1;",
                                   {in(".bf16", a), in(".bf16", b)}, ".bf16");
  auto fma = elementwise<uint16_t>(
      "fma.rn.bf16 %d, %a0, %a1, %a2;",
      {in(".bf16", a), in(".bf16", b), in(".bf16", c)}, ".bf16");
  EXPECT_EQ(add[0], 0x3f80);
  EXPECT_EQ(add[1], 0x3f82);
  for (size_t i = 0; i < a.size(); ++i) {
    double x = bf16Value(a[i]), y = bf16Value(b[i]), z = bf16Value(c[i]);
    EXPECT_EQ(add[i], nearestBF16(x + y)) << x << " + " << y;
    EXPECT_EQ(sub[i], nearestBF16(x - y)) << x << " - " << y;
    EXPECT_EQ(mul[i], nearestBF16(x * y)) << x << " * " << y;
    // x * y is exact in double; the sum is too but for a far smaller z,
    // which then only breaks ties, as in double.
    long double exact = (long double)x * y + z;
    EXPECT_EQ(fma[i], nearestBF16(double(exact))) << x << "*" << y << "+" << z;
  }
}

TEST(PTXSemanticsTest, BF16ConversionsAndComparisons) {
  std::vector<float> f = randomFloats(1000, 31, 1000);
  const uint32_t special[] = {0x3f808000, 0x3f818000, 0x3f808001, 0x3f807fff,
                              0x7f7fffff, 0x7f7f7fff, 0xff7f8000, 0x7f800000,
                              0x00008000, 0x80018000, 0x7fc00000, 0xffc00001};
  for (uint32_t s : special)
    f.push_back(bitsToFloat(s));
  auto rn = elementwise<uint16_t>("cvt.rn.bf16.f32 %d, %a0;", {in(".f32", f)},
                                  ".bf16");
  auto rz = elementwise<uint16_t>("cvt.rz.bf16.f32 %d, %a0;", {in(".f32", f)},
                                  ".bf16");
  auto back = elementwise<float>(
      ".reg .b16 %rs1;\n\tcvt.rn.bf16.f32 %rs1, %a0;\n\tcvt.f32.bf16 %d, "
      "%rs1;",
      {in(".f32", f)}, ".f32");
  for (size_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(rn[i], nearestBF16(f[i])) << f[i];
    uint16_t trunc = uint16_t(floatToBits(f[i]) >> 16);
    if (!std::isnan(f[i]))
      EXPECT_EQ(rz[i], trunc) << f[i];
    if (!std::isnan(f[i]))
      EXPECT_EQ(floatToBits(back[i]), uint32_t(nearestBF16(f[i])) << 16);
  }
  // Double rounding: 1 + 2^-8 + 2^-40 rounds to float as the tie 1 + 2^-8,
  // which would go to 1; straight to bf16 it is above the tie.
  auto fromDouble = elementwise<uint16_t>(
      "cvt.rn.bf16.f64 %d, %a0;",
      {in(".f64", std::vector<double>{1 + 0x1p-8 + 0x1p-40, 1 + 0x1p-8,
                                      -(1 + 0x1p-8 + 0x1p-40)})},
      ".bf16");
  EXPECT_EQ(fromDouble, (std::vector<uint16_t>{0x3f81, 0x3f80, 0xbf81}));
  auto toDouble = elementwise<double>(
      "cvt.f64.bf16 %d, %a0;",
      {in(".bf16", std::vector<uint16_t>{0x3f81, 0xc2f7, 0x0001})}, ".f64");
  EXPECT_EQ(toDouble, (std::vector<double>{1 + 0x1p-7, -123.5, 0x1p-133}));

  std::vector<uint16_t> a = {0x3f80, 0x4000, 0x7fc0, 0x3f80, 0x8000};
  std::vector<uint16_t> b = {0x4000, 0x3f80, 0x3f80, 0x3f80, 0x0000};
  auto gt = elementwise<uint32_t>(
      "setp.gt.bf16 %p1, %a0, %a1;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".bf16", a), in(".bf16", b)}, ".u32");
  auto ne = elementwise<uint32_t>(
      "setp.ne.bf16 %p1, %a0, %a1;\n\tselp.u32 %d, 1, 0, %p1;",
      {in(".bf16", a), in(".bf16", b)}, ".u32");
  EXPECT_EQ(gt, (std::vector<uint32_t>{0, 1, 0, 0, 0}));
  EXPECT_EQ(ne, (std::vector<uint32_t>{1, 1, 0, 0, 0}));
}

} // namespace
