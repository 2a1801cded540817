// What a connection did, as its end's record says it (`life`), on real
// sockets in the test's private network namespace: exact payload bytes both
// ways on both ends, retransmits on a lossy path equal to the kernel's own
// count, and nothing invented for a connection refused or reset.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;

void write_all(int fd, std::size_t n, char fill) {
  const std::string chunk(16384, fill);
  while (n) {
    const ssize_t w = ::send(fd, chunk.data(), std::min(n, chunk.size()), MSG_NOSIGNAL);
    if (w <= 0) throw std::runtime_error("send failed");
    n -= static_cast<std::size_t>(w);
  }
}

// Reads exactly n bytes (5 s bound per read: the sockets have SO_RCVTIMEO).
void read_exact(int fd, std::size_t n) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<char> buf(65536);
  while (n) {
    const ssize_t r = ::recv(fd, buf.data(), std::min(n, buf.size()), 0);
    if (r <= 0) throw std::runtime_error("recv ended " + std::to_string(n) + " bytes short");
    n -= static_cast<std::size_t>(r);
  }
}

// The transition into CLOSE of the socket with local port lport (and remote
// port rport, when given): the last one.
json close_of(const std::vector<json>& t, std::uint16_t lport, std::uint16_t rport = 0) {
  json found;
  for (const json& e : t)
    if (e["new"] == "CLOSE" && e["lport"] == lport && (!rport || e["rport"] == rport)) found = e;
  return found;
}

std::string own_netns_inode() {
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0) throw std::runtime_error("no /proc/self/ns/net");
  return std::to_string(st.st_ino);
}

// The kernel's count of retransmitted segments in this network namespace
// (/proc/net/snmp, Tcp: RetransSegs).
std::uint64_t retrans_segs() {
  std::ifstream in("/proc/net/snmp");
  std::string head, values;
  while (std::getline(in, head) && std::getline(in, values)) {
    if (head.rfind("Tcp:", 0) != 0) continue;
    std::istringstream h(head), v(values);
    for (std::string name, value; h >> name && v >> value;)
      if (name == "RetransSegs") return std::stoull(value);
  }
  throw std::runtime_error("no Tcp: RetransSegs in /proc/net/snmp");
}

// One connection: the client sends `up` bytes, the server reads them and
// answers `down`; the client closes first, the server on its EOF.
struct Exchange {
  std::uint16_t client_port = 0;
  std::chrono::nanoseconds wall{};  // from before connect() to after both closes
};

Exchange exchange(Family f, std::uint16_t port, std::size_t up, std::size_t down) {
  Socket listener = listen_on(f, port);
  const auto start = std::chrono::steady_clock::now();
  Socket client = connect_to(f, port);
  if (client.fd() < 0) throw std::runtime_error("connect refused");
  Socket server = accept_from(listener);
  Exchange x{client.local_port(), {}};
  std::thread serve([&] {
    read_exact(server.fd(), up);
    write_all(server.fd(), down, 'd');
    server.wait_eof();
    server.close();
  });
  write_all(client.fd(), up, 'u');
  read_exact(client.fd(), down);
  client.close();
  serve.join();
  x.wall = std::chrono::steady_clock::now() - start;
  return x;
}

// Whether the tracer was given a port filter (the kernel keeps each socket's
// birth) or a namespace filter (this run sees the start itself).
class LifeBothWays : public ::testing::TestWithParam<bool> {};

