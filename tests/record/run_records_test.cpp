// kTotalsCounters, the one description of the run's counters: each row reads
// a counter of its own, and says what its consumers need.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "record/run_records.h"
#include "support/sample_totals.h"

using namespace tcpfsm;

TEST(TotalsCounters, EachRowReadsACounterOfItsOwn) {
  const Totals t = test::sample_totals();
  std::set<std::uint64_t> values;
  std::set<std::string_view> names;
  for (const TotalsCounter& c : kTotalsCounters) {
    EXPECT_NE(c.value(t), 0u) << c.name << ": sample_totals gives it no value";
    EXPECT_TRUE(values.insert(c.value(t)).second) << c.name << " reads what another row reads";
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
  }
  // Every counter of Totals is a row: sample_totals sets 16 of them.
  EXPECT_EQ(values.size(), 16u);
}

TEST(TotalsCounters, TheLossRowsAreTheObjectLostReadFromALossesOfItsOwn) {
  std::vector<std::string_view> keys;
  std::vector<std::uint64_t> values;
  const Totals t = totals_of(Losses{5, 6, 7});
  for (const TotalsCounter& c : kLossCounters) {
    keys.push_back(c.key());
    values.push_back(c.value(t));
    EXPECT_EQ(c.group(), "lost");
  }
  EXPECT_EQ(keys, (std::vector<std::string_view>{"ringbuf", "recursion", "skstate"}));
  EXPECT_EQ(values, (std::vector<std::uint64_t>{5, 6, 7}));
  EXPECT_EQ(totals_of(Losses{5, 6, 7}).transitions, 0u);
}

TEST(TotalsCounters, EachRowSaysItselfInOneSentence) {
  for (const TotalsCounter& c : kTotalsCounters) {
    EXPECT_TRUE(c.help.ends_with('.')) << c.name;
    EXPECT_EQ(c.help.find('\n'), std::string_view::npos) << c.name;
    EXPECT_EQ(c.help.find(". "), std::string_view::npos) << c.name << ": one sentence";
    if (!c.words.empty()) {
      EXPECT_NE(c.words.find("{}"), std::string_view::npos) << c.name;
      EXPECT_EQ(c.words.find("{}"), c.words.rfind("{}")) << c.name;
    }
    if (!c.metric.family.empty()) {
      EXPECT_TRUE(c.metric.family.starts_with("tcpfsm_")) << c.name;
      EXPECT_EQ(c.metric.family.ends_with("_total"), c.metric.type == MetricType::Counter) << c.name;
    }
  }
}
