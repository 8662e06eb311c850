//===- NpyFuzzer.cpp - libFuzzer target for the .npy reader ---------------===//
//
// Feeds arbitrary bytes to parseNpy. Any crash, sanitizer report or hang is
// a bug; so is an array the reader accepts that the writer cannot write
// back, or that does not read back as the same array.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Npy.h"

#include <cstdio>
#include <cstdlib>

using namespace resnetc::runtime;

static void check(bool ok, const char *what) {
  if (ok)
    return;
  std::fprintf(stderr, ".npy round trip: %s\n", what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Expected<HostTensor> t = parseNpy(data, size, "fuzz.npy");
  if (!t) {
    check(!t.error().message().empty(), "an error without a message");
    // The same bytes, restricted to one dtype: an error too.
    check(!parseNpy(data, size, "fuzz.npy", {DType::F32}),
          "restricting the dtypes accepted a file");
    return 0;
  }
  Expected<std::vector<uint8_t>> bytes = serializeNpy(*t, "fuzz.npy");
  check(static_cast<bool>(bytes), "an accepted array cannot be written back");
  Expected<HostTensor> again =
      parseNpy(bytes->data(), bytes->size(), "again.npy", {t->dtype});
  check(static_cast<bool>(again), "a written array cannot be read back");
  check(again->dtype == t->dtype && again->shape == t->shape &&
            again->bytes == t->bytes,
        "the array changed");
  return 0;
}
