// Network namespaces: which one a socket or process is in, and a sock_diag
// socket inside another one (sock_diag answers for the namespace its socket
// was opened in, and the tracer sees the sockets of every namespace).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kernel/sockdiag.h"

namespace tcpfsm {

// The inode of this thread's network namespace (as /proc/self/ns/net names it).
std::uint32_t own_netns();

// The network namespace a --netns argument names: an inode number as lsns
// shows it; a name as `ip netns` gives it (nc1: named_dir/nc1, that is
// /var/run/netns/nc1; a name has no '/'); or a path (/var/run/netns/NAME,
// /proc/PID/ns/net, ./nc1). Nothing, with `why` set, when there is no such
// name or path, or it is not a network namespace (`why` quotes arg as it is:
// the command line escapes what it shows).
std::optional<std::uint32_t> netns_of_argument(const std::string& arg, std::string& why,
                                               const std::string& named_dir = "/var/run/netns");

// A network namespace of this host, and where its file was found: nothing
// is held open, so listing pins no namespace that is being deleted.
struct NetnsRef {
  std::uint32_t inode = 0;
  std::int32_t pid = 0;  // a process in it when listed (its /proc/PID/ns/net), 0 if none was
  std::string name;      // its name under /var/run/netns (`ip netns`), "" if it has none
};

// Every distinct network namespace under /proc/*/ns/net and /var/run/netns/*
// (deduplicated by inode), this thread's own first, then in /proc order.
// Without root, the namespaces of other users' processes cannot be seen
// (their ns links refuse stat) and are not listed; a name under
// /var/run/netns that is no namespace (a leftover file) is left out.
std::vector<NetnsRef> list_netns();

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

// The same for a listed namespace: through ref.pid's file, else its name,
// else as above (no_way_in then says nothing led in but files this user
// may not open elsewhere, when ref has a pid or name: it was seen through
// those). `inside`, if given, runs while this thread is in the
// namespace, right after the socket is opened (e.g. to read its
// /proc/sys/net values); it must not throw.
NetnsDiag sock_diag_in(const NetnsRef& ref, const std::function<void()>& inside = {});

}  // namespace tcpfsm
