//===- DatasetsTest.cpp - Unit tests of the IDX readers and loaders -------===//
//
// IDX files, plain and gzip-compressed, are generated in a scratch directory
// to exercise every error path; the resampler is checked against values
// produced by Pillow 9.4 (Image.resize with BILINEAR); the real Fashion-MNIST
// test set is loaded when it is installed.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Datasets.h"

#include "TestUtil.h"

#include <algorithm>
#include <zlib.h>

using namespace resnetc::runtime;
using namespace resnetc::runtime::test;

namespace {

void putBigEndian32(std::vector<uint8_t> &out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

/// The bytes of an IDX3 image file with `count` images of rows x cols whose
/// pixel i is (i * 7) mod 256.
std::vector<uint8_t> makeImages(uint32_t count, uint32_t rows, uint32_t cols,
                                uint32_t magic = kIdxImagesMagic) {
  std::vector<uint8_t> out;
  putBigEndian32(out, magic);
  putBigEndian32(out, count);
  putBigEndian32(out, rows);
  putBigEndian32(out, cols);
  for (uint64_t i = 0; i < uint64_t(count) * rows * cols; ++i)
    out.push_back(static_cast<uint8_t>(i * 7));
  return out;
}

/// The bytes of an IDX1 label file holding `labels`.
std::vector<uint8_t> makeLabels(const std::vector<uint8_t> &labels) {
  std::vector<uint8_t> out;
  putBigEndian32(out, kIdxLabelsMagic);
  putBigEndian32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  return out;
}

/// gzip-compresses `bytes` into `path`.
void writeGzip(const std::string &path, const std::vector<uint8_t> &bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty())
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

std::string imagesError(const std::string &path) {
  Expected<IdxImages> r = readIdxImages(path);
  return r ? "OK" : r.error().message();
}

std::string labelsError(const std::string &path) {
  Expected<std::vector<uint8_t>> r = readIdxLabels(path);
  return r ? "OK" : r.error().message();
}

/// Sets an environment variable for the lifetime of the object.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      saved = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (saved)
      ::setenv(name, saved->c_str(), 1);
    else
      ::unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> saved;
};

} // namespace

TEST(DatasetsTest, ReadsPlainAndGzipByContent) {
  ScratchDir dir;
  std::vector<uint8_t> images = makeImages(3, 4, 5);
  // Named the wrong way round on purpose: detection is by magic bytes.
  writeBytes(dir.file("plain.gz"), images);
  writeGzip(dir.file("packed"), images);
  for (const char *name : {"plain.gz", "packed"}) {
    Expected<IdxImages> r = readIdxImages(dir.file(name));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->count, 3);
    EXPECT_EQ(r->rows, 4);
    EXPECT_EQ(r->cols, 5);
    EXPECT_EQ(r->pixels,
              std::vector<uint8_t>(images.begin() + 16, images.end()));
  }
  writeGzip(dir.file("labels.gz"), makeLabels({1, 2, 9}));
  Expected<std::vector<uint8_t>> labels = readIdxLabels(dir.file("labels.gz"));
  ASSERT_TRUE(labels) << labels.error().message();
  EXPECT_EQ(*labels, (std::vector<uint8_t>{1, 2, 9}));
}

TEST(DatasetsTest, BadMagic) {
  ScratchDir dir;
  std::string p = dir.file("f");
  writeBytes(p, makeLabels({1}));
  EXPECT_EQ(imagesError(p), p + ": bad magic number 0x00000801 (expected "
                                "0x00000803 for an IDX image file; this is an "
                                "IDX label file)");
  writeBytes(p, makeImages(1, 1, 1));
  EXPECT_EQ(labelsError(p), p + ": bad magic number 0x00000803 (expected "
                                "0x00000801 for an IDX label file; this is an "
                                "IDX image file)");
  writeBytes(p, makeImages(1, 1, 1, 0x12345678));
  EXPECT_EQ(imagesError(p), p + ": bad magic number 0x12345678 (expected "
                                "0x00000803 for an IDX image file)");
  writeText(p, "P5\n28 28\n255\n....");
  EXPECT_EQ(imagesError(p), p + ": bad magic number 0x50350a32 (expected "
                                "0x00000803 for an IDX image file)");
}

