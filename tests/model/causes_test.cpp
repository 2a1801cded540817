#include "model/causes.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "model/checker.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

using S = State;

Cause of(S from, S to, KernelCause k = {}) { return cause_of(number(from), number(to), k); }

TEST(Causes, WhatTheKernelReportedComesFirstInItsOrder) {
  // ss -K resets the peer and sets ECONNABORTED: killed, not rst_sent.
  EXPECT_EQ(of(S::Established, S::Close, {false, true, ECONNABORTED}), Cause::Killed);
  // A keepalive timeout resets the peer, then sets ETIMEDOUT.
  EXPECT_EQ(of(S::Established, S::Close, {false, true, ETIMEDOUT}), Cause::Timeout);
  EXPECT_EQ(of(S::SynSent, S::Close, {true, false, ECONNREFUSED}), Cause::RstReceived);
  EXPECT_EQ(of(S::CloseWait, S::Close, {true, false, EPIPE}), Cause::RstReceived);
  // Data after close: tcp_reset() (traced as a received reset) on the local
  // abort, then the reset this host sends. The reset is this host's.
  EXPECT_EQ(of(S::FinWait1, S::Close, {true, true, ECONNRESET}), Cause::RstSent);
  EXPECT_EQ(of(S::FinWait2, S::Close, {true, true, ECONNRESET}), Cause::RstSent);
  // The same abort in CLOSE_WAIT: a segment over the peer's FIN with new data past it.
  EXPECT_EQ(of(S::CloseWait, S::Close, {true, true, EPIPE}), Cause::RstSent);
  EXPECT_EQ(of(S::Established, S::Close, {false, true, 0}), Cause::RstSent);
  EXPECT_EQ(of(S::SynSent, S::Close, {false, false, EHOSTUNREACH}), Cause::Unreachable);
  EXPECT_EQ(of(S::SynSent, S::Close, {false, false, ENETUNREACH}), Cause::Unreachable);
  EXPECT_EQ(of(S::Established, S::Close, {false, false, EPROTO}), Cause::Error);
}

TEST(Causes, WithoutAReportTheEdgeSays) {
  EXPECT_EQ(of(S::Established, S::CloseWait), Cause::FinReceived);
  EXPECT_EQ(of(S::SynRecv, S::CloseWait), Cause::FinReceived);
  EXPECT_EQ(of(S::FinWait1, S::Closing), Cause::FinReceived);
  EXPECT_EQ(of(S::Established, S::FinWait1), Cause::Close);
  EXPECT_EQ(of(S::SynRecv, S::FinWait1), Cause::Close);
  EXPECT_EQ(of(S::CloseWait, S::LastAck), Cause::Close);
  EXPECT_EQ(of(S::Listen, S::Close), Cause::Close);
  EXPECT_EQ(of(S::SynSent, S::Close), Cause::Close);
  EXPECT_EQ(of(S::FinWait2, S::Close), Cause::TimeWait);
  EXPECT_EQ(of(S::Closing, S::Close), Cause::TimeWait);
  EXPECT_EQ(of(S::LastAck, S::Close), Cause::FinAcked);
  // Nothing ended, or an end nothing explains.
  EXPECT_EQ(of(S::Close, S::SynSent), Cause::None);
  EXPECT_EQ(of(S::SynSent, S::Established), Cause::None);
  EXPECT_EQ(of(S::FinWait1, S::FinWait2), Cause::None);
  EXPECT_EQ(of(S::FinWait1, S::FinWait1), Cause::None);  // close() after shutdown()
  EXPECT_EQ(of(S::Established, S::Close), Cause::None);
  // A report only explains an end: an error does not make FIN_WAIT1 a timeout.
  EXPECT_EQ(of(S::Established, S::FinWait1, {false, false, ETIMEDOUT}), Cause::Close);
}

TEST(Causes, NamesRoundTripAndAbnormalOnesAreTheKernels) {
  for (const CauseInfo& i : all_causes()) {
    EXPECT_EQ(cause_from_name(i.name), i.cause);
    EXPECT_EQ(cause_name(i.cause), i.name);
    EXPECT_FALSE(i.meaning.empty());
  }
  EXPECT_EQ(cause_name(Cause::None), "");
  EXPECT_EQ(cause_from_name(""), std::nullopt);
  EXPECT_EQ(cause_from_name("rst"), std::nullopt);
  EXPECT_TRUE(is_abnormal(Cause::RstSent));
  EXPECT_TRUE(is_abnormal(Cause::Killed));
  EXPECT_FALSE(is_abnormal(Cause::TimeWait));
  EXPECT_FALSE(is_abnormal(Cause::None));
}

TEST(Causes, ErrnoNames) {
  EXPECT_EQ(errno_name(ECONNREFUSED), "ECONNREFUSED");
  EXPECT_EQ(errno_name(ETIMEDOUT), "ETIMEDOUT");
  EXPECT_EQ(errno_name(ECONNABORTED), "ECONNABORTED");
  EXPECT_EQ(errno_name(250), "errno 250");
}

TEST(Causes, LifecycleClassesFollowTheCauseOfTheEnd) {
  Checker c(Model::Linux);
  auto end = [&](std::uint64_t cookie, std::initializer_list<S> states, Cause cause) {
    std::optional<Lifecycle> ended;
    const S* prev = nullptr;
    for (const S& s : states) {
      if (prev) ended = c.observe(cookie, number(*prev), number(s), &s == states.end() - 1 ? cause : Cause::None).ended;
      prev = &s;
    }
    return ended ? lifecycle_class_name(ended->cls) : "none";
  };
  EXPECT_EQ(end(1, {S::Close, S::SynSent, S::Close}, Cause::RstReceived), "refused");
  EXPECT_EQ(end(2, {S::Close, S::SynSent, S::Close}, Cause::Timeout), "timed_out");
  EXPECT_EQ(end(3, {S::Close, S::SynSent, S::Close}, Cause::Unreachable), "unreachable");
  EXPECT_EQ(end(4, {S::Close, S::SynSent, S::Close}, Cause::Close), "failed_connect");
  EXPECT_EQ(end(5, {S::Close, S::SynSent, S::Established, S::Close}, Cause::RstReceived), "reset");
  EXPECT_EQ(end(6, {S::Close, S::SynSent, S::Established, S::Close}, Cause::RstSent), "reset");
  EXPECT_EQ(end(7, {S::Close, S::SynSent, S::Established, S::Close}, Cause::Killed), "killed");
  EXPECT_EQ(end(8, {S::Close, S::SynSent, S::Established, S::Close}, Cause::Timeout), "timed_out");
  EXPECT_EQ(end(9, {S::Close, S::SynSent, S::Established, S::Close}, Cause::None), "aborted");
  EXPECT_EQ(end(10, {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::Close}, Cause::TimeWait),
            "completed");
}

}  // namespace
}  // namespace tcpfsm
