#include "common/json_text.h"

#include <charconv>
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

}  // namespace tcpfsm::json
