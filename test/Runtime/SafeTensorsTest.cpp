//===- SafeTensorsTest.cpp - Unit tests of the safetensors reader/writer --===//
//
// Round trips through memory and disk, the exact layout the writer produces,
// and every validation error of the reader, each on a hand-made file.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/SafeTensors.h"

#include "TestUtil.h"

#include <algorithm>
#include <cstring>

using namespace resnetc::runtime;
using namespace resnetc::runtime::test;

namespace {

/// A safetensors file made of `header` (length prefix added) and `dataSize`
/// zero bytes.
std::vector<uint8_t> makeFile(const std::string &header, size_t dataSize) {
  std::vector<uint8_t> out(8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataSize, 0);
  return out;
}

/// The error of parsing `bytes` as "w.safetensors", or "OK".
std::string parseError(const std::vector<uint8_t> &bytes) {
  Expected<SafeTensorsFile> f =
      parseSafeTensors(bytes.data(), bytes.size(), "w.safetensors");
  return f ? "OK" : f.error().message();
}

std::string parseError(const std::string &header, size_t dataSize) {
  return parseError(makeFile(header, dataSize));
}

HostTensor makeF32(std::vector<int64_t> shape, float start) {
  HostTensor t(DType::F32, std::move(shape));
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.f32()[i] = start + static_cast<float>(i);
  return t;
}

NamedTensors sampleTensors() {
  NamedTensors tensors;
  tensors.emplace_back("stem.conv1.weight", makeF32({4, 1, 3, 3}, 0.5f));
  HostTensor counter(DType::I64, {});
  counter.i64()[0] = 12345678901234;
  tensors.emplace_back("bn.num_batches_tracked", counter);
  HostTensor half(DType::F16, {3});
  half.f16()[0] = floatToHalf(1.0f);
  half.f16()[1] = floatToHalf(-2.5f);
  half.f16()[2] = floatToHalf(65504.0f);
  tensors.emplace_back("a.half", half);
  HostTensor bf(DType::BF16, {2});
  bf.bf16()[0] = floatToBF16(3.0f);
  bf.bf16()[1] = floatToBF16(-0.125f);
  tensors.emplace_back("a.bf16", bf);
  HostTensor i32(DType::I32, {2, 2});
  for (int i = 0; i < 4; ++i)
    i32.i32()[i] = -i * 1000;
  tensors.emplace_back("z.i32", i32);
  HostTensor u8(DType::U8, {5});
  for (int i = 0; i < 5; ++i)
    u8.u8()[i] = static_cast<uint8_t>(250 + i);
  tensors.emplace_back("u8", u8);
  tensors.emplace_back("empty", HostTensor(DType::F32, {0, 3}));
  return tensors;
}

void expectSameTensors(const NamedTensors &expected,
                       const SafeTensorsFile &actual) {
  ASSERT_EQ(actual.tensors.size(), expected.size());
  for (const auto &[name, tensor] : expected) {
    const HostTensor *t = actual.find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype, tensor.dtype) << name;
    EXPECT_EQ(t->shape, tensor.shape) << name;
    EXPECT_EQ(t->bytes, tensor.bytes) << name;
  }
}

} // namespace

TEST(SafeTensorsTest, RoundTripInMemory) {
  NamedTensors tensors = sampleTensors();
  SafeTensorsMetadata meta = {{"format", "pt"}, {"seed", "42"}};
  Expected<std::vector<uint8_t>> bytes =
      serializeSafeTensors(tensors, meta, "mem");
  ASSERT_TRUE(bytes) << bytes.error().message();
  Expected<SafeTensorsFile> f =
      parseSafeTensors(bytes->data(), bytes->size(), "mem");
  ASSERT_TRUE(f) << f.error().message();
  expectSameTensors(tensors, *f);
  EXPECT_EQ(f->metadata, meta);
  // Header order is sorted by name.
  std::vector<std::string> names;
  for (const auto &entry : f->tensors)
    names.push_back(entry.first);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "a.bf16", "a.half", "bn.num_batches_tracked", "empty",
                       "stem.conv1.weight", "u8", "z.i32"}));
}

