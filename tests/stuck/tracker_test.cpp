// The tracker: dumps say what exists, transitions say since when.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "stuck_scan/tracker.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kSec = 1'000'000'000;
constexpr std::uint64_t kStart = 1000 * kSec;
constexpr int kEstablished = 1, kFinWait1 = 4, kFinWait2 = 5, kClose = 7, kCloseWait = 8, kLastAck = 9;

DiagSocket sock(std::uint64_t cookie, int state, std::uint16_t lport = 8080, std::uint16_t rport = 40000) {
  DiagSocket s;
  s.cookie = cookie;
  s.state = state;
  inet_pton(AF_INET, "127.0.0.1", s.local.addr.data());
  inet_pton(AF_INET, "127.0.0.1", s.remote.addr.data());
  s.local.port = lport;
  s.remote.port = rport;
  s.ino = 500 + static_cast<std::uint32_t>(cookie);
  return s;
}

StuckTracker tracker(std::chrono::nanoseconds min_age, std::vector<State> states = {State::CloseWait},
                     bool by_endpoints = false) {
  return StuckTracker({std::move(states), min_age, 60s, by_endpoints, false, {}}, kStart);
}

}  // namespace

TEST(StuckTracker, SocketsFromBeforeTheStartAreLowerBounds) {
  auto t = tracker(0s);
  auto r = t.refresh(std::vector{sock(1, kCloseWait)}, kStart, kStart + 5'000'000);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::LowerBound);
  EXPECT_EQ(r.stuck[0].age.value, 5ms);  // never 0: since the start
  EXPECT_EQ(r.newly, std::vector<std::size_t>{0});

  r = t.refresh(std::vector{sock(1, kCloseWait)}, kStart + 2 * kSec, kStart + 2 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
  EXPECT_TRUE(r.newly.empty());  // reported once
}

TEST(StuckTracker, KernelEstimateWhenItKnowsMore) {
  auto t = tracker(30s);
  DiagSocket s = sock(1, kCloseWait);
  s.last_ack_recv_ms = 95'000;
  auto r = t.refresh(std::vector{s}, kStart, kStart + kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Estimate);
  EXPECT_EQ(r.stuck[0].age.value, 95s);
}

TEST(StuckTracker, MeasuredOnceOlderThanMinAge) {
  auto t = tracker(30s);
  t.refresh({}, kStart, kStart);
  t.on_transition(7, kEstablished, kCloseWait, kStart + kSec);
  auto r = t.refresh(std::vector{sock(7, kCloseWait)}, kStart + 2 * kSec, kStart + 2 * kSec);
  EXPECT_TRUE(r.stuck.empty());
  EXPECT_EQ(r.younger, 1u);
  EXPECT_EQ(r.unknown_age, 0u);

  r = t.refresh(std::vector{sock(7, kCloseWait)}, kStart + 31 * kSec, kStart + 31 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Measured);
  EXPECT_EQ(r.stuck[0].age.value, 30s);
  EXPECT_EQ(r.newly.size(), 1u);
}

TEST(StuckTracker, LeavingYieldsUnstuckWithTheNewState) {
  auto t = tracker(1s);
  t.refresh({}, kStart, kStart);
  t.on_transition(7, kEstablished, kCloseWait, kStart + kSec);
  t.refresh(std::vector{sock(7, kCloseWait)}, kStart + 3 * kSec, kStart + 3 * kSec);
  t.on_transition(7, kCloseWait, kLastAck, kStart + 4 * kSec);
  t.on_transition(7, kLastAck, kClose, kStart + 4 * kSec + 1);
  auto r = t.refresh({}, kStart + 5 * kSec, kStart + 5 * kSec);
  EXPECT_TRUE(r.stuck.empty());
  ASSERT_EQ(r.unstuck.size(), 1u);
  EXPECT_EQ(r.unstuck[0].new_state, kLastAck);
  EXPECT_EQ(r.unstuck[0].stuck_for.value, 3s);  // entered at +1s, left at +4s
  EXPECT_EQ(r.unstuck[0].stuck_for.kind, AgeKind::Measured);
  EXPECT_EQ(r.unstuck[0].sock.ino, 507u);  // as last seen

  r = t.refresh({}, kStart + 6 * kSec, kStart + 6 * kSec);
  EXPECT_TRUE(r.unstuck.empty());  // once
}

TEST(StuckTracker, NotReportedSocketsLeaveSilently) {
  auto t = tracker(30s);
  t.refresh({}, kStart, kStart);
  t.on_transition(7, kEstablished, kCloseWait, kStart + kSec);
  t.refresh(std::vector{sock(7, kCloseWait)}, kStart + 2 * kSec, kStart + 2 * kSec);
  t.on_transition(7, kCloseWait, kLastAck, kStart + 3 * kSec);
  auto r = t.refresh({}, kStart + 4 * kSec, kStart + 4 * kSec);
  EXPECT_TRUE(r.unstuck.empty());
}

