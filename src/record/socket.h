// A TCP socket as the kernel has it right now: what a sock_diag dump (or
// the held-socket iterator) says of it. The record `stuck`, the socket
// gauges and top pass around; read by kernel/sockdiag.h.
#pragma once

#include <cstdint>
#include <optional>

#include "common/endpoint.h"

namespace tcpfsm {

// What the kernel keeps for the socket: a full socket, or one of the mini
// sockets that stand in for it (no tcp_info, no file, never on the tracepoint).
enum class SocketKind : std::uint8_t {
  Full,
  TimeWait,  // after the full socket closed: TIME_WAIT, or FIN_WAIT2 of an orphan
  Request,   // a handshake in progress (SYN_RECV): the kernel's NEW_SYN_RECV
};

struct DiagSocket {
  std::uint64_t cookie = 0;   // idiag_cookie: the value bpf_get_socket_cookie returns
  int state = 0;              // kernel number; a timewait socket reports its substate
  SocketKind kind = SocketKind::Full;
  bool ipv6 = false;
  Endpoint local, remote;
  std::uint32_t rqueue = 0;   // received, not yet read; a received FIN counts 1 until read
  std::uint32_t wqueue = 0;   // sent, not yet acknowledged
  std::uint32_t uid = 0;
  std::uint32_t ino = 0;      // 0: no file (closed by its process, or not accepted yet)
  // Inode of the network namespace the dump ran in (sock_diag answers per
  // namespace and does not say which): set by whoever dumped, 0 if unknown.
  std::uint32_t netns = 0;
  // INET_DIAG_CGROUP_ID (Linux 5.7+): the cgroup v2 id of the socket's cgroup,
  // as the BPF events' cgroup_id. The kernel sends it for every full socket,
  // unasked; mini sockets (timewait, request) and older kernels have none: 0.
  std::uint64_t cgroup_id = 0;
  std::uint32_t expires_ms = 0;  // time left on the socket's timer (timewait: until it is gone)
  // tcp_info's tcpi_last_ack_recv: ms since an ACK last arrived. Full sockets
  // only: its absence marks a mini socket.
  std::optional<std::uint32_t> last_ack_recv_ms;
};

}  // namespace tcpfsm
