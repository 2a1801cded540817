// The sockets of the host now, as --metrics exports them and `tcpfsm top`
// shows them: how many are in each state, and which are stuck in a state,
// for how long and held by whom, in every network namespace (or those of
// --netns) as `tcpfsm stuck` reads them (sock_diag where tcpfsm can enter,
// the held-socket iterator where it cannot). Ages come from the tracer's
// transitions where it saw the socket enter its state, else as `tcpfsm
// stuck` estimates them.
// A Sink: the transitions into and out of a stuck state set the ages (top
// uses it so). Not thread-safe, except move_of(): --metrics serialises
// collect() and apply() under its scrape lock while the trace thread calls
// move_of().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "record/filters.h"
#include "kernel/sockdiag.h"
#include "metrics/transition_counts.h"
#include "record/sink.h"
#include "record/stuck_settings.h"
#include "stuck_scan/refresher.h"
#include "stuck_scan/tracker.h"

namespace tcpfsm {

class SocketGauges final : public Sink {
 public:
  struct Options {
    StuckSettings stuck;
    Filters filters;  // its family, ports and namespaces (--netns; none: every namespace)
    bool keys = false;  // events carry socket keys (tracepoint): stuck sockets are matched by endpoints
    std::shared_ptr<SocketFiles> files;  // the held-socket iterator, or nothing (sock_diag and /proc only)
  };
  explicit SocketGauges(Options options);

  // A transition into or out of a stuck state, for the tracker.
  struct Move {
    std::uint64_t key;
    int old_state, new_state;
    std::uint64_t ktime_ns;
  };
  // The move a transition makes, if it enters or leaves a stuck state (cheap
  // for every other one). Any thread.
  std::optional<Move> move_of(const Transition& t) const;
  void apply(const Move& m) { tracker_.on_transition(m.key, m.old_state, m.new_state, m.ktime_ns); }
  void transition(const Transition& t, const Verdict&) override {
    if (const auto m = move_of(t)) apply(*m);
  }

  using Now = SocketsNow;
  // Dumps and looks up owners now, under the port and family filters.
  // Throws Error when tcpfsm's own namespace cannot be dumped. The held-socket
  // iterator may be used by another thread meanwhile (it reads its own link).
  Now collect();

  const Options& options() const { return options_; }

 private:
  bool wanted(const DiagSocket& d) const { return options_.filters.ports.matches(d.local.port, d.remote.port); }

  Options options_;
  std::uint32_t stuck_mask_;
  StuckRefresher refresher_;
  StuckTracker tracker_;
};

}  // namespace tcpfsm
