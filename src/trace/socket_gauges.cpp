#include "trace/socket_gauges.h"

#include <sys/socket.h>

#include "common/clock.h"
#include "kernel/transition_stream.h"

namespace tcpfsm {
namespace {

StuckQuery query_of(const SocketGauges::Options& o) {
  StuckQuery q;
  q.states = o.stuck.states;
  q.min_age = o.stuck.age;
  // Every namespace on the host, as `tcpfsm stuck` looks (or those of
  // --netns); the ports are the gauges' own test (wanted()).
  q.filters.family = o.filters.family;
  q.filters.netns = o.filters.netns;
  q.all_netns = o.filters.netns.empty();
  return q;
}

}  // namespace

SocketGauges::SocketGauges(Options options)
    : options_(std::move(options)),
      stuck_mask_(state_mask(options_.stuck.states)),
      // Every state: the gauges count them all, in the same namespaces.
      refresher_(query_of(options_), {}, options_.files, ~0U),
      tracker_(refresher_.tracker_options(options_.keys, /*netns_in_key=*/true), mono_now_ns()) {}

std::optional<SocketGauges::Move> SocketGauges::move_of(const Transition& t) const {
  if (!((stuck_mask_ >> t.old_state) & 1U) && !((stuck_mask_ >> t.new_state) & 1U)) return std::nullopt;
  // Cookies are written as they are; without them (keys) the record's id is
  // tcpfsm's own, and diag_key matches sock_diag's sockets by endpoints.
  return Move{diag_key(t, options_.keys), t.old_state, t.new_state, t.ktime_ns};
}

SocketGauges::Now SocketGauges::collect() {
  Now now;
  // Every socket, TIME_WAIT and handshakes included, by state; those in a
  // stuck state to the tracker, as `tcpfsm stuck` finds them.
  const std::uint64_t dump_start = mono_now_ns();
  std::vector<DiagSocket> in_state;
  for (const DiagSocket& d : refresher_.dump()) {
    if (!wanted(d) || d.state < 0 || d.state >= TransitionCounts::kStates) continue;
    ++now.by_state[d.state];
    if ((stuck_mask_ >> d.state) & 1U) in_state.push_back(d);
  }
  now.netns = refresher_.netns_skipped();
  now.netns_read = refresher_.netns_read();
  auto r = tracker_.refresh(in_state, dump_start, mono_now_ns());
  refresher_.settle_unstuck(r.unstuck);  // forgets their owners: the cache stays bounded
  refresher_.attach_owners(r.stuck);
  now.stuck = std::move(r.stuck);
  now.younger = r.younger + r.unknown_age;
  return now;
}

}  // namespace tcpfsm
