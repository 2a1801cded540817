// The kernel's records as one stream of transitions, for every reader of a
// run: trace's pipeline and stuck's watch. Each event is decoded (the wall
// clock as of the last set_clock()), and the kernel's reset reports are
// joined to the transition into CLOSE they explain (kernel/cause_join.h):
// those reported before it ride on it; one reported just after it comes on
// its own, with the key the socket's CLOSE was matched by.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/clock.h"
#include "kernel/cause_join.h"
#include "kernel/event_source.h"
#include "record/transition.h"

namespace tcpfsm {

// The key a transition's socket is matched to sock_diag's sockets by: its
// cookie, or, where events carry socket keys (no cookies), its network
// namespace and endpoints (endpoints_key), as sock_diag reports them.
std::uint64_t diag_key(const Transition& t, bool socket_keys);

class TransitionStream final : public EventHandler {
 public:
  class Reader {
   public:
    virtual ~Reader() = default;
    // A transition, decoded; into CLOSE, with the resets reported before it.
    virtual void transition(Transition& t) = 0;
    // A reset reported just after the transition into CLOSE of socket
    // c.cookie. diag_key: that transition's, when it was one of the last
    // few and within CauseJoin::kWindowNs; nothing when none was.
    virtual void late_cause(const tcpfsm_cause& c, std::optional<std::uint64_t> diag_key) = 0;
    // The stack behind a socket (LoadOptions::stacks): before the socket's
    // transition out of CLOSE (connect, listen), or after its birth (accept).
    virtual void origin(const tcpfsm_origin&) {}
  };
  explicit TransitionStream(Reader& reader) : reader_(reader) {}
  // The events carry socket keys, not cookies (EventSource::socket_keys()):
  // said once the source is loaded, before it is drained.
  void use_socket_keys(bool keys) { socket_keys_ = keys; }

  void on_event(const tcpfsm_event& e, const tcpfsm_life* life) override;
  void on_cause(const tcpfsm_cause& c) override;
  void on_origin(const tcpfsm_origin& o) override { reader_.origin(o); }

  // Follows the wall clock (NTP steps); once per poll.
  void set_clock(const ClockMap& clock) { clock_ = clock; }
  // Reset reports kept for a transition into CLOSE still to come.
  std::size_t causes_waiting() const { return causes_.waiting(); }

 private:
  Reader& reader_;
  bool socket_keys_ = false;
  ClockMap clock_ = ClockMap::now();
  CauseJoin causes_;
  // The last transitions into CLOSE: their event key (cookie or socket
  // key), their time and their diag_key. A late reset comes microseconds
  // after its CLOSE, on the same CPU: only other CPUs' events come between.
  struct Close {
    std::uint64_t cookie = 0, ktime_ns = 0, diag_key = 0;
  };
  std::array<Close, 256> recent_closes_{};
  std::size_t next_close_ = 0;
};

}  // namespace tcpfsm
