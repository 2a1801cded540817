#include "trace/trace.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/errors.h"
#include "common/signals.h"
#include "common/text.h"
#include "common/units.h"
#include "kernel/cgroup.h"
#include "kernel/privileges.h"
#include "output/log_sink.h"
#include "owners/holder_iter.h"
#include "pipeline/crosscheck.h"
#include "pipeline/pipeline.h"
#include "trace/trace_metrics.h"

namespace tcpfsm {
namespace {

using Clock = std::chrono::steady_clock;
// After losses, the socket table is checked against the kernel at most this
// often; a namespace that nothing leads into is looked for again this often.
constexpr auto kCrossCheckInterval = std::chrono::seconds(2);
constexpr auto kUnreachableRecheck = std::chrono::seconds(60);

std::string first_line_of(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Facts about this host that a log carries so it explains itself elsewhere.
struct HostFacts {
  std::string host, kernel, boot_id;
  static HostFacts read() {
    HostFacts h;
    char name[256] = {};
    gethostname(name, sizeof name - 1);
    h.host = name;
    utsname u{};
    if (uname(&u) == 0) h.kernel = u.release;
    h.boot_id = first_line_of("/proc/sys/kernel/random/boot_id");
    return h;
  }
};

PipelineOptions pipeline_options(const TraceOptions& o, bool keys, std::shared_ptr<SocketFiles> files) {
  PipelineOptions p;
  p.model = o.model;
  p.owners = o.owners;
  p.socket_files = std::move(files);
  p.kernel_time = o.load.kernel_state();
  p.table = {o.max_sockets, keys};
  p.count = o.count;
  p.partial_sockets = o.load.filters.states != 0;
  p.cgroup2_mount = cgroup2_mount();
  p.pid = o.load.filters.pid;
  return p;
}

// Receives events from the event source and runs them through the pipeline;
// sends the records, losses, stats and the end to the run's sinks (the log,
// the metrics, the view); checks the socket table against the kernel after
// losses.
class Session final : public EventHandler {
 public:
  Session(const TraceOptions& o, TraceView* view) : opts_(o), view_(view), host_(HostFacts::read()) {
    // The log: trace's output; top's only with -o (JSON lines, as trace -o writes).
    if (!view || !o.output_path.empty())
      log_.emplace(make_formatter(view ? Format::Json : o.format,
                                  {.wide = o.wide, .owners = o.owners, .lifetimes = o.lifetimes, .names = o.json_names}),
                   LogWriter::Options{o.output_path, o.rotate_size, o.rotate_keep, o.duration});
    if (log_) sinks_.add(*log_);
    for (const auto& make : o.sinks) sinks_.add(*more_.emplace_back(make()));
    if (view) sinks_.add(view->sink());
  }

  // Once attached: events carry cookies or socket keys (Tracer::socket_keys).
  // `files`: the task_file iterator for owners, or nothing (/proc).
  void begin(AttachMode mode, BufferMode buffer, bool keys, std::shared_ptr<SocketFiles> files) {
    attach_ = attach_mode_name(mode);
    buffer_ = buffer_mode_name(buffer);
    pipeline_.emplace(pipeline_options(opts_, keys, files), sinks_);
    if (opts_.metrics) {
      metrics_ = std::make_unique<TraceMetrics>(socket_gauges_options(opts_, keys, files));
      sinks_.add(*metrics_);
    }
    if (view_) view_->begin(keys, files);
    sinks_.start(start_info());
    last_flush_ = last_stats_ = last_crosscheck_ = Clock::now();
  }

  void on_event(const tcpfsm_event& e, const tcpfsm_life* life) override {
    ++received_;
    if (!reader_gone()) pipeline_->on_event(e, life);
  }

  void on_cause(const tcpfsm_cause& c) override {
    if (!reader_gone()) pipeline_->on_cause(c);
  }

  // One scrape of --metrics (on the server's thread).
  std::string render_metrics(ExpositionFormat f, const HttpRefusals& http) { return metrics_->render(f, http); }
  // /healthz (on the server's thread).
  std::string metrics_health() { return metrics_->health(); }

  // After each drain: the drained records, owners found first; last: all
  // of them, none held back for a reset report still to come.
  void write_batch(bool last = false) { pipeline_->write_batch(last); }

  // Reports what the kernel lost since the last call, in the stream, before
  // the events drained after it (whose gaps the loss explains).
  void account(const KernelCounters& c) {
    const Losses now{c.ringbuf_full, c.recursion, c.skstate_full};
    const Losses delta{now.ringbuf - lost_.ringbuf, now.recursion - lost_.recursion, now.skstate - lost_.skstate};
    causes_lost_ = c.causes_lost;
    if (!delta.any()) return;
    sinks_.lost(wall_now_ns(), delta);
    pipeline_->note_loss(delta.events());
    lost_ = now;
  }

  // The counters, for the next scrape.
  void publish_metrics(const KernelCounters& k) {
    if (!metrics_) return;
    MetricsSnapshot s;
    s.run = totals();
    s.version = TCPFSM_VERSION;
    s.attach = attach_;
    s.buffer = buffer_;
    s.kernel = host_.kernel;
    if (k.runs) {  // counted only while kernel.bpf_stats_enabled=1
      s.bpf_runs = k.runs;
      s.bpf_run_ns = k.run_ns;
    }
    metrics_->publish(s);
  }

  // Events lost (or sockets not tracked) since the last cross-check began:
  // some CLOSE may be among them, and its socket stale in the table. Then one
  // more check after the losses stop: a check taken during the losses can
  // find a stale record's endpoints (matched without cookies) on a socket
  // alive at that moment, the port reused, which is gone by the next. Or a
  // namespace was out of reach, and may be gone by now.
  bool crosscheck_due() const {
    const auto since = Clock::now() - last_crosscheck_;
    if (misses() != misses_at_crosscheck_ || settle_crosscheck_) return since >= kCrossCheckInterval;
    return crosscheck_.waiting_on_unreachable() && since >= kUnreachableRecheck;
  }
  CrossCheck::Snapshot crosscheck_take() {
    settle_crosscheck_ = misses() != misses_at_crosscheck_;
    misses_at_crosscheck_ = misses();
    last_crosscheck_ = Clock::now();
    return crosscheck_.take(pipeline_->table());
  }
  void crosscheck_apply(const CrossCheck::Snapshot& snap) {
    crosscheck_.apply(snap, pipeline_->table());
    if (!crosscheck_.last_error().empty() && !crosscheck_warned_) {
      std::fprintf(stderr, "tcpfsm: warning: cannot check some sockets against the kernel: %s "
                           "(counted in crosscheck_errors; the table stays bounded by --max-sockets)\n",
                   escaped(crosscheck_.last_error()).c_str());
      crosscheck_warned_ = true;
    }
  }

  // Called once per poll: follows the clock, and flushes and reports on schedule.
  void tick() {
    pipeline_->set_clock(ClockMap::now());
    const auto now = Clock::now();
    if (take_reopen_request() && log_) log_->reopen();
    if (take_stats_request() || (opts_.stats_interval && now - last_stats_ >= *opts_.stats_interval))
      stats_record(now);
    pipeline_->tick(now);
    if (!log_ || !log_->is_file() || now - last_flush_ >= opts_.flush_interval) flush();
  }

  void finish(const KernelCounters& k, std::string_view reason, std::string_view signal,
              std::chrono::nanoseconds elapsed) {
    account(k);
    EndInfo e{wall_now_ns(), totals(), k.matched, static_cast<std::uint64_t>(elapsed.count()), reason, signal};
    sinks_.end(e);  // the log flushes and syncs its file
  }

  void flush() {
    if (log_) log_->flush();
    last_flush_ = Clock::now();
  }

  bool done() const { return reader_gone() || pipeline_->full(); }
  bool reader_gone() const { return log_ && log_->reader_gone(); }
  std::uint64_t received() const { return received_; }
  // What the output holds: transitions formatted after a failed write are not counted.
  Totals totals() const {
    Totals t = pipeline_->totals();
    static const Totals kNone;
    const Totals& gone = log_ ? log_->not_written() : kNone;
    t.transitions -= gone.transitions;
    t.illegal -= gone.illegal;
    t.gaps -= gone.gaps;
    t.unknown_states -= gone.unknown_states;
    t.lost = lost_;
    t.causes_lost = causes_lost_;
    t.sockets.crosscheck_errors = crosscheck_.errors();
    t.log_open_failures = log_ ? log_->open_failures() : 0;
    t.journal_not_sent = sinks_.not_sent();
    return t;
  }
  std::string output_name() const { return log_ ? log_->name() : ""; }
  std::uint64_t not_written() const { return log_ ? log_->not_written().transitions : 0; }

 private:
  std::uint64_t misses() const { return lost_.events() + pipeline_->totals().sockets.untracked; }

  StartInfo start_info() const {
    StartInfo s;
    s.wall_ns = wall_now_ns();
    s.cause = "run";
    s.version = TCPFSM_VERSION;
    s.host = host_.host;
    s.kernel = host_.kernel;
    s.boot_id = host_.boot_id;
    s.attach = attach_;
    s.buffer = buffer_;
    s.model = model_name(opts_.model);
    s.filters = opts_.load.filters;
    s.ringbuf_bytes = opts_.load.ringbuf_bytes;
    s.mono_to_wall_ns = ClockMap::now().mono_to_wall_ns;
    return s;
  }

  void stats_record(Clock::time_point now) {
    const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_stats_);
    const Totals t = totals();
    const double rate = static_cast<double>(t.transitions - transitions_at_stats_) * 1e9 /
                        static_cast<double>(interval.count());
    sinks_.stats({wall_now_ns(), t, static_cast<std::uint64_t>(interval.count()), rate});
    last_stats_ = now;
    transitions_at_stats_ = t.transitions;
  }

  const TraceOptions& opts_;
  TraceView* view_;
  HostFacts host_;
  std::optional<LogSink> log_;  // trace's output; top's with -o
  std::vector<std::unique_ptr<Sink>> more_;  // TraceOptions::sinks
  std::unique_ptr<TraceMetrics> metrics_;  // with --metrics, once the attach mode is known
  Tee sinks_;  // the log, more_, the view, the metrics
  std::optional<Pipeline> pipeline_;  // made once the attach mode is known
  CrossCheck crosscheck_;
  std::string attach_, buffer_;
  bool crosscheck_warned_ = false;
  bool settle_crosscheck_ = false;  // the last check ran on losses: one more follows them
  std::uint64_t received_ = 0;
  Losses lost_;
  std::uint64_t causes_lost_ = 0;  // reset reports the kernel could not deliver
  std::uint64_t misses_at_crosscheck_ = 0;
  Clock::time_point last_flush_, last_stats_, last_crosscheck_;
  std::uint64_t transitions_at_stats_ = 0;
};

// Losses first, then the events (in that order in the stream), then their
// records; then the counters for the metrics, if served.
// Events drained per batch: a backlog (a ring buffer's worth is tens of
// thousands) drained whole sat in memory at once, past the CPU's caches, and
// in the reader's peak memory.
constexpr std::size_t kBatchEvents = 2048;

void pump(EventSource& source, Session& session, bool last = false) {
  const KernelCounters c = source.counters();
  session.account(c);
  while (source.drain(kBatchEvents)) session.write_batch();
  session.write_batch(last);
  session.publish_metrics(c);
}

void print_summary(const Session& s, const KernelCounters& k, BufferMode buffer, std::chrono::nanoseconds elapsed,
                   std::string_view why) {
  std::fprintf(stderr, "tcpfsm: %.*s after %s: %s\n", static_cast<int>(why.size()), why.data(),
               format_duration(elapsed).c_str(), describe(s.totals()).c_str());
  if (const std::uint64_t n = s.not_written())
    std::fprintf(stderr, "tcpfsm: %llu more transitions were traced but are not in %s (not counted above)\n",
                 static_cast<unsigned long long>(n), escaped(s.output_name()).c_str());
  // Every event the program matched was either read or counted as lost.
  const auto unaccounted = static_cast<long long>(k.matched - k.ringbuf_full - s.received());
  if (unaccounted != 0)
    std::fprintf(stderr, "tcpfsm: warning: %lld events matched in the kernel were neither read nor counted lost\n",
                 unaccounted);
  // Perf buffers report their own losses too: the same drops, seen from the
  // buffer (those it had reported by the end), not added to the counts.
  if (buffer == BufferMode::Perf && (k.ringbuf_full || k.causes_full || k.perf_lost_reported))
    std::fprintf(stderr,
                 "tcpfsm: perf buffer full: %llu transitions and %llu reset reports lost (%llu records reported "
                 "lost by the perf buffers)\n",
                 static_cast<unsigned long long>(k.ringbuf_full), static_cast<unsigned long long>(k.causes_full),
                 static_cast<unsigned long long>(k.perf_lost_reported));
}

}  // namespace

SocketGauges::Options socket_gauges_options(const TraceOptions& o, bool socket_keys,
                                           std::shared_ptr<SocketFiles> files) {
  return {o.stuck, o.load.filters, socket_keys, std::move(files)};
}

int run_trace(const TraceOptions& o, TraceView* view) {
  return run_trace(
      o, [](const LoadOptions& load, EventHandler& handler) { return std::make_unique<Tracer>(load, handler); },
      view);
}

int run_trace(const TraceOptions& o, const EventSourceMaker& make_source, TraceView* view) {
  install_run_signals();  // first: Ctrl-C ends a wait for a FIFO's reader
  Session session(o, view);  // opens the output first: a bad path fails before tracing
  // Bound before tracing starts: an address in use fails here. Served once
  // the session can answer (after begin), by threads that start after
  // privileges are dropped.
  std::optional<MetricsServer> metrics;
  if (o.metrics)
    metrics.emplace(
        *o.metrics, [&session](ExpositionFormat f, const HttpRefusals& http) { return session.render_metrics(f, http); },
        [&session] { return session.metrics_health(); });
  const std::unique_ptr<EventSource> made = make_source(o.load, session);
  EventSource& source = *made;
  // Owners from the kernel's task_file iterator, loaded while privileged;
  // where it cannot be had, from /proc.
  std::shared_ptr<SocketFiles> files;
  if (o.owners) {
    std::string why, accept_why;
    files = HolderIterator::load(why, accept_why);
    if (!files)
      std::fprintf(stderr, "tcpfsm: socket owners from /proc: the BPF task_file iterator is unavailable: %s\n",
                   why.c_str());
    else if (!accept_why.empty())
      std::fprintf(stderr, "tcpfsm: an accepted socket's owner is found only while it is open: %s\n",
                   accept_why.c_str());
  }
  if (!o.user.empty()) drop_to_user(o.user);
  report_load(source);
  // Ready before saying so: the owners' first look at every listener is
  // taken here, and children from then on are named.
  session.begin(source.mode(), source.buffer(), source.socket_keys(), std::move(files));
  for (const std::string& m : source.causes_missing())
    std::fprintf(stderr, "tcpfsm: causes: %s\n", m.c_str());
  std::fprintf(stderr, "Tracing TCP state transitions (%s, %s buffer)... Ctrl-C to end.\n",
               std::string(attach_mode_name(source.mode())).c_str(),
               std::string(buffer_mode_name(source.buffer())).c_str());
  if (metrics) {
    pump(source, session);  // a first snapshot: a scrape never sees an empty one
    metrics->start();
  }

  const auto start = Clock::now();
  std::string_view reason = "signal", signal, summary = "interrupted";
  int status = 0;
  try {
    for (;;) {
      source.wait(static_cast<int>(o.poll_interval.count()));
      pump(source, session);
      if (session.crosscheck_due()) {
        // Dump, then drain what raced with the dump, then compare.
        const auto snapshot = session.crosscheck_take();
        pump(source, session);
        session.crosscheck_apply(snapshot);
      }
      session.tick();
      if (const int sig = stop_signal()) {
        signal = sig == SIGTERM ? "SIGTERM" : "SIGINT";
        summary = sig == SIGTERM ? "terminated" : "interrupted";
        break;
      }
      if (view && !view->poll()) { reason = summary = "quit"; break; }
      if (session.reader_gone()) { reason = summary = "output closed"; break; }
      if (session.done()) { reason = "count"; summary = "count reached"; break; }
      if (o.duration && Clock::now() - start >= *o.duration) { reason = "duration"; summary = "duration reached"; break; }
    }
    // Same clean end for every reason: detach, drain, report, write the end, sync.
    source.detach();
    pump(source, session, true);
    session.finish(source.counters(), reason == "output closed" ? "output_closed" : reason, signal,
                   Clock::now() - start);
  } catch (const Error& e) {
    if (e.code() != ExitCode::OutputError) throw;
    std::fprintf(stderr, "tcpfsm: %s; stopping (what was written is whole records)\n", e.what());
    source.detach();
    summary = "output error";
    status = static_cast<int>(ExitCode::OutputError);
  }
  print_summary(session, source.counters(), source.buffer(), Clock::now() - start, summary);
  return status;
}

}  // namespace tcpfsm
