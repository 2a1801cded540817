// Kernel records made by hand, as the BPF program writes them: zeroed but
// for their head (time, socket, and the kind byte the dispatch reads: a
// record without it is refused, kernel/dispatch.h). Each test sets the rest.
#pragma once

#include <cstdint>

#include "model/states.h"
#include "tcpfsm/event.h"

namespace tcpfsm::test {

inline tcpfsm_event transition_record(std::uint64_t ktime_ns = 0, std::uint64_t cookie = 0) {
  tcpfsm_event e{};
  e.ktime_ns = ktime_ns;
  e.cookie = cookie;
  e.record = TCPFSM_RECORD_TRANSITION;
  return e;
}

// A connection's end: its transition into CLOSE (the rest of the event
// zeroed) and its life, all of whose counters the kernel had.
inline tcpfsm_close close_record(std::uint64_t ktime_ns = 0, std::uint64_t cookie = 0) {
  tcpfsm_close c{};
  c.event.ktime_ns = ktime_ns;
  c.event.cookie = cookie;
  c.event.record = TCPFSM_RECORD_CLOSE;
  c.event.new_state = static_cast<std::uint8_t>(State::Close);
  c.life.fields = TCPFSM_LIFE_RX_BYTES | TCPFSM_LIFE_TX_BYTES | TCPFSM_LIFE_SEGS_IN | TCPFSM_LIFE_SEGS_OUT |
                  TCPFSM_LIFE_RETRANS | TCPFSM_LIFE_RTT;
  return c;
}

inline tcpfsm_cause cause_record(std::uint64_t ktime_ns = 0, std::uint64_t cookie = 0) {
  tcpfsm_cause c{};
  c.ktime_ns = ktime_ns;
  c.cookie = cookie;
  c.record = TCPFSM_RECORD_CAUSE;
  return c;
}

inline tcpfsm_origin origin_record(std::uint64_t ktime_ns = 0, std::uint64_t cookie = 0) {
  tcpfsm_origin o{};
  o.ktime_ns = ktime_ns;
  o.cookie = cookie;
  o.record = TCPFSM_RECORD_ORIGIN;
  return o;
}

// A reset on socket `cookie` in `state`: kind TCPFSM_CAUSE_RST_RECEIVED or _SENT.
inline tcpfsm_cause reset_record(std::uint64_t cookie, std::uint64_t ktime_ns, std::uint8_t kind, State state,
                                 std::uint32_t reason = TCPFSM_RST_REASON_NONE) {
  tcpfsm_cause c = cause_record(ktime_ns, cookie);
  c.kind = kind;
  c.state = static_cast<std::uint8_t>(state);
  c.rst_reason = reason;
  return c;
}

}  // namespace tcpfsm::test
