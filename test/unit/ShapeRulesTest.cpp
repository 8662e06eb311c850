//===- ShapeRulesTest.cpp - Unit tests of the shared shape rules ----------===//

#include "resnetc/Support/ShapeRules.h"

#include <gtest/gtest.h>

using namespace resnetc;

TEST(ShapeRulesTest, ResNetStem) {
  EXPECT_EQ(windowOutputSize(224, 7, 2, 3), 112);
  EXPECT_EQ(windowOutputSize(112, 3, 2, 1), 56);
  EXPECT_EQ(windowOutputSize(96, 7, 2, 3), 48);
}
