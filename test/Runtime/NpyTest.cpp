//===- NpyTest.cpp - Unit tests of the .npy reader and writer -------------===//
//
// Round trips for every dtype and rank, the exact bytes numpy.save writes,
// versions 1.0 and 2.0, and the reader's error paths on hand-made files.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Npy.h"

#include "TestUtil.h"

#include <cstring>

using namespace resnetc::runtime;
using namespace resnetc::runtime::test;

namespace {

/// A .npy file with the given version, header text (used verbatim) and
/// `dataSize` bytes of data.
std::vector<uint8_t> makeNpy(int major, const std::string &header,
                             size_t dataSize) {
  std::vector<uint8_t> out = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  size_t lengthSize = major == 1 ? 2 : 4;
  for (size_t i = 0; i < lengthSize; ++i)
    out.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataSize, 0);
  return out;
}

std::string dict(const std::string &descr, const std::string &fortran,
                 const std::string &shape) {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran +
         ", 'shape': " + shape + ", }\n";
}

/// The error of parsing `bytes` as "x.npy", or "OK".
std::string parseError(const std::vector<uint8_t> &bytes) {
  Expected<HostTensor> t = parseNpy(bytes.data(), bytes.size(), "x.npy");
  return t ? "OK" : t.error().message();
}

} // namespace

TEST(NpyTest, RoundTripAllDTypes) {
  for (DType d : {DType::F32, DType::F16, DType::I64, DType::I32, DType::U8}) {
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{}, {5}, {2, 3}, {2, 0, 4}, {1, 2, 3, 4}}) {
      HostTensor t(d, shape);
      for (size_t i = 0; i < t.bytes.size(); ++i)
        t.bytes[i] = static_cast<uint8_t>(i * 37 + 11);
      Expected<std::vector<uint8_t>> bytes = serializeNpy(t, "mem");
      ASSERT_TRUE(bytes) << bytes.error().message();
      // numpy aligns the data to 64 bytes.
      EXPECT_EQ((bytes->size() - t.bytes.size()) % 64, 0u);
      Expected<HostTensor> back = parseNpy(bytes->data(), bytes->size(), "mem");
      ASSERT_TRUE(back) << back.error().message();
      EXPECT_EQ(back->dtype, d);
      EXPECT_EQ(back->shape, shape);
      EXPECT_EQ(back->bytes, t.bytes);
    }
  }
}

TEST(NpyTest, HeaderMatchesNumpySave) {
  // numpy.save(np.zeros((2, 3), np.float32)) writes exactly this header.
  HostTensor t(DType::F32, {2, 3});
  Expected<std::vector<uint8_t>> bytes = serializeNpy(t, "mem");
  ASSERT_TRUE(bytes);
  std::string expected =
      std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
      std::string(58, ' ') + "\n";
  ASSERT_EQ(expected.size(), 128u);
  EXPECT_EQ(std::string(bytes->begin(), bytes->begin() + 128), expected);
}

TEST(NpyTest, OnDisk) {
  ScratchDir dir;
  HostTensor t(DType::I64, {3});
  t.i64()[0] = -1;
  t.i64()[1] = INT64_MAX;
  t.i64()[2] = 42;
  Status st = writeNpy(dir.file("a.npy"), t);
  ASSERT_TRUE(st) << st.message();
  Expected<HostTensor> back = readNpy(dir.file("a.npy"));
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->bytes, t.bytes);
  Expected<HostTensor> missing = readNpy(dir.file("b.npy"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            dir.file("b.npy") + ": No such file or directory");
  HostTensor bf(DType::BF16, {1});
  st = writeNpy(dir.file("c.npy"), bf);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            dir.file("c.npy") + ": dtype BF16 has no NumPy equivalent");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"a.npy"});
}

TEST(NpyTest, Version2AndVariants) {
  EXPECT_EQ(parseError(makeNpy(2, dict("<f4", "False", "(2,)"), 8)), "OK");
  // Double quotes, no trailing comma, extra spaces, Python 2 longs.
  EXPECT_EQ(parseError(makeNpy(1,
                               "{ \"shape\" : (2L, 1 ,) , \"fortran_order\":"
                               "False, \"descr\":\"|u1\"}   \n",
                               2)),
            "OK");
  EXPECT_EQ(parseError(makeNpy(1, dict("<u1", "False", "()"), 1)), "OK");
}

TEST(NpyTest, BadMagicAndVersion) {
  EXPECT_EQ(parseError({'P', 'K', 3, 4}),
            "x.npy: not a .npy file (bad magic string)");
  EXPECT_EQ(parseError({0x93, 'N', 'U', 'M', 'P', 'Y', 1}),
            "x.npy: file is truncated in the .npy preamble");
  std::vector<uint8_t> v3 = makeNpy(1, dict("<f4", "False", "(1,)"), 4);
  v3[6] = 3;
  EXPECT_EQ(parseError(v3), "x.npy: unsupported .npy format version 3.0 "
                            "(supported: 1.0 and 2.0)");
  std::vector<uint8_t> v11 = makeNpy(1, dict("<f4", "False", "(1,)"), 4);
  v11[7] = 1;
  EXPECT_EQ(parseError(v11), "x.npy: unsupported .npy format version 1.1 "
                             "(supported: 1.0 and 2.0)");
}

