// Network namespaces: which one a socket or process is in, and a sock_diag
// socket inside another one (sock_diag answers for the namespace its socket
// was opened in, and the tracer sees the sockets of every namespace).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "kernel/sockdiag.h"

namespace tcpfsm {

// The inode of this thread's network namespace (as /proc/self/ns/net names it).
std::uint32_t own_netns();

// The network namespace a --netns argument names: an inode number as lsns
// shows it, or a path (/var/run/netns/NAME, /proc/PID/ns/net). Nothing, with
// `why` set, when the path does not exist or is not a network namespace.
std::optional<std::uint32_t> netns_of_argument(const std::string& arg, std::string& why);

// A sock_diag socket opened inside another network namespace, or why not.
struct NetnsDiag {
  std::unique_ptr<SockDiag> diag;
  // Nothing leads into the namespace, and nothing was refused on the way:
  // no process lives there and no name pins it. It may be gone (its inode
  // then names nothing), or kept only by sockets and fds of others.
  bool no_way_in = false;
  std::string why;  // when diag is null
};

// A sock_diag socket opened inside the network namespace `inode`, entered
// through /proc/PID/ns/net of the first of `pids` that lives there, else of
// any process that does, else through a name in /var/run/netns. This thread
// returns to its own namespace before the call ends. Entering needs
// CAP_SYS_ADMIN. Throws Error only if this thread cannot return to its own.
NetnsDiag sock_diag_in(std::uint32_t inode, std::span<const std::int32_t> pids);

}  // namespace tcpfsm
