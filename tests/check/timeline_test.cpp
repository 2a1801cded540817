#include "check/timeline.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>

using namespace tcpfsm;

namespace {

constexpr std::uint64_t kMs = 1'000'000, kS = 1000 * kMs, kT0 = 20'775ull * 86'400 * kS;  // 2026-11-17T00:00:00Z

std::uint64_t total(const Timeline& t) {
  std::uint64_t n = 0;
  for (const auto& b : t.buckets()) n += b.transitions;
  return n;
}

}  // namespace

TEST(Timeline, EmptyUntilATime) {
  Timeline t;
  EXPECT_TRUE(t.empty());
  EXPECT_TRUE(t.buckets().empty());
}

TEST(Timeline, ShortSpanIn100msBuckets) {
  Timeline t;
  ++t.at(kT0 + 250 * kMs).transitions;
  ++t.at(kT0 + 299 * kMs).transitions;
  ++t.at(kT0 + 300 * kMs).violations;
  t.at(kT0 + 1 * kS).lost += 7;
  EXPECT_EQ(t.width_ns(), 100 * kMs);
  EXPECT_EQ(t.start_ns(), kT0 + 200 * kMs);
  EXPECT_EQ(t.end_ns(), kT0 + 1100 * kMs);
  ASSERT_EQ(t.buckets().size(), 9u);
  EXPECT_EQ(t.buckets()[0].transitions, 2u);
  EXPECT_EQ(t.buckets()[1].violations, 1u);
  EXPECT_EQ(t.buckets()[8].lost, 7u);
}

TEST(Timeline, WidensToRoundWidthsKeepingEveryCount) {
  Timeline t;
  // One a second for an hour: 3600 s fits 120 buckets of 30 s.
  for (std::uint64_t s = 0; s < 3600; ++s) ++t.at(kT0 + s * kS).transitions;
  EXPECT_EQ(t.width_ns(), 30 * kS);
  EXPECT_EQ(t.buckets().size(), 120u);
  EXPECT_EQ(total(t), 3600u);
  for (const auto& b : t.buckets()) EXPECT_EQ(b.transitions, 30u);
  // A day later: 25 h are 150 buckets of 10 m, 50 of 30 m.
  ++t.at(kT0 + 25 * 3600 * kS).transitions;
  EXPECT_EQ(t.width_ns(), 30 * 60 * kS);
  EXPECT_EQ(total(t), 3601u);
  EXPECT_EQ(t.buckets().front().transitions, 1800u);
  EXPECT_EQ(t.buckets().back().transitions, 1u);
  EXPECT_EQ(t.buckets().size(), 51u);
}

TEST(Timeline, EarlierTimesMoveTheStart) {
  Timeline t;
  ++t.at(kT0 + 10 * kS).transitions;
  ++t.at(kT0 + 5 * kS).transitions;  // a second file from before the first
  EXPECT_EQ(t.width_ns(), 100 * kMs);
  EXPECT_EQ(t.start_ns(), kT0 + 5 * kS);
  ASSERT_EQ(t.buckets().size(), 51u);
  EXPECT_EQ(t.buckets().front().transitions, 1u);
  EXPECT_EQ(t.buckets().back().transitions, 1u);
}

TEST(Timeline, BoundedOverAnySpan) {
  Timeline t;
  ++t.at(0).transitions;
  ++t.at(UINT64_MAX).transitions;
  ++t.at(UINT64_MAX / 2).transitions;
  EXPECT_LE(t.buckets().size(), Timeline::kBuckets);
  EXPECT_EQ(total(t), 3u);
  EXPECT_EQ(t.start_ns(), 0u);
  EXPECT_EQ(t.end_ns(), UINT64_MAX);  // past it, in fact
}
