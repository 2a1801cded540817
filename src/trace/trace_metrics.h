// The metrics of a trace run (--metrics). Counters come from the trace
// thread, which publishes a copy once per poll; the socket gauges (sockets
// per state, stuck sockets by holder) are collected from sock_diag and /proc
// when a scrape asks for them, on the server's thread: neither waits for the
// other beyond copying a snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "kernel/port_filter.h"
#include "kernel/sockdiag.h"
#include "metrics/exposition.h"
#include "stuck/refresher.h"
#include "stuck/tracker.h"

namespace tcpfsm {

class TraceMetrics {
 public:
  struct Options {
    std::vector<State> stuck_states{State::CloseWait};
    std::chrono::nanoseconds stuck_age{std::chrono::seconds(30)};
    PortFilter ports;
    std::uint16_t family = 0;
    std::vector<std::uint32_t> netns;  // --netns; empty: every namespace
    bool keys = false;  // events carry socket keys (tracepoint): stuck sockets are matched by endpoints
  };
  explicit TraceMetrics(Options options);

  // Trace thread. A transition into or out of a stuck state, for the ages of
  // stuck sockets (cheap for every other event).
  void on_event(const tcpfsm_event& e);
  // Trace thread: the counters as of now.
  void publish(const MetricsSnapshot& counters);

  // Server thread: one scrape.
  std::string render(ExpositionFormat f);

 private:
  struct Move {
    std::uint64_t key;
    int old_state, new_state;
    std::uint64_t ktime_ns;
  };
  void collect_gauges(MetricsSnapshot& s);

  Options options_;
  std::uint32_t stuck_mask_;

  std::mutex mutex_;  // guards latest_ and moves_
  MetricsSnapshot latest_;
  std::vector<Move> moves_;

  std::mutex scrape_mutex_;  // one scrape at a time; guards what follows
  StuckRefresher refresher_;
  StuckTracker tracker_;
  SockDiag diag_;
  std::vector<DiagSocket> sockets_;
  std::uint64_t scrape_errors_ = 0;
};

}  // namespace tcpfsm
