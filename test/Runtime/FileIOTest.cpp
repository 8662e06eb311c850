//===- FileIOTest.cpp - Unit tests of file reading and atomic writes ------===//
//
// Atomic replacement: success, and failures at each stage (temporary file
// cannot be created, a write fails midway, the rename fails) leave the old
// file intact and no temporary file behind. Inputs that are not regular
// files are refused without blocking; reads stop at their limit; outputs
// are written through symbolic links, devices and FIFOs are written
// directly, and an existing file keeps its permissions.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/FileIO.h"

#include "TestUtil.h"

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
  EXPECT_EQ(st.message(), path + ": the directory " + dir.file("missing") +
                              " does not exist");
}

TEST(FileIOTest, AtomicWriteOverDirectoryKeepsIt) {
  ScratchDir dir;
  std::string path = dir.file("target");
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  writeText(path + "/inside", "keep");
  Status st = writeFileAtomically(path, {{"x", 1}});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), path + ": Is a directory; name a file to write");
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

TEST(FileIOTest, InputsMustBeRegularFiles) {
  ScratchDir dir;
  // A FIFO without a writer: opening it must neither block nor succeed.
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  Expected<InputFile> f = InputFile::open(fifo);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message(), fifo + ": not a regular file");
  Expected<std::vector<uint8_t>> zero = readFileBytes("/dev/zero", 1 << 20);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message(), "/dev/zero: not a regular file");
  EXPECT_FALSE(readFileBytes(""));
}

TEST(FileIOTest, DescriptorReadsStopAtTheLimit) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string data(100, 'x');
  ASSERT_EQ(::write(fds[1], data.data(), data.size()), 100);
  ::close(fds[1]);
  bool exceeded = false;
  Expected<std::vector<uint8_t>> r =
      readDescriptorBytes(fds[0], "<pipe>", 10, &exceeded);
  ::close(fds[0]);
  ASSERT_FALSE(r);
  EXPECT_TRUE(exceeded);
  EXPECT_EQ(r.error().message(), "<pipe>: more than the limit of 10 bytes");

  ASSERT_EQ(::pipe(fds), 0);
  ASSERT_EQ(::write(fds[1], data.data(), data.size()), 100);
  ::close(fds[1]);
  Expected<std::vector<uint8_t>> ok =
      readDescriptorBytes(fds[0], "<pipe>", 100, &exceeded);
  ::close(fds[0]);
  ASSERT_TRUE(ok);
  EXPECT_FALSE(exceeded);
  EXPECT_EQ(ok->size(), 100u);

  ScratchDir dir;
  writeText(dir.file("f"), "12345");
  Expected<std::vector<uint8_t>> file =
      readFileBytes(dir.file("f"), 5, &exceeded);
  ASSERT_TRUE(file);
  EXPECT_FALSE(exceeded);
  EXPECT_EQ(std::string(file->begin(), file->end()), "12345");
}

TEST(FileIOTest, WritesThroughSymbolicLinks) {
  ScratchDir dir;
  writeText(dir.file("target"), "old");
  // Relative, absolute, and a chain of two links.
  ASSERT_EQ(::symlink("target", dir.file("rel").c_str()), 0);
  ASSERT_EQ(::symlink(dir.file("target").c_str(), dir.file("abs").c_str()), 0);
  ASSERT_EQ(::symlink("rel", dir.file("chain").c_str()), 0);
  for (const char *link : {"rel", "abs", "chain"}) {
    std::string text = std::string("via ") + link;
    Status st =
        writeFileAtomically(dir.file(link), {{text.data(), text.size()}});
    ASSERT_TRUE(st) << st.message();
    struct stat ls;
    ASSERT_EQ(::lstat(dir.file(link).c_str(), &ls), 0);
    EXPECT_TRUE(S_ISLNK(ls.st_mode)) << link;
    std::vector<uint8_t> bytes = readBytes(dir.file("target"));
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), text);
  }
  // A dangling link creates its target.
  ASSERT_EQ(::symlink("made", dir.file("dangling").c_str()), 0);
  ASSERT_TRUE(writeFileAtomically(dir.file("dangling"), {{"new", 3}}));
  std::vector<uint8_t> made = readBytes(dir.file("made"));
  EXPECT_EQ(std::string(made.begin(), made.end()), "new");
  // A loop is an error.
  ASSERT_EQ(::symlink("loop2", dir.file("loop1").c_str()), 0);
  ASSERT_EQ(::symlink("loop1", dir.file("loop2").c_str()), 0);
  Status loop = writeFileAtomically(dir.file("loop1"), {{"x", 1}});
  ASSERT_FALSE(loop);
  EXPECT_EQ(loop.message(),
            dir.file("loop1") + ": Too many levels of symbolic links");
  std::vector<std::string> names = listDir(dir.path());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"abs", "chain", "dangling", "loop1",
                                      "loop2", "made", "rel", "target"}));
}

