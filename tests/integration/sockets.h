// Real loopback sockets for integration scenarios (blocking, bounded waits).
#pragma once

#include <cstdint>
#include <string>

namespace tcpfsm::itest {

// Owns a socket fd.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  ~Socket() { close(); }
  void close();
  int fd() const { return fd_; }
  std::uint16_t local_port() const;
  // Blocks until the peer's FIN (read returns 0); throws after 5 s.
  void wait_eof() const;
  // Blocks until the socket has an event (data, FIN, RST); throws after 5 s.
  void wait_event() const;
  // Next close() sends RST (SO_LINGER {1, 0}).
  void linger_zero() const;

 private:
  int fd_ = -1;
};

enum class Family { V4, V6 };
// Loopback address of the family: "127.0.0.1" or "::1".
std::string loopback(Family f);

Socket listen_on(Family f, std::uint16_t port);
// Connects; returns the socket, or an empty Socket if refused.
Socket connect_to(Family f, std::uint16_t port);
Socket accept_from(const Socket& listener);

// A listener and one connection to it, accepted.
struct Connected {
  Socket listener, client, server;
  std::uint16_t client_port;  // the client's local port
};
Connected connect_pair(Family f, std::uint16_t port);

// n connections to a fresh listener on port, one after another: the client
// closes first, the server closes on EOF. 12 transitions for n = 1, 10 more per
// extra connection (the listener's two only once).
void run_connections(Family f, std::uint16_t port, int n);

// Moves this process into a fresh network namespace with lo up, so test ports
// never collide with the host's and TIME_WAIT stays out of the host's table.
void enter_private_netns();
// Moves this process into a private mount namespace: test mounts (tmpfs,
// tracefs) vanish with it and never reach the host.
void enter_private_mountns();

}  // namespace tcpfsm::itest
