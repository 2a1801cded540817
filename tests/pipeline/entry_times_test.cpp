#include <gtest/gtest.h>

#include "pipeline/entry_times.h"

using namespace tcpfsm;

TEST(EntryTimes, ConsecutiveEventsOfASocket) {
  EntryTimes t;
  EXPECT_EQ(t.observe(1, 1000, 2, false), std::nullopt);  // CLOSE -> SYN_SENT: first seen
  EXPECT_EQ(t.observe(2, 1100, 10, false), std::nullopt);  // another socket
  EXPECT_EQ(t.observe(1, 1500, 1, false), 500u);           // SYN_SENT lasted 500 ns
  EXPECT_EQ(t.observe(1, 1600, 4, false), 100u);
  EXPECT_EQ(t.observe(2, 9100, 7, false), 8000u);          // -> CLOSE: forgotten
  EXPECT_EQ(t.tracked(), 1u);
  EXPECT_EQ(t.observe(2, 9200, 2, false), std::nullopt);   // reconnect starts over
}

TEST(EntryTimes, AGapMakesTheTimeUnknownThenItRunsAgain) {
  EntryTimes t;
  t.observe(1, 1000, 2, false);
  EXPECT_EQ(t.observe(1, 5000, 4, true), std::nullopt);
  EXPECT_EQ(t.observe(1, 5200, 5, false), 200u);
}

TEST(EntryTimes, CloseForgetsTheSocket) {
  EntryTimes t;
  t.observe(1, 1000, 10, false);
  EXPECT_EQ(t.observe(1, 3000, 7, false), 2000u);
  EXPECT_EQ(t.tracked(), 0u);
}
