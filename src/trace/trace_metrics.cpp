#include "trace/trace_metrics.h"

#include <algorithm>
#include <map>

#include "common/errors.h"

namespace tcpfsm {
namespace {

// Holders named per stuck state; the rest add up under "other".
constexpr std::size_t kTopHolders = 10;

}  // namespace

TraceMetrics::TraceMetrics(SocketGauges::Options options) : gauges_(std::move(options)) {}

void TraceMetrics::on_event(const tcpfsm_event& e) {
  const auto move = gauges_.move_of(e);
  if (!move) return;
  std::lock_guard lock(mutex_);
  moves_.push_back(*move);
}

void TraceMetrics::publish(const MetricsSnapshot& counters) {
  std::lock_guard lock(mutex_);
  latest_ = counters;
}

std::string TraceMetrics::render(ExpositionFormat f) {
  std::lock_guard scrape(scrape_mutex_);
  MetricsSnapshot s;
  std::vector<SocketGauges::Move> moves;
  {
    std::lock_guard lock(mutex_);
    s = latest_;
    moves.swap(moves_);
  }
  for (const SocketGauges::Move& m : moves) gauges_.apply(m);
  try {
    collect_gauges(s);
  } catch (const Error&) {
    ++scrape_errors_;  // the gauges are left out of this scrape; the counters stand
  }
  s.scrape_errors = scrape_errors_;
  return exposition(s, f);
}

void TraceMetrics::collect_gauges(MetricsSnapshot& s) {
  SocketGauges::Now now = gauges_.collect();
  s.sockets_by_state = now.by_state;
  // The stuck sockets counted by holder.
  std::map<std::pair<int, std::string>, std::uint64_t> counts;
  for (const StuckSocket& st : now.stuck) {
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