TEST(StuckTracker, GoneWithoutATransitionHasNoNewState) {
  auto t = tracker(0s);
  t.refresh(std::vector{sock(1, kCloseWait)}, kStart, kStart + kSec);
  auto r = t.refresh({}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.unstuck.size(), 1u);
  EXPECT_FALSE(r.unstuck[0].new_state);
  EXPECT_EQ(r.unstuck[0].stuck_for.kind, AgeKind::LowerBound);
  EXPECT_EQ(r.unstuck[0].stuck_for.value, 3s);  // there at the start, gone by +3s
}

TEST(StuckTracker, OrphanFinWait2LivesOnAsTimewait) {
  // FIN_WAIT2 -> CLOSE is the timewait takeover: the dump still shows FIN_WAIT2.
  auto t = tracker(1s, {State::FinWait2});
  t.refresh({}, kStart, kStart);
  t.on_transition(3, kFinWait1, kFinWait2, kStart + kSec);
  t.on_transition(3, kFinWait2, kClose, kStart + kSec + 10);
  DiagSocket tw = sock(3, kFinWait2, 40000, 8080);
  tw.kind = SocketKind::TimeWait;
  tw.ino = 0;
  auto r = t.refresh(std::vector{tw}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Measured);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
  r = t.refresh(std::vector{tw}, kStart + 4 * kSec, kStart + 4 * kSec);
  EXPECT_TRUE(r.unstuck.empty());
  r = t.refresh({}, kStart + 9 * kSec, kStart + 9 * kSec);  // the timewait socket moved on
  ASSERT_EQ(r.unstuck.size(), 1u);
  EXPECT_EQ(r.unstuck[0].stuck_for.value, 8s);  // until it was seen gone, not the takeover
  EXPECT_FALSE(r.unstuck[0].new_state);         // not the takeover's CLOSE: unknown, to be looked up
}

TEST(StuckTracker, SelfLoopKeepsTheEntryTime) {
  auto t = tracker(0s, {State::FinWait2});
  t.refresh({}, kStart, kStart);
  t.on_transition(3, kFinWait1, kFinWait2, kStart + kSec);
  t.on_transition(3, kFinWait2, kFinWait2, kStart + 2 * kSec);  // close() after shutdown()
  auto r = t.refresh(std::vector{sock(3, kFinWait2)}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
}

TEST(StuckTracker, MovingBetweenWatchedStates) {
  auto t = tracker(0s, {State::FinWait1, State::FinWait2});
  t.refresh({}, kStart, kStart);
  t.on_transition(3, kEstablished, kFinWait1, kStart + kSec);
  t.refresh(std::vector{sock(3, kFinWait1)}, kStart + 2 * kSec, kStart + 2 * kSec);
  t.on_transition(3, kFinWait1, kFinWait2, kStart + 3 * kSec);
  auto r = t.refresh(std::vector{sock(3, kFinWait2)}, kStart + 4 * kSec, kStart + 4 * kSec);
  ASSERT_EQ(r.unstuck.size(), 1u);
  EXPECT_EQ(r.unstuck[0].sock.state, kFinWait1);
  EXPECT_EQ(r.unstuck[0].new_state, kFinWait2);
  EXPECT_EQ(r.unstuck[0].stuck_for.value, 2s);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].sock.state, kFinWait2);
  EXPECT_EQ(r.stuck[0].age.value, 1s);
  EXPECT_EQ(r.newly.size(), 1u);
}

TEST(StuckTracker, EnteredWhileTheDumpRanWaitsForTheNextDump) {
  auto t = tracker(0s);
  t.refresh({}, kStart, kStart);
  t.on_transition(9, kEstablished, kCloseWait, kStart + 2 * kSec + 5);
  auto r = t.refresh({}, kStart + 2 * kSec, kStart + 2 * kSec + 10);  // the dump missed it
  EXPECT_TRUE(r.stuck.empty());
  r = t.refresh(std::vector{sock(9, kCloseWait)}, kStart + 4 * kSec, kStart + 4 * kSec + 5);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Measured);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
}

TEST(StuckTracker, TimewaitTakeoverDuringTheDumpKeepsTheEntry) {
  auto t = tracker(0s, {State::FinWait2});
  t.refresh({}, kStart, kStart);
  // The dump began, then the orphan entered FIN_WAIT2 and its timewait socket took over.
  t.on_transition(3, kFinWait1, kFinWait2, kStart + 2 * kSec + 5);
  t.on_transition(3, kFinWait2, kClose, kStart + 2 * kSec + 6);
  auto r = t.refresh({}, kStart + 2 * kSec, kStart + 2 * kSec + 10);
  EXPECT_TRUE(r.stuck.empty());
  DiagSocket tw = sock(3, kFinWait2, 40000, 8080);
  tw.kind = SocketKind::TimeWait;
  r = t.refresh(std::vector{tw}, kStart + 4 * kSec, kStart + 4 * kSec + 5);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Measured);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
}

