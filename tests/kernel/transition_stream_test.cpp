#include "kernel/transition_stream.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "kernel/sockdiag.h"
#include "model/states.h"
#include "support/kernel_records.h"

namespace tcpfsm {
namespace {

// What the stream hands on, in order.
struct Seen final : TransitionStream::Reader {
  std::vector<Transition> transitions;
  struct Late {
    std::uint64_t cookie;
    std::optional<std::uint64_t> key;
  };
  std::vector<Late> late;
  void transition(Transition& t) override { transitions.push_back(t); }
  void late_cause(const tcpfsm_cause& c, std::optional<std::uint64_t> key) override {
    late.push_back({c.cookie, key});
  }
};

tcpfsm_event event(std::uint64_t cookie, std::uint64_t ktime, State from, State to, std::uint16_t lport = 8080) {
  tcpfsm_event e = test::transition_record(ktime, cookie);
  e.old_state = static_cast<std::uint8_t>(from);
  e.new_state = static_cast<std::uint8_t>(to);
  e.family = AF_INET;
  e.lport = lport;
  e.rport = 40000;
  e.netns = 4026531840;
  inet_pton(AF_INET, "127.0.0.1", e.laddr);
  inet_pton(AF_INET, "127.0.0.2", e.raddr);
  return e;
}

using test::reset_record;

TEST(TransitionStream, DecodesEachEventInOrder) {
  Seen seen;
  TransitionStream s(seen);
  s.on_event(event(7, 1000, State::SynSent, State::Established), nullptr);
  s.on_event(event(8, 2000, State::Established, State::CloseWait, 8081), nullptr);
  ASSERT_EQ(seen.transitions.size(), 2u);
  EXPECT_EQ(seen.transitions[0].cookie, 7u);
  EXPECT_EQ(seen.transitions[0].new_state, number(State::Established));
  EXPECT_EQ(seen.transitions[1].local.port, 8081);
  EXPECT_EQ(seen.transitions[1].new_state, number(State::CloseWait));
}

TEST(TransitionStream, AResetBeforeItsCloseRidesOnIt) {
  Seen seen;
  TransitionStream s(seen);
  s.on_cause(reset_record(7, 1000, TCPFSM_CAUSE_RST_RECEIVED, State::Established));
  EXPECT_EQ(s.causes_waiting(), 1u);
  s.on_event(event(7, 1500, State::Established, State::Close), nullptr);
  ASSERT_EQ(seen.transitions.size(), 1u);
  EXPECT_TRUE(seen.transitions[0].reported.kernel.rst_received);
  EXPECT_EQ(s.causes_waiting(), 0u);
  EXPECT_TRUE(seen.late.empty());
}

TEST(TransitionStream, AResetAfterItsCloseComesWithTheCloseKey) {
  Seen seen;
  TransitionStream s(seen);
  s.on_event(event(7, 1000, State::Established, State::Close), nullptr);
  s.on_event(event(9, 1100, State::Established, State::Close, 9090), nullptr);  // another socket's end between
  s.on_cause(reset_record(7, 1200, TCPFSM_CAUSE_RST_SENT, State::Close));
  ASSERT_EQ(seen.late.size(), 1u);
  EXPECT_EQ(seen.late[0].cookie, 7u);
  EXPECT_EQ(seen.late[0].key, std::optional<std::uint64_t>(7));  // cookies: the cookie itself
  EXPECT_FALSE(seen.transitions[0].reported.kernel.rst_sent);     // written without it
}

TEST(TransitionStream, WithSocketKeysTheCloseIsMatchedByNamespaceAndEndpoints) {
  Seen seen;
  TransitionStream s(seen);
  s.use_socket_keys(true);
  s.on_event(event(7, 1000, State::Established, State::Close), nullptr);
  s.on_cause(reset_record(7, 1200, TCPFSM_CAUSE_RST_SENT, State::Close));
  ASSERT_EQ(seen.late.size(), 1u);
  const Transition& t = seen.transitions[0];
  ASSERT_TRUE(seen.late[0].key);
  EXPECT_EQ(*seen.late[0].key, endpoints_key(4026531840, false, t.local, t.remote));
  EXPECT_EQ(diag_key(t, true), *seen.late[0].key);
  EXPECT_EQ(diag_key(t, false), 7u);
}

TEST(TransitionStream, AResetTooLongAfterAnyCloseOfItsSocketHasNoKey) {
  Seen seen;
  TransitionStream s(seen);
  s.on_event(event(7, 1000, State::Established, State::Close), nullptr);
  s.on_cause(reset_record(7, 1000 + CauseJoin::kWindowNs + 1, TCPFSM_CAUSE_RST_SENT, State::Close));
  s.on_cause(reset_record(5, 1200, TCPFSM_CAUSE_RST_SENT, State::Close));  // no close of socket 5 at all
  ASSERT_EQ(seen.late.size(), 2u);
  EXPECT_FALSE(seen.late[0].key);
  EXPECT_FALSE(seen.late[1].key);
}

TEST(TransitionStream, OnlyTheLastClosesAreKept) {
  Seen seen;
  TransitionStream s(seen);
  s.on_event(event(7, 1000, State::Established, State::Close), nullptr);
  for (std::uint64_t i = 0; i < 256; ++i) s.on_event(event(100 + i, 1001 + i, State::Established, State::Close), nullptr);
  s.on_cause(reset_record(7, 1300, TCPFSM_CAUSE_RST_SENT, State::Close));  // pushed out by 256 newer ends
  s.on_cause(reset_record(355, 1300, TCPFSM_CAUSE_RST_SENT, State::Close));
  ASSERT_EQ(seen.late.size(), 2u);
  EXPECT_FALSE(seen.late[0].key);
  EXPECT_EQ(seen.late[1].key, std::optional<std::uint64_t>(355));
}

}  // namespace
}  // namespace tcpfsm
