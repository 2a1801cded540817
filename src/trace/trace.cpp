#include "trace/trace.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <unordered_map>

#include "model/checker.h"
#include "pipeline/entry_times.h"
#include "common/errors.h"
#include "output/log_writer.h"
#include "owners/owners.h"
#include "kernel/privileges.h"
#include "kernel/transition.h"
#include "common/units.h"

namespace tcpfsm {
namespace {

volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_reopen = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }
void on_hangup(int) { g_reopen = 1; }

void install_signal_handlers() {
  struct sigaction sa{};
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_stop_signal;  // no SA_RESTART: interrupt the poll
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as EPIPE from write()
}

using Clock = std::chrono::steady_clock;
constexpr std::size_t kFlushBytes = 64 * 1024;
// Owner lookups: one-process scans per poll (about 100 a second), and how
// often the whole of /proc may be walked for the rest.
constexpr unsigned kOwnerScansPerTick = 10;
constexpr auto kOwnerWalkInterval = std::chrono::seconds(5);

std::uint64_t wall_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

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

// Receives events from the ring buffer: decode -> check -> format -> write.
class Session final : public EventHandler {
 public:
  explicit Session(const TraceOptions& o)
      : opts_(o),
        formatter_(make_formatter(o.format)),
        checker_(o.model),
        host_(HostFacts::read()),
        writer_({o.output_path, o.rotate_size, o.rotate_keep},
                [this](std::string& out, std::string_view cause) { start_record(out, cause); }) {}

  void begin(AttachMode mode) {
    attach_ = attach_mode_name(mode);
    writer_.begin();
    last_flush_ = last_stats_ = Clock::now();
  }

  void on_event(const tcpfsm_event& e) override {
    ++received_;
    if (done()) return;  // past --count: read but not written
    Transition t = decode(e, clock_);
    if (opts_.owners) add_owner(t);
    const Verdict v = checker_.observe(t.cookie, t.old_state, t.new_state).verdict;
    if (!opts_.load.kernel_state())
      t.old_ns = entry_times_.observe(t.cookie, t.ktime_ns, t.new_state, v.kind == VerdictKind::Gap);
    count_verdict(v.kind);
    formatter_->transition(buf_, t, v);
    ++totals_.transitions;
    if (buf_.size() >= kFlushBytes) flush();
  }

  // Reports what the kernel lost since the last call, in the stream.
  void account(const KernelCounters& c) {
    const Losses now{c.ringbuf_full, c.recursion, c.skstate_full};
    const Losses& was = totals_.lost;
    const Losses delta{now.ringbuf - was.ringbuf, now.recursion - was.recursion, now.skstate - was.skstate};
    if (!delta.any()) return;
    formatter_->lost(buf_, wall_now_ns(), delta);
    checker_.note_loss(delta.events());
    totals_.lost = now;
  }

  // Called once per poll: follows the clock, and flushes and reports on schedule.
  void tick() {
    clock_ = ClockMap::now();
    const auto now = Clock::now();
    if (g_reopen) {
      g_reopen = 0;
      flush();
      writer_.reopen();
    }
    if (opts_.stats_interval && now - last_stats_ >= *opts_.stats_interval) stats_record(now);
    if (opts_.owners) refresh_owners(now);
    if (!writer_.is_file() || now - last_flush_ >= opts_.flush_interval) flush();
  }

  void finish(const KernelCounters& k, std::string_view reason, std::string_view signal,
              std::chrono::nanoseconds elapsed) {
    account(k);
    EndInfo e{wall_now_ns(), totals_, k.matched, static_cast<std::uint64_t>(elapsed.count()), reason, signal};
    formatter_->end(buf_, e);
    flush();
    if (!reader_gone_) writer_.sync();
  }

  void flush() {
    if (!reader_gone_ && !buf_.empty()) reader_gone_ = !writer_.write(buf_);
    buf_.clear();
    last_flush_ = Clock::now();
  }

  bool done() const { return reader_gone_ || (opts_.count && totals_.transitions >= *opts_.count); }
  bool reader_gone() const { return reader_gone_; }
  std::uint64_t received() const { return received_; }
  const Totals& totals() const { return totals_; }
  const std::string& output_name() const { return writer_.name(); }

 private:
  // Owners come from the socket inode read at the event. A socket without a
  // file (not accepted yet, or orphaned by close()) has inode 0: no process
  // holds it. Its cache entry goes once it loses its file or reaches CLOSE.
  void add_owner(Transition& t) {
    if (t.ino) {
      const auto* holders = owners_.lookup(t.ino);
      if (!holders) holders = find_owner(t);
      if (holders && !holders->empty()) {
        t.owner_pid = holders->front().pid;
        t.owner_comm = holders->front().comm;
        if (t.new_state == number(State::Listen)) listener_owner_[t.local.port] = t.owner_pid;
      }
      inode_of_.try_emplace(t.cookie, t.ino);
    }
    if (t.old_state == number(State::Listen) && t.new_state == number(State::Close))
      listener_owner_.erase(t.local.port);
    if (!t.ino || t.new_state == number(State::Close)) {
      if (auto it = inode_of_.find(t.cookie); it != inode_of_.end()) {
        owners_.forget(it->second);
        inode_of_.erase(it);
      }
    }
  }

  // A new inode is looked for in the processes likely to hold it: the task
  // on the CPU (connect, listen and close run in the owner's context) and the
  // owner of the listener on its local port (who usually accepts). A full
  // walk of /proc costs a readlink per open fd on the host, so it only runs
  // every few seconds, for what these scans did not find.
  const std::vector<Holder>* find_owner(const Transition& t) {
    for (std::int32_t pid : {static_cast<std::int32_t>(t.pid), listener_owner_of(t.local.port)}) {
      if (pid <= 0 || scans_left_ == 0) continue;
      --scans_left_;
      if (owners_.resolve_in(pid))
        if (const auto* holders = owners_.lookup(t.ino)) return holders;
    }
    return nullptr;
  }

