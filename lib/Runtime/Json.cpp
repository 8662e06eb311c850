//===- Json.cpp - A small JSON value, parser and writer -------------------===//
//
// Recursive-descent parser over a byte buffer (recursion bounded by the depth
// limit) and a recursive writer. See Json.h for the accepted language.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Json.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <unordered_set>

using namespace resnetc::runtime;

//===----------------------------------------------------------------------===//
// JsonValue
//===----------------------------------------------------------------------===//

JsonValue JsonValue::array(ArrayType items) {
  JsonValue v;
  v.kind = Kind::Array;
  v.items = std::move(items);
  return v;
}

JsonValue JsonValue::object(ObjectType members) {
  JsonValue v;
  v.kind = Kind::Object;
  v.members = std::move(members);
  return v;
}

const std::string &JsonValue::getString() const {
  static const std::string empty;
  return kind == Kind::String ? string : empty;
}

const JsonValue::ArrayType &JsonValue::getArray() const {
  static const ArrayType empty;
  return kind == Kind::Array ? items : empty;
}

const JsonValue::ObjectType &JsonValue::getObject() const {
  static const ObjectType empty;
  return kind == Kind::Object ? members : empty;
}

size_t JsonValue::size() const {
  if (kind == Kind::Array)
    return items.size();
  if (kind == Kind::Object)
    return members.size();
  return 0;
}

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (const auto &member : members)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

JsonValue *JsonValue::find(std::string_view key) {
  return const_cast<JsonValue *>(
      static_cast<const JsonValue *>(this)->find(key));
}

