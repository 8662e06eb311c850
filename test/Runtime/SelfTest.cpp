//===- SelfTest.cpp - Command-line access to the runtime for oracle tests -===//
//
// resnetc-runtime-selftest exposes the runtime library's readers and writers
// to the Python oracle tests, which check them against NumPy, a hand-written
// safetensors reader and torchvision:
//
//   write-safetensors OUT        write the sample tensors (see below)
//   dump-safetensors IN          print metadata and every tensor's values
//   write-npy DIR                write the sample tensors as DIR/<name>.npy
//   dump-npy IN                  print a .npy file's dtype, shape and values
//   load-dataset NAME H W COUNT IMAGES.npy LABELS.npy
//                                load a dataset (resized to HxW) and save
//                                its first COUNT images and labels
//
// Errors go to stderr with exit status 1.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Datasets.h"
#include "resnetc/Runtime/Npy.h"
#include "resnetc/Runtime/SafeTensors.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace resnetc::runtime;

namespace {

/// The sample tensors. Element i of each is defined by a formula the oracle
/// test repeats in Python:
///   f32   [2,3,4]: i * 0.25 - 3
///   f16   [5]:     {0.5, -1, 65504, 2^-24, -0}
///   bf16  [3]:     {1.5, -2, 0.15625}
///   i64   [2,2]:   {-1, 2^40, INT64_MIN, INT64_MAX}
///   i32   [3]:     {-7, 0, 2147483647}
///   u8    [7]:     i * 40 mod 256
///   empty [0,4]:   F32, no elements
///   scalar []:     F32 3.5
NamedTensors sampleTensors() {
  NamedTensors out;
  HostTensor f32(DType::F32, {2, 3, 4});
  for (int64_t i = 0; i < 24; ++i)
    f32.f32()[i] = static_cast<float>(i) * 0.25f - 3.0f;
  out.emplace_back("f32", f32);
  HostTensor f16(DType::F16, {5});
  const float halves[] = {0.5f, -1.0f, 65504.0f, 5.9604644775390625e-8f, -0.0f};
  for (int i = 0; i < 5; ++i)
    f16.f16()[i] = floatToHalf(halves[i]);
  out.emplace_back("f16", f16);
  HostTensor bf16(DType::BF16, {3});
  const float bfs[] = {1.5f, -2.0f, 0.15625f};
  for (int i = 0; i < 3; ++i)
    bf16.bf16()[i] = floatToBF16(bfs[i]);
  out.emplace_back("bf16", bf16);
  HostTensor i64(DType::I64, {2, 2});
  i64.i64()[0] = -1;
  i64.i64()[1] = int64_t(1) << 40;
  i64.i64()[2] = INT64_MIN;
  i64.i64()[3] = INT64_MAX;
  out.emplace_back("i64", i64);
  HostTensor i32(DType::I32, {3});
  i32.i32()[0] = -7;
  i32.i32()[1] = 0;
  i32.i32()[2] = INT32_MAX;
  out.emplace_back("i32", i32);
  HostTensor u8(DType::U8, {7});
  for (int i = 0; i < 7; ++i)
    u8.u8()[i] = static_cast<uint8_t>(i * 40 % 256);
  out.emplace_back("u8", u8);
  out.emplace_back("empty", HostTensor(DType::F32, {0, 4}));
  HostTensor scalar(DType::F32, {});
  scalar.f32()[0] = 3.5f;
  out.emplace_back("scalar", scalar);
  return out;
}

/// Prints `name dtype [shape]: v0 v1 ...` with exact integers and floats
/// printed with 9 significant digits (enough to round-trip a float).
void printTensor(const std::string &name, const HostTensor &t) {
  std::printf("%s %s %s:", name.c_str(), getDTypeName(t.dtype),
              formatShape(t.shape).c_str());
  for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
    switch (t.dtype) {
    case DType::I64:
      std::printf(" %" PRId64, t.i64()[i]);
      break;
    case DType::I32:
      std::printf(" %" PRId32, t.i32()[i]);
      break;
    case DType::U8:
      std::printf(" %u", unsigned(t.u8()[i]));
      break;
    case DType::F32:
    case DType::F16:
    case DType::BF16:
      std::printf(" %.9g", t.getAsDouble(i));
      break;
    }
  }
  std::printf("\n");
}

int fail(const std::string &message) {
  std::fprintf(stderr, "resnetc-runtime-selftest: %s\n", message.c_str());
  return 1;
}

int usage() {
  return fail("usage: resnetc-runtime-selftest write-safetensors OUT | "
              "dump-safetensors IN | write-npy DIR | dump-npy IN | "
              "load-dataset NAME H W COUNT IMAGES.npy LABELS.npy");
}

/// Parses a non-negative decimal integer; -1 on error.
int64_t parseCount(const char *text) {
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v < 0)
    return -1;
  return v;
}

int loadDatasetCommand(char **argv) {
  int64_t h = parseCount(argv[3]), w = parseCount(argv[4]);
  int64_t count = parseCount(argv[5]);
  if (h < 0 || w < 0 || count < 0)
    return fail("H, W and COUNT must be non-negative integers");
  Expected<ImageDataset> ds = loadDataset(argv[2], h, w, count);
  if (!ds)
    return fail(ds.error().message());
  HostTensor images(DType::F32, {ds->n, ds->c, ds->h, ds->w});
  std::memcpy(images.bytes.data(), ds->images.data(), images.bytes.size());
  HostTensor labels(DType::I64, {ds->n});
  std::memcpy(labels.bytes.data(), ds->labels.data(), labels.bytes.size());
  if (Status st = writeNpy(argv[6], images); !st)
    return fail(st.message());
  if (Status st = writeNpy(argv[7], labels); !st)
    return fail(st.message());
  std::printf("loaded %" PRId64 " images of %" PRId64 "x%" PRId64 "x%" PRId64
              "\n",
              ds->n, ds->c, ds->h, ds->w);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  std::string cmd = argv[1];
  if (cmd == "write-safetensors" && argc == 3) {
    Status st = writeSafeTensors(argv[2], sampleTensors(),
                                 {{"format", "pt"}, {"producer", "resnetc"}});
    return st ? 0 : fail(st.message());
  }
  if (cmd == "dump-safetensors" && argc == 3) {
    Expected<SafeTensorsFile> f = readSafeTensors(argv[2]);
    if (!f)
      return fail(f.error().message());
    for (const auto &[key, value] : f->metadata)
      std::printf("metadata %s=%s\n", key.c_str(), value.c_str());
    for (const auto &[name, tensor] : f->tensors)
      printTensor(name, tensor);
    return 0;
  }
  if (cmd == "write-npy" && argc == 3) {
    for (const auto &[name, tensor] : sampleTensors()) {
      if (tensor.dtype == DType::BF16)
        continue; // NumPy has no bfloat16.
      if (Status st =
              writeNpy(std::string(argv[2]) + "/" + name + ".npy", tensor);
          !st)
        return fail(st.message());
    }
    return 0;
  }
  if (cmd == "dump-npy" && argc == 3) {
    Expected<HostTensor> t = readNpy(argv[2]);
    if (!t)
      return fail(t.error().message());
    printTensor("array", *t);
    return 0;
  }
  if (cmd == "load-dataset" && argc == 8)
    return loadDatasetCommand(argv);
  return usage();
}
