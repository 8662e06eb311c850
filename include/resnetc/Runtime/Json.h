//===- Json.h - JSON values, a hardened reader and a writer -----*- C++ -*-===//
//
// JSON as used by safetensors headers, the compiler's execution plans and
// the cuDNN algorithm cache. Values are nlohmann-json's `ordered_json`
// (objects keep their insertion order); this header adds what the readers
// of untrusted files need on top of it: a parser that rejects duplicate
// object keys and nesting beyond a limit, and whose every error carries its
// position as `line:column: what` (1-based, columns counted in bytes).
//
// nlohmann-json is built here without exceptions, where a throwing member
// (`at`, `get` of the wrong type) aborts: check kinds with `is_*` and look
// members up with `find` or getJsonMember.
//
//===----------------------------------------------------------------------===//

#ifndef RESNETC_RUNTIME_JSON_H
#define RESNETC_RUNTIME_JSON_H

#include "resnetc/Runtime/Status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace resnetc::runtime {

/// A JSON value whose objects keep their members in insertion order.
using JsonValue = nlohmann::ordered_json;

/// Default nesting limit of parseJson.
constexpr unsigned kDefaultJsonMaxDepth = 128;

/// Parses `text` as exactly one JSON value surrounded by optional whitespace
/// (RFC 8259: no comments, UTF-8 validated). Duplicate object keys and
/// nesting deeper than `maxDepth` arrays and objects are errors. Errors read
/// `line:column: what`, e.g. `1:9: duplicate object key "a"`.
Expected<JsonValue> parseJson(std::string_view text,
                              unsigned maxDepth = kDefaultJsonMaxDepth);

/// Serializes `value`. Compact output has no whitespace; pretty output puts
/// each array item and object member on its own line, indented by two spaces
/// per level. Numbers that are not integers are written in the shortest form
/// that reads back to the same double (with ".0" when that form looks
/// integral); NaN and infinities, which JSON cannot express, are written as
/// null; invalid UTF-8 in strings becomes U+FFFD.
std::string writeJson(const JsonValue &value, bool pretty = false);

/// The member `key` of `object`, or null when absent or when `object` is not
/// an object.
const JsonValue *getJsonMember(const JsonValue &object, std::string_view key);

/// The exact value of an integer number that fits int64_t (as written
/// without a fraction or an exponent); nothing for any other value.
std::optional<int64_t> getJsonInteger(const JsonValue &value);

} // namespace resnetc::runtime

#endif // RESNETC_RUNTIME_JSON_H