TEST(SafeTensorsTest, RoundTripOnDisk) {
  ScratchDir dir;
  std::string path = dir.file("w.safetensors");
  NamedTensors tensors = sampleTensors();
  Status st = writeSafeTensors(path, tensors, {{"format", "pt"}});
  ASSERT_TRUE(st) << st.message();
  Expected<SafeTensorsFile> f = readSafeTensors(path);
  ASSERT_TRUE(f) << f.error().message();
  expectSameTensors(tensors, *f);
  // The file on disk has exactly the serialized bytes.
  Expected<std::vector<uint8_t>> bytes =
      serializeSafeTensors(tensors, {{"format", "pt"}}, path);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(readBytes(path), *bytes);
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"w.safetensors"});
}

TEST(SafeTensorsTest, ExactLayout) {
  NamedTensors tensors;
  tensors.emplace_back("b", makeF32({2}, 1.0f));
  tensors.emplace_back("a", makeF32({1}, 7.0f));
  Expected<std::vector<uint8_t>> bytes =
      serializeSafeTensors(tensors, {{"k", "v"}}, "mem");
  ASSERT_TRUE(bytes);
  std::string json =
      R"({"__metadata__":{"k":"v"},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  std::string padded = json + std::string((8 - json.size() % 8) % 8, ' ');
  ASSERT_EQ(bytes->size(), 8 + padded.size() + 12);
  EXPECT_EQ((*bytes)[0], padded.size());
  EXPECT_EQ(std::string(bytes->begin() + 8, bytes->begin() + 8 + padded.size()),
            padded);
  EXPECT_EQ((8 + padded.size()) % 8, 0u);
  float a;
  std::memcpy(&a, bytes->data() + 8 + padded.size(), 4);
  EXPECT_EQ(a, 7.0f);
}

TEST(SafeTensorsTest, EmptyFile) {
  Expected<std::vector<uint8_t>> bytes = serializeSafeTensors({}, {}, "mem");
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 16u); // "{}" padded to 8 bytes.
  Expected<SafeTensorsFile> f =
      parseSafeTensors(bytes->data(), bytes->size(), "mem");
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->tensors.empty());
}

TEST(SafeTensorsTest, TruncatedAndBadLengths) {
  EXPECT_EQ(parseError(std::vector<uint8_t>{1, 2, 3}),
            "w.safetensors: file is too short (3 bytes) to hold the 8-byte "
            "header length");
  std::vector<uint8_t> huge = {0, 0, 0, 0, 0, 0, 0, 1, '{', '}'};
  EXPECT_EQ(parseError(huge), "w.safetensors: header length "
                              "72057594037927936 exceeds the limit of "
                              "100000000 bytes");
  std::vector<uint8_t> max = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(parseError(max), "w.safetensors: header length "
                             "18446744073709551615 exceeds the limit of "
                             "100000000 bytes");
  std::vector<uint8_t> longer = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  EXPECT_EQ(parseError(longer), "w.safetensors: header length 100 exceeds the "
                                "file size (10 bytes)");
  // Truncated data section.
  std::string header =
      R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  EXPECT_EQ(parseError(header, 8),
            "w.safetensors: tensor 'x': data_offsets [0, 16] extend past the "
            "end of the data section (8 bytes)");
}

TEST(SafeTensorsTest, BadJson) {
  EXPECT_EQ(parseError("", 0),
            "w.safetensors: header is not valid JSON: 1:1: syntax error while "
            "parsing value - unexpected end of input; expected '[', '{', or a "
            "literal");
  EXPECT_EQ(parseError(R"({"x": })", 0),
            "w.safetensors: header is not valid JSON: 1:7: syntax error while "
            "parsing value - unexpected '}'; expected '[', '{', or a literal");
  EXPECT_EQ(parseError("[1, 2]", 0),
            "w.safetensors: header is an array, expected an object");
  EXPECT_EQ(
      parseError(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                 R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                 2),
      "w.safetensors: header is not valid JSON: 1:54: duplicate object "
      "key \"a\"");
}

