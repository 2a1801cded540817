// Finds the sockets the table holds that the kernel no longer has: their
// CLOSE was lost (ring buffer full, or the program was skipped). Asks
// sock_diag, in each network namespace the table has sockets of, for every
// TCP socket, and matches them by cookie (or by endpoints, when events carry
// no cookie). Runs only after losses: with none, every CLOSE arrived and the
// table is exact.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kernel/netns.h"
#include "kernel/sockdiag.h"
#include "pipeline/socket_table.h"

namespace tcpfsm {

class CrossCheck {
 public:
  // What the kernel had when the snapshot was taken, per network namespace.
  struct Snapshot {
    std::uint64_t ktime_ns = 0;  // CLOCK_MONOTONIC before the first dump
    std::unordered_map<std::uint32_t, std::unordered_set<std::uint64_t>> live;  // netns -> sockets
    // Namespaces nothing has led into for kGoneAfter: presumed gone with
    // their sockets (a namespace outlives its last process only while
    // orphaned sockets finish, which takes minutes at most).
    std::unordered_set<std::uint32_t> gone;
  };
  static constexpr std::uint64_t kGoneAfterNs = 300'000'000'000;  // 5 minutes

  // Dumps the kernel's sockets in every namespace the table has sockets of.
  // Namespaces that cannot be asked are left out (counted in errors()).
  Snapshot take(const SocketTable& table);

  // Removes (as stale) every record of an asked namespace whose last event
  // came before the snapshot and that the kernel did not have, and every
  // record of a namespace presumed gone that has had no event since it was
  // last reachable (kGoneAfter before the snapshot). Call it after
  // draining the events that raced with the dumps, so that a socket closed
  // meanwhile leaves through its own CLOSE. Returns how many were removed.
  std::size_t apply(const Snapshot& snapshot, SocketTable& table) const;

  std::uint64_t errors() const { return errors_; }
  // Some namespace could not be entered because nothing leads into it: the
  // caller checks again now and then (not only after losses) until it is
  // reachable again or presumed gone.
  bool waiting_on_unreachable() const { return !unreachable_since_.empty(); }
  // The most recent failure, for the user; cleared by the caller once shown.
  std::string& last_error() { return last_error_; }

 private:
  // A sock_diag socket in `netns`: through pids, else any way in, else the
  // listing of the host's namespaces (made once per take).
  static NetnsDiag way_into(std::uint32_t netns, std::span<const std::int32_t> pids,
                            std::optional<std::vector<NetnsRef>>& listed);
  // The identity of a socket in the live sets.
  static std::uint64_t identity(std::uint64_t key, const SocketRecord& r, bool keys);

  std::uint32_t own_netns_ = 0;
  std::unique_ptr<SockDiag> own_;  // opened on first use, kept
  std::vector<DiagSocket> sockets_;
  std::uint64_t errors_ = 0;
  std::string last_error_;
  std::unordered_map<std::uint32_t, std::uint64_t> unreachable_since_;  // netns -> CLOCK_MONOTONIC ns
};

}  // namespace tcpfsm
