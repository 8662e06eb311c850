//===- SafeTensorsFuzzer.cpp - libFuzzer target for the safetensors reader ===//
//
// Feeds arbitrary bytes to parseSafeTensors. Any crash, sanitizer report or
// hang is a bug; so is a file the reader accepts that the writer cannot
// write back, or that does not read back as the same tensors and metadata.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/SafeTensors.h"

#include <cstdio>
#include <cstdlib>

using namespace resnetc::runtime;

static void check(bool ok, const char *what) {
  if (ok)
    return;
  std::fprintf(stderr, "safetensors round trip: %s\n", what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Expected<SafeTensorsFile> file =
      parseSafeTensors(data, size, "fuzz.safetensors");
  if (!file) {
    check(!file.error().message().empty(), "an error without a message");
    return 0;
  }
  Expected<std::vector<uint8_t>> bytes =
      serializeSafeTensors(file->tensors, file->metadata, "fuzz.safetensors");
  check(static_cast<bool>(bytes), "an accepted file cannot be written back");
  Expected<SafeTensorsFile> again =
      parseSafeTensors(bytes->data(), bytes->size(), "again.safetensors");
  check(static_cast<bool>(again), "a written file cannot be read back");
  check(again->tensors.size() == file->tensors.size() &&
            again->metadata.size() == file->metadata.size(),
        "the tensors or the metadata changed in number");
  for (const auto &[name, t] : file->tensors) {
    const HostTensor *u = again->find(name);
    check(u && u->dtype == t.dtype && u->shape == t.shape &&
              u->bytes == t.bytes,
          "a tensor changed");
  }
  for (const auto &entry : file->metadata) {
    bool found = false;
    for (const auto &other : again->metadata)
      found |= other == entry;
    check(found, "a metadata entry changed");
  }
  return 0;
}