TEST(FileIOTest, WritesDevicesDirectly) {
  ScratchDir dir;
  // Private copies of /dev/null and /dev/full, where mknod is allowed.
  std::string null = dir.file("null"), full = dir.file("full");
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0 ||
      ::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0)
    GTEST_SKIP() << "mknod is not allowed here";
  ASSERT_TRUE(writeFileAtomically(null, {{"data", 4}}));
  struct stat st;
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  Status fullSt = writeFileAtomically(full, {{"data", 4}});
  ASSERT_FALSE(fullSt);
  EXPECT_EQ(fullSt.message(), full + ": write error: No space left on device");
  ASSERT_EQ(::lstat(full.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(listDir(dir.path()).size(), 2u);
}

TEST(FileIOTest, WritesFifosDirectly) {
  ScratchDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  // Nothing reads it: an error, not a hang.
  Status none = writeFileAtomically(fifo, {{"x", 1}});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.message(),
            fifo + ": a FIFO that nothing reads; start its reader first");
  // With a reader, the bytes go through the FIFO.
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(writeFileAtomically(fifo, {{"abc", 3}, {"de", 2}}));
  char buf[8] = {};
  EXPECT_EQ(::read(reader, buf, sizeof(buf)), 5);
  ::close(reader);
  EXPECT_EQ(std::string(buf), "abcde");
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(FileIOTest, WritesStandardOutputLinks) {
  // /dev/stdout is a link to /proc/self/fd/1, whose target for a pipe is
  // "pipe:[N]": written directly, through the kernel's link.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::string path = "/proc/self/fd/" + std::to_string(fds[1]);
  Status st = writeFileAtomically(path, {{"piped", 5}});
  ::close(fds[1]);
  ASSERT_TRUE(st) << st.message();
  char buf[8] = {};
  EXPECT_EQ(::read(fds[0], buf, sizeof(buf)), 5);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buf), "piped");
}

TEST(FileIOTest, ReplacedFileKeepsItsPermissions) {
  ScratchDir dir;
  std::string path = dir.file("f");
  writeText(path, "old");
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  ASSERT_TRUE(writeFileAtomically(path, {{"new", 3}}));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // A new file gets the mode asked for, less the umask.
  mode_t mask = ::umask(022);
  ASSERT_TRUE(writeFileAtomically(dir.file("lib.so"), {{"x", 1}}, 0777));
  ::umask(mask);
  ASSERT_EQ(::stat(dir.file("lib.so").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST(FileIOTest, SameFileByAnyName) {
  ScratchDir dir;
  writeText(dir.file("a"), "a");
  writeText(dir.file("b"), "b");
  ASSERT_EQ(::symlink("a", dir.file("link").c_str()), 0);
  ASSERT_EQ(::link(dir.file("a").c_str(), dir.file("hard").c_str()), 0);
  EXPECT_TRUE(isSameFile(dir.file("a"), dir.file("a")));
  EXPECT_TRUE(isSameFile(dir.file("a"), dir.path() + "/./a"));
  EXPECT_TRUE(isSameFile(dir.file("a"), dir.file("link")));
  EXPECT_TRUE(isSameFile(dir.file("hard"), dir.file("a")));
  EXPECT_FALSE(isSameFile(dir.file("a"), dir.file("b")));
  EXPECT_FALSE(isSameFile(dir.file("a"), dir.file("missing")));
}

TEST(FileIOTest, CheckOutputWritable) {
  ScratchDir dir;
  EXPECT_TRUE(checkOutputWritable(dir.file("new")));
  Status missing = checkOutputWritable(dir.file("no/out"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.message(), dir.file("no/out") + ": the directory " +
                                   dir.file("no") + " does not exist");
  Status isDir = checkOutputWritable(dir.path());
  ASSERT_FALSE(isDir);
  EXPECT_EQ(isDir.message(), dir.path() + ": Is a directory; name a file to "
                                          "write");
  if (::geteuid() == 0)
    GTEST_SKIP() << "permissions do not bind root";
  std::string ro = dir.file("ro");
  ASSERT_EQ(::mkdir(ro.c_str(), 0500), 0);
  Status denied = checkOutputWritable(ro + "/out");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.message(), ro + "/out: cannot write in the directory " + ro +
                                  ": Permission denied");
  ::chmod(ro.c_str(), 0700);
}
