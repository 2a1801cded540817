// Small, allocation-free JSON writing helpers for the per-event hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpfsm::json {

// Appends s as a JSON string literal; control characters are escaped and
// invalid UTF-8 bytes become U+FFFD, so any comm yields valid JSON.
void append_string(std::string& out, std::string_view s);
void append_uint(std::string& out, std::uint64_t v);
// "2026-11-21T07:42:31.123456789Z"
void append_rfc3339(std::string& out, std::uint64_t wall_ns);
// What append_rfc3339 writes, read back: "YYYY-MM-DDTHH:MM:SS[.F]Z" with 1 to
// 9 fraction digits -> ns since the epoch. Nothing for any other text, a date
// that does not exist, or a time before 1970 or past 2554 (uint64 ns).
std::optional<std::uint64_t> parse_rfc3339(std::string_view text);

}  // namespace tcpfsm::json
