// Terminal-safe text: what any process can name itself, or a log can hold,
// must reach a terminal as inert text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "common/text.h"

using namespace tcpfsm;
using namespace std::string_literals;

TEST(Escaped, TerminalControlsBecomeHex) {
  EXPECT_EQ(escaped("\x1b"), R"(\x1b)");                                                 // ESC
  EXPECT_EQ(escaped("\a"), R"(\x07)");                                                   // BEL
  EXPECT_EQ(escaped("\x1b[2J"), R"(\x1b[2J)");                                           // CSI: clear screen
  EXPECT_EQ(escaped("\x1b]0;owned\x07\x1b[2J"), R"(\x1b]0;owned\x07\x1b[2J)");           // retitle, clear
  EXPECT_EQ(escaped("\x7f"), R"(\x7f)");                                                 // DEL
  EXPECT_EQ(escaped("a\nb\tc\rd"), R"(a\x0ab\x09c\x0dd)");
  EXPECT_EQ(escaped("a\0b"s), R"(a\x00b)");
  EXPECT_EQ(escaped("\x1f"), R"(\x1f)");
}

TEST(Escaped, C1ControlsInUtf8BecomeHex) {
  // U+009B is CSI on its own: "\xc2\x9b" "2J" clears some terminals.
  EXPECT_EQ(escaped("\xc2\x9b" "2J"), R"(\xc2\x9b2J)");
  EXPECT_EQ(escaped("\xc2\x80"), R"(\xc2\x80)");  // U+0080, the first C1
  EXPECT_EQ(escaped("\xc2\x9f"), R"(\xc2\x9f)");  // U+009F, the last
  EXPECT_EQ(escaped("\xc2\xa0"), "\xc2\xa0");     // U+00A0 (no-break space) is printable
}

// A name with U+202E RIGHT-TO-LEFT OVERRIDE shows "evil\u202Egpj.exe" as
// "evilexe.jpg"; zero-width characters make two names look the same.
TEST(Escaped, BidiControlsAndFormatCharactersBecomeHex) {
  EXPECT_EQ(escaped("evil\xe2\x80\xaegpj.exe"), R"(evil\xe2\x80\xaegpj.exe)");  // U+202E RLO
  EXPECT_EQ(escaped("\xe2\x80\xaa"), R"(\xe2\x80\xaa)");                        // U+202A LRE
  EXPECT_EQ(escaped("\xe2\x80\xad"), R"(\xe2\x80\xad)");                        // U+202D LRO
  EXPECT_EQ(escaped("\xe2\x81\xa6"), R"(\xe2\x81\xa6)");                        // U+2066 LRI
  EXPECT_EQ(escaped("\xe2\x81\xa7"), R"(\xe2\x81\xa7)");                        // U+2067 RLI
  EXPECT_EQ(escaped("\xe2\x81\xa8"), R"(\xe2\x81\xa8)");                        // U+2068 FSI
  EXPECT_EQ(escaped("\xe2\x81\xa9"), R"(\xe2\x81\xa9)");                        // U+2069 PDI
  EXPECT_EQ(escaped("\xe2\x80\x8e"), R"(\xe2\x80\x8e)");                        // U+200E LRM
  EXPECT_EQ(escaped("\xe2\x80\x8f"), R"(\xe2\x80\x8f)");                        // U+200F RLM
  EXPECT_EQ(escaped("\xd8\x9c"), R"(\xd8\x9c)");                                // U+061C ALM
  EXPECT_EQ(escaped("a\xe2\x80\x8b" "b"), R"(a\xe2\x80\x8bb)");                 // U+200B zero width space
  EXPECT_EQ(escaped("\xe2\x80\x8c"), R"(\xe2\x80\x8c)");                        // U+200C ZWNJ
  EXPECT_EQ(escaped("\xe2\x80\x8d"), R"(\xe2\x80\x8d)");                        // U+200D ZWJ
  EXPECT_EQ(escaped("\xe2\x81\xa0"), R"(\xe2\x81\xa0)");                        // U+2060 word joiner
  EXPECT_EQ(escaped("\xef\xbb\xbf" "x"), R"(\xef\xbb\xbfx)");                   // U+FEFF BOM
  EXPECT_EQ(escaped("\xc2\xad"), R"(\xc2\xad)");                                // U+00AD soft hyphen
  EXPECT_EQ(escaped("\xe2\x80\xa8"), R"(\xe2\x80\xa8)");                        // U+2028 line separator
  EXPECT_EQ(escaped("\xe2\x80\xa9"), R"(\xe2\x80\xa9)");                        // U+2029 paragraph separator
  EXPECT_EQ(escaped("\xf3\xa0\x80\x81"), R"(\xf3\xa0\x80\x81)");                // U+E0001 language tag
  EXPECT_EQ(escaped("\xf3\xa0\x81\xbf"), R"(\xf3\xa0\x81\xbf)");                // U+E007F cancel tag
  EXPECT_EQ(escaped("\xf0\x93\x90\xbf"), R"(\xf0\x93\x90\xbf)");                // U+1343F (Unicode 15)
  // Their neighbours are printable.
  EXPECT_EQ(escaped("\xe2\x80\x8a"), "\xe2\x80\x8a");          // U+200A hair space
  EXPECT_EQ(escaped("\xe2\x80\xaf"), "\xe2\x80\xaf");          // U+202F narrow no-break space
  EXPECT_EQ(escaped("\xe2\x80\xa7"), "\xe2\x80\xa7");          // U+2027 hyphenation point
  EXPECT_EQ(escaped("\xd8\x9b"), "\xd8\x9b");                  // U+061B Arabic semicolon
  EXPECT_EQ(escaped("\xef\xbb\xbe"), "\xef\xbb\xbe");          // U+FEFE
  EXPECT_EQ(escaped("\xf3\xa0\x82\x80"), "\xf3\xa0\x82\x80");  // U+E0080
}