TEST_P(LifeBothWays, BothEndsSayTheExactPayloadEachWayAndTheirRole) {
  REQUIRE_BPF();
  const bool by_port = GetParam();
  const std::uint16_t port = by_port ? 21701 : 21702;
  constexpr std::size_t kUp = 300'001, kDown = 7'777;
  TraceRun run(by_port ? std::vector<std::string>{"-p", std::to_string(port)}
                       : std::vector<std::string>{"--netns", own_netns_inode()});
  const std::uint64_t before = retrans_segs();
  const Exchange x = exchange(Family::V4, port, kUp, kDown);
  const std::uint64_t retransmitted = retrans_segs() - before;
  ASSERT_TRUE(run.wait_for_transitions(12));
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  const json client = close_of(t, x.client_port), server = close_of(t, port, x.client_port);
  ASSERT_TRUE(client.contains("life")) << run.process().out();
  ASSERT_TRUE(server.contains("life")) << run.process().out();
  const json& c = client["life"];
  const json& s = server["life"];
  EXPECT_EQ(c["role"], "client");
  EXPECT_EQ(s["role"], "server");
  EXPECT_EQ(c["tx_bytes"], kUp);
  EXPECT_EQ(c["rx_bytes"], kDown);
  EXPECT_EQ(s["tx_bytes"], kDown);
  EXPECT_EQ(s["rx_bytes"], kUp);
  // None on loopback, as a rule; but a guest under emulation may stall past
  // a timer: whatever the kernel counted in this namespace, the two ends say.
  EXPECT_EQ(c["retrans"].get<std::uint64_t>() + s["retrans"].get<std::uint64_t>(), retransmitted);
  for (const json* l : {&c, &s}) {
    ASSERT_TRUE((*l)["duration_ns"].is_number()) << l->dump();
    EXPECT_GT((*l)["duration_ns"].get<std::uint64_t>(), 0u);
    EXPECT_LE((*l)["duration_ns"].get<std::uint64_t>(), static_cast<std::uint64_t>(x.wall.count()));
    ASSERT_TRUE((*l)["srtt_us"].is_number()) << l->dump();  // RTT measured on loopback
    EXPECT_TRUE((*l)["rttvar_us"].is_number());
    EXPECT_GE((*l)["segs_out"].get<std::uint64_t>(), 3u);
    EXPECT_GE((*l)["segs_in"].get<std::uint64_t>(), 3u);
  }
  // No other transition carries a life.
  for (const json& e : t)
    if (e["new"] != "CLOSE") {
      EXPECT_FALSE(e.contains("life")) << e.dump();
    }
}

INSTANTIATE_TEST_SUITE_P(Life, LifeBothWays, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "BirthFromTheKernel" : "BirthFromThisRun"; });

TEST(Life, Ipv6CountsTheSame) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21703;
  TraceRun run({"-p", std::to_string(kPort)});
  const Exchange x = exchange(Family::V6, kPort, 65'536, 1);
  ASSERT_TRUE(run.wait_for_transitions(12));
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  const json c = close_of(t, x.client_port)["life"], s = close_of(t, kPort, x.client_port)["life"];
  EXPECT_EQ(c["tx_bytes"], 65'536);
  EXPECT_EQ(c["rx_bytes"], 1);
  EXPECT_EQ(s["tx_bytes"], 1);
  EXPECT_EQ(s["rx_bytes"], 65'536);
}

TEST(Life, ARefusedConnectionSentAndReceivedNothingAndHasNoRtt) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21704;  // nothing listens
  TraceRun run({"-p", std::to_string(kPort)});
  ASSERT_LT(connect_to(Family::V4, kPort).fd(), 0);
  ASSERT_TRUE(run.wait_for_transitions(2));
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_FALSE(t[0].contains("life"));  // CLOSE -> SYN_SENT
  const json& l = t[1]["life"];
  EXPECT_EQ(l["role"], "client");
  EXPECT_EQ(l["tx_bytes"], 0);
  EXPECT_EQ(l["rx_bytes"], 0);
  EXPECT_EQ(l["segs_out"], 1);  // the SYN
  EXPECT_EQ(l["segs_in"], 1);   // the reset
  EXPECT_EQ(l["retrans"], 0);
  EXPECT_TRUE(l["srtt_us"].is_null()) << l.dump();  // no RTT was measured: none invented
  EXPECT_TRUE(l["rttvar_us"].is_null());
  EXPECT_EQ(l["duration_ns"], t[1]["old_ns"]);  // its whole life was SYN_SENT
}

TEST(Life, AResetConnectionKeepsWhatItCarriedBeforeTheReset) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21705;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  write_all(c.client.fd(), 1000, 'u');
  read_exact(c.server.fd(), 1000);
  c.client.linger_zero();
  c.client.close();  // RST
  c.server.wait_event();
  ASSERT_TRUE(run.wait_for_transitions(7));
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  const json client = close_of(t, c.client_port), server = close_of(t, kPort, c.client_port);
  ASSERT_EQ(client["cause"], "rst_sent") << client.dump();
  EXPECT_EQ(client["life"]["tx_bytes"], 1000);
  EXPECT_EQ(client["life"]["rx_bytes"], 0);
  EXPECT_EQ(server["life"]["rx_bytes"], 1000);  // a reset is not a FIN: nothing to take off
  EXPECT_EQ(server["life"]["tx_bytes"], 0);
}

