#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <ctime>

#include "kernel/decode.h"

namespace tcpfsm {

// The BPF side writes this layout; a change there must show up here.
static_assert(sizeof(tcpfsm_event) == 112, "tcpfsm_event layout changed");
static_assert(offsetof(tcpfsm_event, pid) == 24);
static_assert(offsetof(tcpfsm_event, family) == 36);
static_assert(offsetof(tcpfsm_event, old_state) == 42);
static_assert(offsetof(tcpfsm_event, ino) == 48);
static_assert(offsetof(tcpfsm_event, netns) == 52);
static_assert(offsetof(tcpfsm_event, laddr) == 56);
static_assert(offsetof(tcpfsm_event, comm) == 88);
static_assert(offsetof(tcpfsm_event, cgroup_id) == 104);
static_assert(offsetof(tcpfsm_event, error) == 45);
// The ring buffer tells the two records apart by their size.
static_assert(sizeof(tcpfsm_cause) == 24 && sizeof(tcpfsm_cause) != sizeof(tcpfsm_event));

Transition decode(const tcpfsm_event& e, const ClockMap& clock) {
  Transition t;
  t.ktime_ns = e.ktime_ns;
  t.wall_ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(e.ktime_ns) + clock.mono_to_wall_ns);
  t.cookie = e.cookie;
  if (e.flags & TCPFSM_F_OLD_NS) t.old_ns = e.old_ns;
  t.kernel_task = (e.flags & TCPFSM_F_KERNEL_TASK) != 0;
  t.netns = e.netns;
  t.cgroup_id = e.cgroup_id;
  t.pid = e.pid;
  t.tid = e.tid;
  t.cpu = e.cpu;
  t.ino = e.ino;
  t.ipv6 = e.family == AF_INET6;
  std::memcpy(t.local.addr.data(), e.laddr, sizeof e.laddr);
  std::memcpy(t.remote.addr.data(), e.raddr, sizeof e.raddr);
  t.local.port = e.lport;
  t.remote.port = e.rport;
  t.old_state = e.old_state;
  t.new_state = e.new_state;
  t.reported.kernel.error = e.error;
  t.comm = Comm(e.comm);
  return t;
}

}  // namespace tcpfsm