TEST(StuckTracker, EnteredAndLeftBeforeTheDumpIsForgotten) {
  auto t = tracker(0s);
  t.refresh({}, kStart, kStart);
  t.on_transition(9, kEstablished, kCloseWait, kStart + kSec);
  t.on_transition(9, kCloseWait, kLastAck, kStart + kSec + 5);
  auto r = t.refresh({}, kStart + 2 * kSec, kStart + 2 * kSec);
  EXPECT_TRUE(r.stuck.empty());
  EXPECT_TRUE(r.unstuck.empty());
  // Had it stayed, it would be back as untraced: a lower bound from here.
  r = t.refresh(std::vector{sock(9, kCloseWait)}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::LowerBound);
}

TEST(StuckTracker, SocketsFirstSeenLaterAreBoundedFromThen) {
  auto t = tracker(0s);
  t.refresh({}, kStart, kStart);
  // No transition seen (lost): known only since this dump.
  auto r = t.refresh(std::vector{sock(4, kCloseWait)}, kStart + 10 * kSec, kStart + 10 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::LowerBound);
  EXPECT_EQ(r.stuck[0].age.value, 0s);
  r = t.refresh(std::vector{sock(4, kCloseWait)}, kStart + 12 * kSec, kStart + 12 * kSec);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
}

TEST(StuckTracker, UnknownAgesAreCountedApart) {
  auto t = tracker(30s);
  auto r = t.refresh(std::vector{sock(1, kCloseWait), sock(2, kCloseWait, 8080, 40001)}, kStart, kStart + kSec);
  EXPECT_TRUE(r.stuck.empty());
  EXPECT_EQ(r.unknown_age, 2u);
  EXPECT_EQ(r.younger, 0u);
}

TEST(StuckTracker, SyntheticCookiesJoinByEndpoints) {
  auto t = tracker(0s, {State::CloseWait}, true);
  t.refresh({}, kStart, kStart);
  const DiagSocket s = sock(555, kCloseWait, 8080, 40123);
  t.on_transition(endpoints_key(false, s.local, s.remote), kEstablished, kCloseWait, kStart + kSec);
  auto r = t.refresh(std::vector{s}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].age.kind, AgeKind::Measured);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
  EXPECT_NE(endpoints_key(false, s.local, s.remote), endpoints_key(false, s.remote, s.local));
}

// The tracepoint's keys are endpoints, and endpoints repeat across network
// namespaces: keyed with the namespace, two sockets with the same endpoints
// in two containers are two sockets, each with its own time.
TEST(StuckTracker, SameEndpointsInTwoNamespacesAreTwoSockets) {
  StuckTracker t({{State::CloseWait}, 0s, 60s, true, true, {}}, kStart);
  t.refresh({}, kStart, kStart);
  DiagSocket a = sock(1, kCloseWait, 8080, 40123);
  DiagSocket b = sock(2, kCloseWait, 8080, 40123);
  a.netns = 4026532296U;
  b.netns = 4026532297U;
  t.on_transition(endpoints_key(a.netns, false, a.local, a.remote), kEstablished, kCloseWait, kStart + kSec);
  t.on_transition(endpoints_key(b.netns, false, b.local, b.remote), kEstablished, kCloseWait, kStart + 2 * kSec);
  auto r = t.refresh(std::vector{a, b}, kStart + 3 * kSec, kStart + 3 * kSec);
  ASSERT_EQ(r.stuck.size(), 2u);
  EXPECT_EQ(r.stuck[0].sock.netns, a.netns);
  EXPECT_EQ(r.stuck[0].age.value, 2s);
  EXPECT_EQ(r.stuck[1].sock.netns, b.netns);
  EXPECT_EQ(r.stuck[1].age.value, 1s);
  // One leaves; the other stays.
  t.on_transition(endpoints_key(a.netns, false, a.local, a.remote), kCloseWait, kLastAck, kStart + 4 * kSec);
  r = t.refresh(std::vector{b}, kStart + 5 * kSec, kStart + 5 * kSec);
  ASSERT_EQ(r.unstuck.size(), 1u);
  EXPECT_EQ(r.unstuck[0].sock.netns, a.netns);
  EXPECT_EQ(r.unstuck[0].new_state, kLastAck);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_EQ(r.stuck[0].sock.netns, b.netns);
}

// tcp_fin_timeout is per namespace (a new one starts at 60s whatever the
// host's): an orphan's FIN_WAIT2 is aged with its own namespace's.
TEST(StuckTracker, OrphanAgeUsesItsNamespacesFinTimeout) {
  StuckTracker::Options o{{State::FinWait2}, 0s, 60s, false, false, {}};
  o.fin_timeout_of = [](std::uint32_t netns) { return netns == 7 ? std::chrono::milliseconds(10s) : 60s; };
  StuckTracker t(o, kStart);
  DiagSocket host = sock(1, kFinWait2);
  host.kind = SocketKind::TimeWait;
  host.expires_ms = 7'000;
  DiagSocket container = host;
  container.cookie = 2;
  container.netns = 7;
  auto r = t.refresh(std::vector{host, container}, kStart, kStart + 1'000'000);
  ASSERT_EQ(r.stuck.size(), 2u);
  EXPECT_EQ(r.stuck[0].age.value, 53s);
  EXPECT_EQ(r.stuck[1].age.value, 3s);
  EXPECT_EQ(r.stuck[1].age.kind, AgeKind::Estimate);
}