// A metric's value in a scrape of /metrics at port (its one sample, a line
// "NAME VALUE"); fails the test when it is not there.
std::uint64_t scraped(std::uint16_t port, const std::string& name) {
  httplib::Client c("127.0.0.1", port);
  const auto res = c.Get("/metrics");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "no scrape of /metrics at port " << port;
    return 0;
  }
  std::istringstream lines(res->body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(name + " ", 0) == 0) return std::stoull(line.substr(name.size() + 1));
  ADD_FAILURE() << name << " is not in the scrape:\n" << res->body;
  return 0;
}

// A path that drops every third segment to the server: the client
// retransmits, and the log's retransmits are the namespace's own count, and
// the metric's.
class DropEveryThird {
 public:
  explicit DropEveryThird(std::uint16_t port) {
    run("nft add table inet tcpfsm_life");
    run("nft 'add chain inet tcpfsm_life in { type filter hook input priority 0; }'");
    run("nft add rule inet tcpfsm_life in tcp dport " + std::to_string(port) + " numgen inc mod 3 == 0 drop");
  }
  ~DropEveryThird() { std::system("nft delete table inet tcpfsm_life 2>/dev/null"); }
  DropEveryThird(const DropEveryThird&) = delete;
  DropEveryThird& operator=(const DropEveryThird&) = delete;

 private:
  static void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }
};

TEST(Life, ALossyPathsRetransmitsAreTheKernelsOwnCount) {
  REQUIRE_BPF();
  if (std::system("nft list tables >/dev/null 2>&1") != 0) {
    if (must_not_skip()) FAIL() << "CI must run this test: nft cannot list tables here";
    GTEST_SKIP() << "SKIPPED: nft cannot list tables here (needs the nftables package and nf_tables)";
  }
  constexpr std::uint16_t kPort = 21706, kMetricsPort = 21707;
  constexpr std::size_t kUp = 200'000;
  TraceRun run({"-p", std::to_string(kPort), "--metrics", "127.0.0.1:" + std::to_string(kMetricsPort)});
  const std::uint64_t before = retrans_segs();
  Exchange x;
  {
    DropEveryThird drop(kPort);
    x = exchange(Family::V4, kPort, kUp, 10);
  }
  ASSERT_TRUE(run.wait_for_transitions(12, scaled(20s)));
  const std::uint64_t metric = scraped(kMetricsPort, "tcpfsm_retransmits_total");
  ASSERT_EQ(run.stop(), 0);
  const std::uint64_t retransmitted = retrans_segs() - before;
  const auto t = run.transitions();
  const json client = close_of(t, x.client_port), server = close_of(t, kPort, x.client_port);
  EXPECT_EQ(client["life"]["tx_bytes"], kUp);  // each byte once, however often it was sent
  EXPECT_EQ(server["life"]["rx_bytes"], kUp);
  EXPECT_GT(client["life"]["retrans"].get<std::uint64_t>(), 0u) << client.dump();
  EXPECT_EQ(client["life"]["retrans"].get<std::uint64_t>() + server["life"]["retrans"].get<std::uint64_t>(),
            retransmitted);
  EXPECT_EQ(metric, retransmitted);
}

}  // namespace
}  // namespace tcpfsm::itest
