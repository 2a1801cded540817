// Network namespaces: which one a socket or process is in, and a sock_diag
// socket inside another one (sock_diag answers for the namespace its socket
// was opened in, and the tracer sees the sockets of every namespace).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "kernel/sockdiag.h"

namespace tcpfsm {

// The inode of this thread's network namespace (as /proc/self/ns/net names it).
std::uint32_t own_netns();

// A sock_diag socket opened inside the network namespace `inode`, entered
// through /proc/PID/ns/net of the first of `pids` that lives there, else of
// any process that does, else through a name in /var/run/netns. This thread
// returns to its own namespace before the call ends. Nothing when no way in
// is found or entering is refused (it needs CAP_SYS_ADMIN); `why` then says
// which. Throws Error only if this thread cannot return to its namespace.
std::unique_ptr<SockDiag> sock_diag_in(std::uint32_t inode, std::span<const std::int32_t> pids, std::string& why);

}  // namespace tcpfsm
