//===- SafeTensors.h - Reading and writing .safetensors files ---*- C++ -*-===//
//
// The safetensors checkpoint format: an 8-byte little-endian header length N,
// N bytes of JSON header
//
//   {"__metadata__": {"key": "value", ...},
//    "name": {"dtype": "F32", "shape": [64, 1, 7, 7],
//             "data_offsets": [begin, end]}, ...}
//
// and then the data section, in which each tensor occupies bytes
// [begin, end) relative to the start of the section, row-major and
// little-endian. The reader trusts nothing: it checks the header length, the
// JSON, every entry, and that the tensors tile the data section exactly, as
// the reference implementation requires. The writer lays tensors out sorted
// by name, pads the header with spaces to a multiple of 8 bytes, and
// replaces the file atomically.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_SAFETENSORS_H
#define RESNETC_RUNTIME_SAFETENSORS_H

#include "resnetc/Runtime/Status.h"
#include "resnetc/Runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace resnetc::runtime {

/// Largest header a reader accepts, as in the reference implementation.
constexpr uint64_t kSafeTensorsMaxHeaderSize = 100000000;

/// Named tensors in order.
using NamedTensors = std::vector<std::pair<std::string, HostTensor>>;
/// The string-to-string `__metadata__` map, in order.
using SafeTensorsMetadata = std::vector<std::pair<std::string, std::string>>;

/// The contents of a safetensors file.
struct SafeTensorsFile {
  /// The tensors in the order of the header.
  NamedTensors tensors;
  SafeTensorsMetadata metadata;

  /// The tensor called `name`, or null.
  const HostTensor *find(const std::string &name) const;
};

/// Reads and validates a safetensors file. Tensor data is read straight into
/// each tensor after the header has been validated, so memory use is bounded
/// by the file size.
Expected<SafeTensorsFile> readSafeTensors(const std::string &path);

/// Parses a safetensors file held in memory; `displayName` starts every error
/// message.
Expected<SafeTensorsFile> parseSafeTensors(const uint8_t *data, size_t size,
                                           const std::string &displayName);

/// Serializes tensors and metadata to the bytes of a safetensors file (the
/// same bytes writeSafeTensors writes). `displayName` starts error messages.
Expected<std::vector<uint8_t>>
serializeSafeTensors(const NamedTensors &tensors,
                     const SafeTensorsMetadata &metadata,
                     const std::string &displayName);

/// Writes a safetensors file atomically (see writeFileAtomically). Fails,
/// leaving an existing file untouched, when a name is empty, duplicated or
/// "__metadata__", when a tensor's byte count does not match its shape, or
/// when a metadata key repeats.
Status writeSafeTensors(const std::string &path, const NamedTensors &tensors,
                        const SafeTensorsMetadata &metadata = {});

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_SAFETENSORS_H
