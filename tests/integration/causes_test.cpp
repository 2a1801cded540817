// The cause of each abnormal end, on real sockets in the test's private
// network namespace: exact on the right socket and the right transition.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;

// Drops every TCP segment to or from a port, with nft, while it lives (the
// rules live in the test's own network namespace).
class DropPort {
 public:
  explicit DropPort(std::uint16_t port) {
    const std::string p = std::to_string(port);
    run("nft add table inet tcpfsm_test");
    run("nft 'add chain inet tcpfsm_test in { type filter hook input priority 0; }'");
    run("nft add rule inet tcpfsm_test in tcp dport " + p + " drop");
    run("nft add rule inet tcpfsm_test in tcp sport " + p + " drop");
  }
  ~DropPort() { std::system("nft delete table inet tcpfsm_test 2>/dev/null"); }
  DropPort(const DropPort&) = delete;
  DropPort& operator=(const DropPort&) = delete;

 private:
  static void run(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }
};

// Whether nft can filter here (the nftables package, nf_tables in the kernel).
std::string nft_skip_reason() {
  if (std::system("nft list tables >/dev/null 2>&1") != 0)
    return "nft cannot list tables here (needs the nftables package and nf_tables)";
  return "";
}

#define REQUIRE_NFT()                                                             \
  if (auto why = nft_skip_reason(); !why.empty()) {                               \
    if (must_not_skip()) FAIL() << "CI must run this test: " << why;              \
    GTEST_SKIP() << "SKIPPED: " << why;                                           \
  }

// Whether this kernel names the reasons of the resets it sends (6.10+).
bool kernel_gives_rst_reasons() {
  Process p({binary(), "features"});
  p.wait();
  return p.out().find("reset reasons (tcp_send_reset argument, Linux 6.10+): yes") != std::string::npos;
}

// The records of the socket whose local port is lport, in order.
std::vector<json> of_port(const std::vector<json>& t, std::uint16_t lport) {
  std::vector<json> r;
  for (const auto& e : t)
    if (e["lport"] == lport) r.push_back(e);
  return r;
}

// The records of the server's end of a connection from client_port.
std::vector<json> server_side(const std::vector<json>& all, std::uint16_t port, std::uint16_t client_port) {
  std::vector<json> r;
  for (const auto& e : all)
    if (e["lport"] == port && e["rport"] == client_port) r.push_back(e);
  return r;
}

std::vector<std::string> edges_of(const std::vector<json>& t) {
  std::vector<std::string> r;
  for (const auto& e : t) r.push_back(e["old"].get<std::string>() + "->" + e["new"].get<std::string>());
  return r;
}

// cause, error, rst_reason of a record: "" for each field absent.
std::vector<std::string> why(const json& e) {
  auto field = [&](const char* k) { return e.contains(k) ? e[k].get<std::string>() : std::string(); };
  return {field("cause"), field("error"), field("rst_reason")};
}

// A client socket that connects without blocking; options set before connect.
int start_connect(std::uint16_t port, int syn_count, int user_timeout_ms) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (syn_count) setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syn_count, sizeof syn_count);
  if (user_timeout_ms) setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  return fd;
}

// The error the socket ended with (SO_ERROR), waiting up to `timeout`.
int wait_error(int fd, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || std::chrono::steady_clock::now() >= until) return err;
    std::this_thread::sleep_for(20ms);
  }
}

// Waits up to 5 s for the socket to reach a TCP state (tcpi_state, the
// kernel's number); false if it does not.
bool wait_state(int fd, int state) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && info.tcpi_state == state) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(5ms);
  }
}

