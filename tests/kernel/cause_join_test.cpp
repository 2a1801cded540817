#include "kernel/cause_join.h"

#include <gtest/gtest.h>

#include "kernel/rst_reasons.h"
#include "model/states.h"
#include "support/kernel_records.h"

namespace tcpfsm {
namespace {

using test::reset_record;

TEST(CauseJoin, AResetBeforeTheTransitionIsTakenByIt) {
  CauseJoin j;
  EXPECT_EQ(j.on_cause(reset_record(7, 1000, TCPFSM_CAUSE_RST_RECEIVED, State::Established)), CauseJoin::Order::Before);
  ReportedCause other, mine;
  j.take(8, 1500, other);  // another socket's end takes nothing
  EXPECT_FALSE(other.kernel.rst_received);
  j.take(7, 1500, mine);
  EXPECT_TRUE(mine.kernel.rst_received);
  EXPECT_FALSE(mine.kernel.rst_sent);
  EXPECT_EQ(j.waiting(), 0u);
  ReportedCause again;  // taken once
  j.take(7, 1600, again);
  EXPECT_FALSE(again.kernel.rst_received);
}

TEST(CauseJoin, AResetSentBeforeCarriesItsReason) {
  CauseJoin j;
  j.on_cause(reset_record(7, 1000, TCPFSM_CAUSE_RST_SENT, State::Established, 5));
  ReportedCause r;
  j.take(7, 1200, r);
  EXPECT_TRUE(r.kernel.rst_sent);
  EXPECT_EQ(r.rst_reason, 5u);
}

TEST(CauseJoin, AResetOnASocketInCloseComesAfterItsTransition) {
  CauseJoin j;
  EXPECT_EQ(j.on_cause(reset_record(7, 1000, TCPFSM_CAUSE_RST_SENT, State::Close)), CauseJoin::Order::After);
  EXPECT_EQ(j.waiting(), 0u);
  ReportedCause r;
  r.add(reset_record(7, 1000, TCPFSM_CAUSE_RST_SENT, State::Close, 11));
  EXPECT_TRUE(r.kernel.rst_sent);
  EXPECT_EQ(r.rst_reason, 11u);
}

TEST(CauseJoin, AResetThatEndedNothingIsNotTakenLater) {
  CauseJoin j;
  j.on_cause(reset_record(7, 1000, TCPFSM_CAUSE_RST_SENT, State::SynRecv));
  ReportedCause r;
  j.take(7, 1000 + CauseJoin::kWindowNs + 1, r);
  EXPECT_FALSE(r.kernel.rst_sent);
  // An old report is forgotten when a new one for the same socket comes.
  j.on_cause(reset_record(9, 1000, TCPFSM_CAUSE_RST_SENT, State::Established));
  j.on_cause(reset_record(9, 1000 + 2 * CauseJoin::kWindowNs, TCPFSM_CAUSE_RST_RECEIVED, State::Established));
  ReportedCause s;
  j.take(9, 1000 + 2 * CauseJoin::kWindowNs + 10, s);
  EXPECT_TRUE(s.kernel.rst_received);
  EXPECT_FALSE(s.kernel.rst_sent);
}

TEST(CauseJoin, StaysBoundedByTheWindow) {
  CauseJoin j;
  for (std::uint64_t i = 0; i < 100'000; ++i)
    j.on_cause(reset_record(i, i * 1000, TCPFSM_CAUSE_RST_SENT, State::SynRecv));  // 1 us apart, none taken
  EXPECT_LE(j.waiting(), CauseJoin::kWindowNs / 1000 + 1024);
}

TEST(RstReasons, NamesComeFromTheEnumWithoutItsPrefix) {
  RstReasons r({{0, "SK_RST_REASON_NOT_SPECIFIED"}, {11, "SK_RST_REASON_TCP_ABORT_ON_CLOSE"}, {3, "OTHER_THING"}});
  EXPECT_EQ(r.name(11), "TCP_ABORT_ON_CLOSE");
  EXPECT_EQ(r.name(0), "NOT_SPECIFIED");
  EXPECT_EQ(r.name(3), "");  // not a reset reason's name
  EXPECT_EQ(r.name(5), "");
  EXPECT_EQ(r.name(TCPFSM_RST_REASON_NONE), "");
}

}  // namespace
}  // namespace tcpfsm