TEST(SafeTensorsTest, BadEntries) {
  EXPECT_EQ(parseError(R"({"x": 3})", 0),
            "w.safetensors: tensor 'x': entry is a number, expected an object");
  EXPECT_EQ(parseError(R"({"x": {"shape":[1],"data_offsets":[0,4]}})", 4),
            "w.safetensors: tensor 'x': missing 'dtype'");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":1,"shape":[1],"data_offsets":[0,4]}})", 4),
      "w.safetensors: tensor 'x': 'dtype' is a number, expected a "
      "string");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F64","shape":[1],"data_offsets":[0,8]}})",
                 8),
      "w.safetensors: tensor 'x': unsupported dtype 'F64' (supported: F32, "
      "F16, BF16, I64, I32, U8)");
  EXPECT_EQ(parseError(R"({"x": {"dtype":"F32","data_offsets":[0,4]}})", 4),
            "w.safetensors: tensor 'x': missing 'shape'");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})",
                 4),
      "w.safetensors: tensor 'x': 'shape' must be an array of non-negative "
      "integers, got [-1]");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})",
                 4),
      "w.safetensors: tensor 'x': 'shape' must be an array of non-negative "
      "integers, got [1.5]");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F32","shape":"1","data_offsets":[0,4]}})",
                 4),
      "w.safetensors: tensor 'x': 'shape' must be an array of non-negative "
      "integers, got \"1\"");
  EXPECT_EQ(parseError(R"({"x": {"dtype":"F32","shape":[1]}})", 4),
            "w.safetensors: tensor 'x': missing 'data_offsets'");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
      "w.safetensors: tensor 'x': 'data_offsets' must be an array of two "
      "non-negative integers, got [0]");
  EXPECT_EQ(
      parseError(R"({"x": {"dtype":"F32","shape":[0],"data_offsets":[4,0]}})",
                 4),
      "w.safetensors: tensor 'x': data_offsets [4, 0] are reversed (begin > "
      "end)");
  EXPECT_EQ(parseError(R"({"__metadata__": [], "x": 1})", 0),
            "w.safetensors: '__metadata__' is an array, expected an object "
            "mapping strings to strings");
  EXPECT_EQ(parseError(R"({"__metadata__": {"a": 1}})", 0),
            "w.safetensors: '__metadata__' entry 'a' is a number, expected a "
            "string");
}

TEST(SafeTensorsTest, SizeMismatch) {
  std::string header = R"({"stem.conv1.weight":{"dtype":"F32",)"
                       R"("shape":[64,1,7,7],"data_offsets":[0,100]}})";
  EXPECT_EQ(parseError(header, 100),
            "w.safetensors: tensor 'stem.conv1.weight': data_offsets [0, 100] "
            "do not match shape [64,1,7,7] of F32 (12544 bytes)");
  std::string overflow =
      R"({"x":{"dtype":"F32","shape":[4294967296,4294967296],)"
      R"("data_offsets":[0,4]}})";
  EXPECT_EQ(parseError(overflow, 4),
            "w.safetensors: tensor 'x': shape [4294967296,4294967296] of F32 "
            "needs more than 9223372036854775807 bytes");
}

TEST(SafeTensorsTest, OverlapsGapsAndTrailingBytes) {
  std::string overlap =
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_EQ(parseError(overlap, 12),
            "w.safetensors: tensors 'a' (data_offsets [0, 8]) and 'b' "
            "(data_offsets [4, 12]) overlap");
  std::string same = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(parseError(same, 8),
            "w.safetensors: tensors 'a' (data_offsets [0, 8]) and 'b' "
            "(data_offsets [0, 8]) overlap");
  std::string gap = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                    R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_EQ(parseError(gap, 12),
            "w.safetensors: data bytes [4, 8) are not covered by any tensor "
            "(the next tensor is 'b')");
  std::string one = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  EXPECT_EQ(parseError(one, 4), "OK");
  EXPECT_EQ(parseError(one, 6), "w.safetensors: data section is 6 bytes but "
                                "the tensors cover only the first 4");
  // Out-of-order entries and empty tensors are fine.
  std::string unordered =
      R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]},)"
      R"("e":{"dtype":"F32","shape":[0],"data_offsets":[3,3]},)"
      R"("a":{"dtype":"U8","shape":[],"data_offsets":[0,1]}})";
  EXPECT_EQ(parseError(unordered, 3), "OK");
}

