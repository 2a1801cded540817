// Serves /metrics over HTTP on a thread of its own, so a slow or broken
// scraper never delays the trace thread: that thread only publishes
// snapshots, and a scrape renders the latest one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "metrics/exposition.h"

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

// What the server lets a client take: it answers Prometheus, probes and a
// person with curl, so anything past these is an attack or a bug, refused
// at once rather than queued (docs/metrics.md, "Limits").
struct ServerLimits {
  unsigned connections = 64;  // open at once, from everyone
  unsigned per_client = 16;   // open at once, from one address
  // The request line and headers together; a body is never read (413).
  std::size_t request_bytes = 16 * 1024;
  // A connection that sends nothing for this long is closed (a
  // keep-alive one between scrapes too) ...
  std::chrono::seconds idle{5};
  // ... and a request must be read and answered whole in this time, however
  // slowly the client dribbles it: a slow client holds a connection, never
  // the server.
  std::chrono::seconds deadline{10};
};

// One thread runs the server (GNU libmicrohttpd, event-driven with epoll):
// every connection is a socket in one event loop, so a slow or idle client
// costs a connection slot and a little memory, and never a thread the
// scrapes need.
class MetricsServer {
 public:
  // Renders the exposition for one scrape, with the server's own refusals
  // so far (called on the server's thread).
  using Render = std::function<std::string(ExpositionFormat, const HttpRefusals&)>;
  // Whether the tracer is alive, for /healthz (the server's thread; cheap:
  // no socket is read): an empty string when it is, else what is wrong.
  using Health = std::function<std::string()>;

  // Binds now, so that an address in use or not bindable fails before
  // tracing starts: throws Error naming the address. Serves /metrics
  // (render) and /healthz (200 "ok", or 503 and what is wrong), for probes
  // that must not cost a socket dump each.
  MetricsServer(const ListenAddress& address, Render render, Health health, ServerLimits limits = {});
  ~MetricsServer();  // stops serving and joins
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Starts answering requests.
  void start();
  std::uint16_t port() const { return port_; }

  struct State;  // the server thread's (server.cpp)

 private:
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tcpfsm
