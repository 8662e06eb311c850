//===- FileIO.cpp - Reading files and replacing them atomically -----------===//
//
// Thin wrappers over open/pread/write/fsync/rename that retry on EINTR and
// turn every failure into an Error naming the file.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/FileIO.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace resnetc::runtime;

std::string resnetc::runtime::describeErrno(int err) {
  return std::strerror(err);
}

Expected<InputFile> InputFile::open(const std::string &path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return Error(path + ": " + describeErrno(err));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Error(path + ": " + describeErrno(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(path + ": " +
                 (S_ISDIR(st.st_mode) ? describeErrno(EISDIR)
                                      : std::string("not a regular file")));
  }
  return InputFile(path, fd, static_cast<uint64_t>(st.st_size));
}

InputFile::InputFile(InputFile &&other) noexcept
    : path(std::move(other.path)), fd(other.fd), size(other.size) {
  other.fd = -1;
}

InputFile &InputFile::operator=(InputFile &&other) noexcept {
  if (this != &other) {
    if (fd >= 0)
      ::close(fd);
    path = std::move(other.path);
    fd = other.fd;
    size = other.size;
    other.fd = -1;
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd >= 0)
    ::close(fd);
}

Status InputFile::readAt(uint64_t offset, void *dst, size_t length) const {
  auto *out = static_cast<uint8_t *>(dst);
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out + done, length - done,
                        static_cast<off_t>(offset + done));
    if (n < 0) {
      int err = errno;
      if (err == EINTR)
        continue;
      return Error(path + ": read error at offset " +
                   std::to_string(offset + done) + ": " + describeErrno(err));
    }
    if (n == 0)
      return Error(path + ": unexpected end of file at offset " +
                   std::to_string(offset + done) +
                   " (the file shrank while "
                   "being read)");
    done += static_cast<size_t>(n);
  }
  return Status::success();
}

Expected<std::vector<uint8_t>>
resnetc::runtime::readFileBytes(const std::string &path, uint64_t maxBytes) {
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  if (file->getSize() > maxBytes)
    return Error(path + ": file is " + std::to_string(file->getSize()) +
                 " bytes, more than the limit of " + std::to_string(maxBytes));
  std::vector<uint8_t> bytes(static_cast<size_t>(file->getSize()));
  Status st = file->readAt(0, bytes.data(), bytes.size());
  if (!st)
    return st.takeError();
  return bytes;
}

/// The directory holding `path`, for the fsync after the rename.
static std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

static bool writeAll(int fd, const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

Status
resnetc::runtime::writeFileAtomically(const std::string &path,
                                      const std::vector<ByteChunk> &chunks) {
  if (path.empty())
    return Error("cannot write a file with an empty name");
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd;
  do {
    fd = ::open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return Error(path + ": cannot create temporary file " + tmp + ": " +
                 describeErrno(err));
  }

  auto failWith = [&](const std::string &what, int err) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmp.c_str());
    return Status(Error(path + ": " + what + ": " + describeErrno(err)));
  };

  for (const ByteChunk &chunk : chunks) {
    if (chunk.size && !writeAll(fd, chunk.data, chunk.size)) {
      int err = errno;
      return failWith("cannot write temporary file " + tmp, err);
    }
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    return failWith("cannot sync temporary file " + tmp, err);
  }
  int closeResult = ::close(fd);
  int closeErr = errno;
  fd = -1;
  if (closeResult != 0)
    return failWith("cannot close temporary file " + tmp, closeErr);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    return failWith("cannot replace the file", err);
  }

  // Make the rename itself durable. File systems that cannot sync a
  // directory report EINVAL; the data is still in place.
  std::string dir = parentDirectory(path);
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) {
    int err = errno;
    return Error(path + ": written, but cannot open directory " + dir +
                 " to sync it: " + describeErrno(err));
  }
  int syncResult = ::fsync(dirFd);
  int syncErr = errno;
  ::close(dirFd);
  if (syncResult != 0 && syncErr != EINVAL)
    return Error(path + ": written, but cannot sync directory " + dir + ": " +
                 describeErrno(syncErr));
  return Status::success();
}
