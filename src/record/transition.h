// The transition record every layer after the kernel passes on: the kernel's
// event in userspace terms, and what the pipeline adds (cgroup, container,
// cause, owner). It owns its bytes: nothing in it points into the ring buffer.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"
#include "common/container.h"
#include "record/connection_life.h"
#include "model/causes.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

// What a transition into CLOSE learns from the kernel's reset reports around
// it (kernel/cause_join.h joins them).
struct ReportedCause {
  KernelCause kernel;                                  // resets, and the error from the event
  std::uint32_t rst_reason = TCPFSM_RST_REASON_NONE;  // of the reset sent, when the kernel gave one

  void add(const tcpfsm_cause& c) {
    if (c.kind == TCPFSM_CAUSE_RST_RECEIVED) kernel.rst_received = true;
    if (c.kind == TCPFSM_CAUSE_RST_SENT) {
      kernel.rst_sent = true;
      if (c.rst_reason != TCPFSM_RST_REASON_NONE) rst_reason = c.rst_reason;
    }
  }
};

// The task's name as the kernel gave it: up to 15 bytes, copied.
class Comm {
 public:
  Comm() = default;
  explicit Comm(const char (&bytes)[TCPFSM_COMM_LEN]) { std::memcpy(bytes_, bytes, sizeof bytes_); }
  explicit Comm(std::string_view s) { *this = s; }
  Comm& operator=(std::string_view s) {
    std::memset(bytes_, 0, sizeof bytes_);
    std::memcpy(bytes_, s.data(), std::min(s.size(), sizeof bytes_ - 1));
    return *this;
  }
  std::string_view view() const { return {bytes_, strnlen(bytes_, sizeof bytes_)}; }
  operator std::string_view() const { return view(); }
  bool empty() const { return bytes_[0] == 0; }
  friend bool operator==(const Comm& a, std::string_view b) { return a.view() == b; }

 private:
  char bytes_[TCPFSM_COMM_LEN] = {};
};

struct Transition {
  std::uint64_t ktime_ns = 0;  // CLOCK_MONOTONIC
  std::uint64_t wall_ns = 0;   // ktime_ns as wall-clock (UTC, ns since the epoch)
  // The socket cookie; under TCPFSM_F_SOCKET_KEY a per-socket key instead,
  // which the pipeline replaces with a lifecycle id before anything is written.
  std::uint64_t cookie = 0;
  std::optional<std::uint64_t> old_ns;  // time in old_state; none when first seen
  std::uint32_t pid = 0, tid = 0, cpu = 0;
  // The task on the CPU is a kernel thread (TCPFSM_F_KERNEL_TASK: known on
  // transitions out of CLOSE): it holds no descriptor.
  bool kernel_task = false;
  std::uint32_t ino = 0;  // socket inode, 0 if the socket has no file
  bool ipv6 = false;
  std::uint32_t netns = 0;  // network namespace inode
  std::uint64_t cgroup_id = 0;  // cgroup v2 id of the socket's cgroup
  // Its path below the cgroup2 mount and the container that path names,
  // when known; owned by the pipeline, valid while the record is written.
  std::string_view cgroup;
  const ContainerRef* container = nullptr;
  Endpoint local, remote;
  int old_state = 0, new_state = 0;
  Comm comm;
  // Why: what the kernel reported (the socket's error comes with the event;
  // the pipeline joins the resets), and the cause that amounts to, with the
  // reset's reason by name; both set by the pipeline just before writing.
  ReportedCause reported;
  Cause cause = Cause::None;
  std::string_view rst_reason;
  // The process holding the socket, when known (not the task on the CPU).
  // A copy (at most 15 bytes: no allocation): the socket's record it comes
  // from leaves the table at CLOSE, before the event is written.
  std::int32_t owner_pid = 0;
  std::string owner_comm;
  // Into CLOSE, ending a connection: what it did (tcpfsm_close). Its
  // duration and role are the pipeline's where the kernel kept no
  // per-socket state.
  std::optional<ConnectionLife> life;
};

}  // namespace tcpfsm
