//===- LexerTest.cpp - Unit tests of the .rn lexer ------------------------===//

#include "resnetc/Frontend/Lexer.h"

#include <gtest/gtest.h>

using namespace resnetc;

namespace {
std::vector<Token> lex(const std::string &text) {
  static SourceManager *sm = nullptr;
  delete sm;
  sm = new SourceManager();
  int b = sm->addBuffer("t.rn", text);
  return Lexer(*sm, b).lexAll();
}
} // namespace

TEST(LexerTest, ShapeLiteral) {
  auto toks = lex("input 1x96x96");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, TokenKind::Identifier);
  EXPECT_EQ(toks[1].kind, TokenKind::Shape);
  EXPECT_EQ(toks[1].dims, (std::vector<int64_t>{1, 96, 96}));
  EXPECT_EQ(toks[2].kind, TokenKind::Eof);
}
