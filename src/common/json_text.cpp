#include "common/json_text.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/text.h"

namespace tcpfsm::json {

namespace {

// A byte put_string copies as it is: printable ASCII but the quote and the
// backslash. Most strings (comm, addresses, names) are all such bytes.
bool plain(unsigned char c) { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'; }

// "00" to "99": numbers are written two digits at a time.
constexpr auto kPairs = [] {
  std::array<char, 200> pairs{};
  for (int i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

constexpr auto kPowers10 = [] {
  std::array<std::uint64_t, 20> p{};
  p[0] = 1;
  for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();

int decimal_digits(std::uint64_t v) {
  const int guess = std::bit_width(v | 1) * 1233 >> 12;  // about log10(2) * bits: n or n - 1
  const int n = guess + (v >= kPowers10[static_cast<std::size_t>(guess)]);
  return n + (n == 0);  // "0"
}

// The n decimal digits of v ending at end (v < 10^n), leading zeros included.
void put_digits(char* end, std::uint32_t v, int n) {
  for (; n >= 2; n -= 2, v /= 100) {
    end -= 2;
    std::memcpy(end, &kPairs[2 * (v % 100)], 2);
  }
  if (n) *--end = static_cast<char>('0' + v);
}

// The 8 digits of v < 10^8 at p: two halves of four, computed independently.
void put_8_digits(char* p, std::uint32_t v) {
  const std::uint32_t hi = v / 10'000, lo = v % 10'000;
  std::memcpy(p, &kPairs[2 * (hi / 100)], 2);
  std::memcpy(p + 2, &kPairs[2 * (hi % 100)], 2);
  std::memcpy(p + 4, &kPairs[2 * (lo / 100)], 2);
  std::memcpy(p + 6, &kPairs[2 * (lo % 100)], 2);
}

}  // namespace

// Well-formed UTF-8 (common/text.h) goes out as it is: strict JSON parsers
// reject anything else, and so would `tcpfsm check`.
char* put_string(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (std::size_t i = 0; i < s.size();) {
    std::size_t run = i;
    while (run < s.size() && plain(static_cast<unsigned char>(s[run]))) ++run;
    std::memcpy(p, s.data() + i, run - i);
    p += run - i;
    if ((i = run) == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 1;
    if (c == '"' || c == '\\') {
      *p++ = '\\';
      *p++ = static_cast<char>(c);
    } else if (c == '\n') {
      p = std::copy_n("\\n", 2, p);
    } else if (c == '\t') {
      p = std::copy_n("\\t", 2, p);
    } else if (c == '\r') {
      p = std::copy_n("\\r", 2, p);
    } else if (c < 0x20) {
      p = std::copy_n("\\u00", 4, p);
      *p++ = kHex[c >> 4];
      *p++ = kHex[c & 0xF];
    } else if ((n = utf8_len(s, i)) != 0) {
      p = std::copy_n(s.data() + i, n, p);
    } else {
      p = std::copy_n("\\ufffd", 6, p);
      n = 1;
    }
    i += n;
  }
  *p++ = '"';
  return p;
}

bool utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_len(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

char* put_hex(char* p, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (const char c : s) {
    *p++ = kHex[static_cast<unsigned char>(c) >> 4];
    *p++ = kHex[static_cast<unsigned char>(c) & 0xF];
  }
  *p++ = '"';
  return p;
}

// std::to_chars counts the digits with a loop of divisions first, and was a
// fifth of the reader's time in profiles: here a bit count and one compare.
// Numbers of 10^8 and more (ktime_ns, netns, wall clock ns) go eight digits
// at a time in 32-bit arithmetic.
char* put_uint(char* p, std::uint64_t v) {
  const int n = decimal_digits(v);
  char* end = p + n;
  int left = n;
  for (; left > 8; v /= 100'000'000, end -= 8, left -= 8)  // twice at most
    put_8_digits(end - 8, static_cast<std::uint32_t>(v % 100'000'000));
  put_digits(end, static_cast<std::uint32_t>(v), left);
  return p + n;
}

char* put_rfc3339(char* p, std::uint64_t wall_ns) {
  // The date part changes once a second: format it once per second.
  // uint64 ns reach only the year 2554: the date part is always this long.
  constexpr std::size_t kDateLen = sizeof "2026-11-21T07:42:31." - 1;
  static_assert(kDateLen + 10 == kRfc3339Len);
  thread_local std::time_t cached_sec = -1;
  thread_local char date[32] = {};
  const auto sec = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  if (sec != cached_sec) {
    std::tm tm{};
    gmtime_r(&sec, &tm);
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S.", &tm);
    cached_sec = sec;
  }
  p = std::copy_n(date, kDateLen, p);
  const auto ns = static_cast<std::uint32_t>(wall_ns % 1'000'000'000);
  *p = static_cast<char>('0' + ns / 100'000'000);
  put_8_digits(p + 1, ns % 100'000'000);
  p[9] = 'Z';
  return p + 10;
}

void append_string(std::string& out, std::string_view s) {
  const std::size_t at = out.size();
  out.resize(at + string_bound(s.size()));
  out.resize(static_cast<std::size_t>(put_string(out.data() + at, s) - out.data()));
}

void append_hex(std::string& out, std::string_view s) {
  const std::size_t at = out.size();
  out.resize(at + hex_bound(s.size()));
  put_hex(out.data() + at, s);
}

void append_text(std::string& out, std::string_view key, std::string_view text) {
  out.append(",\"").append(key).append("\":");
  append_string(out, text);
  if (utf8(text)) return;
  out.append(",\"").append(key).append("_bytes\":");
  append_hex(out, text);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[kUintMax];
  out.append(buf, put_uint(buf, v));
}

void append_rfc3339(std::string& out, std::uint64_t wall_ns) {
  char buf[kRfc3339Len];
  out.append(buf, put_rfc3339(buf, wall_ns));
}

namespace {

// The decimal number in text[at, at + len), digits only.
std::optional<unsigned> digits(std::string_view text, std::size_t at, std::size_t len) {
  if (at + len > text.size()) return std::nullopt;
  unsigned v = 0;
  for (std::size_t i = at; i < at + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<std::uint64_t> parse_rfc3339(std::string_view t) {
  using namespace std::chrono;
  constexpr std::string_view kShape = "0000-00-00T00:00:00";  // non-digits must match
  if (t.size() < kShape.size() + 1 || t.back() != 'Z') return std::nullopt;
  for (std::size_t i = 0; i < kShape.size(); ++i)
    if (kShape[i] != '0' && t[i] != kShape[i]) return std::nullopt;
  const auto h = digits(t, 11, 2), mi = digits(t, 14, 2), s = digits(t, 17, 2);
  if (!h || !mi || !s || *h > 23 || *mi > 59 || *s > 60) return std::nullopt;
  // The date changes rarely from one record to the next: checked and
  // converted once (as append_rfc3339 formats it once a second).
  constexpr std::size_t kDate = 10;
  thread_local char cached_date[kDate] = {};
  thread_local std::int64_t cached_days = -1;
  if (cached_days < 0 || t.compare(0, kDate, std::string_view(cached_date, kDate)) != 0) {
    const auto y = digits(t, 0, 4), mo = digits(t, 5, 2), d = digits(t, 8, 2);
    if (!y || !mo || !d) return std::nullopt;
    const year_month_day date{year(static_cast<int>(*y)), month(*mo), day(*d)};
    if (!date.ok() || date.year() < year(1970) || date.year() > year(2554)) return std::nullopt;
    std::memcpy(cached_date, t.data(), kDate);
    cached_days = sys_days(date).time_since_epoch().count();
  }

  std::uint64_t frac_ns = 0;
  const std::size_t rest = t.size() - 1 - kShape.size();  // between the seconds and the 'Z'
  if (rest) {
    if (t[kShape.size()] != '.' || rest < 2 || rest > 10) return std::nullopt;
    const auto f = digits(t, kShape.size() + 1, rest - 1);
    if (!f) return std::nullopt;
    frac_ns = *f;
    for (std::size_t n = rest - 1; n < 9; ++n) frac_ns *= 10;
  }
  const auto secs = cached_days * 86'400LL + *h * 3600LL + *mi * 60LL + *s;
  const auto ns = static_cast<unsigned __int128>(secs) * 1'000'000'000u + frac_ns;
  if (ns > UINT64_MAX) return std::nullopt;
  return static_cast<std::uint64_t>(ns);
}

std::optional<std::string> parse_hex(std::string_view hex) {
  const auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2) return std::nullopt;
  std::string bytes(hex.size() / 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    bytes[i] = static_cast<char>(hi << 4 | lo);
  }
  return bytes;
}

}  // namespace tcpfsm::json
