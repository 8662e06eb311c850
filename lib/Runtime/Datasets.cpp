//===- Datasets.cpp - MNIST-style image datasets --------------------------===//
//
// IDX files are streamed through a small reader that handles plain files and
// gzip streams (zlib) alike; memory grows with the data actually present, so
// a lying header cannot make the reader allocate more than the file holds.
// The resampler reproduces Pillow's Resample.c bit for bit.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Datasets.h"

#include "resnetc/Runtime/FileIO.h"
#include "resnetc/Runtime/Init.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

using namespace resnetc::runtime;

namespace {

/// Sequential reader of a plain or gzip-compressed file.
class ByteSource {
public:
  static Expected<ByteSource> open(const std::string &path) {
    int fd;
    do {
      // O_NONBLOCK: a FIFO without a writer is refused below, not waited
      // for.
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      int err = errno;
      return Error(path + ": " + describeErrno(err));
    }
    ByteSource src(path, fd);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      return Error(path + ": " + describeErrno(err));
    }
    if (S_ISDIR(st.st_mode))
      return Error(path + ": " + describeErrno(EISDIR));
    if (!S_ISREG(st.st_mode))
      return Error(path + ": not a regular file");
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
      (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    unsigned char magic[2] = {0, 0};
    ssize_t n;
    do {
      n = ::pread(fd, magic, 2, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      int err = errno;
      return Error(path + ": " + describeErrno(err));
    }
    if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      src.gz = gzdopen(fd, "rb");
      if (!src.gz)
        return Error(path + ": cannot open the gzip stream");
      src.fd = -1; // Owned by the gzip stream now.
      gzbuffer(src.gz, 1 << 17);
    } else {
      src.plainSize = static_cast<uint64_t>(st.st_size);
    }
    return src;
  }

  ByteSource(ByteSource &&other) noexcept
      : path(std::move(other.path)), fd(other.fd), gz(other.gz),
        plainSize(other.plainSize), streamEndedEarly(other.streamEndedEarly) {
    other.fd = -1;
    other.gz = nullptr;
  }
  ByteSource &operator=(ByteSource &&) = delete;
  ~ByteSource() {
    if (gz)
      gzclose(gz);
    if (fd >= 0)
      ::close(fd);
  }

  bool isGzip() const { return gz != nullptr; }
  /// The size of a plain regular file; 0 for gzip streams and others.
  uint64_t getPlainSize() const { return plainSize; }
  /// True when a gzip stream ended before its trailer.
  bool endedEarly() const { return streamEndedEarly; }

  /// Reads up to `length` bytes; fewer only at the end of the data.
  Expected<size_t> read(void *dst, size_t length) {
    auto *out = static_cast<uint8_t *>(dst);
    size_t done = 0;
    while (done < length) {
      size_t chunk = std::min<size_t>(length - done, size_t(1) << 30);
      if (gz) {
        int n = gzread(gz, out + done, static_cast<unsigned>(chunk));
        int errnum = Z_OK;
        const char *msg = gzerror(gz, &errnum);
        if (n < 0 || (errnum != Z_OK && errnum != Z_BUF_ERROR)) {
          if (errnum == Z_ERRNO)
            return Error(path + ": " + describeErrno(errno));
          // zlib prefixes the message with the stream's name, "<fd:N>: ".
          std::string what = msg;
          if (what.rfind("<fd:", 0) == 0 &&
              what.find(": ") != std::string::npos)
            what = what.substr(what.find(": ") + 2);
          return Error(path + ": corrupt gzip data: " + what);
        }
        if (errnum == Z_BUF_ERROR)
          streamEndedEarly = true;
        if (n == 0)
          break;
        done += static_cast<size_t>(n);
      } else {
        ssize_t n = ::read(fd, out + done, chunk);
        if (n < 0) {
          int err = errno;
          if (err == EINTR)
            continue;
          return Error(path + ": " + describeErrno(err));
        }
        if (n == 0)
          break;
        done += static_cast<size_t>(n);
      }
    }
    return done;
  }

private:
  ByteSource(std::string path, int fd) : path(std::move(path)), fd(fd) {}
  std::string path;
  int fd = -1;
  gzFile gz = nullptr;
  uint64_t plainSize = 0;
  bool streamEndedEarly = false;
};

} // namespace

