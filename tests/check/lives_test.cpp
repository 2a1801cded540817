#include <gtest/gtest.h>

#include "check/lives.h"

using namespace tcpfsm;

TEST(Lives, QuantilesAreShownNoMorePreciseThanTheyAre) {
  EXPECT_EQ(life_quantile_text(LifeQuantity::RxBytes, 0), "0");
  EXPECT_EQ(life_quantile_text(LifeQuantity::TxBytes, 1023), "1023");
  EXPECT_EQ(life_quantile_text(LifeQuantity::RxBytes, 9215), "9.0K");  // the bucket of 9000
  EXPECT_EQ(life_quantile_text(LifeQuantity::RxBytes, 1234567), "1.2M");
  EXPECT_EQ(life_quantile_text(LifeQuantity::RxBytes, UINT64_MAX), "16.0E");
  EXPECT_EQ(life_quantile_text(LifeQuantity::Duration, 1'500'000), "1ms");
  EXPECT_EQ(life_quantile_text(LifeQuantity::Srtt, 15), "15us");
}

TEST(Lives, AClassCountsWhatItsLivesDoNotTell) {
  ClassLives c;
  c.add(ConnectionLife{Role::Client, 10, 0, 0, 1, 1, 0, std::nullopt, std::nullopt});
  c.add(ConnectionLife{Role::Server, std::nullopt, 5, std::nullopt, 1, 1, 0, 15, 9});
  EXPECT_EQ(c.count, 2u);
  EXPECT_EQ(c.of(LifeQuantity::Duration).known.count(), 1u);
  EXPECT_EQ(c.of(LifeQuantity::Duration).unknown, 1u);
  EXPECT_EQ(c.of(LifeQuantity::RxBytes).known.max(), 5u);
  EXPECT_EQ(c.of(LifeQuantity::TxBytes).unknown, 1u);
  EXPECT_EQ(c.of(LifeQuantity::Srtt).known.min(), 15u);
}

TEST(Lives, TopKeepsTheLargestAndTheFirstOfEqualOnes) {
  LifeTop top;
  const std::uint64_t keys[] = {3, 7, 3, 1, 9, 3, 3, 2};
  for (std::size_t i = 0; i < std::size(keys); ++i) {
    ListedLife row;
    row.at.line = i + 1;
    if (top.takes(keys[i])) top.add(keys[i], row);
  }
  std::vector<std::uint64_t> lines;
  for (const auto& row : top.rows()) lines.push_back(row.at.line);
  EXPECT_EQ(lines, (std::vector<std::uint64_t>{5, 2, 1, 3, 6}));
  EXPECT_FALSE(top.takes(3));  // as large as the last listed: read later
  EXPECT_TRUE(top.takes(4));
}