void JsonValue::set(std::string key, JsonValue value) {
  if (kind != Kind::Object)
    *this = object();
  if (JsonValue *existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  members.emplace_back(std::move(key), std::move(value));
}

void JsonValue::push(JsonValue value) {
  if (kind != Kind::Array)
    *this = array();
  items.push_back(std::move(value));
}

bool JsonValue::operator==(const JsonValue &other) const {
  if (kind != other.kind)
    return false;
  switch (kind) {
  case Kind::Null:
    return true;
  case Kind::Bool:
    return boolValue == other.boolValue;
  case Kind::Number:
    if (integral && other.integral)
      return integer == other.integer;
    return number == other.number;
  case Kind::String:
    return string == other.string;
  case Kind::Array:
    return items == other.items;
  case Kind::Object:
    return members == other.members;
  }
  return false;
}

const char *resnetc::runtime::getJsonKindName(JsonValue::Kind kind) {
  switch (kind) {
  case JsonValue::Kind::Null:
    return "null";
  case JsonValue::Kind::Bool:
    return "boolean";
  case JsonValue::Kind::Number:
    return "number";
  case JsonValue::Kind::String:
    return "string";
  case JsonValue::Kind::Array:
    return "array";
  case JsonValue::Kind::Object:
    return "object";
  }
  return "value";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {

class Parser {
public:
  Parser(std::string_view text, unsigned maxDepth)
      : text(text), maxDepth(maxDepth) {}

  Expected<JsonValue> parseDocument() {
    JsonValue value;
    skipWhitespace();
    if (!parseValue(value, 0))
      return takeError();
    skipWhitespace();
    if (pos != text.size()) {
      fail(pos, "unexpected " + describeHere() + " after the JSON value");
      return takeError();
    }
    return value;
  }

private:
  std::string_view text;
  unsigned maxDepth;
  size_t pos = 0;
  std::string errorMessage;

  Error takeError() { return Error(std::move(errorMessage)); }

  /// Records an error at byte offset `at`; always returns false.
  bool fail(size_t at, const std::string &what) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    errorMessage =
        std::to_string(line) + ":" + std::to_string(col) + ": " + what;
    return false;
  }

  /// Describes the byte at `pos` for "unexpected X" messages.
  std::string describeHere() const {
    if (pos >= text.size())
      return "end of input";
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c >= 0x20 && c < 0x7f)
      return std::string("character '") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof(buf), "byte 0x%02x", c);
    return buf;
  }

  void skipWhitespace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consumeLiteral(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  bool parseValue(JsonValue &out, unsigned depth) {
    if (pos >= text.size())
      return fail(pos, "expected a JSON value but found end of input");
    char c = text[pos];
    switch (c) {
    case '{':
      return parseObject(out, depth);
    case '[':
      return parseArray(out, depth);
    case '"': {
      std::string s;
      if (!parseString(s))
        return false;
      out = JsonValue(std::move(s));
      return true;
    }
    case 't':
      if (consumeLiteral("true")) {
        out = JsonValue(true);
        return true;
      }
      break;
    case 'f':
      if (consumeLiteral("false")) {
        out = JsonValue(false);
        return true;
      }
      break;
    case 'n':
      if (consumeLiteral("null")) {
        out = JsonValue();
        return true;
      }
      break;
    default:
      if (c == '-' || (c >= '0' && c <= '9'))
        return parseNumber(out);
      break;
    }
    return fail(pos, "expected a JSON value but found " + describeHere());
  }

  bool enter(unsigned depth) {
    if (depth >= maxDepth)
      return fail(pos, "nesting is deeper than the limit of " +
                           std::to_string(maxDepth) + " levels");
    return true;
  }

  bool parseArray(JsonValue &out, unsigned depth) {
    if (!enter(depth))
      return false;
    ++pos; // '['
    JsonValue::ArrayType items;
    skipWhitespace();
    if (pos < text.size() && text[pos] == ']') {
      ++pos;
      out = JsonValue::array(std::move(items));
      return true;
    }
    while (true) {
      skipWhitespace();
      JsonValue item;
      if (!parseValue(item, depth + 1))
        return false;
      items.push_back(std::move(item));
      skipWhitespace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == ']') {
        ++pos;
        break;
      }
      return fail(pos,
                  "expected ',' or ']' in array but found " + describeHere());
    }
    out = JsonValue::array(std::move(items));
    return true;
  }

  bool parseObject(JsonValue &out, unsigned depth) {
    if (!enter(depth))
      return false;
    ++pos; // '{'
    JsonValue::ObjectType members;
    std::unordered_set<std::string> seen;
    skipWhitespace();
    if (pos < text.size() && text[pos] == '}') {
      ++pos;
      out = JsonValue::object(std::move(members));
      return true;
    }
    while (true) {
      skipWhitespace();
      if (pos >= text.size() || text[pos] != '"')
        return fail(pos, "expected a string key in object but found " +
                             describeHere());
      size_t keyPos = pos;
      std::string key;
      if (!parseString(key))
        return false;
      if (!seen.insert(key).second) {
        std::string shown;
        appendJsonString(shown, key);
        return fail(keyPos, "duplicate object key " + shown);
      }
      skipWhitespace();
      if (pos >= text.size() || text[pos] != ':')
        return fail(pos, "expected ':' after object key but found " +
                             describeHere());
      ++pos;
      skipWhitespace();
      JsonValue value;
      if (!parseValue(value, depth + 1))
        return false;
      members.emplace_back(std::move(key), std::move(value));
      skipWhitespace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == '}') {
        ++pos;
        break;
      }
      return fail(pos,
                  "expected ',' or '}' in object but found " + describeHere());
    }
    out = JsonValue::object(std::move(members));
    return true;
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  bool parseNumber(JsonValue &out) {
    size_t start = pos;
    bool isIntegral = true;
    if (text[pos] == '-')
      ++pos;
    if (pos >= text.size() || !isDigit(text[pos]))
      return fail(pos,
                  "expected a digit in number but found " + describeHere());
    if (text[pos] == '0') {
      ++pos;
      if (pos < text.size() && isDigit(text[pos]))
        return fail(start, "numbers must not have leading zeros");
    } else {
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      isIntegral = false;
      ++pos;
      if (pos >= text.size() || !isDigit(text[pos]))
        return fail(pos, "expected a digit after '.' in number but found " +
                             describeHere());
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      isIntegral = false;
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (pos >= text.size() || !isDigit(text[pos]))
        return fail(pos, "expected a digit in the exponent but found " +
                             describeHere());
      while (pos < text.size() && isDigit(text[pos]))
        ++pos;
    }
    const char *first = text.data() + start;
    const char *last = text.data() + pos;
    if (isIntegral) {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(first, last, value);
      if (ec == std::errc() && ptr == last) {
        out = JsonValue(value);
        return true;
      }
      // Too large for int64_t: fall through and keep it as a double.
    }
    double value = 0.0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec != std::errc() || ptr != last || !std::isfinite(value))
      return fail(start,
                  "number '" + std::string(first, last) + "' is out of range");
    out = JsonValue(value);
    return true;
  }

  static int hexValue(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  /// Reads the four hex digits of a \u escape starting at `pos`.
  bool parseHex4(uint32_t &out) {
    if (pos + 4 > text.size())
      return fail(pos, "incomplete \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hexValue(text[pos + i]);
      if (h < 0)
        return fail(pos + i, "invalid hex digit in \\u escape");
      out = out * 16 + static_cast<uint32_t>(h);
    }
    pos += 4;
    return true;
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  /// Validates one UTF-8 encoded code point starting at `pos` (a byte >=
  /// 0x80) and copies it to `out`.
  bool copyUtf8Sequence(std::string &out) {
    auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byteAt(pos);
    size_t length;
    uint32_t cp, minimum;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
      cp = lead & 0x1f;
      minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      cp = lead & 0x0f;
      minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      cp = lead & 0x07;
      minimum = 0x10000;
    } else {
      return fail(pos, "invalid UTF-8 byte in string");
    }
    if (pos + length > text.size())
      return fail(pos, "truncated UTF-8 sequence in string");
    for (size_t i = 1; i < length; ++i) {
      unsigned char c = byteAt(pos + i);
      if ((c & 0xc0) != 0x80)
        return fail(pos, "invalid UTF-8 sequence in string");
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < minimum || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return fail(pos, "invalid UTF-8 sequence in string");
    out.append(text.data() + pos, length);
    pos += length;
    return true;
  }

  bool parseString(std::string &out) {
    size_t start = pos;
    ++pos; // '"'
    while (true) {
      if (pos >= text.size())
        return fail(start, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return true;
      }
      if (c < 0x20)
        return fail(pos, "control character in string (must be escaped)");
      if (c >= 0x80) {
        if (!copyUtf8Sequence(out))
          return false;
        continue;
      }
      if (c != '\\') {
        out += static_cast<char>(c);
        ++pos;
        continue;
      }
      size_t escapePos = pos;
      ++pos;
      if (pos >= text.size())
        return fail(start, "unterminated string");
      char e = text[pos++];
      switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!parseHex4(cp))
          return false;
        if (cp >= 0xdc00 && cp <= 0xdfff)
          return fail(escapePos, "unpaired low surrogate in \\u escape");
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (text.substr(pos, 2) != "\\u")
            return fail(escapePos, "unpaired high surrogate in \\u escape");
          pos += 2;
          uint32_t low;
          if (!parseHex4(low))
            return false;
          if (low < 0xdc00 || low > 0xdfff)
            return fail(escapePos, "unpaired high surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(escapePos, "invalid escape sequence in string");
      }
    }
  }
};

} // namespace