static uint32_t readBigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

static std::string formatMagic(uint32_t magic) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", magic);
  return buf;
}

/// Reads an IDX header of `headerSize` bytes and checks its magic number.
static Status readIdxHeader(ByteSource &src, const std::string &path,
                            uint8_t *header, size_t headerSize,
                            uint32_t expectedMagic, const char *kind) {
  Expected<size_t> got = src.read(header, headerSize);
  if (!got)
    return got.takeError();
  uint32_t magic = *got >= 4 ? readBigEndian32(header) : 0;
  if (*got >= 4 && magic != expectedMagic) {
    std::string what = path + ": bad magic number " + formatMagic(magic) +
                       " (expected " + formatMagic(expectedMagic) +
                       " for an IDX " + kind + " file";
    if (magic == kIdxImagesMagic)
      what += "; this is an IDX image file";
    else if (magic == kIdxLabelsMagic)
      what += "; this is an IDX label file";
    return Error(what + ")");
  }
  if (*got < headerSize)
    return Error(path + ": file is truncated: the IDX " + kind +
                 " header needs " + std::to_string(headerSize) +
                 " bytes, found " + std::to_string(*got) +
                 (src.endedEarly() ? " (the gzip stream ends early)" : ""));
  return Status::success();
}

/// Reads exactly `expected` payload bytes and checks that nothing follows.
static Expected<std::vector<uint8_t>>
readIdxPayload(ByteSource &src, const std::string &path, size_t headerSize,
               uint64_t expected, const std::string &what) {
  if (expected > kIdxMaxBytes)
    return Error(path + ": " + what + " need " + std::to_string(expected) +
                 " bytes, more than the limit of " +
                 std::to_string(kIdxMaxBytes));
  if (!src.isGzip() && src.getPlainSize() != 0) {
    uint64_t present = src.getPlainSize() - headerSize;
    if (present < expected)
      return Error(path + ": file is truncated: " + what + " need " +
                   std::to_string(expected) +
                   " bytes after the header, found " + std::to_string(present));
    if (present > expected)
      return Error(path + ": file has " + std::to_string(present - expected) +
                   " unexpected bytes after " + what);
  }
  std::vector<uint8_t> data;
  data.reserve(static_cast<size_t>(std::min<uint64_t>(expected, 64u << 20)));
  const size_t chunk = 1 << 20;
  while (data.size() < expected) {
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(chunk, expected - data.size()));
    size_t old = data.size();
    data.resize(old + want);
    Expected<size_t> got = src.read(data.data() + old, want);
    if (!got)
      return got.takeError();
    data.resize(old + *got);
    if (*got < want)
      return Error(path + ": file is truncated: " + what + " need " +
                   std::to_string(expected) +
                   " bytes after the header, found " +
                   std::to_string(data.size()) +
                   (src.endedEarly() ? " (the gzip stream ends early)" : ""));
  }
  uint8_t extra[256];
  Expected<size_t> more = src.read(extra, sizeof(extra));
  if (!more)
    return more.takeError();
  if (*more > 0)
    return Error(path + ": file has unexpected bytes after " + what);
  if (src.endedEarly())
    return Error(path + ": gzip stream ends early (missing its trailer)");
  return data;
}

Expected<IdxImages> resnetc::runtime::readIdxImages(const std::string &path) {
  Expected<ByteSource> src = ByteSource::open(path);
  if (!src)
    return src.takeError();
  uint8_t header[16];
  if (Status st = readIdxHeader(*src, path, header, sizeof(header),
                                kIdxImagesMagic, "image");
      !st)
    return st.takeError();
  IdxImages images;
  images.count = readBigEndian32(header + 4);
  images.rows = readBigEndian32(header + 8);
  images.cols = readBigEndian32(header + 12);
  if (images.rows == 0 || images.cols == 0)
    return Error(path + ": images have zero size (" +
                 std::to_string(images.rows) + "x" +
                 std::to_string(images.cols) + ")");
  // Each factor is below 2^32, so the first product fits and the second is
  // checked by division.
  uint64_t perImage =
      static_cast<uint64_t>(images.rows) * static_cast<uint64_t>(images.cols);
  uint64_t count = static_cast<uint64_t>(images.count);
  uint64_t total =
      count > kIdxMaxBytes / perImage ? kIdxMaxBytes + 1 : count * perImage;
  std::string what = std::to_string(images.count) + " images of " +
                     std::to_string(images.rows) + "x" +
                     std::to_string(images.cols);
  Expected<std::vector<uint8_t>> pixels =
      readIdxPayload(*src, path, sizeof(header), total, what);
  if (!pixels)
    return pixels.takeError();
  images.pixels = pixels.take();
  return images;
}

