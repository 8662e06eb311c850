//===- Tensor.h - Element types and host tensors ----------------*- C++ -*-===//
//
// The element types the runtime stores in checkpoints and data files, named as
// in the safetensors format, and HostTensor: a dense, row-major (C order)
// tensor in host memory that owns its bytes. Multi-byte elements are stored
// little-endian, the byte order of every supported host.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_TENSOR_H
#define RESNETC_RUNTIME_TENSOR_H

#include "resnetc/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the resnetc runtime supports little-endian hosts only"
#endif

namespace resnetc::runtime {

/// Element types. F16 is IEEE binary16; BF16 is bfloat16 (the upper half of
/// an IEEE binary32).
enum class DType { F32, F16, BF16, I64, I32, U8 };

/// The safetensors name of `dtype`: "F32", "F16", "BF16", "I64", "I32", "U8".
const char *getDTypeName(DType dtype);
/// Parses a safetensors dtype name; nullopt for unknown or unsupported names.
std::optional<DType> parseDTypeName(std::string_view name);
/// The comma-separated list of supported names, for error messages.
const char *getSupportedDTypeNames();
/// Bytes per element.
size_t getDTypeSize(DType dtype);

/// Formats a shape as `[64,1,7,7]` (`[]` for a scalar).
std::string formatShape(const std::vector<int64_t> &shape);

/// The number of elements of `shape`. Fails when a dimension is negative or
/// the product exceeds `limit`; the message does not name a file, so callers
/// prefix one.
Expected<int64_t> checkedNumElements(const std::vector<int64_t> &shape,
                                     int64_t limit = INT64_MAX);
/// The byte size of a tensor of `dtype` and `shape`, with the same checks as
/// checkedNumElements (the limit applies to the byte size).
Expected<int64_t> checkedByteSize(DType dtype,
                                  const std::vector<int64_t> &shape,
                                  int64_t limit = INT64_MAX);

/// A dense row-major tensor in host memory.
struct HostTensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  /// A zero-filled tensor. Negative dimensions count as zero.
  HostTensor(DType dtype, std::vector<int64_t> shape);

  /// Product of the dimensions (1 for a scalar, 0 if any dimension is <= 0).
  int64_t numElements() const;
  /// Bytes per element.
  size_t elementSize() const { return getDTypeSize(dtype); }
  /// True when no dimension is negative and `bytes` holds exactly
  /// numElements() elements.
  bool isConsistent() const;

  /// Typed views of the bytes; null when the dtype differs. (The storage of a
  /// std::vector is aligned for every element type.)
  float *f32() { return typed<float>(DType::F32); }
  const float *f32() const { return typed<float>(DType::F32); }
  /// Raw binary16 bits.
  uint16_t *f16() { return typed<uint16_t>(DType::F16); }
  const uint16_t *f16() const { return typed<uint16_t>(DType::F16); }
  /// Raw bfloat16 bits.
  uint16_t *bf16() { return typed<uint16_t>(DType::BF16); }
  const uint16_t *bf16() const { return typed<uint16_t>(DType::BF16); }
  int64_t *i64() { return typed<int64_t>(DType::I64); }
  const int64_t *i64() const { return typed<int64_t>(DType::I64); }
  int32_t *i32() { return typed<int32_t>(DType::I32); }
  const int32_t *i32() const { return typed<int32_t>(DType::I32); }
  uint8_t *u8() { return dtype == DType::U8 ? bytes.data() : nullptr; }
  const uint8_t *u8() const {
    return dtype == DType::U8 ? bytes.data() : nullptr;
  }

  /// Element `index` converted to double, whatever the dtype; 0 when out of
  /// range.
  double getAsDouble(int64_t index) const;

private:
  template <class T> T *typed(DType expected) {
    return dtype == expected ? reinterpret_cast<T *>(bytes.data()) : nullptr;
  }
  template <class T> const T *typed(DType expected) const {
    return dtype == expected ? reinterpret_cast<const T *>(bytes.data())
                             : nullptr;
  }
};

/// binary16 bits to float (exact).
float halfToFloat(uint16_t bits);
/// float to binary16 bits, rounding to nearest even; overflow gives infinity.
uint16_t floatToHalf(float value);
/// bfloat16 bits to float (exact).
float bf16ToFloat(uint16_t bits);
/// float to bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.
uint16_t floatToBF16(float value);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_TENSOR_H
