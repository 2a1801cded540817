// The event buffer's records told apart by their kind byte: each kind to its
// handler, every other record refused with its kind and size named, and no
// byte read past a record's size (each record here sits at the end of a heap
// buffer of its size: the ASan build would see a read past it).
#include "kernel/dispatch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <optional>
#include <vector>

#include "support/kernel_records.h"

namespace tcpfsm {
namespace {

using test::cause_record;
using test::close_record;
using test::origin_record;
using test::transition_record;
using Verdict = RecordHead::Verdict;

struct Recorder final : EventHandler {
  std::vector<tcpfsm_event> events;
  std::vector<tcpfsm_cause> causes;
  std::vector<tcpfsm_origin> origins;
  std::vector<std::optional<tcpfsm_life>> lives;  // per event: its life, if it had one
  void on_event(const tcpfsm_event& e, const tcpfsm_life* life) override {
    events.push_back(e);
    lives.push_back(life ? std::optional<tcpfsm_life>(*life) : std::nullopt);
  }
  void on_cause(const tcpfsm_cause& c) override { causes.push_back(c); }
  void on_origin(const tcpfsm_origin& o) override { origins.push_back(o); }
};

// The first size bytes of rec, alone in a buffer of that size.
template <typename T>
std::vector<unsigned char> bytes(const T& rec, std::size_t size = sizeof(T)) {
  std::vector<unsigned char> b(size);
  if (size) std::memcpy(b.data(), &rec, std::min(size, sizeof rec));
  return b;
}

RecordHead dispatch(const std::vector<unsigned char>& b, EventHandler& h) {
  return dispatch_record(b.data(), b.size(), h);
}

TEST(DispatchRecord, ATransitionGoesToOnEvent) {
  Recorder r;
  tcpfsm_event e = transition_record(5, 77);
  e.old_state = 2;
  e.new_state = 1;
  e.lport = 40000;
  std::memcpy(e.comm, "curl", 4);
  const RecordHead h = dispatch(bytes(e), r);
  EXPECT_TRUE(h.ok());
  EXPECT_EQ(h.verdict, Verdict::Transition);
  EXPECT_EQ(h.kind, TCPFSM_RECORD_TRANSITION);
  EXPECT_EQ(h.rejection(), "");
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.causes.empty());
  EXPECT_EQ(std::memcmp(&r.events[0], &e, sizeof e), 0);
}

TEST(DispatchRecord, AResetGoesToOnCause) {
  Recorder r;
  tcpfsm_cause c = cause_record(9, 78);
  c.kind = TCPFSM_CAUSE_RST_SENT;
  c.state = 1;
  c.rst_reason = 11;
  const RecordHead h = dispatch(bytes(c), r);
  EXPECT_EQ(h.verdict, Verdict::Cause);
  EXPECT_EQ(h.kind, TCPFSM_RECORD_CAUSE);
  ASSERT_EQ(r.causes.size(), 1u);
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(std::memcmp(&r.causes[0], &c, sizeof c), 0);
}

TEST(DispatchRecord, AnOriginGoesToOnOrigin) {
  Recorder r;
  tcpfsm_origin o = origin_record(11, 0);
  o.kind = TCPFSM_ORIGIN_ACCEPT;
  o.frames = 2;
  o.ino = 31337;
  o.ips[0] = 0x7f0000001234;
  o.ips[1] = 0x55d000000042;
  const RecordHead h = dispatch(bytes(o), r);
  EXPECT_EQ(h.verdict, Verdict::Origin);
  EXPECT_TRUE(h.ok());
  ASSERT_EQ(r.origins.size(), 1u);
  EXPECT_TRUE(r.events.empty() && r.causes.empty());
  EXPECT_EQ(std::memcmp(&r.origins[0], &o, sizeof o), 0);
  // One byte short of its struct: refused, named.
  Recorder none;
  const RecordHead short_one = dispatch(bytes(o, sizeof o - 1), none);
  EXPECT_EQ(short_one.verdict, Verdict::Short);
  EXPECT_EQ(short_one.rejection(), "an origin record (kind 3) of 367 bytes: shorter than tcpfsm_origin's 368");
  EXPECT_TRUE(none.origins.empty());
}

// A perf sample pads its record; what follows the kind's struct is not read.
TEST(DispatchRecord, ALongerRecordIsReadAsItsKind) {
  Recorder r;
  EXPECT_EQ(dispatch(bytes(transition_record(1, 1), sizeof(tcpfsm_event) + 4), r).verdict, Verdict::Transition);
  // A reset the size of a transition is a reset: the size tells nothing.
  EXPECT_EQ(dispatch(bytes(cause_record(2, 2), sizeof(tcpfsm_event)), r).verdict, Verdict::Cause);
  EXPECT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.causes.size(), 1u);
}

