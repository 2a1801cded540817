// The metrics of a trace run (--metrics), a Sink of the run: it counts the
// transitions written (edges, verdicts, time in state, causes), the lives
// of the connections they end (durations, bytes, RTTs, retransmits) and the moves
// into and out of stuck states. Counters come from the trace thread, which
// publishes a copy once per poll; the socket gauges (sockets
// per state, stuck sockets by holder) are collected from sock_diag and /proc
// when a scrape asks for them, on the server's thread: neither waits for the
// other beyond copying a snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

#include "metrics/exposition.h"
#include "trace/socket_gauges.h"

namespace tcpfsm {

class TraceMetrics final : public Sink {
 public:
  explicit TraceMetrics(SocketGauges::Options options);

  // Trace thread: counted, with the life of the connection it ends, and a
  // move into or out of a stuck state kept for the ages of stuck sockets.
  void transition(const Transition& t, const Verdict& v) override;
  // Trace thread: the run's counters as of now, with the transitions counted.
  void publish(MetricsSnapshot counters);

  // Server thread: one scrape, with the server's refusals so far. The
  // socket gauges are collected at most once per kGaugesEvery; scrapes in
  // between (a second Prometheus, a person with curl, a flood) share them.
  std::string render(ExpositionFormat f, const HttpRefusals& http);
  // Server thread, for /healthz: "" while the trace thread publishes (it
  // does once per poll, 100 ms), else what is wrong.
  std::string health();

 private:
  void collect_gauges(MetricsSnapshot& s);

  TransitionCounts counts_;        // trace thread
  ConnectionCounts connections_;  // trace thread
  std::mutex mutex_;  // guards latest_, published_ and moves_
  MetricsSnapshot latest_;
  std::chrono::steady_clock::time_point published_{};  // the trace thread's last publish
  std::vector<SocketGauges::Move> moves_;

  static constexpr std::chrono::seconds kGaugesEvery{1};

  std::mutex scrape_mutex_;  // one scrape at a time; guards what follows (but move_of, which is const)
  SocketGauges gauges_;
  MetricsSnapshot gauges_seen_;  // the last collection's gauges, and when
  std::chrono::steady_clock::time_point gauges_at_{};
  std::uint64_t scrape_errors_ = 0;
  bool said_held_only_ = false, said_unreadable_ = false;  // once on stderr
};

}  // namespace tcpfsm
