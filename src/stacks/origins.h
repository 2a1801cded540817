// The code path behind each socket a watch sees opened: the stacks the
// kernel took at connect(), listen() and accept() (tcpfsm_origin records),
// named as they come, while their process lives (src/stacks/), and kept by
// the socket's inode until the socket closes. A stuck socket then says
// where in its program it was opened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <array>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "record/code_path.h"
#include "stacks/symbolizer.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

class OriginTable {
 public:
  // At most `capacity` sockets' paths are kept (the oldest go first): a
  // socket whose CLOSE came without its inode (closed by its process, the
  // file gone first) is forgotten so.
  explicit OriginTable(std::size_t capacity = 65536, Symbolizer::Options symbolizer = {});

  // An origin record from the kernel: its stack named now.
  void add(const tcpfsm_origin& o);
  // The socket with this inode has closed.
  void closed(std::uint32_t ino);
  // The path behind a socket; null when it was opened before tcpfsm watched,
  // or its origin was lost. A path its opener could not name (it exited
  // first: a fork that leaked the socket into its child and ended) is named
  // now with the mappings of a process that holds the socket (a forked child
  // has its parent's), `holders`.
  std::shared_ptr<const CodePath> find(std::uint32_t ino, std::span<const std::int32_t> holders = {});
  // Processes that have exited since the last call: what is kept of their
  // mappings goes (their paths stay named).
  void forget_exited();

  std::size_t size() const { return by_ino_.size(); }
  std::size_t named() const { return named_count_; }  // stacks symbolized (cache misses)

 private:
  // One process's stack, as the kernel walked it: the same in a process
  // means the same path (the stack words only find the wrapper's caller).
  // Fixed size, copied from the record: a lookup per connect() allocates
  // nothing (unused frames are zero, as the kernel leaves them).
  struct StackKey {
    std::uint32_t pid = 0;
    std::uint8_t kind = 0;
    std::uint8_t frames = 0;
    std::array<std::uint64_t, TCPFSM_STACK_FRAMES> ips{};
    bool operator==(const StackKey&) const = default;
  };
  struct StackKeyHash {
    std::size_t operator()(const StackKey& k) const;
  };

  // A socket's path; with the origin itself while no process could name it.
  struct Entry {
    std::shared_ptr<const CodePath> path;
    std::shared_ptr<const tcpfsm_origin> unnamed;
  };
  // The origin's stack named with pid's mappings.
  std::shared_ptr<CodePath> name(const tcpfsm_origin& o, std::uint32_t pid);

  std::size_t capacity_;
  Symbolizer symbolizer_;
  std::unordered_map<std::uint32_t, Entry> by_ino_;
  std::deque<std::uint32_t> order_;  // inodes in the order they came (some since closed)
  std::unordered_map<StackKey, std::shared_ptr<const CodePath>, StackKeyHash> paths_;
  std::unordered_set<std::uint32_t> pids_;
  std::size_t named_count_ = 0;
};

}  // namespace tcpfsm
