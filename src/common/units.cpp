#include "common/units.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <stdexcept>

namespace tcpfsm {
namespace {

// Splits "1.5m" into 1.5 and "m"; throws on a missing or malformed number.
std::pair<double, std::string_view> number_and_unit(std::string_view text, const char* what) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || !std::isfinite(v))
    throw std::invalid_argument(std::string("invalid ") + what + " '" + std::string(text) +
                                "': expected a number with an optional unit");
  if (v < 0)
    throw std::invalid_argument(std::string("invalid ") + what + " '" + std::string(text) +
                                "': must not be negative");
  return {v, std::string_view(r.ptr, static_cast<std::size_t>(end - r.ptr))};
}

// Unlike strtoul's, no sign, space, "0x" or exponent gets in.
bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// The value of all_digits() text; nothing when it does not fit in 64 bits.
std::optional<std::uint64_t> decimal(std::string_view text) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text) {
  auto [v, unit] = number_and_unit(text, "duration");
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "m") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  else if (unit == "d") scale = 86400e9;
  else
    throw std::invalid_argument("invalid duration '" + std::string(text) + "': unknown unit '" +
                                std::string(unit) + "' (use ms, s, m, h or d)");
  if (v * scale > 1e18)
    throw std::invalid_argument("invalid duration '" + std::string(text) + "': too long");
  return std::chrono::nanoseconds(static_cast<std::int64_t>(v * scale));
}

std::uint64_t parse_size(std::string_view text) {
  auto [v, unit] = number_and_unit(text, "size");
  if (unit.size() > 2 && unit.ends_with("iB")) unit.remove_suffix(2);  // "KiB", not "iB" alone
  else if (unit.ends_with("B")) unit.remove_suffix(1);
  double scale = 0;
  if (unit.empty()) scale = 1;
  else if (unit == "K" || unit == "k") scale = 1024.0;
  else if (unit == "M") scale = 1024.0 * 1024;
  else if (unit == "G") scale = 1024.0 * 1024 * 1024;
  else
    throw std::invalid_argument("invalid size '" + std::string(text) + "': unknown unit '" +
                                std::string(unit) + "' (use K, M or G)");
  if (v * scale > 1e15)
    throw std::invalid_argument("invalid size '" + std::string(text) + "': too large");
  return static_cast<std::uint64_t>(v * scale);
}

std::uint16_t parse_port(std::string_view text) {
  const std::string quoted = "invalid port '" + std::string(text) + "': ";
  if (!all_digits(text)) throw std::invalid_argument(quoted + "expected a number from 1 to 65535");
  const auto v = decimal(text);
  if (!v || *v < 1 || *v > 65535) throw std::invalid_argument(quoted + "must be from 1 to 65535");
  return static_cast<std::uint16_t>(*v);
}

std::uint64_t parse_count(std::string_view text, std::uint64_t min, std::uint64_t max) {
  const std::string quoted = "invalid count '" + std::string(text) + "': ";
  if (!all_digits(text)) throw std::invalid_argument(quoted + "expected a whole number");
  const auto v = decimal(text);
  if (!v) throw std::invalid_argument(quoted + "too large");
  if (*v < min || *v > max)
    throw std::invalid_argument(quoted + "must be " +
                                (max == UINT64_MAX ? "at least " + std::to_string(min)
                                                   : "from " + std::to_string(min) + " to " + std::to_string(max)));
  return *v;
}

std::string format_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  char buf[48];
  const auto ns = d.count();
  if (ns < 1'000'000) std::snprintf(buf, sizeof buf, "%lldus", static_cast<long long>(ns / 1000));
  else if (ns < 1'000'000'000) std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ns / 1'000'000));
  else if (ns < 60'000'000'000) std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ns) / 1e9);
  else {
    const long long s = ns / 1'000'000'000;
    if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  }
  return buf;
}

}  // namespace tcpfsm