Expected<std::vector<uint8_t>>
resnetc::runtime::readIdxLabels(const std::string &path) {
  Expected<ByteSource> src = ByteSource::open(path);
  if (!src)
    return src.takeError();
  uint8_t header[8];
  if (Status st = readIdxHeader(*src, path, header, sizeof(header),
                                kIdxLabelsMagic, "label");
      !st)
    return st.takeError();
  uint64_t count = readBigEndian32(header + 4);
  return readIdxPayload(*src, path, sizeof(header), count,
                        std::to_string(count) + " labels");
}

Expected<DatasetFiles> resnetc::runtime::resolveDataset(std::string_view name) {
  const char *prefix;
  if (name == "fashion-mnist:train")
    prefix = "train";
  else if (name == "fashion-mnist:test")
    prefix = "t10k";
  else
    return Error("unknown dataset '" + std::string(name) +
                 "' (known: fashion-mnist:train, fashion-mnist:test)");
  DatasetFiles files;
  std::string dir = "/usr/share/datasets/fashion-mnist";
  files.installHint = "install the Debian package dataset-fashion-mnist";
  if (const char *env = std::getenv("RESNETC_FASHION_MNIST_DIR"); env && *env) {
    dir = env;
    files.installHint = "RESNETC_FASHION_MNIST_DIR is set to '" + dir + "'";
  }
  if (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  files.images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  files.labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  return files;
}

//===----------------------------------------------------------------------===//
// PIL-compatible bilinear resampling
//===----------------------------------------------------------------------===//

/// Pillow's PRECISION_BITS for 8-bit images: 32 - 8 - 2.
static constexpr int kPrecisionBits = 22;

static double bilinearFilter(double x) {
  if (x < 0.0)
    x = -x;
  if (x < 1.0)
    return 1.0 - x;
  return 0.0;
}

PilBilinearResizer::Axis PilBilinearResizer::computeAxis(int inSize,
                                                         int outSize) {
  // Pillow's precompute_coeffs with the box (0, inSize) and support 1.
  const float in0 = 0.0f, in1 = static_cast<float>(inSize);
  double scale = static_cast<double>(in1 - in0) / outSize;
  double filterscale = scale < 1.0 ? 1.0 : scale;
  double support = 1.0 * filterscale;
  Axis axis;
  axis.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  std::vector<double> kk(static_cast<size_t>(outSize) * axis.ksize, 0.0);
  axis.bounds.resize(static_cast<size_t>(outSize) * 2);
  for (int xx = 0; xx < outSize; ++xx) {
    double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0)
      xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > inSize)
      xmax = inSize;
    xmax -= xmin;
    double *k = &kk[static_cast<size_t>(xx) * axis.ksize];
    for (int x = 0; x < xmax; ++x) {
      double w = bilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x)
      if (ww != 0.0)
        k[x] /= ww;
    axis.bounds[2 * xx] = xmin;
    axis.bounds[2 * xx + 1] = xmax;
  }
  // Pillow's normalize_coeffs_8bpc.
  axis.weights.resize(kk.size());
  for (size_t i = 0; i < kk.size(); ++i)
    axis.weights[i] =
        kk[i] < 0 ? static_cast<int32_t>(-0.5 + kk[i] * (1 << kPrecisionBits))
                  : static_cast<int32_t>(0.5 + kk[i] * (1 << kPrecisionBits));
  return axis;
}