TEST(NpyTest, BadHeaderLength) {
  std::vector<uint8_t> bytes = makeNpy(1, dict("<f4", "False", "(1,)"), 4);
  bytes[8] = 0xff;
  bytes[9] = 0xff;
  EXPECT_EQ(parseError(bytes), "x.npy: header length 65535 exceeds the file "
                               "size (" +
                                   std::to_string(bytes.size()) + " bytes)");
  std::vector<uint8_t> v2 = makeNpy(2, dict("<f4", "False", "(1,)"), 4);
  v2[11] = 0xff;
  uint64_t length =
      (uint64_t(0xff) << 24) + dict("<f4", "False", "(1,)").size();
  EXPECT_EQ(parseError(v2), "x.npy: header length " + std::to_string(length) +
                                " exceeds the file size (" +
                                std::to_string(v2.size()) + " bytes)");
}

TEST(NpyTest, BadHeaderDict) {
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (1,), 'extra': True}",
                               4)),
            "x.npy: header has an unexpected key 'extra'");
  EXPECT_EQ(parseError(makeNpy(1, "{'descr': '<f4', 'shape': (1,)}", 4)),
            "x.npy: header lacks the key 'fortran_order'");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'descr': '<f4', "
                               "'fortran_order': False, 'shape': (1,)}",
                               4)),
            "x.npy: header repeats the key 'descr'");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (4)}",
                               16)),
            "x.npy: malformed header dict: byte 50 of the header: expected a "
            "tuple, found a parenthesized integer");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (-1,)}",
                               4)),
            "x.npy: malformed header dict: byte 51 of the header: expected a "
            "non-negative integer");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': [('a', '<f4')], "
                               "'fortran_order': False, 'shape': (1,)}",
                               4)),
            "x.npy: malformed header dict: byte 10 of the header: structured "
            "dtypes are not supported");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (1,)} junk",
                               4)),
            "x.npy: malformed header dict: byte 56 of the header: unexpected "
            "characters after the dict");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': 0, "
                               "'shape': (1,)}",
                               4)),
            "x.npy: malformed header dict: byte 34 of the header: expected a "
            "string, True, False or a tuple");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': (1,), 'fortran_order': False, "
                               "'shape': (1,)}",
                               4)),
            "x.npy: 'descr' is not a string");
  EXPECT_EQ(parseError(makeNpy(1,
                               "{'descr': '<f4', 'fortran_order': False, "
                               "'shape': (99999999999999999999,)}",
                               4)),
            "x.npy: malformed header dict: byte 51 of the header: integer is "
            "too large");
  EXPECT_EQ(parseError(makeNpy(1, "{'descr': '<f4\xc3\xa9', }", 4)),
            "x.npy: header contains a non-ASCII byte");
}

TEST(NpyTest, UnsupportedDTypesAndOrder) {
  EXPECT_EQ(parseError(makeNpy(1, dict("<f8", "False", "(1,)"), 8)),
            "x.npy: unsupported dtype '<f8' (supported: <f4, <f2, <i8, <i4, "
            "|u1)");
  EXPECT_EQ(parseError(makeNpy(1, dict(">f4", "False", "(1,)"), 4)),
            "x.npy: big-endian dtype '>f4' is not supported");
  EXPECT_EQ(parseError(makeNpy(1, dict("<f4", "True", "(2, 2)"), 16)),
            "x.npy: arrays in Fortran order are not supported (fortran_order "
            "is True); save a C-ordered array");
}

TEST(NpyTest, AcceptedDTypes) {
  auto parse = [](const std::string &descr, size_t bytes,
                  const std::vector<DType> &accepted) {
    std::vector<uint8_t> f = makeNpy(1, dict(descr, "False", "(1,)"), bytes);
    Expected<HostTensor> t = parseNpy(f.data(), f.size(), "x.npy", accepted);
    return t ? std::string("OK") : t.error().message();
  };
  EXPECT_EQ(parse("<f4", 4, {DType::F32}), "OK");
  // Supported by the reader or not, one message says what is expected.
  EXPECT_EQ(parse("<f2", 2, {DType::F32}),
            "x.npy: the array's dtype is '<f2'; expected float32 ('<f4')");
  EXPECT_EQ(parse("<f8", 8, {DType::F32}),
            "x.npy: the array's dtype is '<f8'; expected float32 ('<f4')");
  EXPECT_EQ(parse("<f4", 4, {DType::I64, DType::I32}),
            "x.npy: the array's dtype is '<f4'; expected int64 ('<i8') or "
            "int32 ('<i4')");
  EXPECT_EQ(parse("<i4", 4, {DType::I64, DType::I32}), "OK");
}

TEST(NpyTest, WrongDataSize) {
  EXPECT_EQ(parseError(makeNpy(1, dict("<f4", "False", "(2, 3)"), 20)),
            "x.npy: data is 20 bytes but shape (2, 3) of '<f4' needs 24 (the "
            "file is truncated)");
  EXPECT_EQ(parseError(makeNpy(1, dict("<i8", "False", "(1,)"), 9)),
            "x.npy: data is 9 bytes but shape (1,) of '<i8' needs 8");
  EXPECT_EQ(
      parseError(makeNpy(
          1, dict("<f4", "False", "(4294967296, 4294967296, 4294967296)"), 4)),
      "x.npy: shape [4294967296,4294967296,4294967296] of F32 needs "
      "more than 9223372036854775807 bytes");
}
