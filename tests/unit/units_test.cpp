#include <gtest/gtest.h>

#include <stdexcept>

#include "tcpfsm/port_filter.h"
#include "tcpfsm/event.h"
#include "tcpfsm/units.h"

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
