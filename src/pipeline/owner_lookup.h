// The process holding each traced socket, found from its inode in /proc
// within a budget per poll: never while the ring buffer is being drained.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "owners/owners.h"
#include "pipeline/socket_table.h"

namespace tcpfsm {

class OwnerLookup {
 public:
  explicit OwnerLookup(OwnerCache::Options options = {});

  // The holder of socket `ino`, looked for first in the processes likely to
  // hold it: the task on the CPU (connect, listen and close run in the
  // owner's context) and the owner of the listener on its local port (who
  // usually accepts). Nothing when not found (yet): the inode then waits for
  // the next full walk of /proc, which runs at most every few seconds.
  std::optional<Owner> find(std::uint32_t ino, std::int32_t task_pid, std::uint16_t local_port);

  // Queues `ino` to be looked for: one scan of a process then finds every
  // queued socket it holds, so a batch's inodes are queued before any scan.
  void want(std::uint32_t ino) { cache_.lookup(ino); }

  // A listener's owner is the likely owner of the sockets it accepts.
  void listening(std::uint16_t port, std::int32_t pid) { listener_owner_[port] = pid; }
  void listener_closed(std::uint16_t port) { listener_owner_.erase(port); }
  // The owner of the listener on `port`, when known, else 0.
  std::int32_t listener_owner(std::uint16_t port) const {
    auto it = listener_owner_.find(port);
    return it == listener_owner_.end() ? 0 : it->second;
  }

  // Stops looking for `ino` (its socket left the table, or needs it no more).
  void forget(std::uint32_t ino) { cache_.forget(ino); }

  // Once per poll: the scan budget refilled for the time since the last
  // poll, and the full walk when one is due.
  void tick(std::chrono::steady_clock::time_point now);

  const OwnerCache::Stats& stats() const { return cache_.stats(); }

 private:
  OwnerCache cache_;
  std::unordered_map<std::uint16_t, std::int32_t> listener_owner_;  // local port -> pid
  double scans_left_;  // refilled at kScansPerSecond, up to a burst
  std::chrono::steady_clock::time_point last_walk_, last_tick_ = std::chrono::steady_clock::now();
};

}  // namespace tcpfsm
