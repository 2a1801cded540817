#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/checker.h"

using namespace tcpfsm;

namespace {

using S = State;

struct Outcome {
  std::vector<std::string> verdicts;  // "ok", or "<verdict>: <reason>"
  std::vector<std::string> ended;     // class of each lifecycle that ended
};

// Feeds one socket's states as consecutive transitions: {a, b, c} is a -> b, b -> c.
Outcome run(Checker& c, std::uint64_t cookie, std::vector<S> states) {
  Outcome o;
  for (std::size_t i = 1; i < states.size(); ++i) {
    const auto r = c.observe(cookie, number(states[i - 1]), number(states[i]));
    o.verdicts.push_back(r.verdict.kind == VerdictKind::Ok
                             ? "ok"
                             : std::string(verdict_name(r.verdict.kind)) + ": " + r.verdict.reason);
    if (r.ended) o.ended.push_back(std::string(lifecycle_class_name(r.ended->cls)));
  }
  return o;
}

std::vector<std::string> all_ok(std::size_t n) { return std::vector<std::string>(n, "ok"); }

struct Sequence {
  const char* what;
  std::vector<S> states;
  std::vector<std::string> ended;
};

// Every sequence Linux emits (docs/linux-tcp-transitions.md).
const std::vector<Sequence> kLinuxSequences = {
    {"client, active close", {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::Close}, {"completed"}},
    {"server child, passive close",
     {S::Listen, S::SynRecv, S::Established, S::CloseWait, S::LastAck, S::Close}, {"completed"}},
    {"listener", {S::Close, S::Listen, S::Close}, {"completed"}},
    {"refused connect", {S::Close, S::SynSent, S::Close}, {"failed_connect"}},
    {"simultaneous open",
     {S::Close, S::SynSent, S::SynRecv, S::Established, S::FinWait1, S::FinWait2, S::Close}, {"completed"}},
    {"simultaneous open, closed before established", {S::Close, S::SynSent, S::SynRecv, S::FinWait1, S::FinWait2, S::Close},
     {"completed"}},
    {"simultaneous close",
     {S::Close, S::SynSent, S::Established, S::FinWait1, S::Closing, S::Close}, {"completed"}},
    {"reset while established", {S::Close, S::SynSent, S::Established, S::Close}, {"aborted"}},
    {"Fast Open child that never reports ESTABLISHED",
     {S::Listen, S::SynRecv, S::FinWait1, S::FinWait2, S::Close}, {"completed"}},
    {"Fast Open SYN carrying FIN", {S::Listen, S::SynRecv, S::CloseWait, S::LastAck, S::Close}, {"completed"}},
    {"child reset before established", {S::Listen, S::SynRecv, S::Close}, {"aborted"}},
    {"reset in FIN_WAIT1", {S::Close, S::SynSent, S::Established, S::FinWait1, S::Close}, {"aborted"}},
    {"reset in CLOSE_WAIT", {S::Listen, S::SynRecv, S::Established, S::CloseWait, S::Close}, {"aborted"}},
    {"close after shutdown, active side",
     {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait1, S::FinWait2, S::FinWait2, S::Close},
     {"completed"}},
    {"close after shutdown, passive side",
     {S::Listen, S::SynRecv, S::Established, S::CloseWait, S::LastAck, S::LastAck, S::Close}, {"completed"}},
    {"close after shutdown in CLOSING",
     {S::Close, S::SynSent, S::Established, S::FinWait1, S::Closing, S::Closing, S::Close}, {"completed"}},
    {"ss -K on a listener: CLOSE set twice", {S::Close, S::Listen, S::Close, S::Close}, {"completed"}},
    {"reconnect after connect(AF_UNSPEC)",
     {S::Close, S::SynSent, S::Established, S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::Close},
     {"aborted", "completed"}},
    {"listen again after shutdown(SHUT_RD)", {S::Close, S::Listen, S::Close, S::Listen, S::Close},
     {"completed", "completed"}},
    {"failed connect, then connect again", {S::Close, S::SynSent, S::Close, S::SynSent, S::Close},
     {"failed_connect", "failed_connect"}},
};

}  // namespace

TEST(Checker, EverySequenceLinuxEmitsIsClean) {
  Checker c(Model::Linux);
  std::uint64_t cookie = 1;
  for (const auto& s : kLinuxSequences) {
    const Outcome o = run(c, cookie++, s.states);
    EXPECT_EQ(o.verdicts, all_ok(s.states.size() - 1)) << s.what;
    EXPECT_EQ(o.ended, s.ended) << s.what;
  }
  EXPECT_EQ(c.open_lifecycles(), 0u);
}

