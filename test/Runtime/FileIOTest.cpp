//===- FileIOTest.cpp - Unit tests of file reading and atomic writes ------===//
//
// Atomic replacement: success, and failures at each stage (temporary file
// cannot be created, a write fails midway, the rename fails) leave the old
// file intact and no temporary file behind.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/FileIO.h"

#include "TestUtil.h"

#include <csignal>
#include <sys/resource.h>

using namespace resnetc::runtime;
using namespace resnetc::runtime::test;

TEST(FileIOTest, ReadErrorsNameTheFile) {
  ScratchDir dir;
  Expected<std::vector<uint8_t>> missing = readFileBytes(dir.file("nope"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            dir.file("nope") + ": No such file or directory");
  Expected<std::vector<uint8_t>> isDir = readFileBytes(dir.path());
  ASSERT_FALSE(isDir);
  EXPECT_EQ(isDir.error().message(), dir.path() + ": Is a directory");
  writeText(dir.file("big"), "12345");
  Expected<std::vector<uint8_t>> tooBig = readFileBytes(dir.file("big"), 4);
  ASSERT_FALSE(tooBig);
  EXPECT_EQ(tooBig.error().message(),
            dir.file("big") + ": file is 5 bytes, more than the limit of 4");
}

TEST(FileIOTest, InputFileReadsAtOffsets) {
  ScratchDir dir;
  writeText(dir.file("f"), "abcdef");
  Expected<InputFile> f = InputFile::open(dir.file("f"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->getSize(), 6u);
  char buf[3];
  ASSERT_TRUE(f->readAt(2, buf, 3));
  EXPECT_EQ(std::string(buf, 3), "cde");
  Status past = f->readAt(4, buf, 3);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.message(), dir.file("f") +
                                ": unexpected end of file at offset 6 (the "
                                "file shrank while being read)");
}

TEST(FileIOTest, AtomicWriteReplaces) {
  ScratchDir dir;
  std::string path = dir.file("out.bin");
  writeText(path, "old contents");
  std::string a = "new ", b = "contents";
  Status st =
      writeFileAtomically(path, {{a.data(), a.size()}, {b.data(), b.size()}});
  ASSERT_TRUE(st) << st.message();
  std::vector<uint8_t> bytes = readBytes(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "new contents");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"out.bin"});
  // An empty path is an error, not a crash.
  EXPECT_FALSE(writeFileAtomically("", {}));
}

TEST(FileIOTest, AtomicWriteFailsOnMissingDirectory) {
  ScratchDir dir;
  std::string path = dir.file("missing/out.bin");
  Status st = writeFileAtomically(path, {{"x", 1}});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), path + ": cannot create temporary file " + path +
                              ".tmp." + std::to_string(getpid()) +
                              ": No such file or directory");
}

TEST(FileIOTest, AtomicWriteOverDirectoryKeepsIt) {
  ScratchDir dir;
  std::string path = dir.file("target");
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  writeText(path + "/inside", "keep");
  Status st = writeFileAtomically(path, {{"x", 1}});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), path + ": cannot replace the file: Is a directory");
  std::vector<uint8_t> inside = readBytes(path + "/inside");
  EXPECT_EQ(std::string(inside.begin(), inside.end()), "keep");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"target"});
}

TEST(FileIOTest, AtomicWriteFailingMidwayKeepsOldFile) {
  ScratchDir dir;
  std::string path = dir.file("ckpt");
  writeText(path, "old");
  // Make write() fail with EFBIG after 4096 bytes: lower the soft file size
  // limit (root can raise it back) and ignore SIGXFSZ.
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::vector<uint8_t> big(1 << 16, 7);
  Status st = writeFileAtomically(path, {{big.data(), big.size()}});
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, oldHandler);
  ASSERT_FALSE(st);
  EXPECT_NE(st.message().find(path + ": cannot write temporary file"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("File too large"), std::string::npos)
      << st.message();
  std::vector<uint8_t> bytes = readBytes(path);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "old");
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{"ckpt"});
}