PilBilinearResizer::PilBilinearResizer(int srcH, int srcW, int dstH, int dstW)
    : srcH(srcH), srcW(srcW), dstH(dstH), dstW(dstW) {
  if (srcH <= 0 || srcW <= 0 || dstH <= 0 || dstW <= 0) {
    this->srcH = this->srcW = this->dstH = this->dstW = 0;
    return;
  }
  if (srcW != dstW)
    horizontal = computeAxis(srcW, dstW);
  if (srcH != dstH)
    vertical = computeAxis(srcH, dstH);
  temp.resize(static_cast<size_t>(srcH) * dstW);
}

static uint8_t clip8(int32_t in) {
  if (in >= (1 << kPrecisionBits << 8))
    return 255;
  if (in <= 0)
    return 0;
  return static_cast<uint8_t>(in >> kPrecisionBits);
}

void PilBilinearResizer::resize(const uint8_t *src, uint8_t *dst) const {
  if (srcH == 0)
    return;
  // Horizontal pass (srcH x srcW -> srcH x dstW), as Pillow does it first.
  const uint8_t *rows = src;
  if (srcW != dstW) {
    for (int y = 0; y < srcH; ++y) {
      const uint8_t *in = src + static_cast<size_t>(y) * srcW;
      uint8_t *out = temp.data() + static_cast<size_t>(y) * dstW;
      for (int xx = 0; xx < dstW; ++xx) {
        int xmin = horizontal.bounds[2 * xx];
        int xmax = horizontal.bounds[2 * xx + 1];
        const int32_t *k =
            &horizontal.weights[static_cast<size_t>(xx) * horizontal.ksize];
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < xmax; ++x)
          ss += in[x + xmin] * k[x];
        out[xx] = clip8(ss);
      }
    }
    rows = temp.data();
  }
  // Vertical pass (srcH x dstW -> dstH x dstW).
  if (srcH == dstH) {
    std::copy(rows, rows + static_cast<size_t>(srcH) * dstW, dst);
    return;
  }
  for (int yy = 0; yy < dstH; ++yy) {
    int ymin = vertical.bounds[2 * yy];
    int ymax = vertical.bounds[2 * yy + 1];
    const int32_t *k =
        &vertical.weights[static_cast<size_t>(yy) * vertical.ksize];
    for (int xx = 0; xx < dstW; ++xx) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y)
        ss += rows[static_cast<size_t>(y + ymin) * dstW + xx] * k[y];
      dst[static_cast<size_t>(yy) * dstW + xx] = clip8(ss);
    }
  }
}

//===----------------------------------------------------------------------===//
// Datasets
//===----------------------------------------------------------------------===//

Expected<ImageDataset>
resnetc::runtime::loadIdxDataset(const std::string &imagesPath,
                                 const std::string &labelsPath, int64_t h,
                                 int64_t w, int64_t limit, int64_t numClasses,
                                 const std::string &displayName) {
  auto fail = [&](Error e) {
    return displayName.empty() ? e : e.withPrefix(displayName);
  };
  if (h < 1 || w < 1 || h > kMaxImageExtent || w > kMaxImageExtent)
    return fail(Error("image size " + std::to_string(h) + "x" +
                      std::to_string(w) + " is out of range (1 to " +
                      std::to_string(kMaxImageExtent) + ")"));
  Expected<IdxImages> raw = readIdxImages(imagesPath);
  if (!raw)
    return fail(raw.takeError());
  Expected<std::vector<uint8_t>> labels = readIdxLabels(labelsPath);
  if (!labels)
    return fail(labels.takeError());
  if (static_cast<uint64_t>(raw->count) != labels->size())
    return fail(Error(imagesPath + " holds " + std::to_string(raw->count) +
                      " images but " + labelsPath + " holds " +
                      std::to_string(labels->size()) + " labels"));
  for (size_t i = 0; i < labels->size(); ++i)
    if ((*labels)[i] >= numClasses)
      return fail(Error(labelsPath + ": label " + std::to_string((*labels)[i]) +
                        " of item " + std::to_string(i) + " is not below " +
                        std::to_string(numClasses)));

  ImageDataset ds;
  ds.n = limit >= 0 ? std::min(limit, raw->count) : raw->count;
  ds.c = 1;
  ds.h = h;
  ds.w = w;
  ds.images.resize(static_cast<size_t>(ds.n * h * w));
  ds.labels.assign(labels->begin(), labels->begin() + ds.n);
  int srcH = static_cast<int>(raw->rows), srcW = static_cast<int>(raw->cols);
  size_t srcSize = static_cast<size_t>(srcH) * srcW;
  size_t dstSize = static_cast<size_t>(h * w);
  bool same = srcH == h && srcW == w;
  PilBilinearResizer resizer(srcH, srcW, static_cast<int>(h),
                             static_cast<int>(w));
  std::vector<uint8_t> resized(dstSize);
  for (int64_t i = 0; i < ds.n; ++i) {
    const uint8_t *src = raw->pixels.data() + static_cast<size_t>(i) * srcSize;
    const uint8_t *pixels = src;
    if (!same) {
      resizer.resize(src, resized.data());
      pixels = resized.data();
    }
    float *out = ds.images.data() + static_cast<size_t>(i) * dstSize;
    // torchvision's ToTensor: float(pixel) / 255 in single precision.
    for (size_t j = 0; j < dstSize; ++j)
      out[j] = static_cast<float>(pixels[j]) / 255.0f;
  }
  return ds;
}

