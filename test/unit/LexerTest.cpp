//===- LexerTest.cpp - Unit tests of the .rn lexer ------------------------===//

#include "resnetc/Frontend/Lexer.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace resnetc;

namespace {

/// Lexes one buffer; keeps the SourceManager alive as long as the tokens.
class LexerTest : public ::testing::Test {
protected:
  std::vector<Token> lex(const std::string &text) {
    int b = sm.addBuffer("t.rn", text);
    return Lexer(sm, b).lexAll();
  }
  /// The kinds of the tokens of `text`, Eof included.
  std::vector<TokenKind> kinds(const std::string &text) {
    std::vector<TokenKind> out;
    for (const Token &t : lex(text))
      out.push_back(t.kind);
    return out;
  }
  /// Lexes `text`, expecting it to end in an Error token; returns that token.
  Token lexError(const std::string &text) {
    std::vector<Token> toks = lex(text);
    EXPECT_FALSE(toks.empty());
    if (toks.empty())
      return Token();
    EXPECT_EQ(toks.back().kind, TokenKind::Error) << "input: " << text;
    return toks.back();
  }

  SourceManager sm;
};

using K = TokenKind;

} // namespace

//===----------------------------------------------------------------------===//
// Token kinds
//===----------------------------------------------------------------------===//

TEST_F(LexerTest, EmptyBufferIsJustEof) {
  auto toks = lex("");
  ASSERT_EQ(toks.size(), 1u);
  EXPECT_EQ(toks[0].kind, K::Eof);
  EXPECT_EQ(toks[0].loc.line, 1u);
  EXPECT_EQ(toks[0].loc.col, 1u);
  EXPECT_TRUE(toks[0].loc.isValid());
}

TEST_F(LexerTest, WhitespaceOnlyIsJustEof) {
  EXPECT_EQ(kinds(" \t\r\n\n  "), (std::vector<K>{K::Eof}));
}

TEST_F(LexerTest, Keywords) {
  EXPECT_EQ(kinds("model block let if else true false and or not"),
            (std::vector<K>{K::KwModel, K::KwBlock, K::KwLet, K::KwIf,
                            K::KwElse, K::KwTrue, K::KwFalse, K::KwAnd, K::KwOr,
                            K::KwNot, K::Eof}));
}

