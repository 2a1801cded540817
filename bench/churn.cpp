// Loopback connection churn: the workload for scripts/bench.
//
// Each connection makes exactly 10 TCP state transitions:
//   client: CLOSE->SYN_SENT->ESTABLISHED->FIN_WAIT1->FIN_WAIT2->CLOSE
//   server child: LISTEN->SYN_RECV->ESTABLISHED->CLOSE_WAIT->LAST_ACK->CLOSE
// and the one shared listener adds 2 (CLOSE->LISTEN at start, LISTEN->CLOSE
// at the end). The client closes first; the server closes on EOF.
//
// IPv4 clients bind a source address rotated over 127.x.y.z, so the client's
// TIME_WAIT entries are spread over millions of 4-tuples and ephemeral ports
// never run out. IPv6 has one loopback address: it relies on the kernel
// reusing loopback TIME_WAIT ports (net.ipv4.tcp_tw_reuse, 2 by default).
//
// Prints one machine-readable line: key=value pairs (see print_result).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <latch>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  unsigned threads = 1;
  double duration_s = 0;         // stop starting connections after this long
  std::uint64_t connections = 0;  // stop after this many in total
  double max_s = 600;            // hard time bound, whatever the count
  bool ipv6 = false;
  std::uint16_t port = 24680;
  int io_timeout_ms = 2000;  // bound on every blocking connect/accept/read
};

// A socket descriptor closed on scope exit unless released by close_now().
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close_now(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  void close_now() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void set_timeouts(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  // SO_SNDTIMEO bounds connect(), SO_RCVTIMEO bounds accept() and read().
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

struct Address {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

Address server_address(const Options& o) {
  Address a;
  if (o.ipv6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_addr = in6addr_loopback;
    s6->sin6_port = htons(o.port);
    a.len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    s4->sin_family = AF_INET;
    s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s4->sin_port = htons(o.port);
    a.len = sizeof *s4;
  }
  return a;
}

// The n-th client source address: 127.x.y.z with z in 1..254, x.y over all
// 65536 values, so a source address comes back only every ~16.6M connections.
in_addr_t client_source(std::uint64_t n) {
  const std::uint32_t z = 1 + static_cast<std::uint32_t>(n % 254);
  const std::uint32_t xy = static_cast<std::uint32_t>((n / 254) % 65536);
  return htonl(0x7f000000u | (xy << 8) | z);
}

struct Shared {
  const Options& opts;
  const Address server;
  int listener;
  Clock::time_point deadline;   // stop starting connections
  Clock::time_point hard_stop;  // stop even in count mode
  std::atomic<std::uint64_t> tickets{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> next_source{0};
};

void report_error(Shared& sh, const char* what) {
  if (sh.errors.fetch_add(1) < 5) std::fprintf(stderr, "churn: %s: %s\n", what, std::strerror(errno));
}

// Takes the next connection to make, or false when the run is over.
bool claim(Shared& sh) {
  const auto now = Clock::now();
  if (now >= sh.hard_stop) return false;
  if (sh.opts.duration_s > 0 && now >= sh.deadline) return false;
  if (sh.opts.connections == 0) return true;
  return sh.tickets.fetch_add(1) < sh.opts.connections;
}

// One connection, both ends. False on any error (the thread then stops, so an
// error cannot cascade into a stream of half-made connections).
bool one_connection(Shared& sh) {
  const Options& o = sh.opts;
  Fd client(socket(o.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client.ok()) return report_error(sh, "socket"), false;
  set_timeouts(client.get(), o.io_timeout_ms);
  if (!o.ipv6) {
    // The port is picked at connect() for the full 4-tuple, not at bind().
    int one = 1;
    setsockopt(client.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = client_source(sh.next_source.fetch_add(1));
    if (bind(client.get(), reinterpret_cast<sockaddr*>(&src), sizeof src) != 0)
      return report_error(sh, "bind"), false;
  }
  if (connect(client.get(), sh.server.sa(), sh.server.len) != 0) return report_error(sh, "connect"), false;

  // The client closes first, before the server accepts: the child takes the FIN
  // in the accept queue (ESTABLISHED -> CLOSE_WAIT), the same transitions as
  // closing after accept(). Any thread may accept any thread's connection;
  // this order keeps a thread from waiting on another thread's close, which
  // would run the threads in lock step instead of in parallel.
  client.close_now();
  Fd server(accept4(sh.listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.ok()) return report_error(sh, "accept"), false;
  set_timeouts(server.get(), o.io_timeout_ms);
  char byte;
  ssize_t n;
  while ((n = read(server.get(), &byte, 1)) < 0 && errno == EINTR) {
  }
  if (n != 0) return report_error(sh, n < 0 ? "read" : "read: unexpected data"), false;
  server.close_now();  // the server closes on EOF
  sh.done.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Fd make_listener(const Options& o, const Address& server) {
  Fd l(socket(o.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.ok()) return l;
  int one = 1;
  setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  set_timeouts(l.get(), o.io_timeout_ms);
  if (bind(l.get(), server.sa(), server.len) != 0 || listen(l.get(), 4096) != 0) {
    std::fprintf(stderr, "churn: cannot listen on port %u: %s\n", o.port, std::strerror(errno));
    l.close_now();
  }
  return l;
}

void print_result(const Options& o, const Shared& sh, double elapsed_s) {
  const auto done = sh.done.load();
  std::printf("connections=%llu elapsed_s=%.6f conn_per_s=%.1f threads=%u family=%s port=%u errors=%llu\n",
              static_cast<unsigned long long>(done), elapsed_s, elapsed_s > 0 ? done / elapsed_s : 0.0,
              o.threads, o.ipv6 ? "ipv6" : "ipv4", o.port, static_cast<unsigned long long>(sh.errors.load()));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Loopback TCP connection churn: 10 state transitions per connection"};
  app.add_option("-t,--threads", o.threads, "client+server threads")->check(CLI::Range(1u, 256u));
  app.add_option("-d,--duration", o.duration_s, "seconds to keep starting connections")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("-n,--connections", o.connections, "total connections to make");
  app.add_option("--max-seconds", o.max_s, "hard time bound, even with --connections")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_flag("-6,--ipv6", o.ipv6, "IPv6 (::1) instead of IPv4 (127.0.0.1)");
  app.add_option("-p,--port", o.port, "listening port")->check(CLI::Range(1, 65535));
  CLI11_PARSE(app, argc, argv);
  if (o.duration_s <= 0 && o.connections == 0) o.duration_s = 5;

  const Address server = server_address(o);
  Fd listener = make_listener(o, server);
  if (!listener.ok()) return 1;

  const auto start = Clock::now();
  auto after = [&](double s) {
    return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  Shared sh{o, server, listener.get(), after(o.duration_s), after(o.max_s)};
  std::latch ready(o.threads + 1);
  std::vector<std::jthread> workers;
  for (unsigned i = 0; i < o.threads; ++i)
    workers.emplace_back([&] {
      ready.arrive_and_wait();
      while (claim(sh) && one_connection(sh)) {
      }
    });
  ready.arrive_and_wait();
  workers.clear();  // joins
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  listener.close_now();
  print_result(o, sh, elapsed);
  return sh.errors.load() ? 1 : 0;
}
