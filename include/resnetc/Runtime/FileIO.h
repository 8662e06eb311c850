//===- FileIO.h - Reading files and replacing them atomically ---*- C++ -*-===//
//
// POSIX file access for the readers and writers of the runtime library and
// the compiler. Inputs must be regular files, opened so that the open itself
// cannot block (a FIFO without a writer is refused, not waited for); InputFile
// reads at explicit offsets, so a reader can validate a header before it
// allocates memory for the data behind it, and whole-file reads stop at their
// limit as they read. Every output goes through writeFileAtomically, which
// writes through symbolic links (as compilers do), writes character devices
// and FIFOs (/dev/null, a pipe to another program) directly, and replaces a
// regular file atomically: readers see either the old contents or the new
// ones, even across a crash.
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
  /// regular file (checked on the open descriptor; the open does not block
  /// on a FIFO or a device). Messages start with `path: `.
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
  /// Reads the file from its start to its end into `out`. Fails when it is
  /// larger than `maxBytes`, checked before reading and again as it is read
  /// (a file that grows meanwhile stops at the limit); sets `*exceeded`
  /// (when given) on that failure.
  Status readAll(std::vector<uint8_t> &out, uint64_t maxBytes = UINT64_MAX,
                 bool *exceeded = nullptr) const;

private:
  InputFile(std::string path, int fd, uint64_t size)
      : path(std::move(path)), fd(fd), size(size) {}
  std::string path;
  int fd = -1;
  uint64_t size = 0;
};

/// Reads the whole regular file. Fails when it is larger than `maxBytes`,
/// checked before reading and again as it is read (a file that grows while
/// being read stops at the limit); `exceeded`, when given, tells that
/// failure apart from the others.
Expected<std::vector<uint8_t>> readFileBytes(const std::string &path,
                                             uint64_t maxBytes = UINT64_MAX,
                                             bool *exceeded = nullptr);

/// Reads everything from the open descriptor `fd` (standard input: a pipe,
/// a terminal or a file) until its end, failing as soon as more than
/// `maxBytes` have arrived; `name` starts error messages and `exceeded` is
/// as for readFileBytes.
Expected<std::vector<uint8_t>> readDescriptorBytes(int fd,
                                                   const std::string &name,
                                                   uint64_t maxBytes,
                                                   bool *exceeded = nullptr);

/// True when `a` and `b` name the same existing file: the same device and
/// inode, whether through symbolic links, hard links or two spellings of
/// one path.
bool isSameFile(const std::string &a, const std::string &b);

/// What an output path names once symbolic links are followed.
struct OutputTarget {
  enum class Kind {
    New,     ///< Nothing yet; its directory exists.
    Regular, ///< An existing regular file, replaced atomically.
    Stream,  ///< A character device or a FIFO, written directly.
  };
  Kind kind = Kind::New;
  /// The path to write: the given one with every symbolic link of its last
  /// component followed (relative targets resolved against the link's
  /// directory).
  std::string path;
};

/// Resolves `path` for writing (see OutputTarget). Fails, naming `path`,
/// for an empty path, a directory, a block device or socket, a chain of
/// symbolic links that does not end, or a missing parent directory.
Expected<OutputTarget> resolveOutputPath(const std::string &path);

/// Checks, without writing anything, that writeFileAtomically could write
/// `path`: resolveOutputPath and the permission to create the temporary
/// file next to it (or to write the device). For checking every output of
/// a long run before the run.
Status checkOutputWritable(const std::string &path);

/// A piece of the contents given to writeFileAtomically.
struct ByteChunk {
  const void *data;
  size_t size;
};

/// Writes the concatenation of `chunks` to `path`, resolved by
/// resolveOutputPath. A regular file (or a new one) is replaced atomically:
/// `<target>.tmp.<pid>` is written in the target's directory, fsynced and
/// renamed over the target, and the directory is fsynced; on failure the
/// temporary file is removed and an existing file is left untouched. A
/// symbolic link stays and its target is replaced; an existing file keeps
/// its permissions, a new one gets `mode` (less the umask). A character
/// device or a FIFO is opened and written directly (a FIFO must have a
/// reader).
Status writeFileAtomically(const std::string &path,
                           const std::vector<ByteChunk> &chunks,
                           unsigned mode = 0666);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_FILEIO_H
