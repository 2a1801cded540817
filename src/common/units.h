// Parsers for command-line quantities, with messages that name the problem.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcpfsm {

// "30", "30s", "1.5m", "500ms", "2h", "1d" -> nanoseconds. Throws
// std::invalid_argument with a message on anything else (or negative).
std::chrono::nanoseconds parse_duration(std::string_view text);

// "4096", "64K", "8M", "1G" (binary units, optional "iB"/"B") -> bytes.
std::uint64_t parse_size(std::string_view text);

// "8080" -> 8080: decimal digits only, 1 to 65535 (0 is no port to filter on).
std::uint16_t parse_port(std::string_view text);

// "100" -> 100: decimal digits only (no sign, exponent or hex), from min to max.
std::uint64_t parse_count(std::string_view text, std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);

// "2m13s", "450ms", "3.2s": short human form.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace tcpfsm