TEST(Causes, RefusedConnectIsRstReceivedWithEconnrefused) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21601;  // nothing listens
  TraceRun run({"-p", std::to_string(kPort)});
  ASSERT_FALSE(connect_to(Family::V4, kPort).fd() >= 0);
  ASSERT_TRUE(run.wait_for_transitions(2));
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  ASSERT_EQ(edges_of(t), (std::vector<std::string>{"CLOSE->SYN_SENT", "SYN_SENT->CLOSE"}));
  EXPECT_EQ(why(t[0]), (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(why(t[1]), (std::vector<std::string>{"rst_received", "ECONNREFUSED", ""}));
}

TEST(Causes, SynTimeoutIsTimeoutWithEtimedoutAndNoReset) {
  REQUIRE_BPF();
  REQUIRE_NFT();
  constexpr std::uint16_t kPort = 21602;
  Socket listener = listen_on(Family::V4, kPort);  // listening, but the path drops the SYN
  DropPort drop(kPort);
  TraceRun run({"-p", std::to_string(kPort)});
  // One SYN retry, and a user timeout below its 1 s RTO: it expires at the first retransmission.
  Socket client(start_connect(kPort, 1, 200));
  EXPECT_EQ(wait_error(client.fd(), 5s), ETIMEDOUT);
  ASSERT_TRUE(run.wait_for_transitions(2));  // the client's alone: the listener began before tracing
  ASSERT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  ASSERT_EQ(edges_of(t), (std::vector<std::string>{"CLOSE->SYN_SENT", "SYN_SENT->CLOSE"})) << run.process().out();
  EXPECT_EQ(why(t[1]), (std::vector<std::string>{"timeout", "ETIMEDOUT", ""}));
}

TEST(Causes, LingerZeroCloseIsRstSentAndRstReceivedOnThePeer) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21603;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  c.client.linger_zero();
  c.client.close();  // RST
  c.server.wait_event();
  ASSERT_TRUE(run.wait_for_transitions(7));  // the listener's 1, then 3 each
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  const auto client = of_port(all, c.client_port);
  ASSERT_EQ(edges_of(client), (std::vector<std::string>{"SYN_SENT->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  const auto rst = why(client.back());
  EXPECT_EQ(rst[0], "rst_sent");
  EXPECT_EQ(rst[1], "");  // the closer's own error is set after, by the reset it sent
  EXPECT_EQ(!rst[2].empty(), kernel_gives_rst_reasons()) << client.back().dump();
  const auto server = server_side(all, kPort, c.client_port);
  ASSERT_EQ(edges_of(server), (std::vector<std::string>{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED",
                                                        "ESTABLISHED->CLOSE"}));
  EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_received", "ECONNRESET", ""}));
}

TEST(Causes, CloseWithUnreadDataIsRstSentAfterTheTransition) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21604;
  // Both flavours: the reset comes after the state change, and each joins it.
  for (const char* attach : {"tp_btf", "tracepoint"}) {
    SCOPED_TRACE(attach);
    TraceRun run({"-p", std::to_string(kPort), "--attach", attach});
    Connected c = connect_pair(Family::V4, kPort);
    ASSERT_EQ(write(c.client.fd(), "unread", 6), 6);
    std::this_thread::sleep_for(50ms);
    c.server.close();  // with 6 bytes unread: CLOSE, then RST
    c.client.wait_event();
    ASSERT_TRUE(run.wait_for_transitions(7));
    ASSERT_EQ(run.stop(), 0);
    const auto all = run.transitions();
    const auto server = server_side(all, kPort, c.client_port);
    ASSERT_EQ(edges_of(server), (std::vector<std::string>{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED",
                                                          "ESTABLISHED->CLOSE"}));
    const std::string reason = kernel_gives_rst_reasons() ? "TCP_ABORT_ON_CLOSE" : "";
    EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_sent", "", reason}));
    const auto client = of_port(all, c.client_port);
    ASSERT_EQ(edges_of(client).back(), "ESTABLISHED->CLOSE");
    EXPECT_EQ(why(client.back()), (std::vector<std::string>{"rst_received", "ECONNRESET", ""}));
    const auto end = run.records().back();
    EXPECT_EQ(end["causes_lost"], 0);
    EXPECT_EQ(end["causes_late"], 0);
    c.listener.close();
  }
}

// A connection whose client cannot send what it has queued: the server's
// receive buffer is small and never read, and the client's send buffer is
// filled until it would block. Its FIN, queued behind that data, waits, so
// close() leaves it in FIN_WAIT1 as long as the server reads nothing.
Connected stalled_pair(std::uint16_t port) {
  Connected c;
  c.listener = listen_on(Family::V4, port);
  const int small = 4096;  // the kernel doubles it; SO_RCVBUF also stops autotuning
  setsockopt(c.listener.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);  // inherited by the child
  c.client = connect_to(Family::V4, port);
  c.server = accept_from(c.listener);
  c.client_port = c.client.local_port();
  setsockopt(c.client.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const std::string chunk(4096, 'x');
  while (send(c.client.fd(), chunk.data(), chunk.size(), MSG_DONTWAIT) > 0) {
  }
  if (errno != EAGAIN) throw std::runtime_error("filling the send buffer: " + std::string(strerror(errno)));
  return c;
}

// The issue-26 case: this host closes, the peer still sends. Linux aborts
// the closed socket in tcp_rcv_state_process() (TCP_ABORT_ON_DATA): it calls
// tcp_reset(), which fires tcp:tcp_receive_reset and sets ECONNRESET though
// no reset arrived, and its caller then sends the reset. The reset is ours.
TEST(Causes, DataAfterCloseIsRstSentHereAndRstReceivedOnThePeer) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21610;
  for (const char* attach : {"tp_btf", "tracepoint"}) {
    SCOPED_TRACE(attach);
    TraceRun run({"-p", std::to_string(kPort), "--attach", attach});
    Connected c = stalled_pair(kPort);
    c.client.close();  // FIN_WAIT1: its FIN waits behind the data the server does not read
    ASSERT_EQ(write(c.server.fd(), "late", 4), 4);  // new data for a closed socket: abort
    EXPECT_EQ(wait_error(c.server.fd(), 5s), ECONNRESET);
    ASSERT_TRUE(run.wait_for_transitions(8));  // the listener's 1, the client's 4, the server's 3
    ASSERT_EQ(run.stop(), 0);
    const auto all = run.transitions();
    const auto client = of_port(all, c.client_port);
    ASSERT_EQ(edges_of(client), (std::vector<std::string>{"SYN_SENT->ESTABLISHED",
                                                          "ESTABLISHED->FIN_WAIT1", "FIN_WAIT1->CLOSE"}))
        << run.process().out();
    const std::string reason = kernel_gives_rst_reasons() ? "TCP_ABORT_ON_DATA" : "";
    EXPECT_EQ(why(client.back()), (std::vector<std::string>{"rst_sent", "ECONNRESET", reason}));
    const auto server = server_side(all, kPort, c.client_port);
    ASSERT_EQ(edges_of(server).back(), "ESTABLISHED->CLOSE");
    EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_received", "ECONNRESET", ""}));
    const auto end = run.records().back();
    EXPECT_EQ(end["causes_lost"], 0);
    EXPECT_EQ(end["causes_late"], 0);
    c.listener.close();
  }
}

// The same abort in FIN_WAIT2: shutdown() (not close()) keeps the socket
// whole after its FIN is acked, and new data aborts it as in FIN_WAIT1. The
// peer, in CLOSE_WAIT by then, takes the reset with EPIPE.
TEST(Causes, DataAfterShutdownInFinWait2IsRstSentHere) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21611;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  ASSERT_EQ(shutdown(c.client.fd(), SHUT_RDWR), 0);
  ASSERT_TRUE(wait_state(c.client.fd(), TCP_FIN_WAIT2));  // its FIN acked
  ASSERT_EQ(write(c.server.fd(), "late", 4), 4);
  EXPECT_EQ(wait_error(c.client.fd(), 5s), ECONNRESET);
  ASSERT_TRUE(run.wait_for_transitions(10));  // the listener's 1, the client's 5, the server's 4
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  const auto client = of_port(all, c.client_port);
  ASSERT_EQ(edges_of(client), (std::vector<std::string>{"SYN_SENT->ESTABLISHED",
                                                        "ESTABLISHED->FIN_WAIT1", "FIN_WAIT1->FIN_WAIT2",
                                                        "FIN_WAIT2->CLOSE"}))
      << run.process().out();
  const std::string reason = kernel_gives_rst_reasons() ? "TCP_ABORT_ON_DATA" : "";
  EXPECT_EQ(why(client.back()), (std::vector<std::string>{"rst_sent", "ECONNRESET", reason}));
  const auto server = server_side(all, kPort, c.client_port);
  ASSERT_EQ(edges_of(server).back(), "CLOSE_WAIT->CLOSE");
  EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_received", "EPIPE", ""}));
}

// close() in FIN_WAIT2 with TCP_LINGER2 < 0: tcp_close() sets CLOSE and then
// resets (TCP_ABORT_ON_LINGER), without tcp_reset(): no error on the socket.
TEST(Causes, CloseInFinWait2WithNegativeLinger2IsRstSent) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21612;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  const int no_fin_wait2 = -1;
  ASSERT_EQ(setsockopt(c.client.fd(), IPPROTO_TCP, TCP_LINGER2, &no_fin_wait2, sizeof no_fin_wait2), 0);
  ASSERT_EQ(shutdown(c.client.fd(), SHUT_WR), 0);
  // In FIN_WAIT2 before close(): a FIN_WAIT1 socket closed so would be
  // reset when its FIN is acked, by tcp_rcv_state_process() instead.
  ASSERT_TRUE(wait_state(c.client.fd(), TCP_FIN_WAIT2));
  c.client.close();
  EXPECT_EQ(wait_error(c.server.fd(), 5s), EPIPE);
  ASSERT_TRUE(run.wait_for_transitions(11));  // the listener's 1, the client's 6, the server's 4
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  const auto client = of_port(all, c.client_port);
  ASSERT_EQ(edges_of(client), (std::vector<std::string>{"SYN_SENT->ESTABLISHED",
                                                        "ESTABLISHED->FIN_WAIT1", "FIN_WAIT1->FIN_WAIT2",
                                                        "FIN_WAIT2->FIN_WAIT2", "FIN_WAIT2->CLOSE"}))
      << run.process().out();
  const std::string reason = kernel_gives_rst_reasons() ? "TCP_ABORT_ON_LINGER" : "";
  EXPECT_EQ(why(client.back()), (std::vector<std::string>{"rst_sent", "", reason}));
  const auto server = server_side(all, kPort, c.client_port);
  ASSERT_EQ(edges_of(server).back(), "CLOSE_WAIT->CLOSE");
  EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_received", "EPIPE", ""}));
}