// Each output that shows a name quotes it through escaped(): a quoted
// message too.
TEST(Quote, EscapesFormatCharacters) {
  EXPECT_EQ(quote("a\xe2\x80\xae" "b"), R"("a\xe2\x80\xaeb")");
}

TEST(Escaped, BytesOutsideWellFormedUtf8BecomeHex) {
  EXPECT_EQ(escaped("\xff"), R"(\xff)");
  EXPECT_EQ(escaped("a\xff\xfe" "b"), R"(a\xff\xfeb)");
  EXPECT_EQ(escaped("\xe6\x97"), R"(\xe6\x97)");                  // 日 cut short
  EXPECT_EQ(escaped("\xe6\x97\xa5\xe6\x97"), "\xe6\x97\xa5" R"(\xe6\x97)");  // 日, then half of 本
  EXPECT_EQ(escaped("\xe6\x97" "a"), R"(\xe6\x97a)");            // cut short by an ASCII byte
  EXPECT_EQ(escaped("\x9b"), R"(\x9b)");                          // a lone continuation byte
  EXPECT_EQ(escaped("\xc0\xaf"), R"(\xc0\xaf)");                  // overlong "/"
  EXPECT_EQ(escaped("\xed\xa0\x80"), R"(\xed\xa0\x80)");          // surrogate U+D800
  EXPECT_EQ(escaped("\xf4\x90\x80\x80"), R"(\xf4\x90\x80\x80)");  // past U+10FFFF
}

