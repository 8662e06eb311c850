//===- JsonTest.cpp - Unit tests of the JSON reader and writer ------------===//
//
// Covers the accepted language, syntax errors with their positions, what the
// reader adds to nlohmann-json (duplicate keys, the depth limit, positions
// of both), and writer round trips.
//
//===----------------------------------------------------------------------===//

#include "resnetc/Runtime/Json.h"

#include <cmath>
#include <gtest/gtest.h>

using namespace resnetc::runtime;

namespace {

/// The error message of parsing `text`, or "OK".
std::string parseError(std::string_view text, unsigned depth = 128) {
  Expected<JsonValue> v = parseJson(text, depth);
  return v ? "OK" : v.error().message();
}

/// Expects parsing `text` to fail at `position` ("line:column") with a
/// message that mentions `what`.
void expectError(std::string_view text, const std::string &position,
                 const std::string &what) {
  std::string message = parseError(text);
  EXPECT_EQ(message.substr(0, position.size() + 2), position + ": ")
      << "input: " << testing::PrintToString(std::string(text))
      << "\nmessage: " << message;
  EXPECT_NE(message.find(what), std::string::npos)
      << "input: " << testing::PrintToString(std::string(text))
      << "\nmessage: " << message;
}

} // namespace

TEST(JsonTest, Scalars) {
  Expected<JsonValue> v = parseJson(" null ");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_null());
  EXPECT_TRUE(parseJson("true")->get<bool>());
  EXPECT_FALSE(parseJson("false")->get<bool>());
  EXPECT_EQ(parseJson("\"hi\"")->get<std::string>(), "hi");
}

TEST(JsonTest, Numbers) {
  Expected<JsonValue> i = parseJson("-9223372036854775808");
  ASSERT_TRUE(i);
  EXPECT_EQ(getJsonInteger(*i), INT64_MIN);

  Expected<JsonValue> big = parseJson("18446744073709551616");
  ASSERT_TRUE(big);
  EXPECT_FALSE(getJsonInteger(*big));
  EXPECT_DOUBLE_EQ(big->get<double>(), 18446744073709551616.0);
  // Above INT64_MAX but within uint64_t: a number, not an int64_t.
  EXPECT_FALSE(getJsonInteger(*parseJson("9223372036854775808")));

  Expected<JsonValue> f = parseJson("1.5e3");
  ASSERT_TRUE(f);
  EXPECT_FALSE(getJsonInteger(*f));
  EXPECT_DOUBLE_EQ(f->get<double>(), 1500.0);

  EXPECT_FALSE(getJsonInteger(*parseJson("2.0")));
  EXPECT_EQ(getJsonInteger(*parseJson("-0")), 0);
}

TEST(JsonTest, ObjectsKeepInsertionOrder) {
  Expected<JsonValue> v = parseJson(R"({"b": 1, "a": [true, null], "c": {}})");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->is_object());
  std::vector<std::string> keys;
  for (const auto &[key, value] : v->items())
    keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "a", "c"}));
  ASSERT_NE(getJsonMember(*v, "a"), nullptr);
  EXPECT_EQ(getJsonMember(*v, "a")->size(), 2u);
  EXPECT_EQ(getJsonMember(*v, "zzz"), nullptr);
}

TEST(JsonTest, StringEscapesAndUnicode) {
  Expected<JsonValue> v =
      parseJson(R"("a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->get<std::string>(), "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
                                   "\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(parseJson("\"\xc3\xa9\"")->get<std::string>(), "\xc3\xa9");
}

TEST(JsonTest, SyntaxErrorsHavePositions) {
  expectError("", "1:1", "unexpected end of input");
  expectError("{\"a\" 1}", "1:6", "expected ':'");
  expectError("{\n  \"a\": 1,\n  \"b\" 2}", "3:7", "expected ':'");
  expectError("[1, 2", "1:6", "unexpected end of input; expected ']'");
  expectError("[1,]", "1:4", "unexpected ']'");
  expectError("{\"a\":1,}", "1:8", "unexpected '}'; expected string literal");
  expectError("1 2", "1:3", "expected end of input");
  expectError("tru", "1:4", "invalid literal");
  expectError("\"abc", "1:5", "missing closing quote");
  expectError("\"a\nb\"", "1:3", "control character U+000A");
  expectError("\"\\x\"", "1:3", "forbidden character after backslash");
  expectError("\"\\u12g4\"", "1:6", "'\\u' must be followed by 4 hex digits");
  expectError("\"\\ud800\"", "1:8", "surrogate U+D800..U+DBFF must be followed");
  expectError("\"\\udc00\"", "1:7", "surrogate U+DC00..U+DFFF must follow");
  expectError("\"\xff\"", "1:2", "ill-formed UTF-8 byte");
  expectError("\"\xc0\xaf\"", "1:2", "ill-formed UTF-8 byte");
  expectError("\"\xe0\x80\xaf\"", "1:3", "ill-formed UTF-8 byte");
  expectError("\"\xed\xa0\x80\"", "1:3", "ill-formed UTF-8 byte");
  expectError("\"\xe2\x82", "1:4", "ill-formed UTF-8 byte");
  expectError("\"\xe2\x82\"", "1:4", "ill-formed UTF-8 byte");
  expectError("012", "1:3", "expected end of input");
  expectError("-", "1:2", "expected digit after '-'");
  expectError("1.", "1:3", "expected digit after '.'");
  expectError("1e+", "1:4", "expected digit after exponent sign");
  expectError("1e999", "1:5", "number overflow parsing '1e999'");
  expectError("\x01", "1:1", "invalid literal");
  expectError("NaN", "1:1", "invalid literal");
  expectError("[1] // comment", "1:5", "expected end of input");
}

