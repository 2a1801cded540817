// Real loopback sockets for integration scenarios (blocking, bounded waits).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "harness.h"

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
  // Writes n bytes; reads exactly n bytes (throws if the peer sends fewer
  // within 5 s).
  void send_bytes(std::size_t n) const;
  void receive_bytes(std::size_t n) const;

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

// n connections as run_connections makes them (the same transitions), each
// client sending `request` bytes and the server answering `response` bytes
// before the client closes.
void run_exchanges(Family f, std::uint16_t port, int n, std::size_t request, std::size_t response);

// A process named `comm` that accepted n connections to a listener on port
// whose peers have closed, and never closes its end: n CLOSE_WAIT sockets it
// holds, beside its listener. 1 + 8n transitions: the listener's CLOSE ->
// LISTEN; per connection the client's CLOSE -> SYN_SENT -> ESTABLISHED ->
// FIN_WAIT1 -> FIN_WAIT2 -> CLOSE (closed, so handed to a timewait socket,
// FIN_WAIT2 to sock_diag, as soon as its FIN is acked) and the child's
// LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT.
std::unique_ptr<HoldingChild> plant_close_wait(const char* comm, std::uint16_t port, int n = 3);

// Moves this process into a fresh network namespace with lo up, so test ports
// never collide with the host's and TIME_WAIT stays out of the host's table.
void enter_private_netns();
// Moves this process into a private mount namespace: test mounts (tmpfs,
// tracefs) vanish with it and never reach the host.
void enter_private_mountns();

}  // namespace tcpfsm::itest
