//===- Json.cpp - A hardened JSON reader over nlohmann-json ---------------===//
//
// nlohmann-json lexes and parses (iteratively, so deep input cannot exhaust
// the stack) and reports syntax errors with their byte offset. The SAX
// handler here builds the value and adds the checks nlohmann-json leaves
// out: duplicate keys and the nesting limit. To place those errors, the
// parser reads through an iterator that records how far it has read.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Json.h"

#include <iterator>
#include <unordered_set>
#include <vector>

using namespace resnetc::runtime;

namespace {

/// A pointer into the text that records, in `*furthest`, the position just
/// past the last character the parser has read.
class TrackingIterator {
public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *p, const char **furthest)
      : p(p), furthest(furthest) {}
  reference operator*() const { return *p; }
  TrackingIterator &operator++() {
    *furthest = ++p;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator &other) const { return p == other.p; }
  bool operator!=(const TrackingIterator &other) const { return p != other.p; }

private:
  const char *p;
  const char **furthest;
};

/// `line:column: ` of byte `offset` of `text` (1-based, columns in bytes).
std::string describePosition(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  return std::to_string(line) + ":" + std::to_string(offset - lineStart + 1) +
         ": ";
}

/// Builds the value from SAX events, rejecting duplicate keys and nesting
/// beyond the limit. Members are appended to the ordered map's vector
/// directly: looking each key up in it would make an object of n members
/// cost n^2 (the duplicate check uses a hash set per open object instead).
class Builder {
public:
  using number_integer_t = JsonValue::number_integer_t;
  using number_unsigned_t = JsonValue::number_unsigned_t;
  using number_float_t = JsonValue::number_float_t;
  using string_t = JsonValue::string_t;
  using binary_t = JsonValue::binary_t;

  Builder(std::string_view text, const char **furthest, unsigned maxDepth)
      : text(text), furthest(furthest), maxDepth(maxDepth) {}

  JsonValue root;
  std::optional<Error> error;

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(number_integer_t v) { return add(v); }
  bool number_unsigned(number_unsigned_t v) { return add(v); }
  bool number_float(number_float_t v, const string_t &) { return add(v); }
  bool string(string_t &v) { return add(std::move(v)); }
  bool binary(binary_t &) { return fail(offset() - 1, "binary data"); }

  bool start_object(std::size_t) { return open(JsonValue::object()); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(JsonValue::array()); }
  bool end_array() { return close(); }

  bool key(string_t &k) {
    Level &level = stack.back();
    if (!level.keys.insert(k).second)
      return fail(keyStart(), "duplicate object key " + writeJson(k));
    members(*level.value).emplace_back(std::move(k), nullptr);
    return true;
  }

  bool parse_error(std::size_t position, const std::string &,
                   const nlohmann::detail::exception &ex) {
    // nlohmann-json's message reads "[json.exception.parse_error.101] parse
    // error at line 1, column 6: syntax error ..."; keep the last part, and
    // place it by the byte position (1-based: the last byte read).
    std::string_view what = ex.what();
    if (size_t bracket = what.find("] "); bracket != std::string_view::npos)
      what.remove_prefix(bracket + 2);
    if (what.rfind("parse error", 0) == 0)
      if (size_t colon = what.find(": "); colon != std::string_view::npos)
        what.remove_prefix(colon + 2);
    return fail(position == 0 ? 0 : position - 1, std::string(what));
  }

private:
  struct Level {
    JsonValue *value;
    std::unordered_set<std::string> keys;
  };
  using Members = std::vector<std::pair<const std::string, JsonValue>>;

  static Members &members(JsonValue &object) {
    return object.get_ref<JsonValue::object_t &>();
  }

  /// Offset just past the last byte read.
  size_t offset() const { return *furthest - text.data(); }

  /// Offset of the opening quote of the key just read (the parser has read
  /// up to its closing quote): the nearest quote before that is not
  /// escaped, that is, not preceded by an odd number of backslashes.
  size_t keyStart() const {
    size_t close = offset() - 1;
    for (size_t i = close; i-- > 0;) {
      if (text[i] != '"')
        continue;
      size_t slashes = 0;
      while (slashes < i && text[i - 1 - slashes] == '\\')
        ++slashes;
      if (slashes % 2 == 0)
        return i;
    }
    return 0;
  }

  bool fail(size_t at, const std::string &message) {
    if (!error)
      error = Error(describePosition(text, at) + message);
    return false;
  }

  /// Stores `v` as the root, the next array item or the member just keyed;
  /// returns where it went.
  template <class T> JsonValue *store(T &&v) {
    if (stack.empty()) {
      root = JsonValue(std::forward<T>(v));
      return &root;
    }
    JsonValue &top = *stack.back().value;
    if (top.is_array()) {
      top.get_ref<JsonValue::array_t &>().emplace_back(std::forward<T>(v));
      return &top.get_ref<JsonValue::array_t &>().back();
    }
    JsonValue &slot = members(top).back().second;
    slot = JsonValue(std::forward<T>(v));
    return &slot;
  }
  template <class T> bool add(T &&v) {
    store(std::forward<T>(v));
    return true;
  }

  bool open(JsonValue container) {
    if (stack.size() >= maxDepth)
      return fail(offset() - 1, "nesting is deeper than the limit of " +
                                    std::to_string(maxDepth) + " levels");
    stack.push_back(Level{store(std::move(container)), {}});
    return true;
  }
  bool close() {
    stack.pop_back();
    return true;
  }

  std::string_view text;
  const char **furthest;
  unsigned maxDepth;
  std::vector<Level> stack;
};

} // namespace

Expected<JsonValue> resnetc::runtime::parseJson(std::string_view text,
                                                unsigned maxDepth) {
  const char *furthest = text.data();
  Builder builder(text, &furthest, maxDepth);
  TrackingIterator first(text.data(), &furthest),
      last(text.data() + text.size(), &furthest);
  bool ok = JsonValue::sax_parse(first, last, &builder,
                                 JsonValue::input_format_t::json,
                                 /*strict=*/true, /*ignore_comments=*/false);
  if (!ok || builder.error)
    return builder.error
               ? *builder.error
               : Error(describePosition(text, text.size()) + "invalid JSON");
  return std::move(builder.root);
}

std::string resnetc::runtime::writeJson(const JsonValue &value, bool pretty) {
  return value.dump(pretty ? 2 : -1, ' ', /*ensure_ascii=*/false,
                    JsonValue::error_handler_t::replace);
}

const JsonValue *resnetc::runtime::getJsonMember(const JsonValue &object,
                                                 std::string_view key) {
  if (!object.is_object())
    return nullptr;
  for (const auto &[name, value] :
       object.get_ref<const JsonValue::object_t &>())
    if (name == key)
      return &value;
  return nullptr;
}

std::optional<int64_t>
resnetc::runtime::getJsonInteger(const JsonValue &value) {
  if (value.is_number_unsigned()) {
    uint64_t v = value.get<uint64_t>();
    if (v <= static_cast<uint64_t>(INT64_MAX))
      return static_cast<int64_t>(v);
    return std::nullopt;
  }
  if (value.is_number_integer())
    return value.get<int64_t>();
  return std::nullopt;
}
