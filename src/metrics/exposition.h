// The metrics of a trace run as the Prometheus text exposition format
// (version 0.0.4) or OpenMetrics 1.0, which a scraper may ask for. Pure: the
// snapshot in, the text out (docs/metrics.md lists every metric).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/connection_counts.h"
#include "metrics/transition_counts.h"
#include "record/run_records.h"

namespace tcpfsm {

// Sockets held in a stuck state, by holder and where: the alert metric.
struct StuckCount {
  int state = 0;
  std::string owner;  // holder's comm, or "orphan", "not_accepted", "unknown", "other"
  std::string container;  // "docker:0123456789ab", "" on the host
  std::string pod_uid;    // Kubernetes pod UID, "" outside Kubernetes
  std::string netns;      // the namespace's inode, "" for "other"
  std::string port;       // the service's port: local for a server's socket, remote for a client's
  std::string role;       // "server", "client"; "" for "other"
  std::uint64_t sockets = 0;
  double oldest_seconds = 0;  // the oldest socket's time in the state
};

// Network namespaces the socket gauges looked in, by how they were read.
struct NetnsCounts {
  std::uint64_t sock_diag = 0;     // entered (or tcpfsm's own): every socket
  std::uint64_t held_sockets = 0;  // not entered: the sockets processes hold, through the task_file iterator
  std::uint64_t unreadable = 0;    // neither: not counted at all
};

// What the metrics server refused or cut off, by reason
// (tcpfsm_http_refused_total; its limits: metrics/server.h).
struct HttpRefusals {
  std::uint64_t evicted = 0;     // the oldest connection, cut for a new one at the limit
  std::uint64_t busy = 0;        // a new connection, refused: too many still closing
  std::uint64_t per_client = 0;  // a new connection, refused: over the limit per client address
  std::uint64_t deadline = 0;    // a connection cut: no whole request and answer in time
  std::uint64_t body = 0;        // a request with a body, answered 413 unread
};

struct MetricsSnapshot {
  // From the trace thread, as of its last poll.
  TransitionCounts transitions;
  ConnectionCounts connections;  // from the lives of the CLOSE records written
  Totals run;  // the run's totals, as its stats records carry them
  std::string version, attach, buffer, kernel;  // buffer: "ring" or "perf"
  // The BPF program's run count and time (kernel.bpf_stats_enabled=1 only).
  std::optional<std::uint64_t> bpf_runs, bpf_run_ns;
  // From sock_diag at scrape time.
  std::optional<std::array<std::uint64_t, TransitionCounts::kStates>> sockets_by_state;
  std::vector<StuckCount> stuck;
  std::optional<NetnsCounts> netns;
  std::uint64_t scrape_errors = 0;  // sock_diag or /proc failures while collecting the gauges
  HttpRefusals http;                // from the server, at scrape time
};

enum class ExpositionFormat { Prometheus, OpenMetrics };
// The Content-Type header for a format.
const char* content_type(ExpositionFormat f);
// Which format an Accept header asks for.
ExpositionFormat format_for_accept(const std::string& accept);

std::string exposition(const MetricsSnapshot& s, ExpositionFormat f);

}  // namespace tcpfsm
