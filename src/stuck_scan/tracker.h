// Which sockets are in the watched states, and since when. The sockets come
// from periodic sock_diag dumps (the truth about what exists now); the times
// come from the tracer's transitions, joined by socket cookie. A socket tcpfsm
// did not see entering its state gets a lower bound or a kernel estimate.
// Pure: the caller supplies the dumps, the transitions and the clock
// (CLOCK_MONOTONIC ns, the clock of the events' ktime_ns).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "kernel/cause_join.h"
#include "kernel/sockdiag.h"
#include "record/stuck_settings.h"
#include "stuck/stuck.h"

namespace tcpfsm {

class StuckTracker {
 public:
  struct Options {
    std::vector<State> states = StuckSettings{}.states;
    std::chrono::nanoseconds min_age = StuckSettings{}.age;
    std::chrono::milliseconds fin_timeout{std::chrono::seconds(60)};  // net.ipv4.tcp_fin_timeout
    bool key_by_endpoints = false;  // transitions carry endpoints_key(), not the cookie
    // With key_by_endpoints: the keys are endpoints_key(netns, ...), which tell
    // apart sockets of different namespaces with the same endpoints (else
    // endpoints_key(...) without it, right only for dumps of one namespace).
    bool netns_in_key = false;
    // net.ipv4.tcp_fin_timeout of a namespace (it is per namespace, and a new
    // one starts at the default, not at the host's); unset: fin_timeout.
    std::function<std::chrono::milliseconds(std::uint32_t netns)> fin_timeout_of;
  };
  // start_ns: when tracing began. Sockets in the first dump that no transition
  // explains were already in their state then.
  StuckTracker(Options options, std::uint64_t start_ns);

  // A transition of the socket `key` (its cookie, or endpoints_key), with
  // what the kernel reported about why (into CLOSE).
  void on_transition(std::uint64_t key, int old_state, int new_state, std::uint64_t ktime_ns,
                     const ReportedCause& why = {});
  // A reset reported just after the socket's transition into CLOSE (see
  // kernel/cause_join.h): it tells why the socket left, if it was watched.
  void on_late_cause(std::uint64_t key, const tcpfsm_cause& c);

  struct Result {
    std::vector<StuckSocket> stuck;   // in a watched state for min_age or longer (no owners yet)
    std::vector<std::size_t> newly;   // indexes into stuck: crossed min_age in this refresh
    std::vector<Unstuck> unstuck;     // reported before, and left their state since
    std::size_t younger = 0;          // known to be younger than min_age
    std::size_t unknown_age = 0;      // only a lower bound, and it is below min_age
  };
  // One refresh. in_state: a dump (sockets in the watched states) that began at
  // dump_start_ns; now_ns: after the dump and after the transitions up to it.
  Result refresh(std::span<const DiagSocket> in_state, std::uint64_t dump_start_ns, std::uint64_t now_ns);

 private:
  struct Leave {
    int new_state = 0;
    std::uint64_t ktime_ns = 0;
    bool still_there = false;  // a later dump still showed it (an orphan's FIN_WAIT2 timewait)
    ReportedCause why;
  };
  struct Entry {
    int state = 0;
    bool traced = false;         // tcpfsm saw it enter: origin_ns is exact
    std::uint64_t origin_ns = 0;  // when it entered the state, as well as tcpfsm knows
    AgeKind kind = AgeKind::LowerBound;
    std::uint64_t first_seen_ns = 0;  // untraced: since when tcpfsm knows it is there
    std::uint64_t generation = 0;  // the last refresh whose dump showed it; 0: none yet
    bool reported = false;       // a `stuck` record was written for it
    DiagSocket last;             // as the last dump showed it
    std::optional<Leave> left;   // a transition out of `state`
  };
  bool watched(int state) const { return (state_mask_ >> state) & 1U; }
  std::uint64_t key_of(const DiagSocket& s) const;
  std::chrono::milliseconds fin_timeout_of(std::uint32_t netns) const {
    return options_.fin_timeout_of ? options_.fin_timeout_of(netns) : options_.fin_timeout;
  }
  static Unstuck unstuck_of(const Entry& e, std::optional<int> new_state, std::uint64_t end_ns);

  Options options_;
  std::uint32_t state_mask_;
  std::uint64_t start_ns_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::vector<Unstuck> pending_unstuck_;  // left between refreshes, for the next Result
};

}  // namespace tcpfsm