TEST_F(LexerTest, KeywordsAreCaseSensitiveAndWholeWords) {
  auto toks = lex("Model IF models iff not_a_keyword _if");
  ASSERT_EQ(toks.size(), 7u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(toks[i].kind, K::Identifier) << toks[i].text;
  EXPECT_EQ(toks[0].text, "Model");
  EXPECT_EQ(toks[3].text, "iff");
  EXPECT_EQ(toks[4].text, "not_a_keyword");
  EXPECT_EQ(toks[5].text, "_if");
}

TEST_F(LexerTest, SectionNamesAreIdentifiers) {
  // input, stem, stages, head, main, shortcut, out and the layer names are
  // ordinary identifiers; the parser gives them meaning by position.
  auto toks = lex("input stem stages head main shortcut out conv bn relu");
  ASSERT_EQ(toks.size(), 11u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(toks[i].kind, K::Identifier);
}

TEST_F(LexerTest, Identifiers) {
  auto toks = lex("a _b c3 width_per_group __x9_");
  ASSERT_EQ(toks.size(), 6u);
  EXPECT_EQ(toks[0].text, "a");
  EXPECT_EQ(toks[1].text, "_b");
  EXPECT_EQ(toks[2].text, "c3");
  EXPECT_EQ(toks[3].text, "width_per_group");
  EXPECT_EQ(toks[4].text, "__x9_");
}

TEST_F(LexerTest, Punctuation) {
  EXPECT_EQ(
      kinds("{ } ( ) [ ] , ;"),
      (std::vector<K>{K::LBrace, K::RBrace, K::LParen, K::RParen, K::LBracket,
                      K::RBracket, K::Comma, K::Semicolon, K::Eof}));
}

TEST_F(LexerTest, Operators) {
  EXPECT_EQ(kinds("= + - * / % == != < <= > >="),
            (std::vector<K>{K::Assign, K::Plus, K::Minus, K::Star, K::Slash,
                            K::Percent, K::EqEq, K::NotEq, K::Less, K::LessEq,
                            K::Greater, K::GreaterEq, K::Eof}));
}

TEST_F(LexerTest, OperatorsWithoutSpaces) {
  // Longest match: '==' and '<=' are single tokens, '= =' is two.
  EXPECT_EQ(kinds("a==b<=c>=d!=e"),
            (std::vector<K>{K::Identifier, K::EqEq, K::Identifier, K::LessEq,
                            K::Identifier, K::GreaterEq, K::Identifier,
                            K::NotEq, K::Identifier, K::Eof}));
  EXPECT_EQ(kinds("= ="), (std::vector<K>{K::Assign, K::Assign, K::Eof}));
  EXPECT_EQ(kinds("<<"), (std::vector<K>{K::Less, K::Less, K::Eof}));
  EXPECT_EQ(kinds("x=-1"), (std::vector<K>{K::Identifier, K::Assign, K::Minus,
                                           K::Integer, K::Eof}));
}

TEST_F(LexerTest, EveryKindHasADistinctName) {
  std::set<std::string> names;
  for (int k = static_cast<int>(K::Eof); k <= static_cast<int>(K::GreaterEq);
       ++k) {
    const char *name = getTokenKindName(static_cast<K>(k));
    ASSERT_NE(name, nullptr);
    EXPECT_NE(std::string(name), "");
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
  }
  EXPECT_STREQ(getTokenKindName(K::Eof), "end of file");
  EXPECT_STREQ(getTokenKindName(K::LBrace), "'{'");
  EXPECT_STREQ(getTokenKindName(K::GreaterEq), "'>='");
  EXPECT_STREQ(getTokenKindName(K::KwModel), "'model'");
}

TEST_F(LexerTest, TokenTextIsTheSpelling) {
  auto toks = lex("conv 64 1.5 3x7x7");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[0].text, "conv");
  EXPECT_EQ(toks[1].text, "64");
  EXPECT_EQ(toks[2].text, "1.5");
  EXPECT_EQ(toks[3].text, "3x7x7");
}

//===----------------------------------------------------------------------===//
// Numbers and shapes
//===----------------------------------------------------------------------===//

TEST_F(LexerTest, Integers) {
  auto toks = lex("0 7 64 1000 007");
  ASSERT_EQ(toks.size(), 6u);
  EXPECT_EQ(toks[0].intValue, 0);
  EXPECT_EQ(toks[1].intValue, 7);
  EXPECT_EQ(toks[2].intValue, 64);
  EXPECT_EQ(toks[3].intValue, 1000);
  EXPECT_EQ(toks[4].intValue, 7);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(toks[i].kind, K::Integer);
}

TEST_F(LexerTest, NegativeNumbersAreMinusThenNumber) {
  EXPECT_EQ(kinds("-3 -0.5"),
            (std::vector<K>{K::Minus, K::Integer, K::Minus, K::Float, K::Eof}));
}

TEST_F(LexerTest, LargestInteger) {
  auto toks = lex("1099511627776");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].kind, K::Integer);
  EXPECT_EQ(toks[0].intValue, Lexer::kMaxInteger);
  EXPECT_EQ(Lexer::kMaxInteger, int64_t(1) << 40);
}

TEST_F(LexerTest, IntegerOverflowIsAnError) {
  Token t = lexError("let x = 1099511627777");
  EXPECT_EQ(
      t.error,
      "integer literal is too large (the largest accepted value is 2^40)");
  EXPECT_EQ(t.loc.line, 1u);
  EXPECT_EQ(t.loc.col, 9u);

  // Far past int64: no wrap-around, same error at the literal's start.
  t = lexError("  99999999999999999999999999999999");
  EXPECT_EQ(t.loc.col, 3u);
  EXPECT_NE(t.error.find("too large"), std::string::npos);
}

TEST_F(LexerTest, Floats) {
  auto toks = lex("0.1 1e-5 1.5e3 2E+2 1e3 3.25");
  ASSERT_EQ(toks.size(), 7u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(toks[i].kind, K::Float) << toks[i].text;
  EXPECT_DOUBLE_EQ(toks[0].floatValue, 0.1);
  EXPECT_DOUBLE_EQ(toks[1].floatValue, 1e-5);
  EXPECT_DOUBLE_EQ(toks[2].floatValue, 1500.0);
  EXPECT_DOUBLE_EQ(toks[3].floatValue, 200.0);
  EXPECT_DOUBLE_EQ(toks[4].floatValue, 1000.0);
  EXPECT_DOUBLE_EQ(toks[5].floatValue, 3.25);
  EXPECT_EQ(toks[1].text, "1e-5");
}

TEST_F(LexerTest, ExponentWithThreeDigitsIsAccepted) {
  // 1e999 is a well-formed literal; its value (infinity) is rejected by Sema.
  auto toks = lex("1e999 1e-300");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, K::Float);
  EXPECT_EQ(toks[1].kind, K::Float);
  EXPECT_DOUBLE_EQ(toks[1].floatValue, 1e-300);
}

TEST_F(LexerTest, ExponentWithFourDigitsIsAnError) {
  Token t = lexError("x 1e1000");
  EXPECT_EQ(t.error, "exponent of float literal is too large");
  EXPECT_EQ(t.loc.col, 3u);
  t = lexError("1.5e-1000");
  EXPECT_EQ(t.loc.col, 1u);
}

