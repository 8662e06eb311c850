//===- ShapeRulesTest.cpp - Unit tests of the shared shape rules ----------===//

#include "resnetc/Support/ShapeRules.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace resnetc;

TEST(ShapeRulesTest, ResNetStem) {
  EXPECT_EQ(windowOutputSize(224, 7, 2, 3), 112);
  EXPECT_EQ(windowOutputSize(112, 3, 2, 1), 56);
  EXPECT_EQ(windowOutputSize(96, 7, 2, 3), 48);
}

TEST(ShapeRulesTest, SamePaddingKeepsTheSize) {
  for (int64_t in : {1, 2, 7, 56, 224}) {
    EXPECT_EQ(windowOutputSize(in, 3, 1, 1), in);
    EXPECT_EQ(windowOutputSize(in, 5, 1, 2), in);
    EXPECT_EQ(windowOutputSize(in, 1, 1, 0), in);
  }
}

TEST(ShapeRulesTest, CeilModeRoundsUp) {
  // PyTorch's ceil_mode: nn.MaxPool2d(2, ceil_mode=True) on 7 gives 4.
  EXPECT_EQ(windowOutputSize(7, 2, 2, 0, 1, /*ceilMode=*/true), 4);
  EXPECT_EQ(windowOutputSize(7, 2, 2, 0), 3);
  // An exact fit is not rounded: 8 gives 4 either way.
  EXPECT_EQ(windowOutputSize(8, 2, 2, 0, 1, true), 4);
  // The last window must start inside the input or its left padding:
  // (5 + 2 - 2) / 2 rounds up to 3, plus one is 4, but window 3 would start
  // at row 6 of the padded input, in the right padding; so 3.
  EXPECT_EQ(windowOutputSize(5, 2, 2, 1, 1, true), 3);
  // ResNet's stem pooling on 112: 56, but 57 with ceil_mode (as PyTorch).
  EXPECT_EQ(windowOutputSize(112, 3, 2, 1), 56);
  EXPECT_EQ(windowOutputSize(112, 3, 2, 1, 1, true), 57);
}

TEST(ShapeRulesTest, StrideRoundsDown) {
  // PyTorch's floor rule: 7 -> 4 with a 3x3/2 window and padding 1, 7 -> 3
  // without padding.
  EXPECT_EQ(windowOutputSize(7, 3, 2, 1), 4);
  EXPECT_EQ(windowOutputSize(7, 3, 2, 0), 3);
  EXPECT_EQ(windowOutputSize(8, 3, 2, 0), 3);
  EXPECT_EQ(windowOutputSize(9, 3, 2, 0), 4);
  // 1x1 projection shortcuts: ceil(in / stride).
  EXPECT_EQ(windowOutputSize(56, 1, 2, 0), 28);
  EXPECT_EQ(windowOutputSize(7, 1, 2, 0), 4);
  EXPECT_EQ(windowOutputSize(1, 1, 2, 0), 1);
  // A stride larger than the input still gives one output.
  EXPECT_EQ(windowOutputSize(3, 3, 100, 0), 1);
  EXPECT_EQ(windowOutputSize(5, 1, 100, 0), 1);
}

TEST(ShapeRulesTest, PoolingWindows) {
  EXPECT_EQ(windowOutputSize(9, 3, 2, 1), 5);
  EXPECT_EQ(windowOutputSize(5, 2, 2, 0), 2);
  EXPECT_EQ(windowOutputSize(4, 2, 2, 0), 2);
  EXPECT_EQ(windowOutputSize(48, 3, 2, 1), 24);
}

TEST(ShapeRulesTest, Dilation) {
  // Effective window dilation * (kernel - 1) + 1.
  EXPECT_EQ(windowOutputSize(32, 3, 1, 0, 2), 28);
  EXPECT_EQ(windowOutputSize(32, 3, 1, 2, 2), 32);
  EXPECT_EQ(windowOutputSize(9, 3, 1, 0, 4), 1); // window 9 fits exactly
  EXPECT_EQ(windowOutputSize(9, 3, 1, 0, 5), 0); // window 11 does not
  EXPECT_EQ(windowOutputSize(9, 3, 2, 0, 2), 3);
  // Dilation does not matter for a 1x1 kernel.
  EXPECT_EQ(windowOutputSize(10, 1, 1, 0, 7), 10);
  // The default dilation is 1.
  EXPECT_EQ(windowOutputSize(10, 3, 1, 0), windowOutputSize(10, 3, 1, 0, 1));
}

TEST(ShapeRulesTest, Padding) {
  // Padding makes a kernel larger than the input fit.
  EXPECT_EQ(windowOutputSize(1, 3, 1, 1), 1);
  EXPECT_EQ(windowOutputSize(1, 7, 2, 3), 1);
  EXPECT_EQ(windowOutputSize(2, 5, 1, 2), 2);
  // Large padding grows the output.
  EXPECT_EQ(windowOutputSize(1, 1, 1, 10), 21);
}