  std::int32_t listener_owner_of(std::uint16_t port) const {
    auto it = listener_owner_.find(port);
    return it == listener_owner_.end() ? 0 : it->second;
  }

  void refresh_owners(Clock::time_point now) {
    scans_left_ = kOwnerScansPerTick;
    if (now - last_owner_walk_ >= kOwnerWalkInterval && owners_.resolve_pending()) last_owner_walk_ = now;
  }

  void count_verdict(VerdictKind k) {
    if (k == VerdictKind::Illegal) ++totals_.illegal;
    else if (k == VerdictKind::Gap) ++totals_.gaps;
    else if (k == VerdictKind::UnknownState) ++totals_.unknown_states;
  }

  void start_record(std::string& out, std::string_view cause) {
    StartInfo s;
    s.wall_ns = wall_now_ns();
    s.cause = cause;
    s.version = TCPFSM_VERSION;
    s.host = host_.host;
    s.kernel = host_.kernel;
    s.boot_id = host_.boot_id;
    s.attach = attach_;
    s.model = model_name(opts_.model);
    s.family = opts_.load.family == 0 ? 0 : opts_.load.family == 2 ? 4 : 6;
    s.ports = &opts_.load.ports;
    s.ringbuf_bytes = opts_.load.ringbuf_bytes;
    s.mono_to_wall_ns = clock_.mono_to_wall_ns;
    formatter_->start(out, s);
  }

  void stats_record(Clock::time_point now) {
    const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_stats_);
    const double rate = static_cast<double>(totals_.transitions - transitions_at_stats_) * 1e9 /
                        static_cast<double>(interval.count());
    formatter_->stats(buf_, {wall_now_ns(), totals_, static_cast<std::uint64_t>(interval.count()), rate});
    last_stats_ = now;
    transitions_at_stats_ = totals_.transitions;
  }

  const TraceOptions& opts_;
  std::unique_ptr<Formatter> formatter_;
  Checker checker_;
  HostFacts host_;
  ClockMap clock_ = ClockMap::now();
  std::string attach_;
  std::string buf_;
  LogWriter writer_;  // last: its preamble callback uses the members above
  bool reader_gone_ = false;
  std::uint64_t received_ = 0;
  Totals totals_;
  Clock::time_point last_flush_, last_stats_, last_owner_walk_;
  OwnerCache owners_;
  EntryTimes entry_times_;  // old_ns, when the kernel keeps no per-socket time
  std::unordered_map<std::uint64_t, std::uint32_t> inode_of_;       // cookie -> socket inode
  std::unordered_map<std::uint16_t, std::int32_t> listener_owner_;  // local port -> pid
  unsigned scans_left_ = kOwnerScansPerTick;
  std::uint64_t transitions_at_stats_ = 0;
};

void print_summary(const Session& s, const KernelCounters& k, std::chrono::nanoseconds elapsed,
                   std::string_view why) {
  std::fprintf(stderr, "tcpfsm: %.*s after %s: %s\n", static_cast<int>(why.size()), why.data(),
               format_duration(elapsed).c_str(), describe(s.totals()).c_str());
  // Every event the program matched was either read or counted as lost.
  const auto unaccounted = static_cast<long long>(k.matched - k.ringbuf_full - s.received());
  if (unaccounted != 0)
    std::fprintf(stderr, "tcpfsm: warning: %lld events matched in the kernel were neither read nor counted lost\n",
                 unaccounted);
}

}  // namespace

int run_trace(const TraceOptions& o) {
  Session session(o);  // opens the output first: a bad path fails before tracing
  install_signal_handlers();
  Tracer tracer(o.load, session);
  if (!o.user.empty()) drop_to_user(o.user);
  if (!tracer.fallback_reason().empty())
    std::fprintf(stderr, "tcpfsm: tp_btf unavailable, using the classic tracepoint: %s\n",
                 tracer.fallback_reason().c_str());
  std::fprintf(stderr, "Tracing TCP state transitions (%s)... Ctrl-C to end.\n",
               std::string(attach_mode_name(tracer.mode())).c_str());
  session.begin(tracer.mode());

  const auto start = Clock::now();
  std::string_view reason = "signal", signal, summary = "interrupted";
  int status = 0;
  try {
    for (;;) {
      tracer.wait(static_cast<int>(o.poll_interval.count()));
      session.account(tracer.counters());
      tracer.drain();
      session.tick();
      if (g_stop_signal) {
        signal = g_stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
        summary = g_stop_signal == SIGTERM ? "terminated" : "interrupted";
        break;
      }
      if (session.reader_gone()) { reason = summary = "output closed"; break; }
      if (session.done()) { reason = "count"; summary = "count reached"; break; }
      if (o.duration && Clock::now() - start >= *o.duration) { reason = "duration"; summary = "duration reached"; break; }
    }
    // Same clean end for every reason: detach, drain, report, write the end, sync.
    tracer.detach();
    tracer.drain();
    session.finish(tracer.counters(), reason == "output closed" ? "output_closed" : reason, signal,
                   Clock::now() - start);
  } catch (const Error& e) {
    if (e.code() != ExitCode::OutputError) throw;
    std::fprintf(stderr, "tcpfsm: %s; stopping (what was written is whole records)\n", e.what());
    tracer.detach();
    summary = "output error";
    status = static_cast<int>(ExitCode::OutputError);
  }
  print_summary(session, tracer.counters(), Clock::now() - start, summary);
  return status;
}

}  // namespace tcpfsm
