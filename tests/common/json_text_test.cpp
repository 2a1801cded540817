#include "common/json_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace tcpfsm;

TEST(Rfc3339, ReadsWhatIsWritten) {
  for (std::uint64_t ns :
       {std::uint64_t{0}, 1ul, 1'795'000'000'123'456'789ul, 951'782'400'000'000'000ul /* 2000-02-29 */, UINT64_MAX}) {
    std::string s;
    json::append_rfc3339(s, ns);
    EXPECT_EQ(json::parse_rfc3339(s), ns) << s;
  }
}

TEST(Rfc3339, FractionOfAnyLength) {
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:00:01Z"), 1'000'000'000u);
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:00:01.5Z"), 1'500'000'000u);
  EXPECT_EQ(json::parse_rfc3339("1970-01-01T00:01:00.000001Z"), 60'000'001'000u);
  EXPECT_EQ(json::parse_rfc3339("2026-11-21T07:42:31.123456789Z"), 1'795'246'951'123'456'789u);
}

TEST(Rfc3339, AnythingElseIsNothing) {
  for (const char* bad :
       {"", "x", "2026-11-21T07:42:31", "2026-11-21 07:42:31Z", "2026-11-21T07:42:31.Z",
        "2026-11-21T07:42:31.1234567890Z", "2026-11-21T07:42:31+00:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T07:60:00Z", "1969-12-31T23:59:59Z", "2585-01-01T00:00:00Z",
        "2026-11-21T07:42:31.1a3Z", "+026-11-21T07:42:31Z", "2026-11-21T07:42:31ZZ"})
    EXPECT_EQ(json::parse_rfc3339(bad), std::nullopt) << bad;
}

TEST(Uint, EveryDigitCountAndEdgeAsToString) {
  std::vector<std::uint64_t> values = {0, UINT32_MAX, std::uint64_t{UINT32_MAX} + 1, UINT64_MAX, UINT64_MAX - 1};
  for (std::uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
    values.insert(values.end(), {p - 1, p, p + 1, 10 * p - 1, 10 * p});
  }
  for (std::uint64_t v : values) {
    std::string s;
    json::append_uint(s, v);
    EXPECT_EQ(s, std::to_string(v));
  }
}

TEST(Line, PiecesLongerThanItsBufferComeOutWholeAndInOrder) {
  const std::string long_raw(3000, 'r'), long_text(5000, 'x');
  std::string via_line, via_append = "head";
  via_line = "head";
  {
    json::Line l(via_line);
    l.raw(R"({"a":)").uint(UINT64_MAX).raw(',').string(long_text).raw(long_raw);
    for (int i = 0; i < 200; ++i) l.raw(',').uint(static_cast<std::uint64_t>(i)).string("c\"\n\xff");
    l.rfc3339(1'795'246'951'123'456'789u).raw("}\n");
  }
  via_append += R"({"a":)";
  json::append_uint(via_append, UINT64_MAX);
  via_append += ',';
  json::append_string(via_append, long_text);
  via_append += long_raw;
  for (int i = 0; i < 200; ++i) {
    via_append += ',';
    json::append_uint(via_append, static_cast<std::uint64_t>(i));
    json::append_string(via_append, "c\"\n\xff");
  }
  json::append_rfc3339(via_append, 1'795'246'951'123'456'789u);
  via_append += "}\n";
  EXPECT_EQ(via_line, via_append);
  EXPECT_NE(via_line.find(R"("c\"\n\ufffd")"), std::string::npos);
  EXPECT_NE(via_line.find("2026-11-21T07:42:31.123456789Z}"), std::string::npos);
}

TEST(String, PlainRunsCopiedEscapesAndUtf8AsJsonWants) {
  std::string s;
  json::append_string(s, std::string_view("ab\"\\\t\r\n\x01\x7f" "caf\xc3\xa9" "\xc3(" "\xed\xa0\x80" "z", 20));
  EXPECT_EQ(s, "\"ab\\\"\\\\\\t\\r\\n\\u0001\x7f" "caf\xc3\xa9" "\\ufffd(\\ufffd\\ufffd\\ufffdz\"");
}

TEST(Text, ValidUtf8IsTheStringAlone) {
  std::string s;
  json::append_text(s, "comm", "caf\xc3\xa9 \"x\"");
  EXPECT_EQ(s, ",\"comm\":\"caf\xc3\xa9 \\\"x\\\"\"");
}

// A JSON string cannot hold bytes that are not UTF-8: they go beside it, in hex.
TEST(Text, BytesThatAreNotUtf8AreKeptInHexBesideTheString) {
  std::string s;
  json::append_text(s, "comm", std::string_view("\xff" "a\0\xc3", 4));
  EXPECT_EQ(s, R"(,"comm":"\ufffda\u0000\ufffd","comm_bytes":"ff6100c3")");
  std::string line;
  {
    json::Line l(line);
    l.raw('{').raw(R"("x":1)").text("owner_comm", "\xed\xa0\x80").raw('}');
  }
  EXPECT_EQ(line, R"({"x":1,"owner_comm":"\ufffd\ufffd\ufffd","owner_comm_bytes":"eda080"})");
}

// Longer than the Line's buffer: written straight to its string, in order.
TEST(Text, ALongTextComesOutWholeFromALine) {
  const std::string cmdline = std::string(3000, 'x') + "\x80";
  std::string line;
  {
    json::Line l(line);
    l.raw('{').raw(R"("x":1)").text("cmdline", cmdline).raw('}');
  }
  std::string expected = R"({"x":1)";
  json::append_text(expected, "cmdline", cmdline);
  EXPECT_EQ(line, expected + "}");
  std::string hex;
  for (int i = 0; i < 3000; ++i) hex += "78";
  EXPECT_TRUE(line.ends_with(R"(\ufffd","cmdline_bytes":")" + hex + "80\"}")) << line.substr(line.size() - 80);
}

TEST(Utf8, WellFormedAllThrough) {
  EXPECT_TRUE(json::utf8(""));
  EXPECT_TRUE(json::utf8("plain \x01 ascii"));
  EXPECT_TRUE(json::utf8("\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  for (const char* bad : {"\xff", "a\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x9c"})
    EXPECT_FALSE(json::utf8(bad)) << bad;
}

TEST(Hex, ReadsWhatIsWritten) {
  const std::string bytes("\x00\xff\x10z", 4);
  std::string s;
  json::append_hex(s, bytes);
  EXPECT_EQ(s, "\"00ff107a\"");
  EXPECT_EQ(json::parse_hex("00ff107a"), bytes);
  EXPECT_EQ(json::parse_hex("00FF107A"), bytes);
  EXPECT_EQ(json::parse_hex(""), "");
  for (const char* bad : {"0", "0g", "zz", " 00", "00 "}) EXPECT_FALSE(json::parse_hex(bad)) << bad;
}
