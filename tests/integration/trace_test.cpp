// tcpfsm trace against real loopback sockets: exact per-socket sequences.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sched.h>

#include <algorithm>
#include <set>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using Edges = std::vector<std::string>;
using nlohmann::json;

const Edges kActiveCloser = {"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->FIN_WAIT1",
                             "FIN_WAIT1->FIN_WAIT2", "FIN_WAIT2->CLOSE"};
const Edges kPassiveChild = {"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->CLOSE_WAIT",
                             "CLOSE_WAIT->LAST_ACK", "LAST_ACK->CLOSE"};
const Edges kActiveChild = {"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->FIN_WAIT1",
                            "FIN_WAIT1->FIN_WAIT2", "FIN_WAIT2->CLOSE"};
const Edges kPassiveClient = {"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->CLOSE_WAIT",
                              "CLOSE_WAIT->LAST_ACK", "LAST_ACK->CLOSE"};
const Edges kListener = {"CLOSE->LISTEN", "LISTEN->CLOSE"};

std::vector<json> of_cookie(const std::vector<json>& t, std::uint64_t cookie) {
  std::vector<json> r;
  for (const auto& e : t)
    if (e["cookie"] == cookie) r.push_back(e);
  return r;
}

// Every run starts with a start record and ends the same way on SIGTERM:
// exit 0, an end record whose totals match the stream, no loss.
void expect_clean_stop(TraceRun& run) {
  EXPECT_EQ(run.stop(), 0) << run.process().err();
  EXPECT_NE(run.process().err().find("terminated after"), std::string::npos) << run.process().err();
  const auto records = run.records();
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records.front()["type"], "start");
  EXPECT_EQ(records.front()["cause"], "run");
  EXPECT_EQ(records.front()["schema"], 4);
  EXPECT_TRUE(records.front()["buffer"] == "ring" || records.front()["buffer"] == "perf") << records.front().dump();
  const json& end = records.back();
  EXPECT_EQ(end["type"], "end");
  EXPECT_EQ(end["reason"], "signal");
  EXPECT_EQ(end["signal"], "SIGTERM");
  EXPECT_EQ(end["transitions"], run.transitions().size());
  EXPECT_EQ(end["lost"], (json{{"ringbuf", 0}, {"recursion", 0}, {"skstate", 0}})) << end.dump();
  EXPECT_EQ(end["violations"], (json{{"illegal", 0}, {"gap", 0}, {"unknown_state", 0}})) << end.dump();
  for (const auto& r : records) EXPECT_NE(r["type"], "lost") << r.dump();
}

void expect_ports(const std::vector<json>& events, std::uint16_t lport, std::uint16_t rport) {
  for (const auto& e : events) {
    EXPECT_EQ(e["lport"], lport) << e.dump();
    EXPECT_EQ(e["rport"], rport) << e.dump();
  }
}

// The three sockets of a loopback connection and their ports.
struct Connection {
  std::uint16_t server_port, client_port;
  std::uint64_t listener, client, child;
};

Connection identify(const std::vector<json>& t, std::uint16_t server_port, std::uint16_t client_port) {
  Connection c{server_port, client_port, cookie_starting_with(t, "CLOSE->LISTEN"),
               cookie_starting_with(t, "CLOSE->SYN_SENT"), cookie_starting_with(t, "LISTEN->SYN_RECV")};
  EXPECT_NE(c.listener, 0u);
  EXPECT_NE(c.client, 0u);
  EXPECT_NE(c.child, 0u);
  return c;
}

