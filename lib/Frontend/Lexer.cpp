//===- Lexer.cpp - Tokenizer for the .rn language -------------------------===//
//
// Hand-written tokenizer; see Lexer.h for the token set.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Frontend/Lexer.h"

#include <cctype>
#include <cstdlib>
#include <unordered_map>

using namespace resnetc;

const char *resnetc::getTokenKindName(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Error:
    return "invalid token";
  case TokenKind::Identifier:
    return "identifier";
  case TokenKind::Integer:
    return "integer";
  case TokenKind::Float:
    return "number";
  case TokenKind::Shape:
    return "shape (e.g. 3x224x224)";
  case TokenKind::KwModel:
    return "'model'";
  case TokenKind::KwBlock:
    return "'block'";
  case TokenKind::KwLet:
    return "'let'";
  case TokenKind::KwIf:
    return "'if'";
  case TokenKind::KwElse:
    return "'else'";
  case TokenKind::KwTrue:
    return "'true'";
  case TokenKind::KwFalse:
    return "'false'";
  case TokenKind::KwAnd:
    return "'and'";
  case TokenKind::KwOr:
    return "'or'";
  case TokenKind::KwNot:
    return "'not'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Semicolon:
    return "';'";
  case TokenKind::Assign:
    return "'='";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::Percent:
    return "'%'";
  case TokenKind::EqEq:
    return "'=='";
  case TokenKind::NotEq:
    return "'!='";
  case TokenKind::Less:
    return "'<'";
  case TokenKind::LessEq:
    return "'<='";
  case TokenKind::Greater:
    return "'>'";
  case TokenKind::GreaterEq:
    return "'>='";
  }
  return "token";
}

Lexer::Lexer(const SourceManager &sm, int buffer)
    : text(sm.getText(buffer)), buffer(buffer) {
  // Skip a UTF-8 byte order mark, as editors on some systems write one.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    pos = 3;
}

char Lexer::peek(size_t ahead) const {
  return pos + ahead < text.size() ? text[pos + ahead] : '\0';
}

char Lexer::advance() {
  char c = text[pos++];
  if (c == '\n') {
    ++line;
    col = 1;
  } else {
    ++col;
  }
  return c;
}

SourceLoc Lexer::here() const { return SourceLoc{buffer, line, col}; }

void Lexer::skipWhitespaceAndComments() {
  while (pos < text.size()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '#') {
      while (pos < text.size() && peek() != '\n')
        advance();
    } else {
      break;
    }
  }
}

Token Lexer::makeError(SourceLoc loc, std::string message) {
  Token t;
  t.kind = TokenKind::Error;
  t.loc = loc;
  t.error = std::move(message);
  // Stop lexing: everything after a malformed token is unreliable.
  pos = text.size();
  return t;
}

static bool isIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
static bool isIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
static bool isDigit(char c) {
  return std::isdigit(static_cast<unsigned char>(c));
}

Token Lexer::lexNumber(SourceLoc start) {
  size_t begin = pos;
  // Reads a run of digits into `value`, reporting overflow past kMaxInteger.
  auto readDigits = [&](int64_t &value) -> bool {
    value = 0;
    bool overflow = false;
    while (isDigit(peek())) {
      int digit = advance() - '0';
      if (value > (kMaxInteger - digit) / 10)
        overflow = true;
      else
        value = value * 10 + digit;
    }
    return !overflow;
  };

  int64_t value;
  if (!readDigits(value))
    return makeError(start, "integer literal is too large (the largest "
                            "accepted value is 2^40)");

  // Shape literal: 1x96x96.
  if (peek() == 'x' && isDigit(peek(1))) {
    Token t;
    t.kind = TokenKind::Shape;
    t.loc = start;
    t.dims.push_back(value);
    while (peek() == 'x' && isDigit(peek(1))) {
      advance();
      int64_t dim;
      if (!readDigits(dim))
        return makeError(start, "shape dimension is too large");
      t.dims.push_back(dim);
    }
    if (isIdentChar(peek()))
      return makeError(here(), "unexpected character '" +
                                   std::string(1, peek()) +
                                   "' in shape literal");
    t.text = text.substr(begin, pos - begin);
    return t;
  }

  // Float literal: 1e-5, 0.1, 1.5e3.
  bool isFloat = false;
  if (peek() == '.' && isDigit(peek(1))) {
    isFloat = true;
    advance();
    while (isDigit(peek()))
      advance();
  }
  if ((peek() == 'e' || peek() == 'E') &&
      (isDigit(peek(1)) ||
       ((peek(1) == '-' || peek(1) == '+') && isDigit(peek(2))))) {
    isFloat = true;
    advance();
    if (peek() == '-' || peek() == '+')
      advance();
    int digits = 0;
    while (isDigit(peek())) {
      advance();
      ++digits;
    }
    if (digits > 3)
      return makeError(start, "exponent of float literal is too large");
  }
  if (isIdentChar(peek()))
    return makeError(here(), "unexpected character '" + std::string(1, peek()) +
                                 "' after number");
  Token t;
  t.loc = start;
  t.text = text.substr(begin, pos - begin);
  if (isFloat) {
    t.kind = TokenKind::Float;
    t.floatValue = std::strtod(t.text.c_str(), nullptr);
  } else {
    t.kind = TokenKind::Integer;
    t.intValue = value;
  }
  return t;
}

