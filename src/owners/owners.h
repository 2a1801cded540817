// Which processes hold a socket, found from its inode through /proc/PID/fd
// (as `ss -p` does). Walking /proc is the expensive part, so results are
// cached per inode and /proc is walked only when an inode is not known yet.
// Not thread-safe: one owner per cache.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record/holder.h"

namespace tcpfsm {

// "socket:[12345]" -> 12345; nothing for any other fd target.
std::optional<std::uint32_t> socket_inode_of_link(std::string_view link);

// The command line of process `pid` (proc_root/PID/cmdline) as Holder keeps
// it: short_cmdline of at most kCmdlineMax bytes read; "[comm]" when it has
// none (a kernel thread) or it cannot be read.
std::string read_cmdline(const std::string& proc_root, std::int32_t pid, const std::string& comm);

// The name of process `pid` (proc_root/PID/comm), empty when it cannot be
// read (the process is gone).
std::string read_comm(const std::string& proc_root, std::int32_t pid);

class OwnerCache {
 public:
  struct Options {
    std::string proc_root = "/proc";
    // How long "no process holds it" is believed before /proc is walked again.
    std::chrono::milliseconds retry_unresolved{10'000};
  };
  OwnerCache() : OwnerCache(Options{}) {}
  explicit OwnerCache(Options options);

  // The processes holding socket `ino` (several after fork), or nullptr when
  // not known yet: the inode is then queued for resolve_pending(). An empty
  // list means no process was found holding it; inode 0 (a socket without a
  // file: orphaned by close(), or not accepted yet) always gives the empty list.
  const std::vector<Holder>* lookup(std::uint32_t ino);

  // Whether `ino` is tracked and a walk would look for it: its holders are
  // not known yet, or nobody held it retry_unresolved ago.
  bool wanted(std::uint32_t ino) const {
    auto it = entries_.find(ino);
    return it != entries_.end() && wanted(it->second);
  }
  // Tracks `ino` (as lookup() does); whether it is wanted, in one look.
  bool track(std::uint32_t ino) { return ino && wanted(entries_[ino]); }

  // Holders found elsewhere (the kernel's task_file iterator; the process
  // that called connect() or listen() on it), recorded as they are: no
  // /proc is read. An empty list: nobody holds it.
  void set(std::uint32_t ino, std::vector<Holder> holders);

  // Walks /proc/*/fd once when any queued inode is unknown, or an unresolved
  // one is older than retry_unresolved. Every tracked inode found on the walk
  // is refreshed with it. Costs one readlink per open fd on the host.
  // Returns whether it walked.
  bool resolve_pending();

  // Looks for queued inodes in one process's fds only (cheap when the likely
  // holder is known, e.g. the task that called connect()). Inodes found
  // there are resolved with that process alone; another process sharing the
  // socket is not listed until the inode is looked up anew.
  // Returns whether any was found.
  bool resolve_in(std::int32_t pid);

  // Re-reads each cached holder's fd link (one readlink per holder): holders
  // that closed the socket or exited are dropped, and an inode that lost one
  // is walked for again on the next resolve_pending().
  void revalidate();

  // Stops tracking `ino` (the socket is gone or no longer of interest).
  void forget(std::uint32_t ino);

  struct Stats {
    std::uint64_t walks = 0;          // full walks of /proc
    std::uint64_t links_read = 0;     // readlink calls, walks and revalidation
    std::uint64_t pids_unreadable = 0;  // on the last walk: /proc/PID/fd not readable (not root?)
    std::uint64_t process_scans = 0;    // resolve_in() calls
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    bool resolved = false;
    std::chrono::steady_clock::time_point resolved_at;
    std::vector<Holder> holders;
  };
  using Found = std::unordered_map<std::uint32_t, std::vector<Holder>>;
  bool wanted(const Entry& e) const {
    return !e.resolved ||
           (e.holders.empty() && e.resolved_at <= std::chrono::steady_clock::now() - options_.retry_unresolved);
  }
  bool walk_needed() const;
  void walk();
  void scan_process(std::int32_t pid, const char* name, Found& found);
  void record(Found& found, bool only_found);
  void describe(Holder& h);

  Options options_;
  std::unordered_map<std::uint32_t, Entry> entries_;
  Stats stats_;
};

}  // namespace tcpfsm