void expect_connection_fields(const std::vector<json>& t, const Connection& c, const std::string& addr) {
  auto client = of_cookie(t, c.client);
  ASSERT_FALSE(client.empty());
  // connect() picks the local port after CLOSE -> SYN_SENT is reported.
  EXPECT_EQ(client[0]["lport"], 0);
  EXPECT_EQ(client[0]["rport"], c.server_port);
  expect_ports({client.begin() + 1, client.end()}, c.client_port, c.server_port);
  expect_ports(of_cookie(t, c.child), c.server_port, c.client_port);
  expect_ports(of_cookie(t, c.listener), c.server_port, 0);
  for (const auto& e : t) {
    EXPECT_EQ(e["laddr"], addr) << e.dump();
    EXPECT_EQ(e["verdict"], "ok") << e.dump();
    // A socket's first event has no time in its old state; later ones do.
    const bool first = e["old"] == "CLOSE" || (e["old"] == "LISTEN" && e["new"] == "SYN_RECV");
    EXPECT_EQ(e["old_ns"].is_null(), first) << e.dump();
  }
  // old_ns is exactly the time since the socket's previous event.
  for (const auto cookie : {c.listener, c.client, c.child}) {
    const auto events = of_cookie(t, cookie);
    for (std::size_t i = 1; i < events.size(); ++i)
      EXPECT_EQ(events[i]["old_ns"].get<std::uint64_t>(),
                events[i]["ktime_ns"].get<std::uint64_t>() - events[i - 1]["ktime_ns"].get<std::uint64_t>())
          << events[i].dump();
  }
  // The application's own syscalls run in its context.
  EXPECT_EQ(client[0]["pid"], getpid());
  EXPECT_EQ(of_cookie(t, c.listener)[0]["pid"], getpid());
}

// One connection's 12 transitions: the listener's, the client's and the child's.
void expect_connection(TraceRun& run, std::uint16_t port, std::uint16_t client_port, const Edges& client_edges,
                       const Edges& child_edges, const std::string& addr) {
  ASSERT_TRUE(run.wait_for_transitions(12)) << run.process().out();
  expect_clean_stop(run);
  auto t = run.transitions();
  ASSERT_EQ(t.size(), 12u) << run.process().out();
  const Connection c = identify(t, port, client_port);
  auto edges = edges_by_cookie(t);
  EXPECT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges[c.listener], kListener);
  EXPECT_EQ(edges[c.client], client_edges);
  EXPECT_EQ(edges[c.child], child_edges);
  expect_connection_fields(t, c, addr);
}

void client_initiated_close(Family f, std::uint16_t port, std::vector<std::string> extra_args) {
  extra_args.insert(extra_args.end(), {"-p", std::to_string(port)});
  TraceRun run(extra_args);
  std::uint16_t client_port;
  {
    Connected c = connect_pair(f, port);
    client_port = c.client_port;
    c.client.close();
    c.server.wait_eof();
    c.server.close();
  }
  expect_connection(run, port, client_port, kActiveCloser, kPassiveChild, loopback(f));
  for (const auto& e : run.transitions()) EXPECT_EQ(e["family"], f == Family::V4 ? "ipv4" : "ipv6");
}

TEST(Trace, ClientInitiatedClose) {
  REQUIRE_BPF();
  client_initiated_close(Family::V4, 20001, {});
}

// --buffer perf: the same exact sequences through a perf buffer per CPU,
// in both attach modes.
TEST(Trace, PerfBufferClientInitiatedCloseTpBtf) {
  REQUIRE_BPF();
  client_initiated_close(Family::V4, 20041, {"--buffer", "perf", "--attach", "tp_btf"});
}

TEST(Trace, PerfBufferClientInitiatedCloseTracepoint) {
  REQUIRE_BPF();
  client_initiated_close(Family::V6, 20042, {"--buffer", "perf", "--attach", "tracepoint"});
}

TEST(Trace, StartRecordNamesTheBuffer) {
  REQUIRE_BPF();
  for (const char* buffer : {"ring", "perf"}) {
    TraceRun run({"--buffer", buffer, "-p", "20043"});
    EXPECT_NE(run.process().err().find(std::string(buffer) + " buffer)... Ctrl-C"), std::string::npos)
        << run.process().err();
    EXPECT_EQ(run.stop(), 0) << run.process().err();
    EXPECT_EQ(run.records().front()["buffer"], buffer);
  }
}

