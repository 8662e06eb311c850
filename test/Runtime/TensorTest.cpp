//===- TensorTest.cpp - Unit tests of dtypes and host tensors -------------===//
//
// Dtype names and sizes, overflow-checked shape arithmetic, typed views and
// the binary16/bfloat16 conversions (checked exhaustively where feasible).
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Tensor.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>

using namespace resnetc::runtime;

TEST(TensorTest, DTypeNamesAndSizes) {
  for (DType d : {DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32,
                  DType::U8}) {
    std::optional<DType> parsed = parseDTypeName(getDTypeName(d));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_FALSE(parseDTypeName("F64").has_value());
  EXPECT_FALSE(parseDTypeName("f32").has_value());
  EXPECT_EQ(getDTypeSize(DType::F32), 4u);
  EXPECT_EQ(getDTypeSize(DType::BF16), 2u);
  EXPECT_EQ(getDTypeSize(DType::I64), 8u);
  EXPECT_EQ(getDTypeSize(DType::U8), 1u);
}

TEST(TensorTest, ShapeArithmetic) {
  EXPECT_EQ(formatShape({64, 1, 7, 7}), "[64,1,7,7]");
  EXPECT_EQ(formatShape({}), "[]");
  EXPECT_EQ(*checkedNumElements({}), 1);
  EXPECT_EQ(*checkedNumElements({3, 0, INT64_MAX}), 0);
  EXPECT_EQ(*checkedByteSize(DType::F32, {64, 1, 7, 7}), 12544);
  Expected<int64_t> negative = checkedNumElements({2, -1});
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().message(),
            "dimension 1 of shape [2,-1] is negative");
  Expected<int64_t> huge = checkedByteSize(DType::F32, {1 << 30, 1 << 30, 8});
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message(),
            "shape [1073741824,1073741824,8] of F32 needs more than "
            "9223372036854775807 bytes");
}

TEST(TensorTest, HostTensorViews) {
  HostTensor t(DType::F32, {2, 3});
  EXPECT_EQ(t.numElements(), 6);
  EXPECT_EQ(t.bytes.size(), 24u);
  EXPECT_TRUE(t.isConsistent());
  ASSERT_NE(t.f32(), nullptr);
  EXPECT_EQ(t.i64(), nullptr);
  EXPECT_EQ(t.u8(), nullptr);
  t.f32()[5] = 2.5f;
  EXPECT_EQ(t.getAsDouble(5), 2.5);
  EXPECT_EQ(t.getAsDouble(6), 0.0);
  t.bytes.pop_back();
  EXPECT_FALSE(t.isConsistent());

  HostTensor scalar(DType::I64, {});
  EXPECT_EQ(scalar.numElements(), 1);
  scalar.i64()[0] = -7;
  EXPECT_EQ(scalar.getAsDouble(0), -7.0);
}

TEST(TensorTest, HalfRoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint16_t h = static_cast<uint16_t>(bits);
    float f = halfToFloat(h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
      continue;
    }
    ASSERT_EQ(floatToHalf(f), h) << "bits " << bits;
  }
}

TEST(TensorTest, HalfRounding) {
  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(floatToHalf(-INFINITY), 0xfc00);
  // Ties go to even: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Subnormals: the smallest is 2^-24; half of it rounds to zero (even).
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
}

TEST(TensorTest, BFloat16) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    uint16_t b = static_cast<uint16_t>(bits);
    float f = bf16ToFloat(b);
    if (std::isnan(f))
      continue;
    ASSERT_EQ(floatToBF16(f), b);
  }
  EXPECT_EQ(floatToBF16(1.0f), 0x3f80);
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to even (1).
  EXPECT_EQ(floatToBF16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(floatToBF16(3.4e38f), 0x7f80); // Rounds up to infinity.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(NAN))));
}