TEST(Checker, RfcFlagsEachLinuxOnlyEdgeWithItsMeaning) {
  for (const auto& e : all_edges()) {
    if (e.rfc) continue;
    Checker c(Model::Rfc);
    const auto r = c.observe(1, number(e.from), number(e.to));
    const std::string edge = state_name(number(e.from)) + " -> " + state_name(number(e.to));
    EXPECT_EQ(r.verdict.kind, VerdictKind::Illegal) << edge;
    EXPECT_EQ(r.verdict.reason, edge + " is not in RFC 9293 Figure 5 (Linux: " + std::string(e.label) + ")");
  }
}

TEST(Checker, RfcFlagsTheTimewaitTakeoverOfANormalClose) {
  Checker c(Model::Rfc);
  const Outcome o = run(c, 7, {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::Close});
  EXPECT_EQ(o.verdicts,
            (std::vector<std::string>{"ok", "ok", "ok", "ok",
                                      "illegal: FIN_WAIT2 -> CLOSE is not in RFC 9293 Figure 5 (Linux: timewait "
                                      "takeover (RFC: -> TIME_WAIT))"}));
  EXPECT_EQ(o.ended, std::vector<std::string>{"completed"});
}

TEST(Checker, RfcAcceptsItsOwnDiagram) {
  Checker c(Model::Rfc);
  EXPECT_EQ(run(c, 1, {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::TimeWait, S::Close})
                .verdicts,
            all_ok(6));
  EXPECT_EQ(run(c, 2, {S::Close, S::Listen, S::SynRecv, S::Listen, S::SynSent, S::Established}).verdicts, all_ok(5));
}

TEST(Checker, LinuxFlagsWhatItNeverEmits) {
  Checker c(Model::Linux);
  const Outcome o = run(c, 1, {S::Close, S::SynSent, S::Established, S::FinWait1, S::FinWait2, S::TimeWait});
  EXPECT_EQ(o.verdicts.back(), "illegal: FIN_WAIT2 -> TIME_WAIT is not a transition Linux makes");
  EXPECT_EQ(c.observe(2, number(S::SynRecv), number(S::Listen)).verdict.reason,
            "SYN_RECV -> LISTEN is not a transition Linux makes");
  EXPECT_EQ(c.observe(3, number(S::Established), number(S::SynSent)).verdict.reason,
            "ESTABLISHED -> SYN_SENT is not a transition Linux makes");
}

TEST(Checker, MismatchedOldStateIsAGapNotAnIllegalEdge) {
  Checker c(Model::Linux);
  run(c, 5, {S::Close, S::SynSent, S::Established});
  const auto r = c.observe(5, number(S::FinWait2), number(S::Close));
  EXPECT_EQ(r.verdict.kind, VerdictKind::Gap);
  EXPECT_EQ(r.verdict.reason,
            "FIN_WAIT2 -> CLOSE, but the socket last entered ESTABLISHED: events missing, no loss reported (yet)");
  ASSERT_TRUE(r.ended);
  EXPECT_EQ(r.ended->cls, LifecycleClass::Truncated);
  EXPECT_EQ(c.gaps_explained(), 0u);
}

TEST(Checker, GapAfterAReportedLossIsAttributedToIt) {
  Checker c(Model::Linux);
  run(c, 1, {S::Close, S::SynSent, S::Established});
  run(c, 2, {S::Close, S::SynSent, S::Established});
  c.note_loss(1);
  EXPECT_EQ(c.observe(1, number(S::FinWait2), number(S::Close)).verdict.reason,
            "FIN_WAIT2 -> CLOSE, but the socket last entered ESTABLISHED: events lost (reported)");
  // One lost event explains one gap; the next one is unexplained.
  EXPECT_EQ(c.observe(2, number(S::CloseWait), number(S::LastAck)).verdict.reason,
            "CLOSE_WAIT -> LAST_ACK, but the socket last entered ESTABLISHED: events missing, no loss reported (yet)");
  EXPECT_EQ(c.gaps_explained(), 1u);
}

TEST(Checker, LossReportedAfterTheGapStillExplainsIt) {
  Checker c(Model::Linux);
  run(c, 1, {S::Close, S::SynSent, S::Established});
  run(c, 2, {S::Close, S::SynSent, S::Established});
  run(c, 3, {S::Close, S::SynSent, S::Established});
  c.observe(1, number(S::FinWait2), number(S::Close));  // gap, loss not yet reported
  c.note_loss(0);                                       // a report without losses: that gap stays unexplained
  c.observe(2, number(S::FinWait2), number(S::Close));  // gap
  c.observe(3, number(S::FinWait2), number(S::Close));  // gap
  c.note_loss(5);  // explains the two gaps since the previous report; 3 left for later gaps
  EXPECT_EQ(c.gaps_explained(), 2u);
  c.observe(4, number(S::Close), number(S::SynSent));
  EXPECT_EQ(c.observe(4, number(S::FinWait1), number(S::Close)).verdict.reason,
            "FIN_WAIT1 -> CLOSE, but the socket last entered SYN_SENT: events lost (reported)");
  EXPECT_EQ(c.gaps_explained(), 3u);
}