TEST(JsonTest, DuplicateKeysAreRejected) {
  EXPECT_EQ(parseError(R"({"a": 1, "a": 2})"),
            "1:10: duplicate object key \"a\"");
  // Placed at the key's opening quote, escapes in it notwithstanding.
  EXPECT_EQ(parseError("{\"a\\\"\": 1,\n \"a\\\"\": 2}"),
            "2:2: duplicate object key \"a\\\"\"");
  // The same key in different objects is fine.
  EXPECT_EQ(parseError(R"({"a": {"a": 1}, "b": {"a": 2}})"), "OK");
}

TEST(JsonTest, DepthLimit) {
  std::string deep(10, '[');
  deep += std::string(10, ']');
  EXPECT_EQ(parseError(deep, 10), "OK");
  EXPECT_EQ(parseError(deep, 9),
            "1:10: nesting is deeper than the limit of 9 levels");
  // Far beyond the default limit: an error, not a stack overflow.
  std::string veryDeep(100000, '[');
  EXPECT_EQ(parseError(veryDeep),
            "1:129: nesting is deeper than the limit of 128 levels");
}

TEST(JsonTest, WriterCompactAndPretty) {
  JsonValue v = JsonValue::object();
  v["name"] = "conv\n\"1\"";
  v["shape"] = JsonValue::array({64, 3});
  v["scale"] = 0.1;
  v["whole"] = 2.0;
  v["ok"] = true;
  v["none"] = nullptr;
  v["empty"] = JsonValue::array();
  v["ctrl"] = std::string("\x01", 1);
  EXPECT_EQ(writeJson(v),
            R"({"name":"conv\n\"1\"","shape":[64,3],"scale":0.1,)"
            R"("whole":2.0,"ok":true,"none":null,"empty":[],"ctrl":"\u0001"})");
  JsonValue small = JsonValue::object();
  small["a"] = JsonValue::array({1, JsonValue::object()});
  EXPECT_EQ(writeJson(small, /*pretty=*/true),
            "{\n  \"a\": [\n    1,\n    {}\n  ]\n}");
}

TEST(JsonTest, SetReplacesInPlace) {
  JsonValue v = JsonValue::object();
  v["a"] = 1;
  v["b"] = 2;
  v["a"] = 3;
  EXPECT_EQ(writeJson(v), R"({"a":3,"b":2})");
}

TEST(JsonTest, NonFiniteNumbersAreWrittenAsNull) {
  EXPECT_EQ(writeJson(JsonValue(HUGE_VAL)), "null");
  EXPECT_EQ(writeJson(JsonValue(std::nan(""))), "null");
}

TEST(JsonTest, InvalidUTF8IsReplacedWhenWritten) {
  EXPECT_EQ(writeJson(JsonValue(std::string("a\xff"))), "\"a\xef\xbf\xbd\"");
}

TEST(JsonTest, RoundTrip) {
  const char *text = R"({"__metadata__":{"format":"pt"},"x":{"dtype":"F32",)"
                     R"("shape":[2,3],"data_offsets":[0,24]},"pi":3.14159,)"
                     R"("neg":-1.5e-07,"u":"\u00e9\ud83d\ude00","big":1e+300})";
  Expected<JsonValue> v = parseJson(text);
  ASSERT_TRUE(v) << v.error().message();
  for (bool pretty : {false, true}) {
    Expected<JsonValue> again = parseJson(writeJson(*v, pretty));
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *v);
  }
  EXPECT_EQ(parseJson(writeJson(JsonValue(0.1)))->get<double>(), 0.1);
}

TEST(JsonTest, MembersOfOtherKindsAreAbsent) {
  EXPECT_EQ(getJsonMember(JsonValue(42), "x"), nullptr);
  EXPECT_EQ(getJsonMember(JsonValue::array({1}), "x"), nullptr);
  EXPECT_FALSE(getJsonInteger(JsonValue("1")));
  EXPECT_FALSE(getJsonInteger(JsonValue(true)));
}
