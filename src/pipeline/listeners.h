// Which process owns each listening TCP socket: the owner of a child socket
// that is not accepted yet. Such a child has no file (inode 0: nothing to
// look up) and its events run in softirq context (the task on the CPU is
// anyone); it waits in its listener's queue for a holder of the listener to
// accept it.
//
// A child is named only when that is certain: every listener it can belong
// to (same network namespace, family and port; the child's address or the
// wildcard) is known, with one owner, and was that owner's already when the
// child's event happened. Known means: since a pass over every listening
// socket on the host (the kernel's task_file iterator, every namespace) the
// registry has followed each listen() and each listener's close() in the
// events; after lost events only from the next pass on. An owner that exits
// is noticed (ProcessWatch) before a later child is named after it; one that
// closes its copy of the listener while another process keeps it open, at
// the next pass (at most kRefresh later while children come).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

#include "record/transition.h"
#include "pipeline/process_watch.h"
#include "pipeline/socket_table.h"
#include "tcpfsm/holder.h"

namespace tcpfsm {

class Listeners {
 public:
  using Clock = std::chrono::steady_clock;
  // While children are named, listeners are looked at again this often.
  static constexpr auto kRefresh = std::chrono::seconds(5);


  // Every descriptor of a listening socket a pass found
  // (SocketFiles::listening()); `ended_ns`: CLOCK_MONOTONIC when the pass
  // ended. An owner found here is known from then on; the first pass (and
  // the first after lost events) makes the registry complete from then on.
  // Nothing: the pass failed (the registry stays as it was).
  void refresh(const std::optional<std::vector<tcpfsm_holder>>& found, std::uint64_t ended_ns, Clock::time_point now);
  // Whether a pass is due: none yet, events lost, an owner gone while
  // children wait, or kRefresh since the last while children are named.
  bool pass_due(Clock::time_point now) const;

  // listen() (CLOSE -> LISTEN) by `owner`, the process that called it.
  void opened(const Transition& t, const Owner& owner);
  // Its LISTEN -> CLOSE. The kernel closes the listener's queue after it,
  // so it stays the listener of children in the same batch; sweep() drops it.
  void closed(std::uint32_t ino);
  // Once per poll, after the batch: closed listeners leave.
  void sweep();
  // Events were lost: a listen() may be among them.
  void lost() { complete_since_ns_ = kNever; }

  // The owner of `t`'s socket, a child not accepted yet, when certain.
  std::optional<Owner> owner_of_child(const Transition& t);
  // Any known owner of a listener on t's port (a process worth looking in
  // for the sockets it accepted); 0 when none.
  std::int32_t likely_acceptor(const Transition& t) const;

  std::size_t size() const { return listeners_.size(); }

 private:
  static constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
  struct Listener {
    std::uint32_t netns = 0;
    bool ipv6 = false;
    std::array<std::uint8_t, 16> addr{};
    std::uint16_t port = 0;
    Owner owner;  // pid 0: not known
    std::uint64_t owner_since_ns = 0;  // known to be its owner from then on (CLOCK_MONOTONIC)
    bool watched = false;  // its owner is watched for its exit; else not certain
    bool closed = false;
  };
  static std::uint64_t port_key(std::uint32_t netns, std::uint16_t port) {
    return (static_cast<std::uint64_t>(netns) << 16) | port;
  }
  Listener& add(std::uint32_t ino, std::uint32_t netns, bool ipv6, const std::array<std::uint8_t, 16>& addr,
                std::uint16_t port);
  void remove(std::uint32_t ino);
  void set_owner(Listener& l, Owner owner, std::uint64_t since_ns);
  bool matches(const Listener& l, const Transition& t) const;
  // Drops the owners that have exited, once per batch of events newer than
  // the last look.
  void check_owners(std::uint64_t event_ns);

  std::unordered_map<std::uint32_t, Listener> listeners_;  // by inode
  ProcessWatch owners_;  // the listeners' owners
  std::unordered_multimap<std::uint64_t, Listener*> by_port_;  // port_key -> its listeners (nodes stay put)
  std::uint64_t complete_since_ns_ = kNever;  // children from then on can be named
  std::uint64_t owners_checked_ns_ = 0;
  bool owner_missing_ = false;  // a child was not named: its listener's owner is not known
  bool named_ = false;          // children were named since the last pass
  Clock::time_point last_pass_{};
};

}  // namespace tcpfsm
