// The I/O of one `tcpfsm stuck` refresh, without BPF: the sockets in the
// watched states (sock_diag) and the processes holding them (/proc, cached).
// Shared by --once, the watch loop and bench/stuck_refresh.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "owners/owners.h"
#include "kernel/sockdiag.h"
#include "stuck/stuck.h"
#include "stuck/tracker.h"

namespace tcpfsm {

// What `tcpfsm stuck` looks for.
struct StuckQuery {
  std::vector<State> states{State::CloseWait};
  std::chrono::nanoseconds min_age{std::chrono::seconds(30)};
  std::vector<std::uint16_t> ports;  // either side; empty: all
  std::uint16_t family = 0;          // AF_INET, AF_INET6, or 0 for both
};

class StuckRefresher {
 public:
  explicit StuckRefresher(StuckQuery query, OwnerCache::Options owners = {});

  // Tracker options for this query; key_by_endpoints when the tracer's
  // cookies are synthetic (classic tracepoint).
  StuckTracker::Options tracker_options(bool key_by_endpoints) const;

  // The sockets now in the watched states that pass the port and family filters.
  const std::vector<DiagSocket>& dump();

  // Owners of every stuck socket: one /proc walk for inodes not known yet.
  void attach_owners(std::vector<StuckSocket>& stuck);

  // Unstuck sockets keep the owners last known (the fd may be closed by now)
  // and are looked up once when no transition showed where they went (a
  // timewait socket moves on without one): gone means closed.
  void settle_unstuck(std::vector<Unstuck>& unstuck);

  // The view of a refresh; moves the stuck sockets out of r.
  StuckView view(StuckTracker::Result& r) const;

  const OwnerCache::Stats& owner_stats() const { return owners_.stats(); }

 private:
  StuckQuery query_;
  std::uint32_t mask_;
  std::chrono::milliseconds fin_timeout_;
  SockDiag diag_;
  OwnerCache owners_;
  std::vector<DiagSocket> sockets_;
};

}  // namespace tcpfsm
