#include "stuck_scan/run.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/signals.h"
#include "common/text.h"
#include "common/units.h"
#include "kernel/loader.h"
#include "kernel/transition_stream.h"
#include "model/states.h"
#include "output/log_writer.h"
#include "stuck/stuck.h"
#include "stacks/origins.h"
#include "stuck_scan/tracker.h"

namespace tcpfsm {
namespace {

std::string netns_scope(const StuckQuery& q) {
  const auto& netns = q.filters.netns;
  if (netns.empty()) return q.all_netns ? "every network namespace" : "tcpfsm's own network namespace";
  std::string s = netns.size() == 1 ? "network namespace " : "network namespaces ";
  for (std::size_t i = 0; i < netns.size(); ++i) s += (i ? ", " : "") + std::to_string(netns[i]);
  return s;
}

// The held-socket iterator where it loads (CAP_BPF+CAP_PERFMON, Linux
// 5.8+): without it, namespaces that cannot be entered are not read, and
// owners come from /proc.
std::shared_ptr<SocketFiles> held_sockets() {
  std::string why, accept_why;
  return HolderIterator::load(why, accept_why);
}

bool same(const NetnsSkipped& a, const NetnsSkipped& b) {
  return a.gone == b.gone && a.unreadable == b.unreadable && a.held_only == b.held_only;
}

int run_once(const StuckOptions& o) {
  StuckRefresher refresher(o.query, {}, held_sockets());
  const std::uint64_t start = mono_now_ns();
  StuckTracker tracker(refresher.tracker_options(false), start);
  const auto& sockets = refresher.dump();
  auto r = tracker.refresh(sockets, start, mono_now_ns());
  refresher.attach_owners(r.stuck);
  const bool stuck = !r.stuck.empty();
  std::string out;
  if (o.format == Format::Json) {
    const std::uint64_t wall = wall_now_ns();
    for (const StuckSocket& s : r.stuck) append_stuck_json(out, s, wall);
    append_netns_skipped_json(out, refresher.netns_skipped(), wall);
  } else {
    append_view(out, refresher.view(r), 0);
  }
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as EPIPE from write()
  LogWriter({}, {}).write(out);
  return stuck ? 1 : 0;
}

// Hands the run's transitions to the tracker, by the key sock_diag's
// sockets are matched with (diag_key), and the sockets' origins to their
// table.
class TrackerFeed final : public TransitionStream::Reader {
 public:
  void transition(Transition& t) override {
    // Events are read only by poll()/drain(), after the tracker is set.
    if (tracker) tracker->on_transition(diag_key(t, keys), t.old_state, t.new_state, t.ktime_ns, t.reported);
    if (t.new_state == number(State::Close)) origins.closed(t.ino);
  }
  void late_cause(const tcpfsm_cause& c, std::optional<std::uint64_t> key) override {
    if (tracker && key) tracker->on_late_cause(*key, c);
  }
  void origin(const tcpfsm_origin& o) override { origins.add(o); }
  StuckTracker* tracker = nullptr;
  bool keys = false;
  OriginTable origins;
};

constexpr std::size_t kWatchRowsPerGroup = 10;

// The terminal's size now (it may have been resized); 24x80 when it does not say.
Screen screen_size() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) return {ws.ws_row, ws.ws_col};
  return {};
}

// The screens hide the cursor: shown again however the watch ends (a signal,
// a write error, an exception), after the last whole screen.
class CursorRestore {
 public:
  explicit CursorRestore(bool terminal) : terminal_(terminal) {}
  ~CursorRestore() {
    if (!terminal_) return;
    const ssize_t n = ::write(STDOUT_FILENO, kShowCursor.data(), kShowCursor.size());
    (void)n;  // nothing more to do about a terminal that is gone
  }
  CursorRestore(const CursorRestore&) = delete;
  CursorRestore& operator=(const CursorRestore&) = delete;

 private:
  bool terminal_;
};