TEST(ShapeRulesTest, KernelLargerThanInputReturnsNonPositive) {
  EXPECT_LE(windowOutputSize(2, 3, 1, 0), 0);
  EXPECT_LE(windowOutputSize(32, 33, 1, 0), 0);
  EXPECT_LE(windowOutputSize(1, 2, 1, 0), 0);
  EXPECT_LE(windowOutputSize(1, 3, 1, 0), 0);
  EXPECT_LE(windowOutputSize(8, 3, 1, 0, 8), 0);
  EXPECT_LE(windowOutputSize(4, 7, 2, 1), 0);
  // Whatever the stride: a window that does not fit never gives 1.
  for (int64_t stride = 1; stride <= 10; ++stride)
    EXPECT_LE(windowOutputSize(5, 6, stride, 0), 0) << stride;
  // Exactly fitting windows give one output.
  EXPECT_EQ(windowOutputSize(3, 3, 1, 0), 1);
  EXPECT_EQ(windowOutputSize(3, 5, 1, 1), 1);
  EXPECT_EQ(windowOutputSize(7, 7, 7, 0), 1);
}

TEST(ShapeRulesTest, MatchesPyTorchFormulaExhaustively) {
  // floor((in + 2p - d(k-1) - 1) / s) + 1 whenever the window fits.
  for (int64_t in = 1; in <= 20; ++in)
    for (int64_t k = 1; k <= 7; ++k)
      for (int64_t s = 1; s <= 4; ++s)
        for (int64_t p = 0; p <= 3; ++p)
          for (int64_t d = 1; d <= 3; ++d) {
            int64_t num = in + 2 * p - d * (k - 1) - 1;
            int64_t got = windowOutputSize(in, k, s, p, d);
            if (num < 0) {
              EXPECT_LE(got, 0)
                  << in << " " << k << " " << s << " " << p << " " << d;
            } else {
              int64_t want =
                  static_cast<int64_t>(std::floor(double(num) / double(s))) + 1;
              EXPECT_EQ(got, want)
                  << in << " " << k << " " << s << " " << p << " " << d;
            }
          }
}

TEST(ShapeRulesTest, LargestSizesDoNotOverflow) {
  const int64_t m = kMaxDimension;
  EXPECT_EQ(windowOutputSize(m, 1, 1, 0), m);
  EXPECT_EQ(windowOutputSize(m, m, 1, 0), 1);
  EXPECT_EQ(windowOutputSize(m, 3, 1, m), 3 * m - 2);
  // A dilated window of about 2^40 elements: no overflow, does not fit.
  EXPECT_LE(windowOutputSize(1, m, 1, m, m), 0);
  EXPECT_LE(windowOutputSize(m, m, 1, 0, m), 0);
  EXPECT_EQ(windowOutputSize(m, 1, m, 0), 1);
}

TEST(ShapeRulesTest, MaxDimension) {
  EXPECT_EQ(kMaxDimension, int64_t(1) << 20);
}

TEST(ShapeRulesTest, ConvMACs) {
  // ResNet stem: 7x7 conv, 3 -> 64 channels, 112x112 output.
  EXPECT_EQ(convMACs(3, 64, 7, 7, 1, 112, 112), 118013952);
  // 1x1 conv: one MAC per input channel per output element.
  EXPECT_EQ(convMACs(64, 256, 1, 1, 1, 56, 56), 64 * 256 * 56 * 56);
  // A single output element of a single channel.
  EXPECT_EQ(convMACs(1, 1, 1, 1, 1, 1, 1), 1);
  // Non-square kernel.
  EXPECT_EQ(convMACs(2, 3, 1, 5, 1, 4, 4), 3 * 4 * 4 * 2 * 5);
}

TEST(ShapeRulesTest, ConvMACsWithGroups) {
  // Groups divide the input channels each output channel sees.
  EXPECT_EQ(convMACs(128, 128, 3, 3, 32, 28, 28), 128 * 28 * 28 * 4 * 9);
  EXPECT_EQ(convMACs(128, 128, 3, 3, 32, 28, 28) * 32,
            convMACs(128, 128, 3, 3, 1, 28, 28));
  // Depthwise.
  EXPECT_EQ(convMACs(64, 64, 3, 3, 64, 10, 10), 64 * 10 * 10 * 9);
}

TEST(ShapeRulesTest, ConvMACsMatchesTheSummaryOfResNet50Conv2) {
  // torchvision's resnet50 layer1.0.conv2: 64 -> 64, 3x3, 56x56.
  EXPECT_EQ(convMACs(64, 64, 3, 3, 1, 56, 56), 115605504);
}
