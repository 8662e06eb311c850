//===- FileIO.h - Reading files and replacing them atomically ---*- C++ -*-===//
//
// POSIX file access for the readers and writers of the runtime library.
// InputFile reads at explicit offsets, so a reader can validate a header
// before it allocates memory for the data behind it. writeFileAtomically
// never leaves a partly written file behind: readers see either the old
// contents or the new ones, even across a crash.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_FILEIO_H
#define RESNETC_RUNTIME_FILEIO_H

#include "resnetc/Runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace resnetc::runtime {

/// The description of an errno value, e.g. "No such file or directory".
std::string describeErrno(int err);

/// A regular file opened for reading.
class InputFile {
public:
  /// Opens `path`; fails when it does not exist, cannot be read or is not a
  /// regular file. Messages start with `path: `.
  static Expected<InputFile> open(const std::string &path);

  InputFile(InputFile &&other) noexcept;
  InputFile &operator=(InputFile &&other) noexcept;
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;
  ~InputFile();

  const std::string &getPath() const { return path; }
  /// The size of the file when it was opened.
  uint64_t getSize() const { return size; }
  /// Reads exactly `length` bytes at `offset` into `dst`; fails (naming the
  /// file) on an I/O error or when the file ends first.
  Status readAt(uint64_t offset, void *dst, size_t length) const;

private:
  InputFile(std::string path, int fd, uint64_t size)
      : path(std::move(path)), fd(fd), size(size) {}
  std::string path;
  int fd = -1;
  uint64_t size = 0;
};

/// Reads the whole file. Fails when it is larger than `maxBytes`.
Expected<std::vector<uint8_t>> readFileBytes(const std::string &path,
                                             uint64_t maxBytes = UINT64_MAX);

/// A piece of the contents given to writeFileAtomically.
struct ByteChunk {
  const void *data;
  size_t size;
};

/// Replaces `path` with the concatenation of `chunks`: writes
/// `path.tmp.<pid>` in the same directory, fsyncs it, renames it over `path`
/// and fsyncs the directory. On failure the temporary file is removed and an
/// existing `path` is left untouched.
Status writeFileAtomically(const std::string &path,
                           const std::vector<ByteChunk> &chunks);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_FILEIO_H