Expected<ImageDataset> resnetc::runtime::loadDataset(std::string_view name,
                                                     int64_t h, int64_t w,
                                                     int64_t limit,
                                                     int64_t numClasses) {
  Expected<DatasetFiles> files = resolveDataset(name);
  if (!files)
    return files.takeError();
  std::string display(name);
  for (const std::string *path : {&files->images, &files->labels}) {
    struct stat st;
    if (::stat(path->c_str(), &st) != 0) {
      int err = errno;
      std::string msg = display + ": " + *path + ": " + describeErrno(err);
      if (err == ENOENT)
        msg += " (" + files->installHint + ")";
      return Error(msg);
    }
  }
  return loadIdxDataset(files->images, files->labels, h, w, limit, numClasses,
                        display);
}

Expected<Batch> resnetc::runtime::getBatch(const ImageDataset &dataset,
                                           int64_t begin, int64_t end,
                                           const std::vector<int64_t> *order) {
  if (begin < 0 || end < begin || end > dataset.n)
    return Error("batch [" + std::to_string(begin) + ", " +
                 std::to_string(end) + ") is outside the dataset of " +
                 std::to_string(dataset.n) + " images");
  if (order && static_cast<int64_t>(order->size()) != dataset.n)
    return Error("the order has " + std::to_string(order->size()) +
                 " entries but the dataset has " + std::to_string(dataset.n) +
                 " images");
  size_t itemSize = static_cast<size_t>(dataset.c * dataset.h * dataset.w);
  if (dataset.images.size() != itemSize * static_cast<size_t>(dataset.n) ||
      dataset.labels.size() != static_cast<size_t>(dataset.n))
    return Error("the dataset's image or label count does not match n = " +
                 std::to_string(dataset.n));
  Batch batch;
  batch.n = end - begin;
  batch.c = dataset.c;
  batch.h = dataset.h;
  batch.w = dataset.w;
  batch.images.resize(itemSize * static_cast<size_t>(batch.n));
  batch.labels.resize(static_cast<size_t>(batch.n));
  for (int64_t i = 0; i < batch.n; ++i) {
    int64_t item = order ? (*order)[static_cast<size_t>(begin + i)] : begin + i;
    if (item < 0 || item >= dataset.n)
      return Error("order entry " + std::to_string(begin + i) + " (" +
                   std::to_string(item) + ") is outside the dataset of " +
                   std::to_string(dataset.n) + " images");
    std::copy_n(dataset.images.data() + static_cast<size_t>(item) * itemSize,
                itemSize,
                batch.images.data() + static_cast<size_t>(i) * itemSize);
    batch.labels[static_cast<size_t>(i)] =
        dataset.labels[static_cast<size_t>(item)];
  }
  return batch;
}

std::vector<int64_t> resnetc::runtime::makePermutation(int64_t n,
                                                       uint64_t seed) {
  std::vector<int64_t> perm(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (size_t i = 0; i < perm.size(); ++i)
    perm[i] = static_cast<int64_t>(i);
  Rng rng(seed);
  for (size_t i = perm.size(); i > 1; --i)
    std::swap(perm[i - 1], perm[static_cast<size_t>(rng.below(i))]);
  return perm;
}