TEST(Checker, UnknownStateNumber) {
  Checker c(Model::Linux);
  auto r = c.observe(1, number(S::Established), 42);
  EXPECT_EQ(r.verdict.kind, VerdictKind::UnknownState);
  EXPECT_EQ(r.verdict.reason, "ESTABLISHED -> 42: state 42 is not a known TCP state");
  r = c.observe(1, 42, number(S::Close));
  EXPECT_EQ(r.verdict.reason, "42 -> CLOSE: state 42 is not a known TCP state");
  ASSERT_TRUE(r.ended);
  EXPECT_EQ(r.ended->cls, LifecycleClass::Truncated);
  EXPECT_EQ(c.observe(2, -1, 1000).verdict.reason, "-1 -> 1000: state -1 is not a known TCP state");
}

TEST(Checker, KnownStateTheModelNeverReachesIsIllegalNotUnknown) {
  Checker c(Model::Linux);
  const auto r = c.observe(1, number(S::Close), number(S::NewSynRecv));
  EXPECT_EQ(r.verdict.kind, VerdictKind::Illegal);
  EXPECT_EQ(r.verdict.reason, "CLOSE -> NEW_SYN_RECV is not a transition Linux makes");
}

TEST(Checker, LifecycleSeenFromItsMiddleIsTruncated) {
  Checker c(Model::Linux);
  const Outcome o = run(c, 1, {S::Established, S::FinWait1, S::FinWait2, S::Close});
  EXPECT_EQ(o.verdicts, all_ok(3));
  EXPECT_EQ(o.ended, std::vector<std::string>{"truncated"});
}

TEST(Checker, OpenLifecyclesAtTheEnd) {
  Checker c(Model::Linux);
  run(c, 1, {S::Close, S::Listen});                  // a listener, open
  run(c, 2, {S::Close, S::SynSent, S::Established});  // a connection, open
  run(c, 3, {S::Established, S::CloseWait});          // began before tracing: truncated
  run(c, 4, {S::Close, S::SynSent, S::Close});        // ended: not visited
  std::map<std::uint64_t, std::string> seen;
  c.for_each_open([&](std::uint64_t cookie, const Lifecycle& l) {
    seen[cookie] = std::string(lifecycle_class_name(l.cls)) + (l.listener ? " listener " : " connection ") +
                   state_name(l.state);
  });
  EXPECT_EQ(seen, (std::map<std::uint64_t, std::string>{{1, "open listener LISTEN"},
                                                        {2, "open connection ESTABLISHED"},
                                                        {3, "truncated connection CLOSE_WAIT"}}));
}

TEST(Checker, EndedLifecycleSaysWhetherItWasAListener) {
  Checker c(Model::Linux);
  auto r = c.observe(1, number(S::Close), number(S::Listen));
  EXPECT_FALSE(r.ended);
  r = c.observe(1, number(S::Listen), number(S::Close));
  ASSERT_TRUE(r.ended);
  EXPECT_TRUE(r.ended->listener);
  EXPECT_EQ(r.ended->state, number(S::Close));
  r = c.observe(2, number(S::Listen), number(S::SynRecv));  // a child of a listener is a connection
  r = c.observe(2, number(S::SynRecv), number(S::Close));
  ASSERT_TRUE(r.ended);
  EXPECT_FALSE(r.ended->listener);
}

TEST(Checker, NamesOfVerdictsAndClasses) {
  EXPECT_EQ(verdict_name(VerdictKind::Ok), "ok");
  EXPECT_EQ(verdict_name(VerdictKind::Illegal), "illegal");
  EXPECT_EQ(verdict_name(VerdictKind::Gap), "gap");
  EXPECT_EQ(verdict_name(VerdictKind::UnknownState), "unknown_state");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Completed), "completed");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Refused), "refused");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::TimedOut), "timed_out");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Unreachable), "unreachable");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Reset), "reset");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Killed), "killed");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::FailedConnect), "failed_connect");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Aborted), "aborted");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Truncated), "truncated");
  EXPECT_EQ(lifecycle_class_name(LifecycleClass::Open), "open");
}