TEST_F(LexerTest, MalformedNumbers) {
  // A dot must be followed by a digit to make a float.
  auto toks = lex("1.");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].kind, K::Integer);
  EXPECT_EQ(toks[1].kind, K::Error);
  EXPECT_EQ(toks[1].error, "unexpected character '.'");
  EXPECT_EQ(toks[1].loc.col, 2u);

  Token t = lexError(".5");
  EXPECT_EQ(t.error, "unexpected character '.'");
  EXPECT_EQ(t.loc.col, 1u);

  // An exponent without digits is a letter after a number.
  t = lexError("1e");
  EXPECT_EQ(t.error, "unexpected character 'e' after number");
  EXPECT_EQ(t.loc.col, 2u);
  t = lexError("2e-");
  EXPECT_EQ(t.error, "unexpected character 'e' after number");

  t = lexError("3px");
  EXPECT_EQ(t.error, "unexpected character 'p' after number");
  EXPECT_EQ(t.loc.col, 2u);
  t = lexError("1.5f");
  EXPECT_EQ(t.error, "unexpected character 'f' after number");
  EXPECT_EQ(t.loc.col, 4u);
  t = lexError("12_000");
  EXPECT_EQ(t.error, "unexpected character '_' after number");
}

TEST_F(LexerTest, ShapeLiteral) {
  auto toks = lex("input 1x96x96");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, K::Identifier);
  EXPECT_EQ(toks[1].kind, K::Shape);
  EXPECT_EQ(toks[1].dims, (std::vector<int64_t>{1, 96, 96}));
  EXPECT_EQ(toks[1].loc.col, 7u);
  EXPECT_EQ(toks[2].kind, K::Eof);
}

TEST_F(LexerTest, ShapesOfAnyRank) {
  // The lexer accepts any number of sizes; Sema checks the rank of 'input'.
  auto toks = lex("3x224 7x7x7x7 1x1x1");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[0].dims, (std::vector<int64_t>{3, 224}));
  EXPECT_EQ(toks[1].dims, (std::vector<int64_t>{7, 7, 7, 7}));
  EXPECT_EQ(toks[2].dims, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(toks[1].text, "7x7x7x7");
}

TEST_F(LexerTest, ShapeFollowedByPunctuation) {
  EXPECT_EQ(kinds("3x32x32;}"),
            (std::vector<K>{K::Shape, K::Semicolon, K::RBrace, K::Eof}));
}

TEST_F(LexerTest, MalformedShapes) {
  Token t = lexError("3x");
  EXPECT_EQ(t.error, "unexpected character 'x' after number");
  EXPECT_EQ(t.loc.col, 2u);

  t = lexError("3x32x");
  EXPECT_EQ(t.error, "unexpected character 'x' in shape literal");
  EXPECT_EQ(t.loc.col, 5u);

  t = lexError("3x32x32px");
  EXPECT_EQ(t.error, "unexpected character 'p' in shape literal");
  EXPECT_EQ(t.loc.col, 8u);

  t = lexError("3X32");
  EXPECT_EQ(t.error, "unexpected character 'X' after number");
}

TEST_F(LexerTest, ShapeDimensionOverflow) {
  Token t = lexError("input 3x99999999999999999x2");
  EXPECT_EQ(t.error, "shape dimension is too large");
  EXPECT_EQ(t.loc.col, 7u);
}

//===----------------------------------------------------------------------===//
// Comments and locations
//===----------------------------------------------------------------------===//

TEST_F(LexerTest, CommentsRunToTheEndOfTheLine) {
  auto toks =
      lex("# a comment with model and 3x3 and @!\nmodel # trailing\n#\nm");
  ASSERT_EQ(toks.size(), 3u);
  EXPECT_EQ(toks[0].kind, K::KwModel);
  EXPECT_EQ(toks[0].loc.line, 2u);
  EXPECT_EQ(toks[0].loc.col, 1u);
  EXPECT_EQ(toks[1].kind, K::Identifier);
  EXPECT_EQ(toks[1].loc.line, 4u);
}

TEST_F(LexerTest, CommentAtEndOfFileWithoutNewline) {
  auto toks = lex("relu # no newline");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[1].kind, K::Eof);
  EXPECT_EQ(toks[1].loc.col, 18u);
}

TEST_F(LexerTest, CommentsMayHoldAnyBytes) {
  auto toks = lex("# caf\xc3\xa9 \x01\x7f\xff\nrelu");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].kind, K::Identifier);
  EXPECT_EQ(toks[0].loc.line, 2u);
}