TEST(Causes, UserTimeoutWithThePathDroppedIsTimeoutAndNoReset) {
  REQUIRE_BPF();
  REQUIRE_NFT();
  constexpr std::uint16_t kPort = 21605;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  const int timeout_ms = 300;
  setsockopt(c.client.fd(), IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms, sizeof timeout_ms);
  {
    DropPort drop(kPort);
    ASSERT_EQ(write(c.client.fd(), "lost", 4), 4);  // retransmitted until the user timeout
    EXPECT_EQ(wait_error(c.client.fd(), 5s), ETIMEDOUT);
  }
  ASSERT_TRUE(run.wait_for_transitions(6));
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  const auto client = of_port(all, c.client_port);
  ASSERT_EQ(edges_of(client), (std::vector<std::string>{"SYN_SENT->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  EXPECT_EQ(why(client.back()), (std::vector<std::string>{"timeout", "ETIMEDOUT", ""}));
  // No reset went anywhere: the server never heard of it.
  for (const auto& e : all) {
    EXPECT_NE(e.value("cause", ""), "rst_sent") << e.dump();
    EXPECT_NE(e.value("cause", ""), "rst_received") << e.dump();
  }
}

TEST(Causes, SsKillIsKilledWithEconnabortedAndRstReceivedOnThePeer) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21606;
  TraceRun run({"-p", std::to_string(kPort)});
  Connected c = connect_pair(Family::V4, kPort);
  const std::string kill = "ss -K -t state established 'sport = :" + std::to_string(c.client_port) + "' >/dev/null";
  ASSERT_EQ(std::system(kill.c_str()), 0) << kill;
  c.server.wait_event();
  ASSERT_TRUE(run.wait_for_transitions(7));
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  const auto client = of_port(all, c.client_port);
  ASSERT_EQ(edges_of(client).back(), "ESTABLISHED->CLOSE");
  const auto killed = why(client.back());
  EXPECT_EQ(killed[0], "killed");
  EXPECT_EQ(killed[1], "ECONNABORTED");
  EXPECT_EQ(!killed[2].empty(), kernel_gives_rst_reasons()) << client.back().dump();  // it reset its peer
  const auto server = server_side(all, kPort, c.client_port);
  ASSERT_EQ(edges_of(server).back(), "ESTABLISHED->CLOSE");
  EXPECT_EQ(why(server.back()), (std::vector<std::string>{"rst_received", "ECONNRESET", ""}));
}

TEST(Causes, CleanCloseHasNoResetAndNoError) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21607;
  TraceRun run({"-p", std::to_string(kPort)});
  run_connections(Family::V4, kPort, 3);
  ASSERT_TRUE(run.wait_for_transitions(32));
  ASSERT_EQ(run.stop(), 0);
  const auto all = run.transitions();
  ASSERT_EQ(all.size(), 32u);
  std::map<std::string, std::string> cause_of_edge;
  for (const auto& e : all) {
    EXPECT_FALSE(e.contains("error")) << e.dump();
    EXPECT_FALSE(e.contains("rst_reason")) << e.dump();
    const std::string edge = e["old"].get<std::string>() + "->" + e["new"].get<std::string>();
    cause_of_edge[edge] = e.value("cause", "");
  }
  EXPECT_EQ(cause_of_edge, (std::map<std::string, std::string>{{"CLOSE->LISTEN", ""},
                                                               {"LISTEN->CLOSE", "close"},
                                                               {"CLOSE->SYN_SENT", ""},
                                                               {"SYN_SENT->ESTABLISHED", ""},
                                                               {"LISTEN->SYN_RECV", ""},
                                                               {"SYN_RECV->ESTABLISHED", ""},
                                                               {"ESTABLISHED->FIN_WAIT1", "close"},
                                                               {"ESTABLISHED->CLOSE_WAIT", "fin_received"},
                                                               {"FIN_WAIT1->FIN_WAIT2", ""},
                                                               {"CLOSE_WAIT->LAST_ACK", "close"},
                                                               {"FIN_WAIT2->CLOSE", "time_wait"},
                                                               {"LAST_ACK->CLOSE", "fin_acked"}}));
}

// check reads the causes back: per edge, and as lifecycle classes.
TEST(Causes, CheckCountsCausesPerEdgeAndClassifiesLifecycles) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21608, kClosed = 21609;
  const std::string log = ::testing::TempDir() + "causes.json";
  std::remove(log.c_str());  // trace appends
  {
    TraceRun run({"-p", std::to_string(kPort), "-p", std::to_string(kClosed), "-o", log});
    EXPECT_FALSE(connect_to(Family::V4, kClosed).fd() >= 0);  // refused
    Connected c = connect_pair(Family::V4, kPort);
    ASSERT_EQ(write(c.client.fd(), "x", 1), 1);
    std::this_thread::sleep_for(50ms);
    c.server.close();  // unread: reset both ways
    c.client.wait_event();
    c.client.close();
    c.listener.close();
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(run.stop(), 0);
  }
  Process check({binary(), "check", "--format", "json", log});
  EXPECT_EQ(check.wait(), 0) << check.err();
  const json r = json::parse(check.out());
  EXPECT_EQ(r["lifecycles"]["refused"], 1) << r["lifecycles"].dump();
  EXPECT_EQ(r["lifecycles"]["reset"], 2) << r["lifecycles"].dump();
  EXPECT_EQ(r["lifecycles"]["completed"], 1) << r["lifecycles"].dump();  // the listener
  json causes = json::object();
  for (const auto& row : r["matrix"])
    if (row.contains("causes")) causes[row["old"].get<std::string>() + "->" + row["new"].get<std::string>()] = row["causes"];
  EXPECT_EQ(causes, json::parse(R"({"SYN_SENT->CLOSE":{"rst_received":1},
                                     "ESTABLISHED->CLOSE":{"rst_received":1,"rst_sent":1},
                                     "LISTEN->CLOSE":{"close":1}})"));
}

}  // namespace
}  // namespace tcpfsm::itest
