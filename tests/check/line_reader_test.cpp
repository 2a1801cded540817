#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "check/line_reader.h"

using namespace tcpfsm;

namespace {

// Each line as "<number>:<text>" plus its flags: "+crlf", "+long(<len>)", "+torn".
std::vector<std::string> lines_of(const std::string& input, std::size_t max_line = LineReader::kMaxLine) {
  std::istringstream in(input);
  LineReader r(in, max_line);
  LineReader::Line l;
  std::vector<std::string> out;
  while (r.next(l)) {
    std::string s = std::to_string(l.number) + ":" + std::string(l.text);
    if (l.crlf) s += "+crlf";
    if (l.too_long) s += "+long(" + std::to_string(l.length) + ")";
    if (l.unterminated) s += "+torn";
    out.push_back(s);
  }
  EXPECT_FALSE(r.read_failed());
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST(LineReader, SplitsOnNewlines) { EXPECT_EQ(lines_of("a\nbb\n\nccc\n"), (V{"1:a", "2:bb", "3:", "4:ccc"})); }

TEST(LineReader, EmptyInputHasNoLines) { EXPECT_EQ(lines_of(""), V{}); }

TEST(LineReader, CrlfIsStrippedAndFlagged) {
  EXPECT_EQ(lines_of("a\r\nb\n\r\n"), (V{"1:a+crlf", "2:b", "3:+crlf"}));
  // A carriage return inside a line is content.
  EXPECT_EQ(lines_of("a\rb\n"), (V{"1:a\rb"}));
}

TEST(LineReader, LastLineWithoutNewlineIsFlagged) {
  EXPECT_EQ(lines_of("a\nbc"), (V{"1:a", "2:bc+torn"}));
  EXPECT_EQ(lines_of("a\r"), (V{"1:a\r+torn"}));
}

TEST(LineReader, LineAtTheLimitIsKeptAndOneLongerIsSkipped) {
  EXPECT_EQ(lines_of("12345\n123456\nok\n", 5), (V{"1:12345", "2:+long(6)", "3:ok"}));
}

TEST(LineReader, LongLineSpanningManyReadsIsSkippedWhole) {
  const std::string huge(3 * LineReader::kMaxLine + 12345, 'x');
  EXPECT_EQ(lines_of("first\n" + huge + "\nlast\n"),
            (V{"1:first", "2:+long(" + std::to_string(huge.size()) + ")", "3:last"}));
  EXPECT_EQ(lines_of("first\n" + huge),
            (V{"1:first", "2:+long(" + std::to_string(huge.size()) + ")+torn"}));
}

TEST(LineReader, ManyLinesAcrossBufferRefills) {
  std::string input;
  for (int i = 0; i < 100000; ++i) input += "line " + std::to_string(i) + "\n";
  const V got = lines_of(input);
  ASSERT_EQ(got.size(), 100000u);
  EXPECT_EQ(got.front(), "1:line 0");
  EXPECT_EQ(got[54321], "54322:line 54321");
  EXPECT_EQ(got.back(), "100000:line 99999");
}