TEST(DispatchRecord, AnUnknownKindIsRefused) {
  Recorder r;
  for (int kind : {0, 5, 255}) {
    tcpfsm_event e = transition_record(1, 1);
    e.record = static_cast<std::uint8_t>(kind);
    const RecordHead h = dispatch(bytes(e), r);
    EXPECT_FALSE(h.ok());
    EXPECT_EQ(h.verdict, Verdict::UnknownKind);
    EXPECT_EQ(h.kind, kind);
    EXPECT_EQ(h.rejection(), "a record of unknown kind " + std::to_string(kind) + ", 112 bytes");
  }
  tcpfsm_cause c = cause_record(1, 1);
  c.record = 0;  // a reset written without its kind byte
  EXPECT_EQ(dispatch(bytes(c), r).rejection(), "a record of unknown kind 0, 24 bytes");
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.causes.empty());
}

TEST(DispatchRecord, AConnectionsEndCarriesItsLife) {
  Recorder r;
  tcpfsm_close c = close_record(5, 9);
  c.event.old_state = static_cast<std::uint8_t>(State::LastAck);
  c.life.rx_bytes = 1000;
  c.life.tx_bytes = 300;
  const RecordHead h = dispatch(bytes(c), r);
  EXPECT_TRUE(h.ok());
  EXPECT_EQ(h.kind, TCPFSM_RECORD_CLOSE);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].cookie, 9u);
  EXPECT_EQ(r.events[0].old_state, static_cast<std::uint8_t>(State::LastAck));
  ASSERT_TRUE(r.lives[0].has_value());
  EXPECT_EQ(r.lives[0]->rx_bytes, 1000u);
  EXPECT_EQ(r.lives[0]->tx_bytes, 300u);
  // A plain transition has none.
  dispatch(bytes(transition_record(6, 9)), r);
  ASSERT_EQ(r.lives.size(), 2u);
  EXPECT_FALSE(r.lives[1].has_value());
  // Cut after the event: refused whole, not taken for a transition.
  EXPECT_EQ(dispatch(bytes(c, sizeof(tcpfsm_event)), r).rejection(),
            "a connection's end record (kind 4) of 112 bytes: shorter than tcpfsm_close's 160");
  EXPECT_EQ(r.events.size(), 2u);
}

TEST(DispatchRecord, AShortRecordIsRefused) {
  Recorder r;
  RecordHead h = dispatch(bytes(transition_record(1, 1), sizeof(tcpfsm_event) - 1), r);
  EXPECT_EQ(h.verdict, Verdict::Short);
  EXPECT_EQ(h.kind, TCPFSM_RECORD_TRANSITION);
  EXPECT_EQ(h.rejection(), "a transition record (kind 1) of 111 bytes: shorter than tcpfsm_event's 112");
  // The size a reset has, with a transition's kind byte.
  h = dispatch(bytes(transition_record(1, 1), sizeof(tcpfsm_cause)), r);
  EXPECT_EQ(h.rejection(), "a transition record (kind 1) of 24 bytes: shorter than tcpfsm_event's 112");
  h = dispatch(bytes(cause_record(1, 1), sizeof(tcpfsm_cause) - 1), r);
  EXPECT_EQ(h.verdict, Verdict::Short);
  EXPECT_EQ(h.rejection(), "a reset record (kind 2) of 23 bytes: shorter than tcpfsm_cause's 24");
  // Just the kind byte.
  h = dispatch(bytes(cause_record(1, 1), offsetof(tcpfsm_head, record) + 1), r);
  EXPECT_EQ(h.verdict, Verdict::Short);
  EXPECT_EQ(h.kind, TCPFSM_RECORD_CAUSE);
  // Too short to hold a kind byte at all: it is not read.
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, offsetof(tcpfsm_head, record)}) {
    h = dispatch(bytes(transition_record(1, 1), size), r);
    EXPECT_EQ(h.verdict, Verdict::Short);
    EXPECT_EQ(h.kind, -1);
    EXPECT_EQ(h.size, size);
  }
  EXPECT_EQ(h.rejection(), "a record of 16 bytes: too short to hold its kind byte (offset 16)");
  EXPECT_EQ(dispatch(bytes(transition_record(1, 1), 1), r).rejection(),
            "a record of 1 byte: too short to hold its kind byte (offset 16)");
  EXPECT_TRUE(r.events.empty());
  EXPECT_TRUE(r.causes.empty());
}

}  // namespace
}  // namespace tcpfsm
