// Whether processes have exited, without mistaking a later process that got
// the same pid for one of them: a pidfd (Linux 5.3+) per process watched,
// shared by all that watch it. At most kMax: descriptors are a limited
// resource (a service's soft limit is often 1024).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tcpfsm {

class ProcessWatch {
 public:
  static constexpr std::size_t kMax = 256;

  ProcessWatch() = default;
  ~ProcessWatch();
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  // Watches `pid` (once more, if it is watched already). False when it
  // cannot be: gone already, or kMax processes watched.
  bool watch(std::int32_t pid);
  // One watcher fewer; the last one's leaving stops the watch.
  void unwatch(std::int32_t pid);
  // The watched processes that have exited since the last call (without
  // waiting); they are watched no more.
  std::vector<std::int32_t> exited();

  std::size_t size() const { return watches_.size(); }

 private:
  struct Watch {
    int fd = -1;
    int watchers = 0;
  };
  std::unordered_map<std::int32_t, Watch> watches_;  // by pid
};

}  // namespace tcpfsm
