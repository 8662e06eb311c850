//===- ParserTest.cpp - Unit tests of the .rn parser ----------------------===//

#include "resnetc/Frontend/Parser.h"

#include <gtest/gtest.h>

using namespace resnetc;

TEST(ParserTest, EmptyFileParses) {
  SourceManager sm;
  DiagnosticEngine diags(sm);
  int b = sm.addBuffer("t.rn", "");
  Module m;
  EXPECT_TRUE(Parser(sm, b, diags).parseFile(m));
  EXPECT_TRUE(m.models.empty());
}
