// `tcpfsm trace`: load, drain, decode, check, write; end cleanly.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <vector>

#include "kernel/event_source.h"
#include "kernel/loader.h"
#include "metrics/server.h"
#include "model/model.h"
#include "output/formatter.h"
#include "record/sink.h"
#include "record/stuck_settings.h"
#include "trace/socket_gauges.h"

namespace tcpfsm {

struct TraceOptions {
  LoadOptions load;
  Format format = Format::Json;
  bool wide = false;  // table: NETNS and CGROUP columns
  bool lifetimes = false;  // connections' ends alone (make_formatter)
  JsonNames json_names = JsonNames::Tcpfsm;  // JSON: the keys of transition records (--otel-names)
  std::string output_path;         // empty: standard output
  std::uint64_t rotate_size = 0;   // 0: never rotate
  unsigned rotate_keep = 5;
  Model model = Model::Linux;
  std::optional<std::chrono::nanoseconds> duration;
  std::optional<std::uint64_t> count;
  // Everything written is on disk within this; standard output is flushed at every poll.
  std::chrono::nanoseconds flush_interval = std::chrono::seconds(1);
  std::optional<std::chrono::nanoseconds> stats_interval;
  std::chrono::milliseconds poll_interval{100};  // bounds output latency
  std::string user;  // drop to this user once loaded and attached ("" keeps root)
  bool owners = true;  // add owner_pid/owner_comm from /proc
  std::size_t max_sockets = 262144;  // the socket table's bound
  // --metrics: where to serve /metrics; what the stuck-socket gauge counts.
  std::optional<ListenAddress> metrics;
  StuckSettings stuck;
  // More consumers of the records beside the log (e.g. --journal), each
  // made before tracing starts (a failure to make one ends the run there)
  // and handed every record after the log.
  std::vector<std::function<std::unique_ptr<Sink>()>> sinks;
};

// A live view on a trace run (tcpfsm top): the same load, drain, decode,
// check and owners, with the records going to the view's sink as well (and
// to the log only when output_path names a file: the view owns the terminal).
class TraceView {
 public:
  virtual ~TraceView() = default;
  virtual Sink& sink() = 0;
  // Once attached, before any event is read: whether events carry socket
  // keys rather than cookies (Tracer::socket_keys), and the held-socket
  // iterator if it loaded.
  virtual void begin(bool socket_keys, std::shared_ptr<SocketFiles> files) = 0;
  // Once per poll, after the poll's records: false ends the run ("quit"),
  // as cleanly as a signal does.
  virtual bool poll() = 0;
};

// Makes a run's event source, handing its records to `handler`: the BPF
// program (Tracer), or a replay of records (the unit tests).
using EventSourceMaker = std::function<std::unique_ptr<EventSource>(const LoadOptions&, EventHandler&)>;
// The run below on the events of the source `make_source` makes once the
// output is open; the rest of the run (owners, sinks, pipeline, end) is the same.
int run_trace(const TraceOptions& options, const EventSourceMaker& make_source, TraceView* view = nullptr);

// Runs until SIGINT/SIGTERM, the duration, the count, or the view quits;
// returns the exit status. Throws Error for failures before tracing starts.
int run_trace(const TraceOptions& options, TraceView* view = nullptr);

// What the socket gauges (--metrics, tcpfsm top) look at: the stuck states
// and age, the run's port, family and namespace filters, whether events
// carry socket keys (Tracer::socket_keys), and the held-socket iterator.
SocketGauges::Options socket_gauges_options(const TraceOptions& options, bool socket_keys,
                                           std::shared_ptr<SocketFiles> files);

}  // namespace tcpfsm
