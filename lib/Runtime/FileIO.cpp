//===- FileIO.cpp - Reading files and replacing them atomically -----------===//
//
// Thin wrappers over open/pread/write/fsync/rename that retry on EINTR and
// turn every failure into an Error naming the file. Inputs are opened with
// O_NONBLOCK and checked with fstat before anything is read; outputs are
// resolved with lstat/readlink before anything is written.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/FileIO.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace resnetc::runtime;

std::string resnetc::runtime::describeErrno(int err) {
  return std::strerror(err);
}

Expected<InputFile> InputFile::open(const std::string &path) {
  if (path.empty())
    return Error("cannot read a file with an empty name");
  // O_NONBLOCK: opening a FIFO without a writer (or a device that waits)
  // returns at once, and fstat below refuses it.
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
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
  // Reads of a regular file never block; clear the flag all the same.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
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

/// Reads `fd` from `offset` (pread) or from its current position (read,
/// when `offset` is negative) to its end, appending to `out`, and fails as
/// soon as `out` would grow past `maxBytes`.
static Status readToEnd(int fd, int64_t offset, const std::string &name,
                        uint64_t maxBytes, std::vector<uint8_t> &out,
                        bool *exceeded) {
  uint8_t chunk[1 << 16];
  while (true) {
    ssize_t n = offset < 0 ? ::read(fd, chunk, sizeof(chunk))
                           : ::pread(fd, chunk, sizeof(chunk),
                                     static_cast<off_t>(offset));
    if (n < 0) {
      int err = errno;
      if (err == EINTR)
        continue;
      return Error(name + ": read error: " + describeErrno(err));
    }
    if (n == 0)
      return Status::success();
    if (out.size() > maxBytes ||
        static_cast<uint64_t>(n) > maxBytes - out.size()) {
      if (exceeded)
        *exceeded = true;
      return Error(name + ": more than the limit of " +
                   std::to_string(maxBytes) + " bytes");
    }
    out.insert(out.end(), chunk, chunk + n);
    if (offset >= 0)
      offset += n;
  }
}

Status InputFile::readAll(std::vector<uint8_t> &out, uint64_t maxBytes,
                          bool *exceeded) const {
  out.clear();
  if (size > maxBytes) {
    if (exceeded)
      *exceeded = true;
    return Error(path + ": file is " + std::to_string(size) +
                 " bytes, more than the limit of " + std::to_string(maxBytes));
  }
  out.reserve(static_cast<size_t>(size));
  // To the end, not to the size fstat gave: the file may grow meanwhile.
  return readToEnd(fd, 0, path, maxBytes, out, exceeded);
}

Expected<std::vector<uint8_t>>
resnetc::runtime::readFileBytes(const std::string &path, uint64_t maxBytes,
                                bool *exceeded) {
  if (exceeded)
    *exceeded = false;
  Expected<InputFile> file = InputFile::open(path);
  if (!file)
    return file.takeError();
  std::vector<uint8_t> bytes;
  if (Status st = file->readAll(bytes, maxBytes, exceeded); !st)
    return st.takeError();
  return bytes;
}

Expected<std::vector<uint8_t>>
resnetc::runtime::readDescriptorBytes(int fd, const std::string &name,
                                      uint64_t maxBytes, bool *exceeded) {
  if (exceeded)
    *exceeded = false;
  std::vector<uint8_t> bytes;
  if (Status st = readToEnd(fd, -1, name, maxBytes, bytes, exceeded); !st)
    return st.takeError();
  return bytes;
}

bool resnetc::runtime::isSameFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return !a.empty() && !b.empty() && ::stat(a.c_str(), &sa) == 0 &&
         ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
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

Expected<OutputTarget>
resnetc::runtime::resolveOutputPath(const std::string &path) {
  if (path.empty())
    return Error("cannot write a file with an empty name");
  std::string current = path;
  // Linux's own limit on links followed in one lookup.
  for (int hops = 0; hops <= 40; ++hops) {
    struct stat st;
    if (::lstat(current.c_str(), &st) != 0) {
      int err = errno;
      if (err != ENOENT)
        return Error(path + ": " + describeErrno(err));
      // The links of /proc/self/fd (behind /dev/stdout) name pipes and
      // sockets by text ("pipe:[123]") that no lookup finds; the kernel
      // follows them all the same. What the path opens is written directly.
      struct stat followed;
      if (hops > 0 && ::stat(path.c_str(), &followed) == 0 &&
          !S_ISDIR(followed.st_mode))
        return OutputTarget{OutputTarget::Kind::Stream, path};
      std::string dir = parentDirectory(current);
      struct stat ds;
      if (::stat(dir.c_str(), &ds) != 0) {
        int dirErr = errno;
        if (dirErr == ENOENT)
          return Error(path + ": the directory " + dir + " does not exist");
        return Error(path + ": the directory " + dir + ": " +
                     describeErrno(dirErr));
      }
      if (!S_ISDIR(ds.st_mode))
        return Error(path + ": " + dir + " is not a directory");
      return OutputTarget{OutputTarget::Kind::New, current};
    }
    if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = ::readlink(current.c_str(), buf, sizeof(buf));
      if (n < 0 || static_cast<size_t>(n) >= sizeof(buf)) {
        int err = n < 0 ? errno : ENAMETOOLONG;
        return Error(path + ": " + describeErrno(err));
      }
      std::string target(buf, static_cast<size_t>(n));
      if (target.empty())
        return Error(path + ": an empty symbolic link");
      current = target[0] == '/'
                    ? target
                    : (current.find('/') == std::string::npos
                           ? target
                           : parentDirectory(current) + "/" + target);
      continue;
    }
    if (S_ISREG(st.st_mode))
      return OutputTarget{OutputTarget::Kind::Regular, current};
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
      return OutputTarget{OutputTarget::Kind::Stream, current};
    if (S_ISDIR(st.st_mode))
      return Error(path + ": " + describeErrno(EISDIR) +
                   "; name a file to write");
    return Error(path + ": not a regular file, a character device or a "
                        "FIFO; refusing to write it");
  }
  return Error(path + ": " + describeErrno(ELOOP));
}

