// A decoded transition: the kernel event in userspace terms.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/endpoint.h"
#include "common/container.h"
#include "kernel/cause_join.h"
#include "model/causes.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

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
  std::string_view comm;  // valid while its bytes are (the pipeline keeps a copy)
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
};

// Offset from CLOCK_MONOTONIC (bpf_ktime_get_ns) to CLOCK_REALTIME.
struct ClockMap {
  std::int64_t mono_to_wall_ns = 0;
  // Samples both clocks now; re-sample now and then to follow NTP steps.
  static ClockMap now();
};

Transition decode(const tcpfsm_event& e, const ClockMap& clock);

}  // namespace tcpfsm
