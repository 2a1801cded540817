#include "metrics/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/errors.h"
#include "common/text.h"

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

// The server thread's state. Everything here is touched by that thread
// alone (libmicrohttpd's callbacks run inside MHD_run_wait on it), so
// nothing is locked.
struct MetricsServer::State {
  struct Connection {
    int fd = -1;
    std::string client;  // the peer's address, without its port
    std::chrono::steady_clock::time_point since;  // accepted, or its last answer sent
    bool answered = false;  // a request of it was answered: a scraper's keep-alive connection
    bool cut = false;       // shut down (evicted, or past its deadline): closing
  };

  MetricsServer::Render render;
  MetricsServer::Health health;
  ServerLimits limits;
  MHD_Daemon* daemon = nullptr;
  std::unordered_set<Connection*> connections;  // open
  std::unordered_map<std::string, unsigned> per_client;  // open connections by address
  std::size_t open = 0, cut_count = 0;  // open connections, and those of them cut (closing)
  HttpRefusals refused;

  // Which connections to take, decided here rather than by
  // libmicrohttpd's own limits (kept above these, as a backstop) so that
  // each refusal is counted by its reason. At the limit, a new connection
  // is taken and the oldest one cut: refusing the new one would let anyone
  // who holds the limit's worth of idle connections lock Prometheus out,
  // while a scraper that sends its request at once (as Prometheus does) is
  // answered long before it is the oldest. Connections that were answered
  // before (a scraper's kept alive between scrapes) go last, so a flood of
  // new connections does not cut Prometheus's as it sends its next request.
  static MHD_Result admit(void* cls, const sockaddr* addr, socklen_t) {
    auto* st = static_cast<State*>(cls);
    if (const auto it = st->per_client.find(client_of(addr));
        it != st->per_client.end() && it->second >= st->limits.per_client) {
      ++st->refused.per_client;
      return MHD_NO;
    }
    if (st->open - st->cut_count >= st->limits.connections) {
      if (st->open >= 2 * std::size_t{st->limits.connections}) {  // the cut ones not closed yet
        ++st->refused.busy;
        return MHD_NO;
      }
      Connection* oldest = nullptr;
      for (Connection* conn : st->connections)
        if (!conn->cut && (!oldest || std::tie(conn->answered, conn->since) < std::tie(oldest->answered, oldest->since)))
          oldest = conn;
      if (oldest) {
        st->cut(*oldest);
        ++st->refused.evicted;
      }
    }
    return MHD_YES;
  }

  static void on_connection(void* cls, MHD_Connection* c, void** context, MHD_ConnectionNotificationCode code) {
    auto* st = static_cast<State*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* conn = new Connection;
      conn->fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD)->connect_fd;
      conn->client = client_of(MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)->client_addr);
      conn->since = std::chrono::steady_clock::now();
      ++st->per_client[conn->client];
      ++st->open;
      st->connections.insert(conn);
      *context = conn;
      return;
    }
    auto* conn = static_cast<Connection*>(*context);
    if (!conn) return;
    if (--st->per_client[conn->client] == 0) st->per_client.erase(conn->client);
    --st->open;
    if (conn->cut) --st->cut_count;
    st->connections.erase(conn);
    delete conn;
    *context = nullptr;
  }

  // A request answered: the connection's next one has a deadline of its own.
  static void on_completed(void*, MHD_Connection* c, void**, MHD_RequestTerminationCode how) {
    auto* conn = static_cast<Connection*>(
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT)->socket_context);
    if (!conn) return;
    conn->since = std::chrono::steady_clock::now();
    conn->answered |= how == MHD_REQUEST_TERMINATED_COMPLETED_OK;
  }

  static MHD_Result answer(MHD_Connection* c, unsigned status, std::string_view body, const char* type,
                           std::initializer_list<std::pair<const char*, const char*>> headers = {}) {
    MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                      MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    for (const auto& [k, v] : headers) MHD_add_response_header(r, k, v);
    const MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
  }

  // Called once a request's line and headers are in, and again once it is
  // whole. A request with a body is answered on the first call, which makes
  // libmicrohttpd close the connection without reading the body; any other
  // is answered on the second, which keeps the connection (and what a
  // client pipelined after the request) alive.
  static MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                               const char*, size_t*, void** request) {
    auto* st = static_cast<State*>(cls);
    constexpr const char* kText = "text/plain; charset=utf-8";
    if (!*request) {
      const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
          (length && std::string_view(length) != "0")) {
        ++st->refused.body;
        return answer(c, MHD_HTTP_CONTENT_TOO_LARGE, "tcpfsm takes no request body\n", kText,
                      {{MHD_HTTP_HEADER_CONNECTION, "close"}});
      }
      *request = st;  // seen: answered on the next call
      return MHD_YES;
    }
    const std::string_view m(method);
    if (m != MHD_HTTP_METHOD_GET && m != MHD_HTTP_METHOD_HEAD)
      return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or HEAD only\n", kText,
                    {{MHD_HTTP_HEADER_ALLOW, "GET, HEAD"}});
    const std::string_view path(url);
    if (path == "/metrics") {
      const char* accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
      const ExpositionFormat f = format_for_accept(accept ? accept : "");
      return answer(c, MHD_HTTP_OK, st->render(f, st->refused), content_type(f));
    }
    if (path == "/healthz") {
      const std::string wrong = st->health();
      return answer(c, wrong.empty() ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, wrong.empty() ? "ok\n" : wrong + "\n",
                    kText);
    }
    if (path == "/")
      return answer(c, MHD_HTTP_OK,
                    "<html><body><a href=\"/metrics\">/metrics</a> <a href=\"/healthz\">/healthz</a></body></html>\n",
                    "text/html");
    return answer(c, MHD_HTTP_NOT_FOUND, "not found: /metrics, /healthz\n", kText);
  }

  // Cuts off the connections past their deadline. shutdown(), not close():
  // the descriptor stays libmicrohttpd's, which sees the end and closes it.
  void cut(Connection& conn) {
    shutdown(conn.fd, SHUT_RDWR);
    conn.cut = true;
    ++cut_count;
  }
  void cut_late() {
    const auto now = std::chrono::steady_clock::now();
    for (Connection* conn : connections) {
      if (conn->cut || now - conn->since < limits.deadline) continue;
      cut(*conn);
      ++refused.deadline;
    }
  }

 private:
  static std::string client_of(const sockaddr* addr) {
    if (addr->sa_family == AF_INET)
      return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr), 4);
    if (addr->sa_family == AF_INET6)
      return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr), 16);
    return {};
  }
};

