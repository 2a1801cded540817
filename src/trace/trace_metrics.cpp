#include "trace/trace_metrics.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <tuple>

#include "common/container.h"
#include "common/errors.h"
#include "common/text.h"

namespace tcpfsm {
namespace {

// Groups named per stuck state; the rest add up under "other".
constexpr std::size_t kTopGroups = 10;

}  // namespace

TraceMetrics::TraceMetrics(SocketGauges::Options options) : gauges_(std::move(options)) {}

void TraceMetrics::transition(const Transition& t, const Verdict& v) {
  counts_.observe(t.old_state, t.new_state, t.old_ns, v.kind, t.cause);
  if (t.life) connections_.observe(*t.life);
  const auto move = gauges_.move_of(t);
  if (!move) return;
  std::lock_guard lock(mutex_);
  moves_.push_back(*move);
}

void TraceMetrics::publish(MetricsSnapshot counters) {
  counters.transitions = counts_;
  counters.connections = connections_;
  std::lock_guard lock(mutex_);
  latest_ = std::move(counters);
  published_ = std::chrono::steady_clock::now();
}

std::string TraceMetrics::health() {
  // Ten seconds without a poll: the trace thread is stuck (it polls every
  // 100 ms, and a drain takes milliseconds).
  constexpr auto kStale = std::chrono::seconds(10);
  std::lock_guard lock(mutex_);
  if (published_ == std::chrono::steady_clock::time_point{}) return "starting: not tracing yet";
  const auto since = std::chrono::steady_clock::now() - published_;
  if (since > kStale)
    return "the trace thread has not polled for " +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + " s";
  return "";
}

std::string TraceMetrics::render(ExpositionFormat f, const HttpRefusals& http) {
  std::lock_guard scrape(scrape_mutex_);
  MetricsSnapshot s;
  std::vector<SocketGauges::Move> moves;
  {
    std::lock_guard lock(mutex_);
    s = latest_;
    moves.swap(moves_);
  }
  for (const SocketGauges::Move& m : moves) gauges_.apply(m);
  // A socket dump of every namespace and a pass over every process's files
  // costs milliseconds: at most once per kGaugesEvery, whatever the scrapes.
  const auto now = std::chrono::steady_clock::now();
  if (gauges_at_ == std::chrono::steady_clock::time_point{} || now - gauges_at_ >= kGaugesEvery) {
    gauges_seen_ = {};
    try {
      collect_gauges(gauges_seen_);
    } catch (const Error&) {
      ++scrape_errors_;  // the gauges are left out of this scrape; the counters stand
      gauges_seen_ = {};
    }
    gauges_at_ = now;
  }
  s.sockets_by_state = gauges_seen_.sockets_by_state;
  s.stuck = gauges_seen_.stuck;
  s.netns = gauges_seen_.netns;
  s.scrape_errors = scrape_errors_;
  s.http = http;
  return exposition(s, f);
}

void TraceMetrics::collect_gauges(MetricsSnapshot& s) {
  SocketGauges::Now now = gauges_.collect();
  s.sockets_by_state = now.by_state;
  s.netns = NetnsCounts{now.netns_read, now.netns.held_only.size(),
                        now.netns.unreadable.size()};
  if (!now.netns.held_only.empty() && !said_held_only_) {
    std::fprintf(stderr,
                 "tcpfsm: metrics: %zu network namespace(s) cannot be entered (needs CAP_SYS_ADMIN): their sockets "
                 "are read from the processes holding them (task_file iterator), without orphans or connections "
                 "not accept()ed yet (tcpfsm_netns)\n",
                 now.netns.held_only.size());
    said_held_only_ = true;
  }
  if (!now.netns.unreadable.empty() && !said_unreadable_) {
    std::fprintf(stderr, "tcpfsm: metrics: %zu network namespace(s) cannot be read, their sockets are not counted: %s\n",
                 now.netns.unreadable.size(), escaped(now.netns.error).c_str());
    said_unreadable_ = true;
  }
  // The stuck sockets counted by holder, place and port, in the groups
  // `tcpfsm stuck` shows (a client's connections to one service are one
  // group, whatever its ephemeral ports); a socket several processes hold
  // counts once, for its first holder.
  std::map<std::tuple<int, std::string, std::string, std::string, std::uint32_t, std::uint16_t, bool>, StuckCount> groups;
  for (const Group& g : group_sockets_by_port(now.stuck)) {
    const std::string owner = g.owner == Ownership::Process ? g.holder.comm : std::string(ownership_name(g.owner));
    const bool client = g.side == PortSide::Remote;
    for (const StuckSocket* st : g.sockets) {
      if (g.owner == Ownership::Process && st->holders.front().pid != g.holder.pid) continue;
      std::string container, pod;
      if (st->place.container) {
        container = container_label(*st->place.container);
        pod = st->place.container->pod_uid;
      }
      StuckCount& c = groups[{g.state, owner, container, pod, g.netns, g.port, client}];
      if (!c.sockets)
        c = {g.state, owner, container, pod, std::to_string(g.netns), std::to_string(g.port),
             client ? "client" : "server", 0, 0};
      ++c.sockets;
      c.oldest_seconds = std::max(c.oldest_seconds, std::chrono::duration<double>(st->age.value).count());
    }
  }
  std::vector<StuckCount> all;
  for (auto& [k, c] : groups) all.push_back(std::move(c));
  // Most sockets first, per state; past the top groups, "other".
  std::stable_sort(all.begin(), all.end(), [](const StuckCount& a, const StuckCount& b) {
    return a.state != b.state ? a.state < b.state : a.sockets > b.sockets;
  });
  std::map<int, std::size_t> named;
  std::map<int, StuckCount> other;
  for (StuckCount& c : all) {
    if (named[c.state]++ < kTopGroups) {
      s.stuck.push_back(std::move(c));
      continue;
    }
    StuckCount& o = other[c.state];
    o.state = c.state;
    o.owner = "other";
    o.sockets += c.sockets;
    o.oldest_seconds = std::max(o.oldest_seconds, c.oldest_seconds);
  }
  for (auto& [state, o] : other) s.stuck.push_back(std::move(o));
}

}  // namespace tcpfsm
