//===- Lexer.h - Tokenizer for the .rn language -----------------*- C++ -*-===//
//
// Splits a .rn buffer into tokens. Comments run from '#' to the end of the
// line; newlines are whitespace. A shape literal such as `1x96x96` is a single
// token. The lexer never fails hard: bad bytes become Error tokens that the
// parser reports with their location.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_FRONTEND_LEXER_H
#define RESNETC_FRONTEND_LEXER_H

#include "resnetc/Frontend/Diagnostics.h"

#include <cstdint>
#include <string>
#include <vector>

namespace resnetc {

enum class TokenKind {
  Eof,
  Error,
  Identifier,
  Integer,
  Float,
  Shape, ///< `CxHxW` literal, e.g. 1x96x96.
  // Keywords.
  KwModel,
  KwBlock,
  KwLet,
  KwIf,
  KwElse,
  KwTrue,
  KwFalse,
  KwAnd,
  KwOr,
  KwNot,
  // Punctuation and operators.
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Semicolon,
  Assign,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  EqEq,
  NotEq,
  Less,
  LessEq,
  Greater,
  GreaterEq,
};

/// Human-readable spelling of a token kind, for "expected X" messages.
const char *getTokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  SourceLoc loc;
  std::string text;          ///< Spelling (identifier name, literal text).
  int64_t intValue = 0;      ///< Integer literals.
  double floatValue = 0;     ///< Float literals.
  std::vector<int64_t> dims; ///< Shape literals.
  std::string error;         ///< Why an Error token is malformed.
};

/// Tokenizes one buffer of a SourceManager.
class Lexer {
public:
  Lexer(const SourceManager &sm, int buffer);

  /// Returns the next token; Eof forever once the buffer is exhausted.
  Token next();

  /// Tokenizes the whole buffer (ends with Eof or the first Error token).
  std::vector<Token> lexAll();

  /// Largest integer literal the language accepts.
  static constexpr int64_t kMaxInteger = (int64_t(1) << 40);

private:
  char peek(size_t ahead = 0) const;
  char advance();
  SourceLoc here() const;
  void skipWhitespaceAndComments();
  Token lexNumber(SourceLoc start);
  Token makeError(SourceLoc loc, std::string message);

  const std::string &text;
  int buffer;
  size_t pos = 0;
  uint32_t line = 1, col = 1;
};

} // namespace resnetc

#endif // RESNETC_FRONTEND_LEXER_H