TEST(DatasetsTest, TruncatedFiles) {
  ScratchDir dir;
  std::string p = dir.file("f");
  writeBytes(p, {});
  EXPECT_EQ(imagesError(p), p + ": file is truncated: the IDX image header "
                                "needs 16 bytes, found 0");
  std::vector<uint8_t> images = makeImages(2, 3, 3);
  writeBytes(p, std::vector<uint8_t>(images.begin(), images.begin() + 10));
  EXPECT_EQ(imagesError(p), p + ": file is truncated: the IDX image header "
                                "needs 16 bytes, found 10");
  std::vector<uint8_t> cut(images.begin(), images.end() - 1);
  writeBytes(p, cut);
  EXPECT_EQ(imagesError(p), p + ": file is truncated: 2 images of 3x3 need 18 "
                                "bytes after the header, found 17");
  writeGzip(p, cut);
  EXPECT_EQ(imagesError(p), p + ": file is truncated: 2 images of 3x3 need 18 "
                                "bytes after the header, found 17");
  std::vector<uint8_t> labels = makeLabels({1, 2, 3});
  labels.pop_back();
  writeBytes(p, labels);
  EXPECT_EQ(labelsError(p), p + ": file is truncated: 3 labels need 3 bytes "
                                "after the header, found 2");
}

TEST(DatasetsTest, TrailingData) {
  ScratchDir dir;
  std::string p = dir.file("f");
  std::vector<uint8_t> images = makeImages(2, 3, 3);
  images.push_back(0);
  writeBytes(p, images);
  EXPECT_EQ(imagesError(p),
            p + ": file has 1 unexpected bytes after 2 images of 3x3");
  writeGzip(p, images);
  EXPECT_EQ(imagesError(p),
            p + ": file has unexpected bytes after 2 images of 3x3");
}

TEST(DatasetsTest, CorruptAndTruncatedGzip) {
  ScratchDir dir;
  std::string p = dir.file("f.gz");
  writeGzip(p, makeImages(20, 28, 28));
  std::vector<uint8_t> gz = readBytes(p);
  ASSERT_GT(gz.size(), 100u);

  // Cut in the middle of the deflate stream.
  writeBytes(p, std::vector<uint8_t>(gz.begin(), gz.begin() + gz.size() / 2));
  std::string cut = imagesError(p);
  EXPECT_NE(cut.find(p + ": file is truncated: 20 images of 28x28 need 15680 "
                         "bytes after the header, found "),
            std::string::npos)
      << cut;
  EXPECT_NE(cut.find("(the gzip stream ends early)"), std::string::npos) << cut;

  // Missing only the 8-byte trailer (CRC and length).
  writeBytes(p, std::vector<uint8_t>(gz.begin(), gz.end() - 8));
  EXPECT_EQ(imagesError(p),
            p + ": gzip stream ends early (missing its trailer)");

  // A damaged CRC.
  std::vector<uint8_t> badCrc = gz;
  badCrc[badCrc.size() - 8] ^= 0xff;
  writeBytes(p, badCrc);
  EXPECT_EQ(imagesError(p), p + ": corrupt gzip data: incorrect data check");

  // Garbage in the deflate data.
  std::vector<uint8_t> garbage = gz;
  for (size_t i = 20; i < 60; ++i)
    garbage[i] = 0xff;
  writeBytes(p, garbage);
  std::string damaged = imagesError(p);
  EXPECT_EQ(damaged.rfind(p + ": corrupt gzip data: ", 0), 0u) << damaged;
}

TEST(DatasetsTest, ImplausibleHeaders) {
  ScratchDir dir;
  std::string p = dir.file("f");
  writeBytes(p, makeImages(0, 0, 28));
  EXPECT_EQ(imagesError(p), p + ": images have zero size (0x28)");
  // A header promising 2^32-1 images: rejected before anything is allocated.
  std::vector<uint8_t> header;
  putBigEndian32(header, kIdxImagesMagic);
  putBigEndian32(header, 0xffffffff);
  putBigEndian32(header, 28);
  putBigEndian32(header, 28);
  writeBytes(p, header);
  EXPECT_EQ(imagesError(p),
            p + ": 4294967295 images of 28x28 need 4294967297 bytes, more "
                "than the limit of 4294967296");
  putBigEndian32(header, 0);
  header[4] = 0;
  header[5] = 0;
  header[6] = 0x10; // 4096 images: plausible, but the file holds 4 bytes.
  header[7] = 0;
  writeGzip(p, header);
  EXPECT_EQ(imagesError(p), p + ": file is truncated: 4096 images of 28x28 "
                                "need 3211264 bytes after the header, found 4");
  // Empty files of zero images are valid.
  writeBytes(p, makeImages(0, 28, 28));
  EXPECT_EQ(imagesError(p), "OK");
}

TEST(DatasetsTest, OpenErrors) {
  ScratchDir dir;
  EXPECT_EQ(imagesError(dir.file("none")),
            dir.file("none") + ": No such file or directory");
  EXPECT_EQ(imagesError(dir.path()), dir.path() + ": Is a directory");
  // Neither a FIFO without a writer (which would block) nor a device.
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_EQ(imagesError(fifo), fifo + ": not a regular file");
  EXPECT_EQ(imagesError("/dev/zero"), "/dev/zero: not a regular file");
}