// Each CPU's perf buffer is in order, not the CPUs' together, and the reader
// empties them one after the other (CPU 0's first). A socket whose first
// transitions run on CPU 1 and its last on CPU 0, all read in one drain,
// comes out in order only because the reader sorts by time.
TEST(Trace, PerfBufferKeepsASocketsOrderAcrossCpus) {
  REQUIRE_BPF();
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "SKIPPED: needs two CPUs";
  cpu_set_t saved;
  ASSERT_EQ(sched_getaffinity(0, sizeof saved, &saved), 0);
  auto pin = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
  };
  constexpr int kConnections = 20;
  TraceRun run({"--buffer", "perf", "-p", "20044"});
  {
    // Listener and connections made on CPU 1, closed on CPU 0.
    ASSERT_TRUE(pin(1));
    Socket listener = listen_on(Family::V4, 20044);
    std::vector<std::pair<Socket, Socket>> pairs;
    for (int i = 0; i < kConnections; ++i) {
      Socket client = connect_to(Family::V4, 20044);
      Socket server = accept_from(listener);
      pairs.emplace_back(std::move(client), std::move(server));
    }
    ASSERT_TRUE(pin(0));
    for (auto& [client, server] : pairs) {
      client.close();
      server.wait_eof();
      server.close();
    }
    listener.close();
  }
  sched_setaffinity(0, sizeof saved, &saved);
  ASSERT_TRUE(run.wait_for_transitions(2 + 10 * kConnections)) << run.process().out();
  expect_clean_stop(run);
  auto t = run.transitions();
  std::set<int> cpus;
  for (const auto& e : t) cpus.insert(e["cpu"].get<int>());
  EXPECT_GE(cpus.size(), 2u) << "the transitions should have run on two CPUs";
  for (const auto& [cookie, edges] : edges_by_cookie(t)) {
    if (edges.front() == "CLOSE->LISTEN") EXPECT_EQ(edges, kListener);
    else if (edges.front() == "CLOSE->SYN_SENT") EXPECT_EQ(edges, kActiveCloser) << cookie;
    else EXPECT_EQ(edges, kPassiveChild) << cookie;
  }
}

TEST(Trace, OwnerIsTheProcessHoldingTheSocketNotTheTaskOnTheCpu) {
  REQUIRE_BPF();
  const std::uint16_t port = 20012;
  TraceRun run({"-p", std::to_string(port)});
  {
    Socket listener = listen_on(Family::V4, port);
    Socket client = connect_to(Family::V4, port);
    Socket server = accept_from(listener);
    client.close();
    // Like a leaking server, hold the CLOSE_WAIT socket until it is reported:
    // owners are looked up when the event is read, up to 100 ms later.
    ASSERT_TRUE(run.wait_for_transitions(9));  // listener 1, client 5, child 3 (-> CLOSE_WAIT)
    server.wait_eof();
  }
  ASSERT_TRUE(run.wait_for_transitions(12));
  expect_clean_stop(run);
  const auto t = run.transitions();
  for (const auto& e : t) {
    if (e["ino"] == 0 && (e["old"] == "LISTEN" || e["old"] == "SYN_RECV")) {
      // Not accepted yet: no file, and its work ran in softirq context. It
      // belongs to its listener's owner.
      EXPECT_EQ(e["owner_pid"], getpid()) << e.dump();
    } else if (e["ino"] == 0) {
      // Orphaned by close(): nobody holds it.
      EXPECT_FALSE(e.contains("owner_pid")) << e.dump();
    } else {
      // The client's from its connect(); the accepted socket's found in this
      // process's files (it held it until the record was written).
      EXPECT_EQ(e["owner_pid"], getpid()) << e.dump();
      EXPECT_EQ(e["owner_comm"], "integration_tes") << e.dump();
    }
  }
  const auto listen = std::find_if(t.begin(), t.end(), [](const json& e) { return e["new"] == "LISTEN"; });
  ASSERT_NE(listen, t.end());
  EXPECT_EQ((*listen)["owner_pid"], getpid()) << listen->dump();
  // The peer's FIN reaches the accepted socket in softirq: the task on the CPU may
  // be anyone, the owner is still this process.
  const auto close_wait = std::find_if(t.begin(), t.end(), [](const json& e) { return e["new"] == "CLOSE_WAIT"; });
  ASSERT_NE(close_wait, t.end());
  EXPECT_EQ((*close_wait)["owner_pid"], getpid()) << close_wait->dump();
}

