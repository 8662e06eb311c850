//===- SemaTest.cpp - Unit tests of model instantiation -------------------===//

#include "resnetc/Frontend/Frontend.h"

#include <gtest/gtest.h>

using namespace resnetc;

TEST(SemaTest, TinyModel) {
  FrontendSession s;
  ASSERT_TRUE(s.parse("t.rn", "model m { input 3x8x8 classes 2 head { "
                              "global_avgpool flatten linear(classes) } }"));
  auto net = s.analyze();
  ASSERT_TRUE(net.has_value());
  EXPECT_EQ(net->totalParams(), 3 * 2 + 2);
}
