#include "trace/trace_metrics.h"

#include <sys/socket.h>

#include <algorithm>
#include <map>

#include "common/clock.h"
#include "common/errors.h"
#include "kernel/transition.h"

namespace tcpfsm {
namespace {

// Holders named per stuck state; the rest add up under "other".
constexpr std::size_t kTopHolders = 10;

StuckQuery query_of(const TraceMetrics::Options& o) {
  StuckQuery q;
  q.states = o.stuck_states;
  q.min_age = o.stuck_age;
  q.family = o.family;
  // Every namespace on the host, as `tcpfsm stuck` looks (or those of --netns).
  q.netns = o.netns;
  q.all_netns = o.netns.empty();
  return q;
}

}  // namespace

TraceMetrics::TraceMetrics(Options options)
    : options_(std::move(options)),
      stuck_mask_(state_mask(options_.stuck_states)),
      refresher_(query_of(options_)),
      tracker_(refresher_.tracker_options(options_.keys, /*netns_in_key=*/true), mono_now_ns()) {}

void TraceMetrics::on_event(const tcpfsm_event& e) {
  if (!((stuck_mask_ >> e.old_state) & 1U) && !((stuck_mask_ >> e.new_state) & 1U)) return;
  std::uint64_t key = e.cookie;
  if (options_.keys) {
    const Transition t = decode(e, ClockMap{});
    key = endpoints_key(t.netns, t.ipv6, t.local, t.remote);
  }
  std::lock_guard lock(mutex_);
  moves_.push_back({key, e.old_state, e.new_state, e.ktime_ns});
}

void TraceMetrics::publish(const MetricsSnapshot& counters) {
  std::lock_guard lock(mutex_);
  latest_ = counters;
}

std::string TraceMetrics::render(ExpositionFormat f) {
  std::lock_guard scrape(scrape_mutex_);
  MetricsSnapshot s;
  std::vector<Move> moves;
  {
    std::lock_guard lock(mutex_);
    s = latest_;
    moves.swap(moves_);
  }
  for (const Move& m : moves) tracker_.on_transition(m.key, m.old_state, m.new_state, m.ktime_ns);
  try {
    collect_gauges(s);
  } catch (const Error&) {
    ++scrape_errors_;  // the gauges are left out of this scrape; the counters stand
  }
  s.scrape_errors = scrape_errors_;
  return exposition(s, f);
}

void TraceMetrics::collect_gauges(MetricsSnapshot& s) {
  const auto wanted = [&](const DiagSocket& d) { return options_.ports.matches(d.local.port, d.remote.port); };

  // Every socket, TIME_WAIT and handshakes included, by state.
  sockets_.clear();
  if (options_.family != AF_INET6) diag_.dump(AF_INET, ~0U, sockets_);
  if (options_.family != AF_INET) diag_.dump(AF_INET6, ~0U, sockets_);
  auto& by_state = s.sockets_by_state.emplace();
  by_state.fill(0);
  for (const DiagSocket& d : sockets_)
    if (d.state >= 0 && d.state < TransitionCounts::kStates && wanted(d)) ++by_state[d.state];

  // The stuck sockets, as `tcpfsm stuck` finds them, counted by holder.
  const std::uint64_t dump_start = mono_now_ns();
  std::vector<DiagSocket> in_state;
  for (const DiagSocket& d : refresher_.dump())
    if (wanted(d)) in_state.push_back(d);
  auto r = tracker_.refresh(in_state, dump_start, mono_now_ns());
  refresher_.settle_unstuck(r.unstuck);  // forgets their owners: the cache stays bounded
  refresher_.attach_owners(r.stuck);
  std::map<std::pair<int, std::string>, std::uint64_t> counts;
  for (const StuckSocket& st : r.stuck) {
    const std::string owner = st.owner == Ownership::Process && !st.holders.empty()
                                  ? st.holders.front().comm
                                  : std::string(ownership_name(st.owner));
    ++counts[{st.sock.state, owner}];
  }
  std::vector<StuckCount> all;
  for (const auto& [k, n] : counts) all.push_back({k.first, k.second, n});
  // Most sockets first, per state; past the top holders, "other".
  std::stable_sort(all.begin(), all.end(), [](const StuckCount& a, const StuckCount& b) {
    return a.state != b.state ? a.state < b.state : a.sockets > b.sockets;
  });
  std::map<int, std::size_t> named;
  std::map<int, std::uint64_t> other;
  for (StuckCount& c : all) {
    if (named[c.state]++ < kTopHolders)
      s.stuck.push_back(std::move(c));
    else
      other[c.state] += c.sockets;
  }
  for (const auto& [state, n] : other) s.stuck.push_back({state, "other", n});
}

}  // namespace tcpfsm