TEST(Trace, CheckFindsARealLogClean) {
  REQUIRE_BPF();
  TraceRun run({"-p", "20011"});
  run_connections(Family::V6, 20011, 3);
  {
    Socket listener = listen_on(Family::V4, 20011);  // a reset and a refused connect too
    Socket client = connect_to(Family::V4, 20011);
    Socket server = accept_from(listener);
    client.linger_zero();
    client.close();
    server.wait_event();
  }
  connect_to(Family::V4, 20011);
  ASSERT_TRUE(run.wait_for_transitions(32 + 8 + 2));
  expect_clean_stop(run);
  char path[] = "/tmp/tcpfsm-real-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_EQ(write(fd, run.process().out().data(), run.process().out().size()),
            static_cast<ssize_t>(run.process().out().size()));
  close(fd);
  Process check({binary(), "check", "--format", "json", path});
  EXPECT_EQ(check.wait(), 0) << check.out() << check.err();
  unlink(path);
  const json report = json::parse(check.out());
  EXPECT_EQ(report["transitions"]["total"], 42);
  EXPECT_EQ(report["transitions"]["ok"], 42);
  EXPECT_EQ(report["lifecycles"]["completed"], 8) << report["lifecycles"].dump();  // 6 + 2 listeners
  EXPECT_EQ(report["lifecycles"]["reset"], 2) << report["lifecycles"].dump();
  EXPECT_EQ(report["lifecycles"]["refused"], 1) << report["lifecycles"].dump();
}

TEST(Trace, ClientInitiatedCloseIpv6) {
  REQUIRE_BPF();
  client_initiated_close(Family::V6, 20002, {});
}

// Unfiltered, the kernel keeps no per-socket time and userspace computes old_ns.
TEST(Trace, UnfilteredRunComputesTimeInStateInUserspace) {
  REQUIRE_BPF();
  const std::uint16_t port = 20013;
  TraceRun run({"-6"});
  std::uint16_t client_port;
  {
    Connected c = connect_pair(Family::V6, port);
    client_port = c.client_port;
    c.client.close();
    c.server.wait_eof();
  }
  auto ours = [&] {
    std::vector<json> t;
    for (const auto& e : run.transitions())
      if (e["lport"] == port || e["rport"] == port) t.push_back(e);
    return t;
  };
  ASSERT_TRUE(run.process().wait_for_stdout([&](const std::string&) { return ours().size() >= 12; }));
  EXPECT_EQ(run.stop(), 0);
  const auto t = ours();
  ASSERT_EQ(t.size(), 12u);
  const Connection c = identify(t, port, client_port);
  auto edges = edges_by_cookie(t);
  EXPECT_EQ(edges[c.client], kActiveCloser);
  EXPECT_EQ(edges[c.child], kPassiveChild);
  expect_connection_fields(t, c, "::1");
}

TEST(Trace, ClassicTracepointFallbackSeesTheSameSequence) {
  REQUIRE_BPF();
  client_initiated_close(Family::V4, 20003, {"--attach", "tracepoint"});
}

TEST(Trace, ServerInitiatedClose) {
  REQUIRE_BPF();
  const std::uint16_t port = 20004;
  TraceRun run({"-p", std::to_string(port)});
  std::uint16_t client_port;
  {
    Connected c = connect_pair(Family::V4, port);
    client_port = c.client_port;
    c.server.close();
    c.client.wait_eof();
    c.client.close();
  }
  expect_connection(run, port, client_port, kPassiveClient, kActiveChild, "127.0.0.1");
}

TEST(Trace, RefusedConnect) {
  REQUIRE_BPF();
  const std::uint16_t port = 20005;
  TraceRun run({"-p", std::to_string(port)});
  ASSERT_FALSE(connect_to(Family::V4, port).fd() >= 0) << "something listens on " << port;
  ASSERT_TRUE(run.wait_for_transitions(2));
  expect_clean_stop(run);
  auto t = run.transitions();
  ASSERT_EQ(t.size(), 2u) << run.process().out();
  auto edges = edges_by_cookie(t);
  ASSERT_EQ(edges.size(), 1u);
  EXPECT_EQ(edges.begin()->second, (Edges{"CLOSE->SYN_SENT", "SYN_SENT->CLOSE"}));
  EXPECT_EQ(t[1]["rport"], port);
  EXPECT_EQ(t[1]["raddr"], "127.0.0.1");
  EXPECT_EQ(t[1]["verdict"], "ok");
}

