//===- Tensor.cpp - Element types and host tensors ------------------------===//
//
// Dtype names and sizes, overflow-checked shape arithmetic, and the bit-exact
// binary16 and bfloat16 conversions.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Tensor.h"

#include <cstring>

using namespace resnetc::runtime;

const char *resnetc::runtime::getDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  case DType::I64:
    return "I64";
  case DType::I32:
    return "I32";
  case DType::U8:
    return "U8";
  }
  return "?";
}

std::optional<DType> resnetc::runtime::parseDTypeName(std::string_view name) {
  for (DType d :
       {DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::U8})
    if (name == getDTypeName(d))
      return d;
  return std::nullopt;
}

const char *resnetc::runtime::getSupportedDTypeNames() {
  return "F32, F16, BF16, I64, I32, U8";
}

size_t resnetc::runtime::getDTypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  return 1;
}

std::string resnetc::runtime::formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ',';
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Expected<int64_t>
resnetc::runtime::checkedNumElements(const std::vector<int64_t> &shape,
                                     int64_t limit) {
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] < 0)
      return Error("dimension " + std::to_string(i) + " of shape " +
                   formatShape(shape) + " is negative");
  // A zero dimension makes the product zero however large the others are.
  for (int64_t d : shape)
    if (d == 0)
      return int64_t(0);
  int64_t n = 1;
  for (int64_t d : shape) {
    if (n > limit / d)
      return Error("shape " + formatShape(shape) + " has more than " +
                   std::to_string(limit) + " elements");
    n *= d;
  }
  return n;
}

Expected<int64_t> resnetc::runtime::checkedByteSize(
    DType dtype, const std::vector<int64_t> &shape, int64_t limit) {
  int64_t size = static_cast<int64_t>(getDTypeSize(dtype));
  Expected<int64_t> n = checkedNumElements(shape, limit / size);
  if (!n) {
    for (int64_t d : shape)
      if (d < 0)
        return n.takeError();
    return Error("shape " + formatShape(shape) + " of " + getDTypeName(dtype) +
                 " needs more than " + std::to_string(limit) + " bytes");
  }
  return *n * size;
}

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape)
    : dtype(dtype), shape(std::move(shape)) {
  bytes.assign(static_cast<size_t>(numElements()) * elementSize(), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0)
      return 0;
    n *= d;
  }
  return n;
}

bool HostTensor::isConsistent() const {
  Expected<int64_t> size = checkedByteSize(dtype, shape);
  return size && static_cast<uint64_t>(*size) == bytes.size();
}

double HostTensor::getAsDouble(int64_t index) const {
  if (index < 0 || static_cast<uint64_t>(index) >= bytes.size() / elementSize())
    return 0.0;
  const uint8_t *p = bytes.data() + static_cast<size_t>(index) * elementSize();
  switch (dtype) {
  case DType::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return halfToFloat(v);
  }
  case DType::BF16: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return bf16ToFloat(v);
  }
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case DType::U8:
    return *p;
  }
  return 0.0;
}

static float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

static uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

float resnetc::runtime::halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) // Infinity or NaN.
    return bitsToFloat(sign | 0x7f800000 | (mantissa << 13));
  if (exponent != 0) // Normal.
    return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  // Zero or subnormal: mantissa * 2^-24, exact in float.
  float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
  return sign ? -magnitude : magnitude;
}

uint16_t resnetc::runtime::floatToHalf(float value) {
  uint32_t x = floatToBits(value);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffff;
  if (abs > 0x7f800000) // NaN: keep it quiet and keep the top payload bits.
    return sign | 0x7e00 | static_cast<uint16_t>((abs >> 13) & 0x1ff);
  if (abs >= 0x477ff000) // >= 65520 rounds to infinity (and infinity).
    return sign | 0x7c00;
  if (abs < 0x38800000) { // Below 2^-14: a binary16 subnormal or zero.
    uint32_t e = abs >> 23;
    if (e < 102) // Below 2^-25: rounds to zero.
      return sign;
    uint32_t m = (abs & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - e; // value / 2^-24 == m >> shift
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1)))
      ++q;
    return sign | static_cast<uint16_t>(q);
  }
  uint32_t h = (abs - 0x38000000) >> 13; // Rebias the exponent 127 -> 15.
  uint32_t rem = abs & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
    ++h;
  return sign | static_cast<uint16_t>(h);
}

float resnetc::runtime::bf16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t resnetc::runtime::floatToBF16(float value) {
  uint32_t x = floatToBits(value);
  if ((x & 0x7fffffff) > 0x7f800000)
    return static_cast<uint16_t>((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return static_cast<uint16_t>(x >> 16);
}
