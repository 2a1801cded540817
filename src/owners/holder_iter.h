// Who holds a socket, asked of the kernel instead of /proc: BPF task_file
// iterators (bpf/owners_iter.bpf.c, Linux 5.8+) visit every open file of
// every process inside the kernel. One pass costs what a few readlink()s of
// /proc/PID/fd do, and needs no access to other users' /proc/PID/fd: loading
// it needs CAP_BPF and CAP_PERFMON (the tracer's own), reading it nothing.
// And who accepted a socket: accept()'s return, on the syscall tracepoints
// (bpf/owners_accept.bpf.c), which names the holder of an accepted socket
// even when it is closed before anyone could look.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "owners/owners.h"
#include "tcpfsm/holder.h"

namespace tcpfsm {

// The record's process name (NUL-terminated, or all 16 bytes).
inline std::string comm_of(const tcpfsm_holder& h) { return std::string(h.comm, strnlen(h.comm, sizeof h.comm)); }
// The record as the owner cache keeps it (no command line).
inline Holder holder_of(const tcpfsm_holder& h) {
  return Holder{static_cast<std::int32_t>(h.pid), static_cast<int>(h.fd), comm_of(h), {}};
}

// What the owner lookups ask about the sockets processes hold. An interface,
// so the lookups' rules can be tested on a made-up host.
class SocketFiles {
 public:
  virtual ~SocketFiles() = default;
  // Every descriptor, in every process, that refers to one of `inodes`
  // (listener fields zero). Nothing when the pass failed: then not finding
  // an inode says nothing.
  virtual std::optional<std::vector<tcpfsm_holder>> holding(std::span<const std::uint32_t> inodes) = 0;
  // Every descriptor of a listening TCP socket, with its namespace and
  // address; nothing when the pass failed.
  virtual std::optional<std::vector<tcpfsm_holder>> listening() = 0;
  // Every descriptor of a TCP socket whose state is in `states` (bit
  // 1 << state), in every process and network namespace, with the socket's
  // endpoints, queues and cgroup; nothing when the pass failed.
  virtual std::optional<std::vector<tcpfsm_held_socket>> held(std::uint32_t states) = 0;
  // The TCP sockets accept()ed since the last call (as many as 18724 fit in
  // between), each with the process that accepted it and its descriptor
  // there. Empty without the accept hook.
  virtual std::vector<tcpfsm_holder> accepted() = 0;
};

class HolderIterator final : public SocketFiles {
 public:
  // Loads and attaches the iterators, and the accept hook if it can be had
  // (`accept_why` says why not). Nothing, with `why` set, when this kernel
  // lacks the iterators or refuses (privileges, lockdown).
  static std::unique_ptr<HolderIterator> load(std::string& why, std::string& accept_why);
  ~HolderIterator() override;
  HolderIterator(const HolderIterator&) = delete;
  HolderIterator& operator=(const HolderIterator&) = delete;

  std::optional<std::vector<tcpfsm_holder>> holding(std::span<const std::uint32_t> inodes) override;
  std::optional<std::vector<tcpfsm_holder>> listening() override;
  std::optional<std::vector<tcpfsm_held_socket>> held(std::uint32_t states) override;
  std::vector<tcpfsm_holder> accepted() override;

 private:
  struct Impl;
  explicit HolderIterator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tcpfsm