TEST(Trace, ResetFromLingerZero) {
  REQUIRE_BPF();
  const std::uint16_t port = 20006;
  TraceRun run({"-p", std::to_string(port)});
  std::uint16_t client_port;
  {
    Connected c = connect_pair(Family::V4, port);
    client_port = c.client_port;
    c.client.linger_zero();
    c.client.close();  // RST
    c.server.wait_event();
  }
  ASSERT_TRUE(run.wait_for_transitions(8)) << run.process().out();
  expect_clean_stop(run);
  auto t = run.transitions();
  ASSERT_EQ(t.size(), 8u) << run.process().out();
  const Connection c = identify(t, port, client_port);
  auto edges = edges_by_cookie(t);
  EXPECT_EQ(edges.size(), 3u);
  EXPECT_EQ(edges[c.listener], kListener);
  EXPECT_EQ(edges[c.client], (Edges{"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  EXPECT_EQ(edges[c.child], (Edges{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->CLOSE"}));
  expect_connection_fields(t, c, "127.0.0.1");
}

TEST(Trace, Listener) {
  REQUIRE_BPF();
  const std::uint16_t port = 20007;
  TraceRun run({"-p", std::to_string(port)});
  listen_on(Family::V4, port).close();
  ASSERT_TRUE(run.wait_for_transitions(2));
  expect_clean_stop(run);
  auto t = run.transitions();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(edges_by_cookie(t).begin()->second, kListener);
  expect_ports(t, port, 0);
  for (const auto& e : t) {
    EXPECT_EQ(e["laddr"], "127.0.0.1");
    EXPECT_EQ(e["raddr"], "0.0.0.0");
    EXPECT_EQ(e["pid"], getpid());
  }
  EXPECT_TRUE(t[0]["old_ns"].is_null());
  EXPECT_GT(t[1]["old_ns"].get<std::uint64_t>(), 0u);
}

TEST(Trace, PortAndFamilyFiltersSelectInTheKernel) {
  REQUIRE_BPF();
  // --lport matches the listener and the accepted child, not the client (remote port).
  TraceRun by_lport({"--lport", "20008"});
  TraceRun v6_only({"-6", "-p", "20008", "-p", "20009"});
  for (auto f : {Family::V4, Family::V6}) {
    Socket listener = listen_on(f, f == Family::V4 ? 20008 : 20009);
    Socket client = connect_to(f, f == Family::V4 ? 20008 : 20009);
    Socket server = accept_from(listener);
    client.linger_zero();
    client.close();      // RST: both ends ESTABLISHED -> CLOSE
    server.wait_event();
  }
  ASSERT_TRUE(by_lport.wait_for_transitions(5));
  ASSERT_TRUE(v6_only.wait_for_transitions(8));
  expect_clean_stop(by_lport);
  expect_clean_stop(v6_only);
  auto lp = edges_by_cookie(by_lport.transitions());
  ASSERT_EQ(lp.size(), 2u) << by_lport.process().out();
  for (const auto& e : by_lport.transitions()) EXPECT_EQ(e["lport"], 20008) << e.dump();
  auto v6 = v6_only.transitions();
  ASSERT_EQ(v6.size(), 8u) << v6_only.process().out();
  for (const auto& e : v6) EXPECT_EQ(e["family"], "ipv6") << e.dump();
}

TEST(Trace, CountEndsTheRunCleanly) {
  REQUIRE_BPF();
  TraceRun run({"-p", "20010", "-n", "2"});
  listen_on(Family::V4, 20010).close();
  listen_on(Family::V4, 20010).close();
  EXPECT_EQ(run.process().wait(), 0) << run.process().err();
  EXPECT_EQ(run.transitions().size(), 2u);
  EXPECT_NE(run.process().err().find("count reached"), std::string::npos) << run.process().err();
}

TEST(Trace, WithoutCapabilitiesSaysWhichAreMissing) {
  REQUIRE_BPF();  // needs root to drop to nobody
  Process p({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--",
             binary(), "trace", "-d", "1"});
  EXPECT_EQ(p.wait(), 3) << p.err();
  EXPECT_NE(p.err().find("needs root or CAP_BPF+CAP_PERFMON"), std::string::npos) << p.err();
  EXPECT_NE(p.err().find("missing: CAP_BPF, CAP_PERFMON"), std::string::npos) << p.err();
}

}  // namespace
}  // namespace tcpfsm::itest
