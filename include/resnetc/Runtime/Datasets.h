//===- Datasets.h - MNIST-style image datasets ------------------*- C++ -*-===//
//
// Readers for the IDX files of MNIST and Fashion-MNIST (`*-images-idx3-ubyte`
// and `*-labels-idx1-ubyte`, plain or gzip-compressed; the compression is
// detected from the first bytes, not the name), a resolver for dataset names
// such as `fashion-mnist:train`, and the preprocessing of d2l's
// load_data_fashion_mnist: torchvision's Resize on the PIL image (PIL's
// bilinear filter on 8-bit pixels, rounded back to 8 bits) followed by
// ToTensor (division by 255).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_DATASETS_H
#define RESNETC_RUNTIME_DATASETS_H

#include "resnetc/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace resnetc::runtime {

/// Magic numbers of IDX files of unsigned bytes.
constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;

/// Largest IDX payload the readers accept (4 GiB).
constexpr uint64_t kIdxMaxBytes = uint64_t(1) << 32;

/// 8-bit grayscale images as stored in an IDX file, row-major.
struct IdxImages {
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<uint8_t> pixels; ///< count * rows * cols bytes.
};

/// Reads an IDX3 image file (magic 0x00000803), plain or gzip-compressed.
/// Checks the magic number, that the images are not empty, that the file
/// holds exactly count * rows * cols pixels, and the gzip stream's integrity.
Expected<IdxImages> readIdxImages(const std::string &path);

/// Reads an IDX1 label file (magic 0x00000801), plain or gzip-compressed,
/// with the same checks.
Expected<std::vector<uint8_t>> readIdxLabels(const std::string &path);

/// The files of a named dataset.
struct DatasetFiles {
  std::string images;
  std::string labels;
  /// Appended to "No such file or directory" when a file is missing.
  std::string installHint;
};

/// Maps `fashion-mnist:train` and `fashion-mnist:test` to
/// `<dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`, where <dir> is
/// $RESNETC_FASHION_MNIST_DIR when set and non-empty, else
/// /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist).
/// Does not touch the file system.
Expected<DatasetFiles> resolveDataset(std::string_view name);

/// Images as floats in [0, 1], NCHW, with their labels.
struct ImageDataset {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images; ///< n * c * h * w values.
  std::vector<int64_t> labels;
};

/// Largest output height or width the loaders accept.
constexpr int64_t kMaxImageExtent = 4096;

/// Loads an image and a label file, resizes every image to h x w exactly as
/// d2l does (no resampling when the size already matches) and scales pixels
/// to [0, 1]. Keeps only the first `limit` images when limit >= 0. Checks
/// that both files hold the same number of items and that every label is
/// below `numClasses`. Errors start with `displayName: ` when it is given.
Expected<ImageDataset> loadIdxDataset(const std::string &imagesPath,
                                      const std::string &labelsPath, int64_t h,
                                      int64_t w, int64_t limit = -1,
                                      int64_t numClasses = 10,
                                      const std::string &displayName = "");

/// Resolves `name` and loads it with loadIdxDataset, every label checked
/// against `numClasses` (the model's). A missing file gives
/// e.g. `fashion-mnist:test: /usr/share/datasets/fashion-mnist/t10k-images-
/// idx3-ubyte.gz: No such file or directory (install the Debian package
/// dataset-fashion-mnist)`.
Expected<ImageDataset> loadDataset(std::string_view name, int64_t h, int64_t w,
                                   int64_t limit = -1, int64_t numClasses = 10);

/// PIL's bilinear resampling of 8-bit single-channel images
/// (Image.resize(..., BILINEAR) in Pillow's Resample.c): a separable triangle
/// filter whose support grows with the downscale factor (plain bilinear with
/// half-pixel centres when upscaling), fixed-point coefficients with 22
/// fractional bits, a horizontal pass rounded to 8 bits, then a vertical
/// pass rounded to 8 bits. Coefficients are computed once per size pair.
/// A resizer owns a scratch buffer, so threads must not share one.
class PilBilinearResizer {
public:
  /// A resizer from srcH x srcW to dstH x dstW. All sizes must be positive;
  /// otherwise resize() does nothing.
  PilBilinearResizer(int srcH, int srcW, int dstH, int dstW);

  /// Resizes one srcH x srcW image into a dstH x dstW one.
  void resize(const uint8_t *src, uint8_t *dst) const;

private:
  struct Axis {
    int ksize = 0;
    std::vector<int> bounds;      ///< (first input index, tap count) pairs.
    std::vector<int32_t> weights; ///< ksize weights per output index.
  };
  static Axis computeAxis(int inSize, int outSize);

  int srcH, srcW, dstH, dstW;
  Axis horizontal, vertical;
  mutable std::vector<uint8_t> temp;
};

/// A mini-batch copied out of an ImageDataset.
struct Batch {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;
  std::vector<int64_t> labels;
};

/// Copies items [begin, end) into a batch; with `order`, item i of the batch
/// is dataset item (*order)[begin + i] (for shuffling). Fails when the range
/// or an index is out of bounds or `order` does not have one entry per item.
Expected<Batch> getBatch(const ImageDataset &dataset, int64_t begin,
                         int64_t end,
                         const std::vector<int64_t> *order = nullptr);

/// A uniformly random permutation of 0..n-1 (Fisher-Yates driven by
/// Rng(seed) from Init.h), for shuffling with getBatch.
std::vector<int64_t> makePermutation(int64_t n, uint64_t seed);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_DATASETS_H
