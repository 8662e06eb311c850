//===- JsonTest.cpp - Unit tests of the JSON value, parser and writer -----===//
//
// Covers the accepted language, every class of syntax error with its
// position, the depth limit, and writer round trips.
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

} // namespace

TEST(JsonTest, Scalars) {
  Expected<JsonValue> v = parseJson(" null ");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->isNull());
  EXPECT_TRUE(parseJson("true")->getBool());
  EXPECT_FALSE(parseJson("false")->getBool());
  EXPECT_EQ(parseJson("\"hi\"")->getString(), "hi");
}

TEST(JsonTest, Numbers) {
  Expected<JsonValue> i = parseJson("-9223372036854775808");
  ASSERT_TRUE(i);
  EXPECT_TRUE(i->isInteger());
  EXPECT_EQ(i->getInteger(), INT64_MIN);

  Expected<JsonValue> big = parseJson("18446744073709551616");
  ASSERT_TRUE(big);
  EXPECT_FALSE(big->isInteger());
  EXPECT_DOUBLE_EQ(big->getNumber(), 18446744073709551616.0);

  Expected<JsonValue> f = parseJson("1.5e3");
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->isInteger());
  EXPECT_DOUBLE_EQ(f->getNumber(), 1500.0);

  EXPECT_FALSE(parseJson("2.0")->isInteger());
  EXPECT_TRUE(parseJson("-0")->isInteger());
}

TEST(JsonTest, ObjectsKeepInsertionOrder) {
  Expected<JsonValue> v = parseJson(R"({"b": 1, "a": [true, null], "c": {}})");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->isObject());
  const auto &members = v->getObject();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].first, "b");
  EXPECT_EQ(members[1].first, "a");
  EXPECT_EQ(members[2].first, "c");
  ASSERT_NE(v->find("a"), nullptr);
  EXPECT_EQ(v->find("a")->size(), 2u);
  EXPECT_EQ(v->find("zzz"), nullptr);
}

TEST(JsonTest, StringEscapesAndUnicode) {
  Expected<JsonValue> v =
      parseJson(R"("a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(v->getString(), "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
                            "\xf0\x9f\x98\x80");
  // Raw UTF-8 passes through.
  EXPECT_EQ(parseJson("\"\xc3\xa9\"")->getString(), "\xc3\xa9");
}

TEST(JsonTest, SyntaxErrorsHavePositions) {
  EXPECT_EQ(parseError(""),
            "1:1: expected a JSON value but found end of input");
  EXPECT_EQ(parseError("{\"a\" 1}"),
            "1:6: expected ':' after object key but found character '1'");
  EXPECT_EQ(parseError("{\n  \"a\": 1,\n  \"b\" 2}"),
            "3:7: expected ':' after object key but found character '2'");
  EXPECT_EQ(parseError("[1, 2"),
            "1:6: expected ',' or ']' in array but found end of input");
  EXPECT_EQ(parseError("[1,]"),
            "1:4: expected a JSON value but found character ']'");
  EXPECT_EQ(parseError("{\"a\":1,}"),
            "1:8: expected a string key in object but found character '}'");
  EXPECT_EQ(parseError("1 2"),
            "1:3: unexpected character '2' after the JSON value");
  EXPECT_EQ(parseError("tru"),
            "1:1: expected a JSON value but found character 't'");
  EXPECT_EQ(parseError("\"abc"), "1:1: unterminated string");
  EXPECT_EQ(parseError("\"a\nb\""),
            "1:3: control character in string (must be escaped)");
  EXPECT_EQ(parseError("\"\\x\""), "1:2: invalid escape sequence in string");
  EXPECT_EQ(parseError("\"\\u12g4\""), "1:6: invalid hex digit in \\u escape");
  EXPECT_EQ(parseError("\"\\ud800\""),
            "1:2: unpaired high surrogate in \\u escape");
  EXPECT_EQ(parseError("\"\\udc00\""),
            "1:2: unpaired low surrogate in \\u escape");
  EXPECT_EQ(parseError("\"\xff\""), "1:2: invalid UTF-8 byte in string");
  EXPECT_EQ(parseError("\"\xc0\xaf\""), "1:2: invalid UTF-8 byte in string");
  EXPECT_EQ(parseError("\"\xe0\x80\xaf\""),
            "1:2: invalid UTF-8 sequence in string");
  EXPECT_EQ(parseError("\"\xed\xa0\x80\""),
            "1:2: invalid UTF-8 sequence in string");
  EXPECT_EQ(parseError("\"\xe2\x82"),
            "1:2: truncated UTF-8 sequence in string");
  EXPECT_EQ(parseError("\"\xe2\x82\""),
            "1:2: invalid UTF-8 sequence in string");
  EXPECT_EQ(parseError("012"), "1:1: numbers must not have leading zeros");
  EXPECT_EQ(parseError("-"),
            "1:2: expected a digit in number but found end of input");
  EXPECT_EQ(parseError("1."),
            "1:3: expected a digit after '.' in number but found end of input");
  EXPECT_EQ(parseError("1e+"),
            "1:4: expected a digit in the exponent but found end of input");
  EXPECT_EQ(parseError("1e999"), "1:1: number '1e999' is out of range");
  EXPECT_EQ(parseError("\x01"),
            "1:1: expected a JSON value but found byte 0x01");
  EXPECT_EQ(parseError("NaN"),
            "1:1: expected a JSON value but found character 'N'");
}

TEST(JsonTest, DuplicateKeysAreRejected) {
  EXPECT_EQ(parseError(R"({"a": 1, "a": 2})"),
            "1:10: duplicate object key \"a\"");
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
  v.set("name", "conv\n\"1\"");
  v.set("shape", JsonValue::array({JsonValue(64), JsonValue(3)}));
  v.set("scale", 0.1);
  v.set("whole", 2.0);
  v.set("ok", true);
  v.set("none", nullptr);
  v.set("empty", JsonValue::array());
  v.set("ctrl", std::string("\x01", 1));
  EXPECT_EQ(writeJson(v),
            R"({"name":"conv\n\"1\"","shape":[64,3],"scale":0.1,)"
            R"("whole":2.0,"ok":true,"none":null,"empty":[],"ctrl":"\u0001"})");
  JsonValue small = JsonValue::object();
  small.set("a", JsonValue::array({JsonValue(1), JsonValue::object()}));
  EXPECT_EQ(writeJson(small, /*pretty=*/true),
            "{\n  \"a\": [\n    1,\n    {}\n  ]\n}");
}

TEST(JsonTest, SetReplacesInPlace) {
  JsonValue v = JsonValue::object();
  v.set("a", 1);
  v.set("b", 2);
  v.set("a", 3);
  EXPECT_EQ(writeJson(v), R"({"a":3,"b":2})");
}

TEST(JsonTest, NonFiniteNumbersAreWrittenAsNull) {
  EXPECT_EQ(writeJson(JsonValue(HUGE_VAL)), "null");
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
  EXPECT_EQ(parseJson(writeJson(JsonValue(0.1)))->getNumber(), 0.1);
}

TEST(JsonTest, WrongKindAccessorsAreHarmless) {
  JsonValue v(42);
  EXPECT_EQ(v.getString(), "");
  EXPECT_TRUE(v.getArray().empty());
  EXPECT_TRUE(v.getObject().empty());
  EXPECT_EQ(v.find("x"), nullptr);
  EXPECT_FALSE(v.getBool());
  EXPECT_EQ(JsonValue("s").getNumber(), 0.0);
}
