#include "common/text.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace tcpfsm {
namespace {

// The code point of the well-formed sequence of n >= 2 bytes at s[i].
char32_t code_point(std::string_view s, std::size_t i, std::size_t n) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  char32_t c = at(0) & (0x7F >> n);  // the lead byte's payload
  for (std::size_t k = 1; k < n; ++k) c = (c << 6) | (at(k) & 0x3F);
  return c;
}

// East Asian Wide and Fullwidth blocks, which a terminal gives two columns
// (the ranges of Markus Kuhn's wcwidth). Combining marks are counted as one
// column: they are rare in process names, and the cost is a ragged row.
bool wide(char32_t c) {
  return c >= 0x1100 &&
         (c <= 0x115F || c == 0x2329 || c == 0x232A || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
          (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE10 && c <= 0xFE19) ||
          (c >= 0xFE30 && c <= 0xFE6F) || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) ||
          (c >= 0x1F300 && c <= 0x1F64F) || (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x2FFFD) ||
          (c >= 0x30000 && c <= 0x3FFFD));
}

// Columns of the character at s[i] whose sequence is n bytes long (0 or 1:
// a byte that is not well-formed UTF-8, shown as one column by whoever
// escapes it).
std::size_t columns_of(std::string_view s, std::size_t i, std::size_t n) {
  return n > 1 && wide(code_point(s, i, n)) ? 2 : 1;
}

// Unicode's format characters (General_Category Cf, Unicode 15.1), which a
// terminal does not show but obeys or hides: the bidirectional controls
// (U+200E/F marks, U+202A-202E embeddings and overrides such as U+202E
// RIGHT-TO-LEFT OVERRIDE, U+2066-2069 isolates, U+061C ARABIC LETTER MARK),
// zero-width characters (U+200B-200D, U+2060, U+FEFF), the soft hyphen,
// tags; and the line and paragraph separators U+2028/2029 (Zl, Zp), which
// some viewers break lines at. Any of them can make a name read as another.
bool format_character(char32_t c) {
  constexpr struct {
    char32_t first, last;
  } kRanges[] = {
      {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
      {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},   {0x2028, 0x202E},
      {0x2060, 0x2064},   {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
      {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
      {0xE0020, 0xE007F},
  };
  for (const auto& r : kRanges)
    if (c >= r.first && c <= r.last) return true;
  return false;
}

void append_hex(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

}  // namespace

std::size_t utf8_len(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char lead = at(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;  // below: overlong
    if (lead == 0xED) hi = 0x9F;  // above: surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;  // below: overlong
    if (lead == 0xF4) hi = 0x8F;  // above: past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size() || at(1) < lo || at(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((at(k) & 0xC0) != 0x80) return 0;
  return n;
}

void append_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = utf8_len(s, i);
    const std::size_t unit = std::max<std::size_t>(n, 1);  // a byte of no well-formed sequence stands alone
    if (c == '\\') {
      out += "\\\\";
    } else if (n == 1 && c >= 0x20 && c != 0x7F) {
      out += static_cast<char>(c);
    } else if (n > 1 && !(n == 2 && code_point(s, i, n) <= 0x9F) && !format_character(code_point(s, i, n))) {
      out.append(s.substr(i, n));  // neither C1 nor a format character
    } else {
      for (std::size_t k = 0; k < unit; ++k) append_hex(out, static_cast<unsigned char>(s[i + k]));
    }
    i += unit;
  }
}

std::string escaped(std::string_view s) {
  std::string out;
  append_escaped(out, s);
  return out;
}

std::string_view cut_at(std::string_view s, std::size_t max) {
  std::size_t end = 0;
  while (end < s.size()) {
    const std::size_t unit = std::max<std::size_t>(utf8_len(s, end), 1);
    if (end + unit > max) break;
    end += unit;
  }
  return s.substr(0, end);
}

std::string quote(std::string_view s, std::size_t max) {
  const std::string_view shown = cut_at(s, max);
  std::string out = "\"";
  append_escaped(out, shown);
  out += '"';
  if (shown.size() < s.size()) out += "...";
  return out;
}

std::size_t display_width(std::string_view s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    width += columns_of(s, i, n);
    i += std::max<std::size_t>(n, 1);
  }
  return width;
}

std::string_view cut_to_width(std::string_view s, std::size_t columns) {
  std::size_t end = 0, width = 0;
  while (end < s.size()) {
    const std::size_t n = utf8_len(s, end);
    const std::size_t w = columns_of(s, end, n);
    if (width + w > columns) break;
    width += w;
    end += std::max<std::size_t>(n, 1);
  }
  return s.substr(0, end);
}

std::string_view cut_escaped_to_width(std::string_view s, std::size_t columns) {
  std::size_t end = 0, width = 0;
  while (end < s.size()) {
    // The next unit: an escape, shown as its bytes, or one character.
    std::size_t bytes = 1, w = 1;
    if (s[end] == '\\' && end + 1 < s.size() && s[end + 1] == '\\') {
      bytes = w = 2;  // "\\"
    } else if (s[end] == '\\' && end + 3 < s.size() && s[end + 1] == 'x') {
      bytes = w = 4;  // "\xHH"
    } else if (const std::size_t n = utf8_len(s, end); n > 1) {
      bytes = n;
      w = columns_of(s, end, n);
    }
    if (width + w > columns) break;
    width += w;
    end += bytes;
  }
  return s.substr(0, end);
}

void pad(std::string& out, std::string_view s, std::size_t width) {
  const std::size_t w = display_width(s);
  out += s;
  out.append(width > w ? width - w : 0, ' ');
}

void pad_cells(std::string& out, std::initializer_list<std::pair<std::string_view, std::size_t>> cells) {
  for (const auto& [s, width] : cells) {
    pad(out, s, width);
    out += ' ';
  }
}

void pad_left(std::string& out, std::string_view s, std::size_t width) {
  const std::size_t w = display_width(s);
  out.append(width > w ? width - w : 0, ' ');
  out += s;
}

std::string clock_text(std::uint64_t wall_ns) {
  const auto sec = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm tm{};
  localtime_r(&sec, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string clock_text_us(std::uint64_t wall_ns) {
  char us[16];
  std::snprintf(us, sizeof us, ".%06llu", static_cast<unsigned long long>(wall_ns % 1'000'000'000 / 1000));
  return clock_text(wall_ns) + us;
}

}  // namespace tcpfsm
