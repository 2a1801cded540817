#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <ctime>

#include "kernel/decode.h"

namespace tcpfsm {

// The BPF side writes this layout; a change there must show up here.
static_assert(sizeof(tcpfsm_event) == 112, "tcpfsm_event layout changed");
static_assert(offsetof(tcpfsm_event, old_state) == 17);
static_assert(offsetof(tcpfsm_event, new_state) == 18);
static_assert(offsetof(tcpfsm_event, flags) == 19);
static_assert(offsetof(tcpfsm_event, error) == 20);
static_assert(offsetof(tcpfsm_event, family) == 22);
static_assert(offsetof(tcpfsm_event, old_ns) == 24);
static_assert(offsetof(tcpfsm_event, cgroup_id) == 32);
static_assert(offsetof(tcpfsm_event, pid) == 40);
static_assert(offsetof(tcpfsm_event, cpu) == 48);
static_assert(offsetof(tcpfsm_event, ino) == 52);
static_assert(offsetof(tcpfsm_event, netns) == 56);
static_assert(offsetof(tcpfsm_event, lport) == 60);
static_assert(offsetof(tcpfsm_event, laddr) == 64);
static_assert(offsetof(tcpfsm_event, raddr) == 80);
static_assert(offsetof(tcpfsm_event, comm) == 96);
static_assert(sizeof(tcpfsm_cause) == 24, "tcpfsm_cause layout changed");
static_assert(offsetof(tcpfsm_cause, kind) == 17);
static_assert(offsetof(tcpfsm_cause, state) == 18);
static_assert(offsetof(tcpfsm_cause, rst_reason) == 20);

// Every record begins with the head (its time, socket and kind byte), member
// for member: the reader reads the kind byte before it knows the kind.
static_assert(offsetof(tcpfsm_head, ktime_ns) == 0 && offsetof(tcpfsm_head, cookie) == 8 &&
              offsetof(tcpfsm_head, record) == 16);
static_assert(offsetof(tcpfsm_event, ktime_ns) == offsetof(tcpfsm_head, ktime_ns) &&
              sizeof(tcpfsm_event::ktime_ns) == sizeof(tcpfsm_head::ktime_ns));
static_assert(offsetof(tcpfsm_event, cookie) == offsetof(tcpfsm_head, cookie) &&
              sizeof(tcpfsm_event::cookie) == sizeof(tcpfsm_head::cookie));
static_assert(offsetof(tcpfsm_event, record) == offsetof(tcpfsm_head, record) &&
              sizeof(tcpfsm_event::record) == sizeof(tcpfsm_head::record));
static_assert(offsetof(tcpfsm_cause, ktime_ns) == offsetof(tcpfsm_head, ktime_ns) &&
              sizeof(tcpfsm_cause::ktime_ns) == sizeof(tcpfsm_head::ktime_ns));
static_assert(offsetof(tcpfsm_cause, cookie) == offsetof(tcpfsm_head, cookie) &&
              sizeof(tcpfsm_cause::cookie) == sizeof(tcpfsm_head::cookie));
static_assert(offsetof(tcpfsm_cause, record) == offsetof(tcpfsm_head, record) &&
              sizeof(tcpfsm_cause::record) == sizeof(tcpfsm_head::record));
static_assert(sizeof(tcpfsm_origin) == 368, "tcpfsm_origin layout changed");
static_assert(offsetof(tcpfsm_origin, kind) == 17 && offsetof(tcpfsm_origin, stack_error) == 20 &&
              offsetof(tcpfsm_origin, pid) == 24 && offsetof(tcpfsm_origin, sp) == 40 &&
              offsetof(tcpfsm_origin, words) == 48 && offsetof(tcpfsm_origin, ips) == 112);
static_assert(offsetof(tcpfsm_origin, ktime_ns) == offsetof(tcpfsm_head, ktime_ns) &&
              offsetof(tcpfsm_origin, cookie) == offsetof(tcpfsm_head, cookie) &&
              offsetof(tcpfsm_origin, record) == offsetof(tcpfsm_head, record) &&
              sizeof(tcpfsm_origin::record) == sizeof(tcpfsm_head::record));

static_assert(sizeof(tcpfsm_life) == 48, "tcpfsm_life layout changed");
static_assert(offsetof(tcpfsm_life, rx_bytes) == 8 && offsetof(tcpfsm_life, tx_bytes) == 16 &&
              offsetof(tcpfsm_life, segs_in) == 24 && offsetof(tcpfsm_life, retrans) == 32 &&
              offsetof(tcpfsm_life, srtt_us) == 36 && offsetof(tcpfsm_life, rttvar_us) == 40 &&
              offsetof(tcpfsm_life, fields) == 44 && offsetof(tcpfsm_life, role) == 45);
static_assert(sizeof(tcpfsm_close) == 160 && offsetof(tcpfsm_close, life) == sizeof(tcpfsm_event),
              "tcpfsm_close layout changed");

namespace {

template <typename T>
std::optional<T> if_read(const tcpfsm_life& l, unsigned bit, T value) {
  return (l.fields & bit) ? std::optional<T>(value) : std::nullopt;
}

ConnectionLife decode_life(const tcpfsm_life& l, std::uint64_t end_ns) {
  ConnectionLife c;
  c.role = l.role == TCPFSM_ROLE_CLIENT ? Role::Client : l.role == TCPFSM_ROLE_SERVER ? Role::Server : Role::Unknown;
  if (l.born_ns && l.born_ns <= end_ns) c.duration_ns = end_ns - l.born_ns;
  c.rx_bytes = if_read<std::uint64_t>(l, TCPFSM_LIFE_RX_BYTES, l.rx_bytes);
  c.tx_bytes = if_read<std::uint64_t>(l, TCPFSM_LIFE_TX_BYTES, l.tx_bytes);
  c.segs_in = if_read<std::uint32_t>(l, TCPFSM_LIFE_SEGS_IN, l.segs_in);
  c.segs_out = if_read<std::uint32_t>(l, TCPFSM_LIFE_SEGS_OUT, l.segs_out);
  c.retrans = if_read<std::uint32_t>(l, TCPFSM_LIFE_RETRANS, l.retrans);
  // srtt 0: no RTT was ever measured (the kernel's own "no sample"); the
  // deviation is then its initial guess, not a measurement.
  if ((l.fields & TCPFSM_LIFE_RTT) && l.srtt_us) {
    c.srtt_us = l.srtt_us;
    c.rttvar_us = l.rttvar_us;
  }
  return c;
}

}  // namespace

Transition decode(const tcpfsm_event& e, const tcpfsm_life* life, const ClockMap& clock) {
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
  if (life) t.life = decode_life(*life, e.ktime_ns);
  return t;
}

}  // namespace tcpfsm
