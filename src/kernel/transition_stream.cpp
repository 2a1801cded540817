#include "kernel/transition_stream.h"

#include "kernel/decode.h"
#include "kernel/sockdiag.h"
#include "model/states.h"

namespace tcpfsm {

std::uint64_t diag_key(const Transition& t, bool socket_keys) {
  return socket_keys ? endpoints_key(t.netns, t.ipv6, t.local, t.remote) : t.cookie;
}

void TransitionStream::on_event(const tcpfsm_event& e, const tcpfsm_life* life) {
  Transition t = decode(e, life, clock_);
  if (t.new_state == number(State::Close)) {
    causes_.take(t.cookie, t.ktime_ns, t.reported);
    recent_closes_[next_close_++ % recent_closes_.size()] = {t.cookie, t.ktime_ns, diag_key(t, socket_keys_)};
  }
  reader_.transition(t);
}

void TransitionStream::on_cause(const tcpfsm_cause& c) {
  if (causes_.on_cause(c) == CauseJoin::Order::Before) return;
  // After: the newest transition into CLOSE of that socket within the window.
  // (Indexes wrap as next_close_ does: the ring's size divides 2^64.)
  for (std::size_t n = 0; n < recent_closes_.size(); ++n) {
    const Close& close = recent_closes_[(next_close_ - 1 - n) % recent_closes_.size()];
    if (close.ktime_ns == 0 || close.cookie != c.cookie) continue;
    if (c.ktime_ns >= close.ktime_ns && c.ktime_ns - close.ktime_ns <= CauseJoin::kWindowNs) {
      reader_.late_cause(c, close.diag_key);
      return;
    }
    break;
  }
  reader_.late_cause(c, std::nullopt);
}

}  // namespace tcpfsm