int run_watch(const StuckOptions& o) {
  StuckRefresher refresher(o.query, {}, held_sockets());
  install_run_signals();
  LogWriter stdout_writer({}, {});  // EPIPE-aware: a reader that went away ends the watch
  TrackerFeed feed;
  TransitionStream stream(feed);
  LoadOptions load;
  load.buffer = o.buffer;
  load.stacks = o.stacks;
  load.filters.family = o.query.filters.family;
  load.filters.ports = o.query.filters.ports;
  // Only the namespaces asked for, when the kernel can filter on that many.
  if (o.query.filters.netns.size() <= TCPFSM_MAX_NETNS_FILTERS) load.filters.netns = o.query.filters.netns;
  Tracer tracer(load, stream);
  feed.keys = tracer.socket_keys();
  stream.use_socket_keys(feed.keys);
  // Attached: from here on every entry into a watched state is seen.
  StuckTracker tracker(refresher.tracker_options(feed.keys, /*netns_in_key=*/true), mono_now_ns());
  feed.tracker = &tracker;

  report_load(tracer);
  for (const std::string& m : tracer.stacks_missing()) std::fprintf(stderr, "tcpfsm: stacks: %s\n", m.c_str());
  std::fprintf(stderr, "Watching for sockets in %s for %s or more in %s (%s, %s buffer), every %s... Ctrl-C to end.\n",
               state_names(o.query.states).c_str(), format_duration(o.query.min_age).c_str(),
               netns_scope(o.query).c_str(), std::string(attach_mode_name(tracer.mode())).c_str(),
               std::string(buffer_mode_name(tracer.buffer())).c_str(),
               format_duration(o.interval).c_str());

  // On a terminal the table is redrawn in place; elsewhere appended, as a log.
  const bool terminal = o.format == Format::Table && isatty(STDOUT_FILENO);
  const CursorRestore cursor(terminal);
  RecentlyLeft recent;
  const auto interval_ns = static_cast<std::uint64_t>(o.interval.count());
  KernelCounters reported_losses;
  NetnsSkipped reported_skips;
  std::uint64_t next = mono_now_ns();
  while (!stop_signal()) {
    for (std::uint64_t now = mono_now_ns(); now < next && !stop_signal(); now = mono_now_ns())
      tracer.poll(static_cast<int>(std::min<std::uint64_t>((next - now) / 1'000'000 + 1, 100)));
    if (stop_signal()) break;

    // Transitions up to the dump first, and those that raced with it after.
    tracer.drain();
    const std::uint64_t dump_start = mono_now_ns();
    const auto& sockets = refresher.dump();
    tracer.drain();
    auto r = tracker.refresh(sockets, dump_start, mono_now_ns());
    refresher.settle_unstuck(r.unstuck);
    refresher.attach_owners(r.stuck);
    for (StuckSocket& s : r.stuck) {
      std::vector<std::int32_t> pids;
      for (const Holder& h : s.holders) pids.push_back(h.pid);
      s.origin = feed.origins.find(s.sock.ino, pids);
    }
    feed.origins.forget_exited();

    const KernelCounters c = tracer.counters();
    if (c.ringbuf_full != reported_losses.ringbuf_full || c.recursion != reported_losses.recursion) {
      std::fprintf(stderr, "tcpfsm: %llu transitions lost so far (%s buffer full %llu, recursion %llu): "
                           "sockets they concerned show lower-bound ages\n",
                   static_cast<unsigned long long>(c.ringbuf_full + c.recursion),
                   std::string(buffer_mode_name(tracer.buffer())).c_str(),
                   static_cast<unsigned long long>(c.ringbuf_full), static_cast<unsigned long long>(c.recursion));
    }

    if (c.origins_full != reported_losses.origins_full || c.stacks_unread != reported_losses.stacks_unread)
      std::fprintf(stderr, "tcpfsm: stacks not taken so far: %llu (%s buffer full), %llu more without frames (the "
                           "kernel could not read the user stack): those sockets' code paths are not known\n",
                   static_cast<unsigned long long>(c.origins_full),
                   std::string(buffer_mode_name(tracer.buffer())).c_str(),
                   static_cast<unsigned long long>(c.stacks_unread));
    reported_losses = c;

    auto view = [&] {
      StuckView v = refresher.view(r);
      v.stacks = o.stacks;
      return v;
    };
    std::string out;
    const std::uint64_t wall = wall_now_ns();
    if (o.format == Format::Json) {
      for (const Unstuck& u : r.unstuck) append_unstuck_json(out, u, wall);
      for (std::size_t i : r.newly) append_stuck_json(out, r.stuck[i], wall);
      // Once per change: a namespace that stays unreadable is not repeated.
      if (!same(refresher.netns_skipped(), reported_skips)) {
        append_netns_skipped_json(out, refresher.netns_skipped(), wall);
        reported_skips = refresher.netns_skipped();
      }
    } else if (terminal) {
      // One write per screen: a signal is seen only between two.
      recent.add(clock_text(wall), r.unstuck);
      append_watch_screen(out, clock_text(wall), recent, view(), kWatchRowsPerGroup, screen_size());
    } else {
      append_watch_text(out, clock_text(wall), r.unstuck, view(), kWatchRowsPerGroup);
    }
    if (!out.empty() && !stdout_writer.write(out)) break;  // the reader has gone
    next = std::max(next + interval_ns, mono_now_ns() + interval_ns / 2);
  }
  tracer.detach();
  return 0;
}

}  // namespace

int run_stuck(const StuckOptions& o) { return o.once ? run_once(o) : run_watch(o); }

}  // namespace tcpfsm
