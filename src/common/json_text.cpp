#include "common/json_text.h"

#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/text.h"

namespace tcpfsm::json {

// Well-formed UTF-8 (common/text.h) goes out as it is: strict JSON parsers
// reject anything else, and so would `tcpfsm check`.
void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (std::size_t n = utf8_len(s, i)) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\\ufffd";
    }
  }
  out += '"';
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_rfc3339(std::string& out, std::uint64_t wall_ns) {
  // The date part changes once a second: format it once per second, and
  // append the whole stamp at once (per-piece appends showed in profiles).
  // uint64 ns reach only the year 2554: the date part is always this long.
  constexpr std::size_t kDateLen = sizeof "2026-11-21T07:42:31." - 1;
  thread_local std::time_t cached_sec = -1;
  thread_local char stamp[kDateLen + 10] = {};  // date, 9 digits of ns, 'Z'
  const auto sec = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  if (sec != cached_sec) {
    std::tm tm{};
    gmtime_r(&sec, &tm);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S.", &tm);
    std::memcpy(stamp, date, kDateLen);
    stamp[kDateLen + 9] = 'Z';
    cached_sec = sec;
  }
  auto ns = wall_ns % 1'000'000'000;
  for (int i = 8; i >= 0; --i, ns /= 10) stamp[kDateLen + i] = static_cast<char>('0' + ns % 10);
  out.append(stamp, sizeof stamp);
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

}  // namespace tcpfsm::json
