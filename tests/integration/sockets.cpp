#include "sockets.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace tcpfsm::itest {
namespace {

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

socklen_t make_addr(Family f, std::uint16_t port, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (f == Family::V4) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *a;
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(port);
  a->sin6_addr = in6addr_loopback;
  return sizeof *a;
}

}  // namespace

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

void Socket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::uint16_t Socket::local_port() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len)) fail("getsockname");
  return ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                       : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

void Socket::wait_eof() const {
  char buf[256];
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) throw std::runtime_error("timed out waiting for the peer's FIN");
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n == 0) return;
    if (n < 0) fail("read");
  }
}

void Socket::wait_event() const {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) throw std::runtime_error("timed out waiting for a socket event");
}

void Socket::linger_zero() const {
  linger l{1, 0};
  if (setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l)) fail("SO_LINGER");
}

void Socket::send_bytes(std::size_t n) const {
  const std::vector<char> bytes(n, 'x');
  for (std::size_t sent = 0; sent < n;) {
    const ssize_t w = write(fd_, bytes.data() + sent, n - sent);
    if (w < 0) fail("write");
    sent += static_cast<std::size_t>(w);
  }
}

void Socket::receive_bytes(std::size_t n) const {
  std::vector<char> buf(n);
  for (std::size_t got = 0; got < n;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 5000) != 1) throw std::runtime_error("timed out waiting for the peer's bytes");
    const ssize_t r = read(fd_, buf.data() + got, n - got);
    if (r == 0) throw std::runtime_error("the peer closed before sending every byte");
    if (r < 0) fail("read");
    got += static_cast<std::size_t>(r);
  }
}

std::string loopback(Family f) { return f == Family::V4 ? "127.0.0.1" : "::1"; }

Socket listen_on(Family f, std::uint16_t port) {
  Socket s(socket(f == Family::V4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss;
  const socklen_t len = make_addr(f, port, ss);
  if (bind(s.fd(), reinterpret_cast<sockaddr*>(&ss), len)) fail("bind");
  if (listen(s.fd(), 16)) fail("listen");
  return s;
}

Socket connect_to(Family f, std::uint16_t port) {
  Socket s(socket(f == Family::V4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_storage ss;
  const socklen_t len = make_addr(f, port, ss);
  if (connect(s.fd(), reinterpret_cast<sockaddr*>(&ss), len) == 0) return s;
  if (errno == ECONNREFUSED) return Socket();
  fail("connect");
}

Socket accept_from(const Socket& listener) {
  pollfd p{listener.fd(), POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) throw std::runtime_error("timed out waiting to accept");
  const int fd = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) fail("accept");
  return Socket(fd);
}

Connected connect_pair(Family f, std::uint16_t port) {
  Connected c;
  c.listener = listen_on(f, port);
  c.client = connect_to(f, port);
  c.server = accept_from(c.listener);
  c.client_port = c.client.local_port();
  return c;
}

void run_connections(Family f, std::uint16_t port, int n) {
  Socket listener = listen_on(f, port);
  for (int i = 0; i < n; ++i) {
    Socket client = connect_to(f, port);
    Socket server = accept_from(listener);
    client.close();
    server.wait_eof();
  }
}

void run_exchanges(Family f, std::uint16_t port, int n, std::size_t request, std::size_t response) {
  Socket listener = listen_on(f, port);
  for (int i = 0; i < n; ++i) {
    Socket client = connect_to(f, port);
    Socket server = accept_from(listener);
    client.send_bytes(request);
    server.receive_bytes(request);
    server.send_bytes(response);
    client.receive_bytes(response);
    client.close();
    server.wait_eof();
  }
}

void enter_private_mountns() {
  if (unshare(CLONE_NEWNS)) fail("unshare(CLONE_NEWNS)");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) fail("make / private");
}

std::unique_ptr<HoldingChild> plant_close_wait(const char* comm, std::uint16_t port, int n) {
  return std::make_unique<HoldingChild>(comm, [port, n] {
    static Socket listener;  // in the child: kept open until it exits
    static std::vector<Socket> accepted;
    listener = listen_on(Family::V4, port);
    for (int i = 0; i < n; ++i) {
      Socket client = connect_to(Family::V4, port);
      accepted.push_back(accept_from(listener));
      client.close();  // the peer's FIN: the accepted socket goes to CLOSE_WAIT
      accepted.back().wait_event();
    }
  });
}

void enter_private_netns() {
  if (unshare(CLONE_NEWNET)) fail("unshare(CLONE_NEWNET)");
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr)) fail("SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr)) fail("SIOCSIFFLAGS lo");
  ::close(fd);
}

}  // namespace tcpfsm::itest
