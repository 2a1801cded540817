// The I/O of one `tcpfsm stuck` refresh, without BPF: the sockets in the
// watched states (sock_diag, in each network namespace asked for) and the
// processes holding them (/proc, cached), with each socket's namespace and
// cgroup. Shared by --once, the watch loop, trace's metrics and
// bench/stuck_refresh.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include <memory>
#include <optional>

#include "owners/holder_iter.h"
#include "owners/owners.h"
#include "kernel/cgroup_names.h"
#include "kernel/netns.h"
#include "record/filters.h"
#include "kernel/sockdiag.h"
#include "stuck/stuck.h"
#include "stuck_scan/tracker.h"

namespace tcpfsm {

// What `tcpfsm stuck` looks for.
struct StuckQuery {
  std::vector<State> states = StuckSettings{}.states;
  std::chrono::nanoseconds min_age = StuckSettings{}.age;
  // Its family, ports and network namespaces (inodes) to look in. No
  // namespace: every namespace of the host when all_netns (what `tcpfsm
  // stuck` does), else tcpfsm's own alone.
  Filters filters;
  bool all_netns = false;
};

class StuckRefresher {
 public:
  // `files`: the kernel's task_file iterator (owners/holder_iter.h), or
  // nothing. With it, the sockets processes hold are read in every network
  // namespace without entering any (what the agent, without CAP_SYS_ADMIN,
  // has), and their holders without /proc/PID/fd (without CAP_SYS_PTRACE).
  // `dump_states`: the states dump() returns (bit 1 << state); 0: the
  // query's. The socket gauges ask for every state, to count them all.
  explicit StuckRefresher(StuckQuery query, OwnerCache::Options owners = {},
                          std::shared_ptr<SocketFiles> files = nullptr, std::uint32_t dump_states = 0);

  // Tracker options for this query. key_by_endpoints when the tracer's
  // cookies are synthetic (classic tracepoint); netns_in_key when the keys
  // given to the tracker are endpoints_key(netns, ...) (needed as soon as
  // more than one namespace is dumped). The options read each namespace's
  // tcp_fin_timeout from this refresher: it must outlive the tracker.
  StuckTracker::Options tracker_options(bool key_by_endpoints, bool netns_in_key = false) const;

  // The sockets now in the watched states (or dump_states) that pass the
  // port and family filters, of every namespace asked for, each with its
  // netns. Dumps each namespace once, entering it (setns) through a file
  // found in /proc or /var/run/netns; no namespace file or socket is kept
  // open afterwards but tcpfsm's own. A namespace that cannot be entered
  // (no CAP_SYS_ADMIN) is read through the held-socket iterator when there
  // is one: the sockets processes hold, not orphans nor sockets waiting to
  // be accept()ed (netns_skipped().held_only). Otherwise a namespace that is
  // gone before it could be read, or that cannot be read, is skipped: see
  // netns_skipped(). Of one that could be read before, the sockets of its
  // last dump stand in, so that they are not taken for gone. Throws Error
  // only when tcpfsm's own namespace cannot be dumped.
  const std::vector<DiagSocket>& dump();

  // What the last dump skipped.
  const NetnsSkipped& netns_skipped() const { return skipped_; }
  // Namespaces the last dump read whole (sock_diag); those read through the
  // held sockets alone are netns_skipped().held_only.
  std::size_t netns_read() const { return read_; }

  // Owners of every stuck socket (one /proc walk for inodes not known yet),
  // and its place: how to enter its namespace, its cgroup and container.
  void attach_owners(std::vector<StuckSocket>& stuck);

  // Unstuck sockets keep the owners last known (the fd may be closed by now)
  // and are looked up once when no transition showed where they went (a
  // timewait socket moves on without one): gone means closed, and so does
  // a namespace that is gone.
  void settle_unstuck(std::vector<Unstuck>& unstuck);

  // The view of a refresh; moves the stuck sockets out of r.
  StuckView view(StuckTracker::Result& r) const;

  const OwnerCache::Stats& owner_stats() const { return owners_.stats(); }

 private:
  // The namespaces to dump now, with a way into each.
  std::vector<NetnsRef> targets() const;
  // Appends the sockets of one namespace's dump, marked with its inode.
  void dump_with(SockDiag& diag, std::uint32_t netns);
  // Appends the held sockets of one namespace (from the iterator's pass).
  void add_held(std::uint32_t netns, std::uint64_t now_us);
  // The holders of socket `ino` as the last held pass saw them, or nullptr
  // when there was no pass (then the owner cache, through /proc, answers).
  const std::vector<Holder>* held_holders(std::uint32_t ino) const;
  Place place_of(const DiagSocket& s);

  StuckQuery query_;
  std::uint32_t mask_;  // the states dumped
  std::uint32_t own_netns_;
  std::chrono::milliseconds fin_timeout_;  // of tcpfsm's own namespace
  SockDiag diag_;                          // in tcpfsm's own namespace, kept
  OwnerCache owners_;
  CgroupNames cgroups_;
  std::shared_ptr<SocketFiles> files_;
  // Of the last held pass (nothing: none, or it failed): every held socket
  // in the dumped states, and each inode's holders.
  std::optional<std::vector<tcpfsm_held_socket>> held_;
  std::unordered_map<std::uint32_t, std::vector<Holder>> holders_;
  std::unordered_map<std::int32_t, std::string> cmdlines_;  // of the last pass's holders
  std::unordered_map<std::uint32_t, std::vector<Holder>> last_holders_;  // of sockets reported stuck
  std::vector<DiagSocket> sockets_, previous_;
  // Of the last dump: how each namespace was entered, and its tcp_fin_timeout.
  std::unordered_map<std::uint32_t, NetnsRef> ways_;
  std::unordered_map<std::uint32_t, std::chrono::milliseconds> fin_timeouts_;
  NetnsSkipped skipped_;
  std::size_t read_ = 0;
};

}  // namespace tcpfsm
