// Everything the trace path keeps per socket, in one record per socket: the
// checker's view of its lifecycle, the time of its last event, its inode and
// owner, its lifecycle id. One lookup per event; one place where a socket is
// removed (remove()), whether its CLOSE arrived or the kernel no longer has
// it. Bounded: a full table tracks no new socket, and says how often.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>

#include "record/transition.h"
#include "model/checker.h"

namespace tcpfsm {

// The process holding a socket, once known (pid 0: not known).
struct Owner {
  std::int32_t pid = 0;
  std::string comm;
};

struct SocketRecord {
  std::uint64_t id = 0;             // lifecycle id: written as "cookie"
  Life life;                        // the checker's view of its lifecycle
  std::uint64_t last_ktime_ns = 0;  // its last event (old_ns of the next, when the kernel keeps none)
  std::uint32_t ino = 0;            // socket inode of its last event with a file
  std::uint32_t netns = 0;          // network namespace inode
  std::uint32_t pid = 0;            // task on the CPU at its last event: a way into its netns
  bool ipv6 = false;
  Endpoint local, remote;           // as of its last event: matched with sock_diag without cookies
  Owner owner;
  // Its lifecycle's start, when this run saw it: the life's duration and
  // role where the kernel keeps no per-socket state (0: not seen).
  std::uint64_t born_ktime_ns = 0;
  Role role = Role::Unknown;
};

class SocketTable {
 public:
  struct Options {
    std::size_t max_sockets = 262144;
    // Events carry per-socket keys (tracepoint fallback), not socket cookies:
    // the table numbers lifecycles, and a lifecycle start at a known key is a
    // new socket at a recycled address.
    bool keys = false;
  };
  // Called with each record as it leaves the table, for what others keep
  // about it (the owner lookup's pending inode).
  using OnRemove = std::function<void(const SocketRecord&)>;
  SocketTable(Options options, OnRemove on_remove);

  struct Stats {
    std::uint64_t untracked = 0;  // events of sockets not tracked: the table was full
    std::uint64_t stale = 0;      // records dropped: the kernel no longer had the socket
  };

  // The record of the socket with `key` (a socket cookie, or a socket key),
  // new when there is none and room for it; nullptr when the table is full.
  // `start`: the event begins a lifecycle.
  SocketRecord* find_or_add(std::uint64_t key, bool start);

  // The record of the socket with `key`, if the table has it.
  SocketRecord* find(std::uint64_t key) {
    auto it = records_.find(key);
    return it == records_.end() ? nullptr : &it->second;
  }

  // The lifecycle id for an event of a socket the table could not keep.
  std::uint64_t untracked_id(std::uint64_t key);

  // The one place a socket leaves the table. `stale`: its CLOSE was lost.
  void remove(std::uint64_t key, bool stale = false);

  std::size_t size() const { return records_.size(); }
  bool keys() const { return options_.keys; }
  const Stats& stats() const { return stats_; }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& [key, rec] : records_) f(key, rec);
  }

 private:
  Options options_;
  OnRemove on_remove_;
  std::unordered_map<std::uint64_t, SocketRecord> records_;
  std::uint64_t next_id_ = 1;  // keys: lifecycle ids are small integers, from 1
  Stats stats_;
};

}  // namespace tcpfsm
