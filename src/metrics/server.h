// Serves /metrics over HTTP (cpp-httplib) on threads of its own, so a slow
// or broken scraper never delays the trace thread: that thread only
// publishes snapshots, and a scrape renders the latest one.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "metrics/exposition.h"

namespace httplib {
class Server;
}

namespace tcpfsm {

struct ListenAddress {
  std::string host;  // numeric: "127.0.0.1", "::1", "0.0.0.0", "::"
  std::uint16_t port = 0;
};
// "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"; "localhost:9464" (a host
// name, resolved here with getaddrinfo: its first IPv4 address, else its
// first IPv6 one); ":9464", every address as Prometheus exporters read it
// ("::", which takes IPv4 too, or "0.0.0.0" where the kernel has no IPv6).
// Nothing, with `why` naming the problem, for anything else (quoting text as
// it is: the command line escapes what it shows).
std::optional<ListenAddress> parse_listen_address(const std::string& text, std::string& why);

class MetricsServer {
 public:
  // Renders the exposition for one scrape (called on a server thread).
  using Render = std::function<std::string(ExpositionFormat)>;
  // Whether the tracer is alive, for /healthz (a server thread; cheap: no
  // socket is read): an empty string when it is, else what is wrong.
  using Health = std::function<std::string()>;

  // Binds now, so that an address in use or not bindable fails before
  // tracing starts: throws Error naming the address. Serves /metrics
  // (render) and /healthz (200 "ok", or 503 and what is wrong), for probes
  // that must not cost a socket dump each.
  MetricsServer(const ListenAddress& address, Render render, Health health);
  ~MetricsServer();  // stops serving and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts answering requests.
  void start();
  std::uint16_t port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace tcpfsm
