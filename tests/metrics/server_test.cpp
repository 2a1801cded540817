// The metrics server against real clients on loopback: what it answers, and
// what it refuses or cuts off (a body, oversized headers, a slow client, an
// idle one, more connections than its limits), each counted by reason,
// while other clients are still answered.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/server.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

// A test's server: renders a fixed body and keeps the refusals it was given.
class Served {
 public:
  explicit Served(ServerLimits limits = {})
      : server_({"127.0.0.1", 0},
                [this](ExpositionFormat f, const HttpRefusals& http) {
                  std::lock_guard lock(mutex_);
                  http_ = http;
                  return std::string(f == ExpositionFormat::OpenMetrics ? "om 1\n# EOF\n" : "prom 1\n");
                },
                [] { return std::string(); }, limits) {
    server_.start();
  }
  std::uint16_t port() const { return server_.port(); }
  HttpRefusals refusals() {
    std::lock_guard lock(mutex_);
    return http_;
  }

 private:
  std::mutex mutex_;
  HttpRefusals http_;
  MetricsServer server_;
};

// A client connection from a loopback address of the test's choosing, so
// that tests can be several clients (127.0.0.1, 127.0.0.2, ...).
class Client {
 public:
  Client(std::uint16_t port, const char* from = "127.0.0.1") {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, from, &src.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) ADD_FAILURE() << "bind " << from;
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) ADD_FAILURE() << "connect";
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // What arrives until the server closes or `wait` passes with nothing new.
  std::string read_all(std::chrono::milliseconds wait = 3000ms) {
    std::string got;
    char buf[65536];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return got;
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        return got;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  // Whether the server closed the connection (within `wait`).
  bool closed_by_server(std::chrono::milliseconds wait = 3000ms) {
    read_all(wait);
    return closed_;
  }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

std::string get(const char* path, const char* extra = "") {
  return std::string("GET ") + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

int status_of(const std::string& response) {
  return response.size() >= 12 && response.starts_with("HTTP/1.") ? std::stoi(response.substr(9, 3)) : 0;
}

// A plain scrape on a fresh connection: its status and body.
std::pair<int, std::string> scrape(std::uint16_t port, const char* from = "127.0.0.1") {
  Client c(port, from);
  c.send(get("/metrics", "Connection: close\r\n"));
  const std::string r = c.read_all();
  const auto body = r.find("\r\n\r\n");
  return {status_of(r), body == std::string::npos ? "" : r.substr(body + 4)};
}

}  // namespace

TEST(MetricsServer, AnswersMetricsHealthAndHead) {
  Served s;
  EXPECT_EQ(scrape(s.port()), (std::pair<int, std::string>{200, "prom 1\n"}));

  Client om(s.port());
  om.send(get("/metrics", "Accept: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n"));
  const std::string r = om.read_all();
  EXPECT_NE(r.find("Content-Type: application/openmetrics-text"), std::string::npos) << r;
  EXPECT_TRUE(r.ends_with("om 1\n# EOF\n")) << r;

  Client health(s.port());
  health.send(get("/healthz", "Connection: close\r\n"));
  EXPECT_TRUE(health.read_all().ends_with("\r\n\r\nok\n"));

  Client head(s.port());
  head.send("HEAD /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string h = head.read_all();
  EXPECT_EQ(status_of(h), 200);
  EXPECT_TRUE(h.ends_with("\r\n\r\n")) << "HEAD has no body: " << h;

  Client missing(s.port());
  missing.send(get("/nothing", "Connection: close\r\n"));
  EXPECT_EQ(status_of(missing.read_all()), 404);
}

TEST(MetricsServer, PipelinedRequestsAreAnsweredInOrder) {
  Served s;
  Client c(s.port());
  c.send(get("/metrics") + get("/healthz") + get("/metrics", "Connection: close\r\n"));
  const std::string r = c.read_all();
  const auto first = r.find("prom 1\n"), second = r.find("ok\n", first), third = r.find("prom 1\n", second);
  EXPECT_NE(first, std::string::npos) << r;
  EXPECT_NE(second, std::string::npos) << r;
  EXPECT_NE(third, std::string::npos) << r;
}

// A 1 GiB upload announced: answered 413 at once, with nothing of it read,
// and the connection closed (what follows the headers would be the body).
TEST(MetricsServer, RefusesAnyBodyWithoutReadingIt) {
  Served s;
  Client c(s.port());
  c.send("POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n");
  c.send(std::string(4096, 'x'));  // the start of the body, never read
  const std::string r = c.read_all();
  EXPECT_EQ(status_of(r), 413) << r;
  EXPECT_TRUE(c.closed_by_server());

  Client chunked(s.port());
  chunked.send("GET /metrics HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(status_of(chunked.read_all()), 413);

  Client put(s.port());
  put.send("DELETE /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string d = put.read_all();
  EXPECT_EQ(status_of(d), 405) << d;
  EXPECT_NE(d.find("Allow: GET, HEAD"), std::string::npos) << d;

  scrape(s.port());
  EXPECT_EQ(s.refusals().body, 2u);
}

// 100,000 headers (or one of 64 KiB) do not fit the 16 KiB a request may
// take: refused without growing the server, and the next scrape answered.
TEST(MetricsServer, RefusesOversizedRequestHeaders) {
  Served s;
  Client many(s.port());
  std::string headers = "GET /metrics HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 2000; ++i) headers += "X-" + std::to_string(i) + ": y\r\n";
  many.send(headers);  // more follow, unsent: refused before the end
  const std::string r = many.read_all();
  EXPECT_TRUE(status_of(r) == 431 || status_of(r) == 413 || r.empty()) << r.substr(0, 200);
  EXPECT_TRUE(many.closed_by_server());

  Client long_line(s.port());
  long_line.send("GET /" + std::string(65536, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string l = long_line.read_all();
  EXPECT_TRUE(status_of(l) == 414 || status_of(l) == 431 || l.empty()) << l.substr(0, 200);
  EXPECT_TRUE(long_line.closed_by_server());

  EXPECT_EQ(scrape(s.port()).first, 200);
}

// A client that dribbles its headers a byte at a time keeps the
// connection active (no idle timeout) but not past the whole-request
// deadline; a scrape meanwhile is answered at once.
TEST(MetricsServer, CutsASlowClientAtTheDeadlineAndServesOthersMeanwhile) {
  ServerLimits limits;
  limits.deadline = 2s;
  Served s(limits);
  Client slow(s.port(), "127.0.0.2");
  const std::string request = get("/metrics");
  const auto began = std::chrono::steady_clock::now();
  bool cut = false;
  for (std::size_t i = 0; i < request.size() && !cut; ++i) {
    slow.send(request.substr(i, 1));
    // Meanwhile, another client is served.
    if (i == 3) {
      EXPECT_EQ(scrape(s.port()).first, 200);
    }
    cut = slow.closed_by_server(300ms);
  }
  const auto lasted = std::chrono::steady_clock::now() - began;
  EXPECT_TRUE(cut) << "the slow client was never cut off";
  EXPECT_GE(lasted, 2s);
  EXPECT_LT(lasted, 5s);
  scrape(s.port());
  EXPECT_EQ(s.refusals().deadline, 1u);
}

TEST(MetricsServer, ClosesAnIdleConnection) {
  ServerLimits limits;
  limits.idle = 1s;
  Served s(limits);
  Client idle(s.port());
  const auto began = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.closed_by_server(4000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - began, 4s);
}

// One address may hold per_client connections; its next one is refused at
// once, and another address is still taken.
TEST(MetricsServer, RefusesAClientOverItsShare) {
  ServerLimits limits;
  limits.per_client = 3;
  Served s(limits);
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<Client>(s.port(), "127.0.0.2"));
  Client fourth(s.port(), "127.0.0.2");
  EXPECT_TRUE(fourth.closed_by_server(2000ms));
  EXPECT_EQ(scrape(s.port(), "127.0.0.3").first, 200);
  EXPECT_EQ(s.refusals().per_client, 1u);
}

// Idle connections from many addresses fill the server: a scraper that
// comes then is still answered, and the oldest idle connection is cut.
TEST(MetricsServer, ANewScraperEvictsTheOldestIdleConnectionAtTheLimit) {
  ServerLimits limits;
  limits.connections = 8;
  Served s(limits);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 8; ++i) {
    const std::string from = "127.0.1." + std::to_string(i + 1);
    idle.push_back(std::make_unique<Client>(s.port(), from.c_str()));
    std::this_thread::sleep_for(20ms);  // accepted in this order
  }
  EXPECT_EQ(scrape(s.port()).first, 200);
  EXPECT_TRUE(idle[0]->closed_by_server(1000ms)) << "the oldest idle connection is cut";
  EXPECT_FALSE(idle[1]->closed_by_server(200ms)) << "the others are kept";
  // Seven idle ones and the scraper: under the limit, nothing more is cut.
  EXPECT_EQ(scrape(s.port()).first, 200);
  EXPECT_FALSE(idle[1]->closed_by_server(200ms));
  EXPECT_EQ(s.refusals().evicted, 1u);
}

// A scraper's connection kept alive between scrapes is cut last: a flood of
// new connections cuts the idle ones that never sent a request, however
// recent, before it.
TEST(MetricsServer, AKeptAliveScraperOutlastsAFloodOfNewConnections) {
  ServerLimits limits;
  limits.connections = 8;
  Served s(limits);
  Client scraper(s.port());
  scraper.send(get("/metrics"));
  EXPECT_TRUE(scraper.read_all(300ms).ends_with("prom 1\n"));
  std::vector<std::unique_ptr<Client>> flood;
  for (int i = 0; i < 20; ++i) {
    const std::string from = "127.0.1." + std::to_string(i + 1);
    flood.push_back(std::make_unique<Client>(s.port(), from.c_str()));
    std::this_thread::sleep_for(5ms);
  }
  scraper.send(get("/metrics"));
  EXPECT_TRUE(scraper.read_all(300ms).ends_with("prom 1\n")) << "the scraper's connection was cut";
  EXPECT_TRUE(flood[0]->closed_by_server(500ms));
  EXPECT_EQ(s.refusals().evicted, 13u);  // 1 + 20 connections for 8 places
}