Status resnetc::runtime::checkOutputWritable(const std::string &path) {
  Expected<OutputTarget> target = resolveOutputPath(path);
  if (!target)
    return target.takeError();
  if (target->kind == OutputTarget::Kind::Stream) {
    if (::access(target->path.c_str(), W_OK) != 0) {
      int err = errno;
      return Error(path + ": cannot write it: " + describeErrno(err));
    }
    return Status::success();
  }
  // The temporary file is created next to the target.
  std::string dir = parentDirectory(target->path);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    int err = errno;
    return Error(path + ": cannot write in the directory " + dir + ": " +
                 describeErrno(err));
  }
  return Status::success();
}

/// Writes `chunks` straight into the character device or FIFO `target`.
static Status writeStream(const std::string &path, const std::string &target,
                          const std::vector<ByteChunk> &chunks) {
  // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of blocking.
  int fd;
  do {
    fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    if (err == ENXIO)
      return Error(path + ": a FIFO that nothing reads; start its reader "
                          "first");
    return Error(path + ": cannot open it for writing: " + describeErrno(err));
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  for (const ByteChunk &chunk : chunks)
    if (chunk.size && !writeAll(fd, chunk.data, chunk.size)) {
      int err = errno;
      ::close(fd);
      return Error(path + ": write error: " + describeErrno(err));
    }
  if (::close(fd) != 0) {
    int err = errno;
    if (err != EINTR)
      return Error(path + ": write error: " + describeErrno(err));
  }
  return Status::success();
}

Status
resnetc::runtime::writeFileAtomically(const std::string &path,
                                      const std::vector<ByteChunk> &chunks,
                                      unsigned mode) {
  Expected<OutputTarget> resolved = resolveOutputPath(path);
  if (!resolved)
    return resolved.takeError();
  const std::string &target = resolved->path;
  if (resolved->kind == OutputTarget::Kind::Stream)
    return writeStream(path, target, chunks);

  // An existing file keeps its permissions.
  struct stat old;
  if (resolved->kind == OutputTarget::Kind::Regular &&
      ::stat(target.c_str(), &old) == 0)
    mode = old.st_mode & 07777;
  std::string tmp = target + ".tmp." + std::to_string(::getpid());
  int fd;
  do {
    fd = ::open(tmp.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    return Error(path + ": cannot create temporary file " + tmp + ": " +
                 describeErrno(err));
  }
  if (resolved->kind == OutputTarget::Kind::Regular)
    (void)::fchmod(fd, mode);

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
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    return failWith("cannot replace the file", err);
  }

  // Make the rename itself durable. File systems that cannot sync a
  // directory report EINVAL; the data is still in place.
  std::string dir = parentDirectory(target);
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
