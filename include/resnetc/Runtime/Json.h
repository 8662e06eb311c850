//===- Json.h - A small JSON value, parser and writer -----------*- C++ -*-===//
//
// JSON as used by safetensors headers and the compiler's execution plans. A
// JsonValue is null, a boolean, a number, a string, an array or an object
// whose keys keep their insertion order. Numbers are kept as a double and,
// when the literal is an integer that fits, also as an exact int64_t.
//
// The parser implements RFC 8259 strictly: UTF-8 is validated, `\u` escapes
// (with surrogate pairs) are decoded, duplicate object keys are rejected,
// nesting is limited, and every error carries its position as
// `line:column: what` (1-based, columns counted in bytes).
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_JSON_H
#define RESNETC_RUNTIME_JSON_H

#include "resnetc/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace resnetc::runtime {

/// A JSON value.
class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using ArrayType = std::vector<JsonValue>;
  using ObjectType = std::vector<std::pair<std::string, JsonValue>>;

  /// null.
  JsonValue() = default;
  JsonValue(std::nullptr_t) {}
  JsonValue(bool value) : kind(Kind::Bool), boolValue(value) {}
  /// A number that is not marked integral, even if its value is.
  JsonValue(double value) : kind(Kind::Number), number(value) {}
  /// An integral number. Unsigned values above INT64_MAX become plain doubles.
  template <class T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>,
                             int> = 0>
  JsonValue(T value) : kind(Kind::Number), number(static_cast<double>(value)) {
    if (std::is_signed_v<T> ||
        static_cast<uint64_t>(value) <= static_cast<uint64_t>(INT64_MAX)) {
      integer = static_cast<int64_t>(value);
      integral = true;
    }
  }
  JsonValue(const char *value) : kind(Kind::String), string(value) {}
  JsonValue(std::string value) : kind(Kind::String), string(std::move(value)) {}
  JsonValue(std::string_view value) : kind(Kind::String), string(value) {}

  /// An array holding `items`.
  static JsonValue array(ArrayType items = {});
  /// An object holding `members` (keys are not checked for duplicates).
  static JsonValue object(ObjectType members = {});

  Kind getKind() const { return kind; }
  bool isNull() const { return kind == Kind::Null; }
  bool isBool() const { return kind == Kind::Bool; }
  bool isNumber() const { return kind == Kind::Number; }
  /// True for numbers written (or constructed) as integers that fit int64_t.
  bool isInteger() const { return kind == Kind::Number && integral; }
  bool isString() const { return kind == Kind::String; }
  bool isArray() const { return kind == Kind::Array; }
  bool isObject() const { return kind == Kind::Object; }

  /// The boolean; false when this is not a boolean.
  bool getBool() const { return kind == Kind::Bool && boolValue; }
  /// The number; 0 when this is not a number.
  double getNumber() const { return kind == Kind::Number ? number : 0.0; }
  /// The exact integer; 0 when isInteger() is false.
  int64_t getInteger() const { return isInteger() ? integer : 0; }
  /// The string; empty when this is not a string.
  const std::string &getString() const;
  /// The items; empty when this is not an array.
  const ArrayType &getArray() const;
  /// The members in insertion order; empty when this is not an object.
  const ObjectType &getObject() const;

  /// Number of items (array) or members (object); 0 otherwise.
  size_t size() const;
  /// The member named `key`, or null when absent or when this is not an
  /// object.
  const JsonValue *find(std::string_view key) const;
  JsonValue *find(std::string_view key);

  /// Sets member `key` (replacing an existing one in place, else appending).
  /// Turns a non-object into an empty object first.
  void set(std::string key, JsonValue value);
  /// Appends an item. Turns a non-array into an empty array first.
  void push(JsonValue value);

  /// Structural equality; numbers compare by value, objects by member order.
  bool operator==(const JsonValue &other) const;
  bool operator!=(const JsonValue &other) const { return !(*this == other); }

private:
  Kind kind = Kind::Null;
  bool boolValue = false;
  bool integral = false;
  double number = 0.0;
  int64_t integer = 0;
  std::string string;
  ArrayType items;
  ObjectType members;
};

/// The lower-case name of a kind ("null", "boolean", "number", "string",
/// "array", "object"), for error messages.
const char *getJsonKindName(JsonValue::Kind kind);

/// Default nesting limit of parseJson.
constexpr unsigned kDefaultJsonMaxDepth = 128;

/// Parses `text` as exactly one JSON value surrounded by optional whitespace.
/// Errors read `line:column: what`, e.g. `1:9: expected ':' after object key`.
Expected<JsonValue> parseJson(std::string_view text,
                              unsigned maxDepth = kDefaultJsonMaxDepth);

/// Serializes `value`. Compact output has no whitespace; pretty output puts
/// each array item and object member on its own line, indented by two spaces
/// per level. Integers are written exactly, other numbers in the shortest
/// form that reads back to the same double (with ".0" added when that form
/// looks integral); NaN and infinities, which JSON cannot express, are
/// written as null. Strings are escaped as RFC 8259 requires.
std::string writeJson(const JsonValue &value, bool pretty = false);

/// Appends `text` to `out` as a quoted, escaped JSON string.
void appendJsonString(std::string &out, std::string_view text);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_JSON_H
