// The TCP sockets the kernel has right now, read through sock_diag netlink
// (NETLINK_SOCK_DIAG, as `ss` reads them). Needs no privilege.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/states.h"
#include "record/socket.h"
#include "record/transition.h"

namespace tcpfsm {

// A socket's identity from its endpoints, for transitions that carry no
// socket cookie (classic tracepoint fallback) to match idiag_cookie with.
// Endpoints repeat across network namespaces (every container may have a
// 10.0.0.2:8080): the four-argument form tells them apart by the namespace's
// inode; the three-argument form is the same with netns 0, for callers that
// look in one namespace at a time.
std::uint64_t endpoints_key(std::uint32_t netns, bool ipv6, const Endpoint& local, const Endpoint& remote);
std::uint64_t endpoints_key(bool ipv6, const Endpoint& local, const Endpoint& remote);

// Bit (1 << state) for each state: the kernel's idiag_states filter.
std::uint32_t state_mask(std::span<const State> states);

struct DiagRequest;

enum class DumpProgress {
  More,
  Done,
  NotFound,  // answer to a lookup: no such socket (any more)
};

// Appends the sockets of one netlink datagram of the dump reply numbered `seq`
// to `out` (messages of other dumps are skipped). Throws Error when the kernel
// answered with an error or the datagram is malformed.
DumpProgress parse_dump(std::span<const std::uint8_t> datagram, std::uint32_t seq, std::vector<DiagSocket>& out);

// One NETLINK_SOCK_DIAG socket, reused for every dump.
class SockDiag {
 public:
  SockDiag();  // throws Error naming what is missing
  ~SockDiag();
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;

  // Appends every TCP socket of `family` (AF_INET or AF_INET6) whose state is in
  // `states` (see state_mask; SYN_RECV includes handshakes in progress).
  void dump(std::uint16_t family, std::uint32_t states, std::vector<DiagSocket>& out);

  // The socket with s's endpoints and cookie as it is now (another state, a
  // timewait socket by now), or nothing when it no longer exists.
  std::optional<DiagSocket> find(const DiagSocket& s);

 private:
  DiagRequest request(std::uint16_t family, std::uint16_t flags);
  // Sends req and appends the sockets of its answer.
  DumpProgress exchange(const DiagRequest& req, std::vector<DiagSocket>& out);

  int fd_ = -1;
  std::uint32_t seq_ = 0;
  std::vector<std::uint8_t> buf_;
};

}  // namespace tcpfsm
