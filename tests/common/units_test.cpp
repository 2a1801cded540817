#include <gtest/gtest.h>

#include <stdexcept>

#include "record/port_filter.h"
#include "tcpfsm/event.h"
#include "common/units.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

TEST(Units, Durations) {
  EXPECT_EQ(parse_duration("30"), 30s);
  EXPECT_EQ(parse_duration("30s"), 30s);
  EXPECT_EQ(parse_duration("1.5m"), 90s);
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("0"), 0s);
}

TEST(Units, BadDurationsNameTheProblem) {
  auto message = [](const char* text) {
    try {
      parse_duration(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("-5s"), "invalid duration '-5s': must not be negative");
  EXPECT_EQ(message("5x"), "invalid duration '5x': unknown unit 'x' (use ms, s, m, h or d)");
  EXPECT_EQ(message(""), "invalid duration '': expected a number with an optional unit");
  EXPECT_EQ(message("abc"), "invalid duration 'abc': expected a number with an optional unit");
  EXPECT_EQ(message("nan"), "invalid duration 'nan': expected a number with an optional unit");
  EXPECT_EQ(message("1e30h"), "invalid duration '1e30h': too long");
}

TEST(Units, Sizes) {
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("8M"), 8u << 20);
  EXPECT_EQ(parse_size("8MiB"), 8u << 20);
  EXPECT_EQ(parse_size("1G"), 1u << 30);
  EXPECT_THROW(parse_size("8T"), std::invalid_argument);
  EXPECT_THROW(parse_size("-1K"), std::invalid_argument);
}

TEST(Units, SizeUnitNeedsItsPrefix) {
  EXPECT_EQ(parse_size("8KiB"), 8192u);
  EXPECT_EQ(parse_size("8B"), 8u);
  // "iB" alone is no unit: it was read as bytes.
  EXPECT_THROW(parse_size("8iB"), std::invalid_argument);
}

// What the command line says of a bad value: the parser's message.
template <class Parse>
std::string rejection(Parse parse) {
  try {
    parse();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "accepted";
}

TEST(Units, Ports) {
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("8080"), 8080);
  EXPECT_EQ(parse_port("065535"), 65535);
  EXPECT_EQ(rejection([] { parse_port("0"); }), "invalid port '0': must be from 1 to 65535");
  EXPECT_EQ(rejection([] { parse_port("65536"); }), "invalid port '65536': must be from 1 to 65535");
  EXPECT_EQ(rejection([] { parse_port("99999999999999999999"); }),
            "invalid port '99999999999999999999': must be from 1 to 65535");
  // strtoul, which CLI11 used, took all of these: "0x50" as 80, "-1" as 65535 wrapped.
  for (const char* text : {"", "abc", "0x50", "-1", "+80", " 80", "80 ", "8e1", "80.0"})
    EXPECT_EQ(rejection([&] { parse_port(text); }),
              "invalid port '" + std::string(text) + "': expected a number from 1 to 65535");
}

TEST(Units, Counts) {
  EXPECT_EQ(parse_count("0"), 0u);
  EXPECT_EQ(parse_count("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_count("7", 1, 1000), 7u);
  EXPECT_EQ(rejection([] { parse_count("0", 1); }), "invalid count '0': must be at least 1");
  EXPECT_EQ(rejection([] { parse_count("1001", 1, 1000); }), "invalid count '1001': must be from 1 to 1000");
  EXPECT_EQ(rejection([] { parse_count("18446744073709551616"); }), "invalid count '18446744073709551616': too large");
  // "-1" was 2^64-1 to CLI11 (strtoull): `trace -n -1` ran without end.
  for (const char* text : {"", "-1", "1e3", "1.5", "0x10", " 1"})
    EXPECT_EQ(rejection([&] { parse_count(text); }), "invalid count '" + std::string(text) + "': expected a whole number");
}

TEST(Units, FormatDuration) {
  EXPECT_EQ(format_duration(450us), "450us");
  EXPECT_EQ(format_duration(450ms), "450ms");
  EXPECT_EQ(format_duration(3200ms), "3.2s");
  EXPECT_EQ(format_duration(133s), "2m13s");
  EXPECT_EQ(format_duration(3h + 5min), "3h05m");
}

TEST(PortFilter, SidesMapToBits) {
  std::array<std::uint8_t, 65536> table{};
  PortFilter f;
  EXPECT_FALSE(f.active());
  f.either = {443};
  f.local = {8080};
  f.remote = {5432, 443};
  EXPECT_TRUE(f.active());
  f.fill(table);
  EXPECT_EQ(table[443], TCPFSM_PORT_LOCAL | TCPFSM_PORT_REMOTE);
  EXPECT_EQ(table[8080], TCPFSM_PORT_LOCAL);
  EXPECT_EQ(table[5432], TCPFSM_PORT_REMOTE);
  int set = 0;
  for (auto b : table) set += b != 0;
  EXPECT_EQ(set, 3);
}
