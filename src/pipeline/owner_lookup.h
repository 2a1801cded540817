// The process holding each traced socket, without reading /proc for each
// new socket, and never while the ring buffer is being drained. In order:
//
//  1. connect() and listen() run in the context of a process that holds the
//     socket (it passed a descriptor of it): the task on the CPU at
//     CLOSE -> SYN_SENT and CLOSE -> LISTEN of a socket with a file is its
//     owner, for certain. Not so for anything else: transitions driven by
//     packets run in softirq context (the task on the CPU is anyone) or
//     from the socket's backlog in whichever task held its lock (`ss -K`
//     too); close() runs in whoever drops the file's last reference, which
//     may be a reader of /proc/PID/fd at that instant (ss -p, lsof) or a
//     kernel worker.
//  2. A child not accepted yet belongs to its listener's owner (Listeners).
//  3. accept() returns in the context of the process it gives a descriptor:
//     an accepted socket's owner is its acceptor (a hook on accept()).
//  4. Anything else by its inode: with the kernel's task_file iterator
//     (SocketFiles), one pass for all of a batch's unknown inodes, within a
//     share of the time; where that is missing, in /proc, within a budget of
//     scans of likely holders and a full walk at most every few seconds.
//
// An owner found once stays the socket's (the pipeline keeps it in the
// socket's record) until its file changes (accept, close).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "record/transition.h"
#include "owners/holder_iter.h"
#include "owners/owners.h"
#include "pipeline/listeners.h"
#include "pipeline/socket_table.h"

namespace tcpfsm {

class OwnerLookup {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    OwnerCache::Options proc;  // where /proc is (names, the fallback)
    // The kernel's task_file iterator; nothing: /proc only, and no child is
    // named after its listener (the listeners are not all known).
    std::shared_ptr<SocketFiles> files;
  };
  explicit OwnerLookup(Options options);

  // Queues t's inode to be looked up, unless t tells its owner itself. A
  // batch's inodes are all queued before the first find(): one pass of the
  // iterator, or one scan of a process, then finds them all.
  void want(const Transition& t);

  // The owner of t's socket, when certain (see above). In event order.
  std::optional<Owner> find(const Transition& t);

  // After t is written: a listener opened (with its owner) or closed.
  void written(const Transition& t);

  // Stops looking for `ino` (its socket left the table, or needs it no more).
  void forget(std::uint32_t ino) { cache_.forget(ino); }

  // Events were lost: a listen() may be among them.
  void note_loss() { listeners_.lost(); }

  // Once per poll, after the batch: listeners closed in it leave; a pass
  // over the listeners when due; accepted sockets taken from the kernel;
  // for /proc, the scan budget refilled and the full walk when one is due.
  // records_held: the pipeline still holds records of this poll's sockets
  // (a young transition into CLOSE waits for its reset report): the owners
  // told by connect() and listen() are kept for them.
  void tick(Clock::time_point now, bool records_held);

  struct Counts {
    std::uint64_t claimed = 0;     // owners that called connect() or listen() on the socket
    std::uint64_t children = 0;    // children named after their listener's owner
    std::uint64_t accepted = 0;    // accepted sockets named after their acceptor
    std::uint64_t passes = 0;      // iterator passes for inodes
    std::uint64_t listener_passes = 0;
  };
  const Counts& counts() const { return counts_; }
  // The /proc side: scans, walks, links read.
  const OwnerCache::Stats& stats() const { return cache_.stats(); }

 private:
  std::optional<Owner> claim(const Transition& t);
  std::string process_name(const Transition& t);
  void take_accepted();
  const std::vector<Holder>* look_in_kernel(std::uint32_t ino);
  const std::vector<Holder>* look_in_proc(const Transition& t);
  void pass_listeners(Clock::time_point now);

  Options options_;
  OwnerCache cache_;
  Listeners listeners_;
  Counts counts_;
  // Inodes whose connect() or listen() came since the last tick, and who
  // called it (pid 0: not a certain owner).
  std::unordered_map<std::uint32_t, Owner> told_;
  static constexpr std::size_t kMaxTold = 65536;
  std::vector<std::uint32_t> pending_;  // inodes queued for the next pass of the iterator
  std::unordered_map<std::uint32_t, tcpfsm_holder> accepted_;  // by inode: from the accept hook, not asked for yet
  std::deque<std::uint32_t> accepted_order_;            // their inodes, oldest first
  bool take_due_ = false;  // inodes were queued since accepted sockets were last taken
  Clock::time_point last_take_{};
  Clock::duration pass_allowance_;      // time passes may take now (the budget)
  Clock::time_point allowance_at_ = Clock::now();
  struct Name {
    std::string comm;
    Clock::time_point read_at;
  };
  std::unordered_map<std::int32_t, Name> names_;  // process names read from /proc, by pid
  double scans_left_;  // /proc: refilled at kScansPerSecond, up to a burst
  Clock::time_point last_walk_, last_tick_ = Clock::now();
};

}  // namespace tcpfsm
