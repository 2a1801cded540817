// Time in state from consecutive events of a socket, for when the kernel
// keeps no per-socket time (nothing filtered: userspace sees every event).
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

namespace tcpfsm {

class EntryTimes {
 public:
  // How long the socket spent in the state this event leaves: this event's
  // ktime_ns minus the previous one of the same socket, as the kernel would
  // compute it. None for a socket's first event, or across a gap (events
  // were lost in between). -> CLOSE forgets the socket.
  std::optional<std::uint64_t> observe(std::uint64_t cookie, std::uint64_t ktime_ns, int new_state, bool gap);

  std::size_t tracked() const { return entered_.size(); }

 private:
  std::unordered_map<std::uint64_t, std::uint64_t> entered_;  // cookie -> ktime_ns of its last event
};

}  // namespace tcpfsm
