#include "metrics/server.h"

#include <httplib.h>

#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/errors.h"

namespace tcpfsm {

namespace {

// Whether this kernel has IPv6 at all (booted with ipv6.disable=1, it has not).
bool have_ipv6() {
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// A host name's address: its first IPv4 address, else its first IPv6 one
// (as Go's net.Listen, and so most Prometheus exporters, pick for
// "localhost:9100"); nothing, with `why` set, when it has none.
std::optional<std::string> resolve_host(const std::string& host, std::string& why) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    why = "cannot resolve host '" + host + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  const addrinfo *v4 = nullptr, *v6 = nullptr;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET && !v4) v4 = a;
    if (a->ai_family == AF_INET6 && !v6) v6 = a;
  }
  const addrinfo* pick = v4 ? v4 : v6;
  char text[INET6_ADDRSTRLEN] = "";
  const bool ok = pick && getnameinfo(pick->ai_addr, pick->ai_addrlen, text, sizeof text, nullptr, 0,
                                      NI_NUMERICHOST) == 0;
  freeaddrinfo(found);
  if (!ok) {
    why = "host '" + host + "' has no IPv4 or IPv6 address";
    return std::nullopt;
  }
  return std::string(text);
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& why) {
  ListenAddress a;
  std::string_view port;
  const std::string shown = "'" + text + "'";
  bool bracketed = false;
  if (text.starts_with('[')) {  // [IPv6]:PORT
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = shown + " is not [IPV6]:PORT";
      return std::nullopt;
    }
    a.host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
    bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      why = shown + " is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every address)";
      return std::nullopt;
    }
    if (text.find(':') != colon) {
      why = shown + " is not HOST:PORT: an IPv6 address goes in brackets ([::1]:9464)";
      return std::nullopt;
    }
    a.host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
    why = shown + ": port must be a number from 1 to 65535";
    return std::nullopt;
  }
  a.port = static_cast<std::uint16_t>(value);
  unsigned char buf[16];
  if (bracketed) {
    if (inet_pton(AF_INET6, a.host.c_str(), buf) != 1) {
      why = shown + ": '" + a.host + "' is not an IPv6 address (brackets hold only those)";
      return std::nullopt;
    }
    return a;
  }
  // ":PORT": every address, as Prometheus exporters read it: IPv6's any
  // address, which takes IPv4 too (the server's socket is dual-stack), or
  // IPv4's where the kernel has no IPv6.
  if (a.host.empty()) {
    a.host = have_ipv6() ? "::" : "0.0.0.0";
    return a;
  }
  if (inet_pton(AF_INET, a.host.c_str(), buf) == 1) return a;
  // A host name: looked up once, here; the server binds the address found.
  std::string resolve_why;
  const auto address = resolve_host(a.host, resolve_why);
  if (!address) {
    why = shown + ": " + resolve_why;
    return std::nullopt;
  }
  a.host = *address;
  return a;
}

MetricsServer::MetricsServer(const ListenAddress& address, Render render, Health health)
    : server_(std::make_unique<httplib::Server>()) {
  server_->Get("/healthz", [health = std::move(health)](const httplib::Request&, httplib::Response& res) {
    const std::string wrong = health();
    res.status = wrong.empty() ? 200 : 503;
    res.set_content(wrong.empty() ? "ok\n" : wrong + "\n", "text/plain; charset=utf-8");
  });
  server_->Get("/metrics", [render = std::move(render)](const httplib::Request& req, httplib::Response& res) {
    const ExpositionFormat f = format_for_accept(req.get_header_value("Accept"));
    res.set_content(render(f), content_type(f));
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("<html><body><a href=\"/metrics\">/metrics</a> <a href=\"/healthz\">/healthz</a></body></html>\n",
                    "text/html");
  });
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a
  // second tcpfsm would bind the same port and take half the scrapes.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // "::" (from ":PORT") takes IPv4 too, whatever net.ipv6.bindv6only says
    // (on an IPv4 socket this fails, harmlessly).
    int no = 0;
    setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
  });
  // Two threads: scrapes are answered one at a time anyway.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // A scraper that stalls is dropped rather than holding a thread.
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  const std::string shown = address.host.find(':') != std::string::npos
                                ? "[" + address.host + "]:" + std::to_string(address.port)
                                : address.host + ":" + std::to_string(address.port);
  errno = 0;
  if (!server_->bind_to_port(address.host.c_str(), address.port))
    throw Error(ExitCode::Failure, "--metrics: cannot listen on " + shown + ": " +
                                       (errno ? std::strerror(errno) : "address not available") +
                                       (errno == EADDRINUSE ? " (another process uses the port)" : ""));
  port_ = address.port;
}

void MetricsServer::start() {
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsServer::~MetricsServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tcpfsm
