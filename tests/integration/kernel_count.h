// An independent count of sock:inet_sock_set_state events, from the kernel's
// tracing ring buffer rather than from any BPF program: what tcpfsm's own
// accounting is checked against.
#pragma once

#include <cstdint>
#include <set>
#include <string>

namespace tcpfsm::itest {

class KernelEventCount {
 public:
  enum class Context { Any, Pid1 };
  // Starts counting the events that pass filter (tracefs filter syntax, e.g.
  // "sport == 80 || dport == 80"). Context::Pid1 counts only those made while
  // a thread of PID 1 is on the CPU: a kernel that exempts PID 1 from BPF
  // tracing runs no BPF program for them and counts that nowhere.
  // Throws std::runtime_error when tracefs cannot be used.
  KernelEventCount(const std::string& filter, Context context = Context::Any);
  ~KernelEventCount();  // removes the instance (and tracefs, if mounted here)
  KernelEventCount(const KernelEventCount&) = delete;
  KernelEventCount& operator=(const KernelEventCount&) = delete;

  // Stops counting; the events written since the start (for Context::Any its
  // ring buffer counts those it overwrote too, so a full buffer does not cut
  // the count; Context::Pid1 reads its few records).
  std::uint64_t stop();

 private:
  std::string dir_;
  bool only_pid1_ = false;
  std::set<std::string> pid1_threads_;  // at the start
  bool mounted_ = false;
};

}  // namespace tcpfsm::itest
