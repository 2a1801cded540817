#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

#include "check/histogram.h"

using namespace tcpfsm;

TEST(Histogram, EmptyIsAllZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 10; ++v) h.add(v);
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 10u);
  EXPECT_EQ(h.percentile(50), 5u);
  EXPECT_EQ(h.percentile(90), 9u);
  EXPECT_EQ(h.percentile(99), 10u);
  EXPECT_EQ(h.percentile(100), 10u);
}

TEST(Histogram, EqualValuesGiveThatValue) {
  Histogram h;
  for (int i = 0; i < 1000; ++i) h.add(123'456'789);
  EXPECT_EQ(h.percentile(50), 123'456'789u);
  EXPECT_EQ(h.percentile(99), 123'456'789u);
}

TEST(Histogram, PercentileIsWithinASixteenthAbove) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100'000; ++v) h.add(v * 1000);  // 1us .. 100ms
  for (double p : {50.0, 90.0, 99.0}) {
    const double exact = p * 1000.0 * 1000.0;  // nearest rank of p% of 100'000 values, times 1000
    const auto got = static_cast<double>(h.percentile(p));
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(got, exact * (1 + 1.0 / 16)) << p;
  }
  EXPECT_EQ(h.max(), 100'000'000u);
}

TEST(Histogram, ExtremesDoNotOverflow) {
  Histogram h;
  h.add(0);
  h.add(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(100), std::numeric_limits<std::uint64_t>::max());
}

TEST(Histogram, ByBitWidthIsExact) {
  Histogram h;
  for (std::uint64_t v : {std::uint64_t{0}, 1ul, 2ul, 3ul, 4ul, 1000ul, 1023ul, 1024ul, UINT64_MAX}) h.add(v);
  const auto bins = h.by_bit_width();
  std::array<std::uint64_t, 65> want{};
  want[0] = 1;   // 0
  want[1] = 1;   // 1
  want[2] = 2;   // 2, 3
  want[3] = 1;   // 4
  want[10] = 2;  // 1000, 1023: [512, 1024)
  want[11] = 1;  // 1024
  want[64] = 1;
  EXPECT_EQ(bins, want);
}
