#include "metrics/server.h"

#include <httplib.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/errors.h"
#include "common/text.h"

namespace tcpfsm {

std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& why) {
  ListenAddress a;
  std::string_view port;
  if (text.starts_with('[')) {  // [IPv6]:PORT
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = "'" + escaped(text) + "' is not [IPV6]:PORT";
      return std::nullopt;
    }
    a.host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      why = "'" + escaped(text) + "' is not ADDRESS:PORT (IPv6 goes in brackets: [::1]:9464)";
      return std::nullopt;
    }
    a.host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
  }
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value == 0 || value > 65535) {
    why = "'" + escaped(text) + "': port must be a number from 1 to 65535";
    return std::nullopt;
  }
  a.port = static_cast<std::uint16_t>(value);
  // The address itself: numeric only, so nothing is looked up in DNS.
  unsigned char buf[16];
  if (a.host.empty() || (inet_pton(AF_INET, a.host.c_str(), buf) != 1 && inet_pton(AF_INET6, a.host.c_str(), buf) != 1)) {
    why = "'" + escaped(text) + "': '" + escaped(a.host) + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
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