TEST_F(LexerTest, LineAndColumnTracking) {
  auto toks = lex("model m {\n  input 3x8x8\n\n    conv(64)\n}");
  ASSERT_EQ(toks.size(), 11u);
  struct Expect {
    uint32_t line, col;
  } want[] = {{1, 1}, {1, 7},  {1, 9},  {2, 3}, {2, 9}, {4, 5},
              {4, 9}, {4, 10}, {4, 12}, {5, 1}, {5, 2}};
  for (size_t i = 0; i < toks.size(); ++i) {
    EXPECT_EQ(toks[i].loc.line, want[i].line) << "token " << i;
    EXPECT_EQ(toks[i].loc.col, want[i].col) << "token " << i;
  }
}

TEST_F(LexerTest, TabsCountAsOneColumn) {
  auto toks = lex("\t\tconv");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].loc.col, 3u);
}

TEST_F(LexerTest, CrLfLineEndings) {
  auto toks = lex("model\r\n  m\r\n{");
  ASSERT_EQ(toks.size(), 4u);
  EXPECT_EQ(toks[1].loc.line, 2u);
  EXPECT_EQ(toks[1].loc.col, 3u);
  EXPECT_EQ(toks[2].loc.line, 3u);
  EXPECT_EQ(toks[2].loc.col, 1u);
}

TEST_F(LexerTest, LocationsNameTheBuffer) {
  sm.addBuffer("other.rn", "x");
  auto toks = lex("relu");
  EXPECT_EQ(toks[0].loc.buffer, 1);
}

TEST_F(LexerTest, EofRepeatsForever) {
  int b = sm.addBuffer("t.rn", "x");
  Lexer lexer(sm, b);
  EXPECT_EQ(lexer.next().kind, K::Identifier);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(lexer.next().kind, K::Eof);
}

//===----------------------------------------------------------------------===//
// Bad input
//===----------------------------------------------------------------------===//

TEST_F(LexerTest, UnexpectedPrintableCharacters) {
  for (char c : std::string("@$^&|~`'\"?:.\\")) {
    Token t = lexError(std::string("relu ") + c + " bn");
    EXPECT_EQ(t.error, std::string("unexpected character '") + c + "'");
    EXPECT_EQ(t.loc.col, 6u);
  }
}

TEST_F(LexerTest, LoneBangSuggestsNotEqualOrNot) {
  Token t = lexError("if !x");
  EXPECT_EQ(t.error, "unexpected character '!' (did you mean '!=' or 'not'?)");
  EXPECT_EQ(t.loc.col, 4u);
}

TEST_F(LexerTest, BinaryBytesAreReportedInHex) {
  struct Case {
    std::string text;
    const char *error;
    uint32_t col;
  } cases[] = {
      {std::string("a\0b", 3),
       "unexpected byte 0x00 (is this a text .rn file?)", 2},
      {"\x7f"
       "ELF",
       "unexpected byte 0x7f (is this a text .rn file?)", 1},
      {"x \x89PNG", "unexpected byte 0x89 (is this a text .rn file?)", 3},
      {"\xff\xfe", "unexpected byte 0xff (is this a text .rn file?)", 1},
      {"\x01", "unexpected byte 0x01 (is this a text .rn file?)", 1},
      {"a\x1b[2J", "unexpected byte 0x1b (is this a text .rn file?)", 2},
  };
  for (const Case &c : cases) {
    Token t = lexError(c.text);
    EXPECT_EQ(t.error, c.error);
    EXPECT_EQ(t.loc.col, c.col);
  }
}

TEST_F(LexerTest, LexingStopsAtTheFirstError) {
  // Nothing after a malformed token is trusted: the next token is Eof.
  int b = sm.addBuffer("t.rn", "a @ b c");
  Lexer lexer(sm, b);
  EXPECT_EQ(lexer.next().kind, K::Identifier);
  EXPECT_EQ(lexer.next().kind, K::Error);
  EXPECT_EQ(lexer.next().kind, K::Eof);
  EXPECT_EQ(lexer.next().kind, K::Eof);

  auto toks = lex("a @ b c");
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks.back().kind, K::Error);
}

TEST_F(LexerTest, IdentifierLengthLimit) {
  auto toks = lex(std::string(256, 'a'));
  ASSERT_EQ(toks.size(), 2u);
  EXPECT_EQ(toks[0].kind, K::Identifier);
  EXPECT_EQ(toks[0].text.size(), 256u);

  Token t = lexError("let " + std::string(257, 'b'));
  EXPECT_EQ(t.error, "identifier is too long (256 characters at most)");
  EXPECT_EQ(t.loc.col, 5u);
}

TEST_F(LexerTest, HugeInputLexesInLinearTime) {
  // 200,000 tokens; mostly a guard against quadratic behaviour.
  std::string text;
  for (int i = 0; i < 50000; ++i)
    text += "relu bn(eps=1e-5)\n";
  auto toks = lex(text);
  EXPECT_EQ(toks.size(), 50000u * 7 + 1);
  EXPECT_EQ(toks.back().kind, K::Eof);
  EXPECT_EQ(toks.back().loc.line, 50001u);
}