TEST(SafeTensorsTest, ReadFromDiskErrors) {
  ScratchDir dir;
  Expected<SafeTensorsFile> missing = readSafeTensors(dir.file("no"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            dir.file("no") + ": No such file or directory");
  std::string path = dir.file("w.safetensors");
  writeBytes(path, {5, 0, 0});
  Expected<SafeTensorsFile> shortFile = readSafeTensors(path);
  ASSERT_FALSE(shortFile);
  EXPECT_EQ(shortFile.error().message(),
            path + ": file is too short (3 bytes) to hold the 8-byte header "
                   "length");
  writeBytes(path, makeFile(R"({"x":{"dtype":"F32","shape":[64,1,7,7],)"
                            R"("data_offsets":[0,100]}})",
                            100));
  Expected<SafeTensorsFile> mismatch = readSafeTensors(path);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message(),
            path + ": tensor 'x': data_offsets [0, 100] do not match shape "
                   "[64,1,7,7] of F32 (12544 bytes)");
  std::vector<uint8_t> huge = {0, 0, 0, 0, 0, 1, 0, 0};
  writeBytes(path, huge);
  Expected<SafeTensorsFile> tooLong = readSafeTensors(path);
  ASSERT_FALSE(tooLong);
  EXPECT_EQ(tooLong.error().message(),
            path + ": header length 1099511627776 exceeds the limit of "
                   "100000000 bytes");
}

TEST(SafeTensorsTest, WriterRejectsBadInput) {
  ScratchDir dir;
  std::string path = dir.file("w.safetensors");
  NamedTensors dup;
  dup.emplace_back("a", makeF32({1}, 0));
  dup.emplace_back("a", makeF32({1}, 0));
  Status st = writeSafeTensors(path, dup);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), path + ": tensor 'a' appears more than once");

  NamedTensors bad;
  HostTensor t = makeF32({2}, 0);
  t.bytes.pop_back();
  bad.emplace_back("t", t);
  st = writeSafeTensors(path, bad);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            path + ": tensor 't' holds 7 bytes but shape [2] of F32 needs 8");

  NamedTensors reserved;
  reserved.emplace_back("__metadata__", makeF32({1}, 0));
  EXPECT_FALSE(writeSafeTensors(path, reserved));
  NamedTensors unnamed;
  unnamed.emplace_back("", makeF32({1}, 0));
  EXPECT_FALSE(writeSafeTensors(path, unnamed));
  st = writeSafeTensors(path, {}, {{"k", "1"}, {"k", "2"}});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), path + ": metadata key 'k' appears more than once");
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(SafeTensorsTest, FailedWriteKeepsOldFile) {
  ScratchDir dir;
  std::string path = dir.file("w.safetensors");
  NamedTensors v1;
  v1.emplace_back("w", makeF32({3}, 1.0f));
  ASSERT_TRUE(writeSafeTensors(path, v1));
  std::vector<uint8_t> before = readBytes(path);
  // Validation failure: nothing is written.
  NamedTensors bad;
  bad.emplace_back("w", makeF32({3}, 2.0f));
  bad[0].second.shape = {4};
  EXPECT_FALSE(writeSafeTensors(path, bad));
  EXPECT_EQ(readBytes(path), before);
  // I/O failure: the target is a directory, refused before a temporary
  // file is made.
  std::string asDir = dir.file("d.safetensors");
  ASSERT_EQ(::mkdir(asDir.c_str(), 0755), 0);
  Status st = writeSafeTensors(asDir, v1);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), asDir + ": Is a directory; name a file to write");
  EXPECT_EQ(readBytes(path), before);
  std::vector<std::string> names = listDir(dir.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"d.safetensors", "w.safetensors"}));
  Expected<SafeTensorsFile> f = readSafeTensors(path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->find("w")->f32()[0], 1.0f);
}