TEST(DatasetsTest, PilBilinearUpscale) {
  const uint8_t src[] = {0, 50, 255, 10, 200, 30, 255, 0, 128};
  std::vector<uint8_t> dst(35);
  PilBilinearResizer(3, 3, 5, 7).resize(src, dst.data());
  EXPECT_EQ(dst, (std::vector<uint8_t>{
                     0,   7,   29, 50, 138, 226, 255, 4,  19, 65,  110, 134,
                     157, 165, 10, 37, 119, 200, 127, 54, 30, 157, 146, 113,
                     80,  84,  88, 89, 255, 219, 109, 0,  55, 110, 128}));
}

TEST(DatasetsTest, PilBilinearDownscaleAndMixed) {
  std::vector<uint8_t> src(35);
  for (size_t i = 0; i < src.size(); ++i)
    src[i] = static_cast<uint8_t>(i * 53 % 256);
  std::vector<uint8_t> small(6);
  PilBilinearResizer(5, 7, 2, 3).resize(src.data(), small.data());
  EXPECT_EQ(small, (std::vector<uint8_t>{111, 122, 117, 114, 139, 126}));
  std::vector<uint8_t> mixed(20);
  PilBilinearResizer(5, 7, 5, 4).resize(src.data(), mixed.data());
  EXPECT_EQ(mixed, (std::vector<uint8_t>{28,  110, 157, 46,  143, 154, 67,
                                         149, 136, 84,  182, 130, 117, 199,
                                         112, 123, 110, 58,  156, 104}));
  std::vector<uint8_t> tall(63);
  PilBilinearResizer(5, 7, 9, 7).resize(src.data(), tall.data());
  EXPECT_EQ(tall,
            (std::vector<uint8_t>{
                0,   53,  106, 159, 212, 9,   62,  38,  91,  144, 112, 165, 47,
                100, 102, 155, 208, 34,  87,  111, 164, 166, 105, 158, 69,  122,
                175, 114, 230, 27,  80,  133, 186, 239, 36,  152, 91,  144, 197,
                108, 161, 100, 102, 126, 179, 232, 58,  111, 135, 166, 48,  101,
                154, 122, 175, 57,  204, 1,   54,  107, 160, 213, 10}));
  std::vector<uint8_t> same(35);
  PilBilinearResizer(5, 7, 5, 7).resize(src.data(), same.data());
  EXPECT_EQ(same, src);
}

TEST(DatasetsTest, LoadIdxDataset) {
  ScratchDir dir;
  writeBytes(dir.file("img"), makeImages(3, 2, 2));
  writeBytes(dir.file("lbl"), makeLabels({4, 0, 9}));
  Expected<ImageDataset> ds =
      loadIdxDataset(dir.file("img"), dir.file("lbl"), 2, 2);
  ASSERT_TRUE(ds) << ds.error().message();
  EXPECT_EQ(ds->n, 3);
  EXPECT_EQ(ds->c, 1);
  EXPECT_EQ(ds->h, 2);
  EXPECT_EQ(ds->images.size(), 12u);
  EXPECT_EQ(ds->images[5], 35.0f / 255.0f);
  EXPECT_EQ(ds->labels, (std::vector<int64_t>{4, 0, 9}));

  Expected<ImageDataset> limited =
      loadIdxDataset(dir.file("img"), dir.file("lbl"), 4, 4, 2);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->n, 2);
  EXPECT_EQ(limited->images.size(), 32u);

  writeBytes(dir.file("lbl2"), makeLabels({4, 0}));
  Expected<ImageDataset> mismatch =
      loadIdxDataset(dir.file("img"), dir.file("lbl2"), 2, 2, -1, 10, "set");
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message(),
            "set: " + dir.file("img") + " holds 3 images but " +
                dir.file("lbl2") + " holds 2 labels");
  writeBytes(dir.file("lbl3"), makeLabels({4, 10, 1}));
  Expected<ImageDataset> badLabel =
      loadIdxDataset(dir.file("img"), dir.file("lbl3"), 2, 2);
  ASSERT_FALSE(badLabel);
  EXPECT_EQ(badLabel.error().message(),
            dir.file("lbl3") + ": label 10 of item 1 is not below 10");
  Expected<ImageDataset> badSize =
      loadIdxDataset(dir.file("img"), dir.file("lbl"), 0, 2);
  ASSERT_FALSE(badSize);
  EXPECT_EQ(badSize.error().message(),
            "image size 0x2 is out of range (1 to 4096)");
}