TEST(Escaped, PrintableTextPassesThrough) {
  std::string ascii;
  for (char c = 0x20; c < 0x7f; ++c)
    if (c != '\\') ascii += c;
  EXPECT_EQ(escaped(ascii), ascii);
  EXPECT_EQ(escaped("caf\xc3\xa9"), "caf\xc3\xa9");                 // café
  EXPECT_EQ(escaped("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac");  // 日本
  EXPECT_EQ(escaped("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");       // 😀
  EXPECT_EQ(escaped(""), "");
}

TEST(Escaped, BackslashIsEscapedSoEscapesCannotBeForged) {
  EXPECT_EQ(escaped(R"(a\b)"), R"(a\\b)");
  // A process named with the text "\x1b" is told apart from one named ESC.
  EXPECT_EQ(escaped(R"(\x1b)"), R"(\\x1b)");
  EXPECT_NE(escaped(R"(\x1b)"), escaped("\x1b"));
}

TEST(Escaped, AppendsToWhatIsThere) {
  std::string out = "comm=";
  append_escaped(out, "\x1b" "x");
  EXPECT_EQ(out, R"(comm=\x1bx)");
}

TEST(Utf8Len, WellFormedSequencesOnly) {
  EXPECT_EQ(utf8_len("a", 0), 1u);
  EXPECT_EQ(utf8_len("\xc3\xa9", 0), 2u);
  EXPECT_EQ(utf8_len("\xe6\x97\xa5", 0), 3u);
  EXPECT_EQ(utf8_len("\xf0\x9f\x98\x80", 0), 4u);
  EXPECT_EQ(utf8_len("a\xc3\xa9", 1), 2u);
  EXPECT_EQ(utf8_len("\xff", 0), 0u);
  EXPECT_EQ(utf8_len("\xe6\x97", 0), 0u);
  EXPECT_EQ(utf8_len("\xe0\x80\x80", 0), 0u);  // overlong
}

TEST(CutAt, NeverHalvesASequence) {
  EXPECT_EQ(cut_at("abc", 5), "abc");
  EXPECT_EQ(cut_at("abc", 2), "ab");
  EXPECT_EQ(cut_at("\xe6\x97\xa5\xe6\x9c\xac", 4), "\xe6\x97\xa5");
  EXPECT_EQ(cut_at("\xe6\x97\xa5\xe6\x9c\xac", 6), "\xe6\x97\xa5\xe6\x9c\xac");
  EXPECT_EQ(cut_at("a\xff\xff", 2), "a\xff");  // a stray byte is a unit of its own
}

TEST(Quote, QuotesEscapesAndCuts) {
  EXPECT_EQ(quote("FIN_WAIT9"), R"("FIN_WAIT9")");
  EXPECT_EQ(quote("\x1b[2J"), R"("\x1b[2J")");
  EXPECT_EQ(quote(std::string(70, 'x')), '"' + std::string(64, 'x') + "\"...");
  EXPECT_EQ(quote(std::string(64, 'x')), '"' + std::string(64, 'x') + '"');
  // Cut at a character boundary: 63 bytes and 日 (3 bytes) make 66.
  EXPECT_EQ(quote(std::string(63, 'x') + "\xe6\x97\xa5"), '"' + std::string(63, 'x') + "\"...");
  // The limit counts bytes of the input, not of the escaped text.
  EXPECT_EQ(quote("\x1b\x1b", 1), R"("\x1b"...)");
}

TEST(DisplayWidth, ColumnsNotBytes) {
  EXPECT_EQ(display_width("curl"), 4u);
  EXPECT_EQ(display_width(R"(\x1b]0;owned\x07)"), 16u);  // escaped text: its length
  EXPECT_EQ(display_width("caf\xc3\xa9"), 4u);             // café
  EXPECT_EQ(display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4u);  // 日本: two wide characters
  EXPECT_EQ(display_width("\xef\xbc\xa1"), 2u);              // Ａ (fullwidth)
  EXPECT_EQ(display_width(""), 0u);
}

TEST(CutToWidth, ColumnsNotBytesAndNeverHalvesASequence) {
  EXPECT_EQ(cut_to_width("curl", 2), "cu");
  EXPECT_EQ(cut_to_width("curl", 10), "curl");
  EXPECT_EQ(cut_to_width("caf\xc3\xa9!", 4), "caf\xc3\xa9");
  EXPECT_EQ(cut_to_width("\xe6\x97\xa5\xe6\x9c\xac", 3), "\xe6\x97\xa5");  // 日 fits, 本 would need columns 3-4
  EXPECT_EQ(cut_to_width("\xe6\x97\xa5", 1), "");
  EXPECT_EQ(cut_to_width("a\xff" "b", 2), "a\xff");  // a stray byte: one column, whoever escapes it
  EXPECT_EQ(cut_to_width("abc", 0), "");
}

TEST(CutEscapedToWidth, NeverHalvesAnEscape) {
  const std::string e = escaped("ab\x01\x02\x03");  // ab\x01\x02\x03
  EXPECT_EQ(e, R"(ab\x01\x02\x03)");
  EXPECT_EQ(cut_escaped_to_width(e, 14), R"(ab\x01\x02\x03)");
  EXPECT_EQ(cut_escaped_to_width(e, 13), R"(ab\x01\x02)");  // not "ab\x01\x02\x0"
  EXPECT_EQ(cut_escaped_to_width(e, 10), R"(ab\x01\x02)");
  EXPECT_EQ(cut_escaped_to_width(e, 9), R"(ab\x01)");
  EXPECT_EQ(cut_escaped_to_width(e, 3), "ab");
  EXPECT_EQ(cut_escaped_to_width(escaped(R"(a\b)"), 2), "a");      // not "a\"
  EXPECT_EQ(cut_escaped_to_width(escaped(R"(a\b)"), 3), R"(a\\)");
  EXPECT_EQ(cut_escaped_to_width(escaped("\xe2\x80\xae" "x"), 12), R"(\xe2\x80\xae)");
  EXPECT_EQ(cut_escaped_to_width(escaped("\xe2\x80\xae" "x"), 11), R"(\xe2\x80)");
  EXPECT_EQ(cut_escaped_to_width("caf\xc3\xa9!", 4), "caf\xc3\xa9");           // as cut_to_width
  EXPECT_EQ(cut_escaped_to_width("\xe6\x97\xa5\xe6\x9c\xac", 3), "\xe6\x97\xa5");
  EXPECT_EQ(cut_escaped_to_width("abc", 0), "");
}

TEST(Pad, FillsToTheColumnByDisplayWidth) {
  const auto left = [](std::string_view s, std::size_t width) {
    std::string out = "|";
    pad(out, s, width);
    return out;
  };
  const auto right = [](std::string_view s, std::size_t width) {
    std::string out = "|";
    pad_left(out, s, width);
    return out;
  };
  EXPECT_EQ(left("ab", 5), "|ab   ");
  EXPECT_EQ(left("caf\xc3\xa9", 6), "|caf\xc3\xa9  ");
  EXPECT_EQ(left("\xe6\x97\xa5\xe6\x9c\xac", 6), "|\xe6\x97\xa5\xe6\x9c\xac  ");
  EXPECT_EQ(left("too wide", 3), "|too wide");
  EXPECT_EQ(right("42", 5), "|   42");
  EXPECT_EQ(right("\xe6\x97\xa5", 3), "| \xe6\x97\xa5");
  EXPECT_EQ(right("12345", 2), "|12345");
}

TEST(ClockText, LocalTimeOfDay) {
  setenv("TZ", "UTC", 1);
  tzset();
  constexpr std::uint64_t kWall = 1'795'246'951'000'001'500ULL;  // 2026-11-21T07:42:31.000001500Z
  EXPECT_EQ(clock_text(kWall), "07:42:31");
  EXPECT_EQ(clock_text_us(kWall), "07:42:31.000001");
  EXPECT_EQ(clock_text_us(kWall + 999'998'000), "07:42:31.999999");
}