Expected<JsonValue> resnetc::runtime::parseJson(std::string_view text,
                                                unsigned maxDepth) {
  return Parser(text, maxDepth).parseDocument();
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

void resnetc::runtime::appendJsonString(std::string &out,
                                        std::string_view text) {
  out += '"';
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
  }
  out += '"';
}

static void appendNumber(std::string &out, const JsonValue &value) {
  if (value.isInteger()) {
    out += std::to_string(value.getInteger());
    return;
  }
  double d = value.getNumber();
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  if (ec != std::errc()) {
    out += "null";
    return;
  }
  std::string_view s(buf, static_cast<size_t>(ptr - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos)
    out += ".0";
}

static void writeValue(std::string &out, const JsonValue &value, bool pretty,
                       unsigned indent) {
  auto newline = [&](unsigned level) {
    if (!pretty)
      return;
    out += '\n';
    out.append(2 * static_cast<size_t>(level), ' ');
  };
  switch (value.getKind()) {
  case JsonValue::Kind::Null:
    out += "null";
    return;
  case JsonValue::Kind::Bool:
    out += value.getBool() ? "true" : "false";
    return;
  case JsonValue::Kind::Number:
    appendNumber(out, value);
    return;
  case JsonValue::Kind::String:
    appendJsonString(out, value.getString());
    return;
  case JsonValue::Kind::Array: {
    const auto &items = value.getArray();
    if (items.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i)
        out += ',';
      newline(indent + 1);
      writeValue(out, items[i], pretty, indent + 1);
    }
    newline(indent);
    out += ']';
    return;
  }
  case JsonValue::Kind::Object: {
    const auto &members = value.getObject();
    if (members.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    for (size_t i = 0; i < members.size(); ++i) {
      if (i)
        out += ',';
      newline(indent + 1);
      appendJsonString(out, members[i].first);
      out += pretty ? ": " : ":";
      writeValue(out, members[i].second, pretty, indent + 1);
    }
    newline(indent);
    out += '}';
    return;
  }
  }
}

std::string resnetc::runtime::writeJson(const JsonValue &value, bool pretty) {
  std::string out;
  writeValue(out, value, pretty, 0);
  return out;
}