TEST(DatasetsTest, Resolver) {
  {
    ScopedEnv env("RESNETC_FASHION_MNIST_DIR", nullptr);
    Expected<DatasetFiles> test = resolveDataset("fashion-mnist:test");
    ASSERT_TRUE(test);
    EXPECT_EQ(test->images,
              "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
    EXPECT_EQ(test->labels,
              "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
    EXPECT_EQ(test->installHint,
              "install the Debian package dataset-fashion-mnist");
    Expected<DatasetFiles> train = resolveDataset("fashion-mnist:train");
    ASSERT_TRUE(train);
    EXPECT_EQ(train->images,
              "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  }
  Expected<DatasetFiles> unknown = resolveDataset("cifar10:train");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(),
            "unknown dataset 'cifar10:train' (known: fashion-mnist:train, "
            "fashion-mnist:test)");
}

TEST(DatasetsTest, MissingDatasetNamesTheFixAndTheFile) {
  ScratchDir dir;
  ScopedEnv env("RESNETC_FASHION_MNIST_DIR", dir.path().c_str());
  Expected<ImageDataset> ds = loadDataset("fashion-mnist:test", 28, 28);
  ASSERT_FALSE(ds);
  EXPECT_EQ(ds.error().message(),
            "fashion-mnist:test: " + dir.path() +
                "/t10k-images-idx3-ubyte.gz: No such file or directory "
                "(RESNETC_FASHION_MNIST_DIR is set to '" +
                dir.path() + "')");
  // With the files present, the override is used.
  writeGzip(dir.file("t10k-images-idx3-ubyte.gz"), makeImages(2, 28, 28));
  writeGzip(dir.file("t10k-labels-idx1-ubyte.gz"), makeLabels({3, 5}));
  Expected<ImageDataset> ok = loadDataset("fashion-mnist:test", 28, 28);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_EQ(ok->labels, (std::vector<int64_t>{3, 5}));
}

TEST(DatasetsTest, InstalledFashionMnist) {
  ScopedEnv env("RESNETC_FASHION_MNIST_DIR", nullptr);
  if (!exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Expected<ImageDataset> ds = loadDataset("fashion-mnist:test", 28, 28);
  ASSERT_TRUE(ds) << ds.error().message();
  EXPECT_EQ(ds->n, 10000);
  std::vector<int> perClass(10, 0);
  for (int64_t label : ds->labels)
    ++perClass[static_cast<size_t>(label)];
  EXPECT_EQ(perClass, std::vector<int>(10, 1000));
  Expected<ImageDataset> big = loadDataset("fashion-mnist:test", 96, 96, 4);
  ASSERT_TRUE(big) << big.error().message();
  EXPECT_EQ(big->n, 4);
  EXPECT_EQ(big->images.size(), 4u * 96 * 96);
  for (float v : big->images)
    ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
}

TEST(DatasetsTest, Batches) {
  ImageDataset ds;
  ds.n = 4;
  ds.c = 1;
  ds.h = 1;
  ds.w = 2;
  ds.images = {0, 1, 10, 11, 20, 21, 30, 31};
  ds.labels = {0, 1, 2, 3};
  Expected<Batch> plain = getBatch(ds, 1, 3);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->n, 2);
  EXPECT_EQ(plain->images, (std::vector<float>{10, 11, 20, 21}));
  EXPECT_EQ(plain->labels, (std::vector<int64_t>{1, 2}));
  std::vector<int64_t> order = {3, 0, 2, 1};
  Expected<Batch> shuffled = getBatch(ds, 0, 2, &order);
  ASSERT_TRUE(shuffled);
  EXPECT_EQ(shuffled->images, (std::vector<float>{30, 31, 0, 1}));
  EXPECT_EQ(shuffled->labels, (std::vector<int64_t>{3, 0}));
  Expected<Batch> empty = getBatch(ds, 4, 4);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->n, 0);

  Expected<Batch> out = getBatch(ds, 3, 5);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(),
            "batch [3, 5) is outside the dataset of 4 images");
  std::vector<int64_t> shortOrder = {0, 1};
  EXPECT_EQ(getBatch(ds, 0, 1, &shortOrder).error().message(),
            "the order has 2 entries but the dataset has 4 images");
  std::vector<int64_t> badOrder = {0, 9, 1, 2};
  EXPECT_EQ(getBatch(ds, 0, 2, &badOrder).error().message(),
            "order entry 1 (9) is outside the dataset of 4 images");
}

TEST(DatasetsTest, Permutations) {
  std::vector<int64_t> p = makePermutation(1000, 7);
  EXPECT_EQ(p, makePermutation(1000, 7));
  EXPECT_NE(p, makePermutation(1000, 8));
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_TRUE(makePermutation(0, 1).empty());
}
