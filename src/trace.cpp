#include "tcpfsm/trace.h"

#include <csignal>
#include <cstdio>
#include <string>

#include "tcpfsm/checker.h"
#include "tcpfsm/errors.h"
#include "tcpfsm/sink.h"
#include "tcpfsm/transition.h"
#include "tcpfsm/units.h"

namespace tcpfsm {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }

void install_signal_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: interrupt the poll
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as EPIPE from write()
}

constexpr std::size_t kFlushBytes = 64 * 1024;

// Receives events from the ring buffer: decode -> check -> format.
class Session final : public EventHandler {
 public:
  Session(const TraceOptions& o, Sink sink)
      : opts_(o), sink_(std::move(sink)), formatter_(make_formatter(o.format)), checker_(o.model) {
    formatter_->begin(buf_);
  }

  void on_event(const tcpfsm_event& e) override {
    ++received_;
    if (done()) return;  // past --count: read but not written
    const Transition t = decode(e, clock_);
    const Verdict v = checker_.observe(t.cookie, t.old_state, t.new_state).verdict;
    if (v.kind != VerdictKind::Ok) ++verdicts_[static_cast<int>(v.kind)];
    formatter_->transition(buf_, t, v);
    ++written_;
    if (buf_.size() >= kFlushBytes) flush();
  }

  // Reports what the kernel lost since the last call, in the stream.
  void account(const KernelCounters& c) {
    const Losses now{c.ringbuf_full, c.recursion, c.skstate_full};
    const Losses delta{now.ringbuf - reported_.ringbuf, now.recursion - reported_.recursion,
                       now.skstate - reported_.skstate};
    if (!delta.any()) return;
    clock_ = ClockMap::now();
    formatter_->lost(buf_, static_cast<std::uint64_t>(wall_now()), delta);
    checker_.note_loss(delta.events());
    reported_ = now;
  }

  void flush() {
    if (!reader_gone_ && !buf_.empty()) reader_gone_ = !sink_.write(buf_);
    buf_.clear();
  }
  void resync_clock() { clock_ = ClockMap::now(); }

  bool done() const { return reader_gone_ || (opts_.count && written_ >= *opts_.count); }
  bool reader_gone() const { return reader_gone_; }
  Sink& sink() { return sink_; }
  std::uint64_t received() const { return received_; }
  std::uint64_t written() const { return written_; }
  const Losses& losses() const { return reported_; }
  std::uint64_t verdicts(VerdictKind k) const { return verdicts_[static_cast<int>(k)]; }

 private:
  std::int64_t wall_now() const {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }

  const TraceOptions& opts_;
  Sink sink_;
  std::unique_ptr<Formatter> formatter_;
  Checker checker_;
  ClockMap clock_ = ClockMap::now();
  std::string buf_;
  bool reader_gone_ = false;
  std::uint64_t received_ = 0, written_ = 0;
  std::uint64_t verdicts_[4] = {};
  Losses reported_;
};

void print_summary(const Session& s, const KernelCounters& k, std::chrono::nanoseconds elapsed,
                   const char* why) {
  const Losses& l = s.losses();
  std::fprintf(stderr,
               "tcpfsm: %s after %s: %llu transitions written; lost %llu (ring buffer full %llu, "
               "recursion %llu); per-socket state not stored %llu; %llu illegal, %llu gaps, "
               "%llu unknown states\n",
               why, format_duration(elapsed).c_str(), static_cast<unsigned long long>(s.written()),
               static_cast<unsigned long long>(l.events()), static_cast<unsigned long long>(l.ringbuf),
               static_cast<unsigned long long>(l.recursion), static_cast<unsigned long long>(l.skstate),
               static_cast<unsigned long long>(s.verdicts(VerdictKind::Illegal)),
               static_cast<unsigned long long>(s.verdicts(VerdictKind::Gap)),
               static_cast<unsigned long long>(s.verdicts(VerdictKind::UnknownState)));
  // Every event the program matched was either delivered or counted as lost.
  const std::uint64_t unaccounted = k.matched - k.ringbuf_full - s.received();
  if (unaccounted != 0)
    std::fprintf(stderr, "tcpfsm: warning: %lld events matched in the kernel were neither read nor counted lost\n",
                 static_cast<long long>(unaccounted));
}

}  // namespace

int run_trace(const TraceOptions& o) {
  Sink sink = o.output_path.empty() ? Sink::to_stdout() : Sink::append_to(o.output_path);
  Session session(o, std::move(sink));
  install_signal_handlers();
  Tracer tracer(o.load, session);

  if (!tracer.fallback_reason().empty())
    std::fprintf(stderr, "tcpfsm: tp_btf unavailable, using the classic tracepoint: %s\n",
                 tracer.fallback_reason().c_str());
  std::fprintf(stderr, "Tracing TCP state transitions (%s)... Ctrl-C to end.\n",
               std::string(attach_mode_name(tracer.mode())).c_str());

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const char* why = "interrupted";
  for (;;) {
    tracer.poll(static_cast<int>(o.poll_interval.count()));
    session.account(tracer.counters());
    session.flush();
    session.resync_clock();
    if (g_stop_signal) {
      why = g_stop_signal == SIGTERM ? "terminated" : "interrupted";
      break;
    }
    if (session.reader_gone()) { why = "output closed"; break; }
    if (session.done()) { why = "count reached"; break; }
    if (o.duration && Clock::now() - start >= *o.duration) { why = "duration reached"; break; }
  }

  // Same clean end for every reason: detach, drain, report, flush.
  tracer.detach();
  tracer.drain();
  const KernelCounters final_counters = tracer.counters();
  session.account(final_counters);
  session.flush();
  if (!session.reader_gone()) session.sink().sync();
  print_summary(session, final_counters, Clock::now() - start, why);
  return 0;
}

}  // namespace tcpfsm
