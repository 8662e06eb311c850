//===- AugmentTest.cpp - Training-image augmentation ----------------------===//
//
// augmentImage against a naive reference: the image padded explicitly,
// cropped at one of the (2p + 1)^2 offsets, mirrored or not. Every output
// must be one of those candidates, and over many images every candidate
// appears.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Train.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <vector>

using namespace resnetc::runtime;

namespace {
/// The candidate outputs of RandomCrop(padding = p) then an optional flip,
/// computed the plain way: pad, crop, mirror.
std::vector<std::vector<float>> candidates(const std::vector<float> &img,
                                           int64_t c, int64_t h, int64_t w,
                                           int64_t p, bool flips,
                                           const std::vector<float> &fill) {
  int64_t ph = h + 2 * p, pw = w + 2 * p;
  std::vector<float> padded(static_cast<size_t>(c * ph * pw));
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < ph; ++y)
      for (int64_t x = 0; x < pw; ++x) {
        bool inside = y >= p && y < h + p && x >= p && x < w + p;
        padded[(ch * ph + y) * pw + x] =
            inside ? img[(ch * h + y - p) * w + x - p] : fill[ch];
      }
  std::vector<std::vector<float>> out;
  for (int64_t dy = 0; dy <= 2 * p; ++dy)
    for (int64_t dx = 0; dx <= 2 * p; ++dx)
      for (int flip = 0; flip <= (flips ? 1 : 0); ++flip) {
        std::vector<float> crop(static_cast<size_t>(c * h * w));
        for (int64_t ch = 0; ch < c; ++ch)
          for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x)
              crop[(ch * h + y) * w + x] =
                  padded[(ch * ph + y + dy) * pw + x + dx];
        if (flip)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t y = 0; y < h; ++y)
              std::reverse(crop.begin() + (ch * h + y) * w,
                           crop.begin() + (ch * h + y + 1) * w);
        out.push_back(crop);
      }
  return out;
}
} // namespace

TEST(AugmentTest, CropAndFlipAreTorchvisions) {
  int64_t c = 2, h = 3, w = 4, p = 1;
  std::vector<float> img(static_cast<size_t>(c * h * w));
  for (size_t i = 0; i < img.size(); ++i)
    img[i] = static_cast<float>(i + 1);
  Augmentation aug;
  aug.cropPadding = p;
  aug.hflip = true;
  aug.padValue = {-0.5f, -2.0f};
  std::vector<std::vector<float>> all =
      candidates(img, c, h, w, p, true, aug.padValue);
  ASSERT_EQ(all.size(), 18u);
  std::set<size_t> seen;
  std::vector<float> out(img.size());
  for (int64_t position = 0; position < 2000; ++position) {
    augmentImage(aug, img.data(), c, h, w, /*seed=*/7, /*epoch=*/3, position,
                 out.data());
    auto it = std::find(all.begin(), all.end(), out);
    ASSERT_NE(it, all.end()) << "position " << position
                             << " is no crop and flip of the image";
    seen.insert(static_cast<size_t>(it - all.begin()));
  }
  EXPECT_EQ(seen.size(), all.size()) << "some offsets or flips never drawn";
}

TEST(AugmentTest, SeededByRunEpochAndPlace) {
  int64_t c = 1, h = 8, w = 8;
  std::vector<float> img(static_cast<size_t>(c * h * w));
  for (size_t i = 0; i < img.size(); ++i)
    img[i] = static_cast<float>(i);
  Augmentation aug;
  aug.cropPadding = 4;
  aug.hflip = true;
  std::vector<float> a(img.size()), b(img.size());
  augmentImage(aug, img.data(), c, h, w, 1, 2, 3, a.data());
  augmentImage(aug, img.data(), c, h, w, 1, 2, 3, b.data());
  EXPECT_EQ(a, b);
  // Another epoch, place or seed draws anew: over a few, some differ.
  int differing = 0;
  for (auto [seed, epoch, place] :
       {std::tuple<uint64_t, int64_t, int64_t>{2, 2, 3}, {1, 3, 3}, {1, 2, 4},
        {1, 2, 5}, {1, 4, 3}})
    if (augmentImage(aug, img.data(), c, h, w, seed, epoch, place, b.data()),
        a != b)
      ++differing;
  EXPECT_GE(differing, 3);
}

TEST(AugmentTest, NothingWithoutOptions) {
  std::vector<float> img = {1, 2, 3, 4, 5, 6};
  std::vector<float> out(img.size());
  augmentImage(Augmentation(), img.data(), 1, 2, 3, 0, 1, 0, out.data());
  EXPECT_EQ(out, img);
}