Token Lexer::next() {
  skipWhitespaceAndComments();
  SourceLoc start = here();
  if (pos >= text.size()) {
    Token t;
    t.kind = TokenKind::Eof;
    t.loc = start;
    return t;
  }
  char c = peek();
  if (isIdentStart(c)) {
    size_t begin = pos;
    while (isIdentChar(peek()))
      advance();
    std::string word = text.substr(begin, pos - begin);
    if (word.size() > 256)
      return makeError(start,
                       "identifier is too long (256 characters at most)");
    static const std::unordered_map<std::string, TokenKind> keywords = {
        {"model", TokenKind::KwModel}, {"block", TokenKind::KwBlock},
        {"let", TokenKind::KwLet},     {"if", TokenKind::KwIf},
        {"else", TokenKind::KwElse},   {"true", TokenKind::KwTrue},
        {"false", TokenKind::KwFalse}, {"and", TokenKind::KwAnd},
        {"or", TokenKind::KwOr},       {"not", TokenKind::KwNot}};
    Token t;
    auto it = keywords.find(word);
    t.kind = it == keywords.end() ? TokenKind::Identifier : it->second;
    t.loc = start;
    t.text = std::move(word);
    return t;
  }
  if (isDigit(c))
    return lexNumber(start);

  Token t;
  t.loc = start;
  auto single = [&](TokenKind k) {
    advance();
    t.kind = k;
    return t;
  };
  auto pair = [&](char second, TokenKind two, TokenKind one) {
    advance();
    if (peek() == second) {
      advance();
      t.kind = two;
    } else {
      t.kind = one;
    }
    return t;
  };
  switch (c) {
  case '{':
    return single(TokenKind::LBrace);
  case '}':
    return single(TokenKind::RBrace);
  case '(':
    return single(TokenKind::LParen);
  case ')':
    return single(TokenKind::RParen);
  case '[':
    return single(TokenKind::LBracket);
  case ']':
    return single(TokenKind::RBracket);
  case ',':
    return single(TokenKind::Comma);
  case ';':
    return single(TokenKind::Semicolon);
  case '+':
    return single(TokenKind::Plus);
  case '-':
    return single(TokenKind::Minus);
  case '*':
    return single(TokenKind::Star);
  case '/':
    return single(TokenKind::Slash);
  case '%':
    return single(TokenKind::Percent);
  case '=':
    return pair('=', TokenKind::EqEq, TokenKind::Assign);
  case '<':
    return pair('=', TokenKind::LessEq, TokenKind::Less);
  case '>':
    return pair('=', TokenKind::GreaterEq, TokenKind::Greater);
  case '!':
    if (peek(1) == '=') {
      advance();
      advance();
      t.kind = TokenKind::NotEq;
      return t;
    }
    return makeError(start, "unexpected character '!' (did you mean '!=' or "
                            "'not'?)");
  default:
    break;
  }
  unsigned char uc = static_cast<unsigned char>(c);
  if (uc >= 0x20 && uc < 0x7f)
    return makeError(start, "unexpected character '" + std::string(1, c) + "'");
  if (uc >= 0xC2 && uc <= 0xF4)
    return makeError(start, "non-ASCII character in the source: names and "
                            "keywords use ASCII letters, digits and '_'");
  char hex[8];
  static const char digits[] = "0123456789abcdef";
  hex[0] = '0';
  hex[1] = 'x';
  hex[2] = digits[uc >> 4];
  hex[3] = digits[uc & 15];
  hex[4] = '\0';
  return makeError(start, std::string("unexpected byte ") + hex +
                              " (is this a text .rn file?)");
}

std::vector<Token> Lexer::lexAll() {
  std::vector<Token> tokens;
  while (true) {
    tokens.push_back(next());
    TokenKind k = tokens.back().kind;
    if (k == TokenKind::Eof || k == TokenKind::Error)
      break;
  }
  return tokens;
}
