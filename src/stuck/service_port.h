// Which port a connection is "about": a server's socket has the service's
// port on its side, a client's on the peer's, and its own port is an
// ephemeral one the kernel picked. Groups of stuck sockets (metrics labels,
// `stuck`'s groups and kill filters) are keyed by it, so that 170 leaked
// client connections to one service are one group, not 170.
#pragma once

#include <cstdint>

#include "record/socket.h"

namespace tcpfsm {

// net.ipv4.ip_local_port_range: where the kernel picks a client's port. The
// kernel's default: each namespace has its own, and a new one starts there.
struct EphemeralPorts {
  std::uint16_t first = 32768, last = 60999;
  bool contains(std::uint16_t port) const { return port >= first && port <= last; }
};

struct ServicePort {
  std::uint16_t port = 0;
  bool client = false;  // the port is the peer's: this side is the client
};

// The peer's port when only the local one is ephemeral, else the local one.
ServicePort service_port(const DiagSocket& s, const EphemeralPorts& ephemeral);

}  // namespace tcpfsm