namespace {

// The listening socket, bound now so that a taken address fails before
// tracing starts. SO_REUSEADDR only (no SO_REUSEPORT, with which a second
// tcpfsm would bind the same port and take half the scrapes).
int listen_on(const ListenAddress& address) {
  const std::string shown = address.host.find(':') != std::string::npos
                                ? "[" + address.host + "]:" + std::to_string(address.port)
                                : address.host + ":" + std::to_string(address.port);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    len = sizeof *v4;
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
             inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    len = sizeof *v6;
  } else {
    throw Error(ExitCode::Failure, "--metrics: " + escaped(shown) + " is not a numeric address");
  }
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const auto fail = [&](const char* what) {
    const int err = errno;
    if (fd >= 0) close(fd);
    throw Error(ExitCode::Failure, "--metrics: cannot " + std::string(what) + " " + shown + ": " + std::strerror(err) +
                                       (err == EADDRINUSE ? " (another process uses the port)" : ""));
  };
  if (fd < 0) fail("open a socket for");
  int yes = 1, no = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  // "::" (from ":PORT") takes IPv4 too, whatever net.ipv6.bindv6only says.
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) fail("listen on");
  if (listen(fd, 64) != 0) fail("listen on");
  return fd;
}

// Connections the server may hold within RLIMIT_NOFILE: its cut ones still
// closing double them at most, and kReservedFds stay for the rest of tcpfsm
// (the BPF objects, the log, a socket dump's namespaces), so that idle
// clients can never take the descriptor a log rotation needs.
unsigned connections_within_fd_limit(unsigned wanted) {
  constexpr rlim_t kReservedFds = 256;
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return wanted;
  const rlim_t spare = r.rlim_cur > kReservedFds ? (r.rlim_cur - kReservedFds) / 2 : 0;
  return static_cast<unsigned>(std::clamp<rlim_t>(spare, 1, wanted));
}

}  // namespace

MetricsServer::MetricsServer(const ListenAddress& address, Render render, Health health, ServerLimits limits)
    : state_(std::make_unique<State>()), port_(address.port) {
  state_->render = std::move(render);
  state_->health = std::move(health);
  limits.connections = connections_within_fd_limit(limits.connections);
  state_->limits = limits;
  const int fd = listen_on(address);
  // The port bound (the kernel's pick for port 0, as the tests ask).
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) == 0)
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                               : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  // The loop is ours (MHD_run_wait on the server thread, below), so that
  // the deadlines are checked between its rounds on the same thread.
  // libmicrohttpd's own limits stay above tcpfsm's, which admit() applies
  // and counts.
  state_->daemon = MHD_start_daemon(
      MHD_USE_EPOLL, 0, &State::admit, state_.get(), &State::on_request, state_.get(),  //
      MHD_OPTION_LISTEN_SOCKET, fd,                                                     //
      MHD_OPTION_CONNECTION_LIMIT, 2 * limits.connections + 1,       //
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.request_bytes,                         //
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(limits.idle.count()),        //
      MHD_OPTION_NOTIFY_CONNECTION, &State::on_connection, state_.get(),                //
      MHD_OPTION_NOTIFY_COMPLETED, &State::on_completed, state_.get(),                  //
      MHD_OPTION_END);
  if (!state_->daemon) {
    close(fd);
    throw Error(ExitCode::Failure, "--metrics: cannot start the HTTP server (libmicrohttpd) on port " +
                                       std::to_string(address.port));
  }
}

void MetricsServer::start() {
  thread_ = std::thread([this] {
    // A quarter second between looks at the deadlines and the stop flag.
    while (!stop_.load(std::memory_order_relaxed)) {
      MHD_run_wait(state_->daemon, 250);
      state_->cut_late();
    }
  });
}

MetricsServer::~MetricsServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  MHD_stop_daemon(state_->daemon);  // closes the connections and the listening socket
}

}  // namespace tcpfsm
