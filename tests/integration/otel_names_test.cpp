// trace --otel-names against a real loopback connection: every record
// parses, the transitions keyed as docs/opentelemetry.md names them, with
// the values the connection had.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;

constexpr std::uint16_t kPort = 20851;

std::set<std::string> keys_of(const json& record) {
  std::set<std::string> keys;
  for (const auto& [key, value] : record.items()) keys.insert(key);
  return keys;
}

// The members of a connection's last record, as the docs list them; those
// only a cgroup path or a container gives are optional.
const std::set<std::string> kEndKeys = {
    "tcpfsm.type", "tcpfsm.ts", "tcpfsm.ktime_ns", "tcpfsm.cpu", "tcpfsm.cookie", "network.type",
    "network.transport", "network.local.address", "network.local.port", "network.peer.address", "network.peer.port",
    "tcpfsm.old_state", "network.connection.state", "tcpfsm.old_ns", "process.pid", "thread.id",
    "process.executable.name", "tcpfsm.ino", "tcpfsm.netns", "tcpfsm.cgroup_id", "tcpfsm.cause", "tcpfsm.life.role",
    "tcpfsm.life.duration_ns", "tcpfsm.life.rx_bytes", "tcpfsm.life.tx_bytes", "tcpfsm.life.segs_in",
    "tcpfsm.life.segs_out", "tcpfsm.life.retrans", "tcpfsm.life.srtt_us", "tcpfsm.life.rttvar_us", "tcpfsm.verdict"};
const std::set<std::string> kPlaceKeys = {"tcpfsm.cgroup", "container.id", "container.runtime.name", "k8s.pod.uid"};

void expect_end_keys(const json& record) {
  std::set<std::string> missing, extra;
  const auto keys = keys_of(record);
  for (const auto& k : kEndKeys)
    if (!keys.contains(k)) missing.insert(k);
  for (const auto& k : keys)
    if (!kEndKeys.contains(k) && !kPlaceKeys.contains(k)) extra.insert(k);
  EXPECT_TRUE(missing.empty() && extra.empty()) << record.dump();
}

}  // namespace

TEST(OtelNames, ARealConnectionUnderTheConventionsNames) {
  REQUIRE_BPF();
  TraceRun run({"--otel-names", "-p", std::to_string(kPort)});
  std::uint16_t client_port;
  {
    Connected c = connect_pair(Family::V4, kPort);
    client_port = c.client_port;
    c.client.send_bytes(100);
    c.server.receive_bytes(100);
    c.client.close();
    c.server.wait_eof();
    c.server.close();
  }
  auto transitions_written = [](const std::string& out) {
    std::size_t n = 0;
    for (std::size_t at = 0; (at = out.find(R"("tcpfsm.type":"transition")", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  ASSERT_TRUE(run.process().wait_for_stdout([&](const std::string& out) { return transitions_written(out) >= 12; }))
      << run.process().out() << run.process().err();
  ASSERT_EQ(run.stop(), 0) << run.process().err();

  const std::vector<json> records = run.records();  // every line parses
  ASSERT_GE(records.size(), 14u);
  // The run's own records keep tcpfsm's names.
  EXPECT_EQ(records.front()["type"], "start");
  EXPECT_EQ(records.back()["type"], "end");
  EXPECT_EQ(records.back()["transitions"], 12);

  std::map<std::uint64_t, std::vector<json>> by_socket;
  for (const json& r : records)
    if (r.value("tcpfsm.type", "") == "transition") by_socket[r["tcpfsm.cookie"]].push_back(r);
  ASSERT_EQ(by_socket.size(), 3u);
  std::map<std::string, std::vector<json>> by_first_edge;  // "closed->syn_sent": the client
  for (const auto& [cookie, rs] : by_socket) {
    by_first_edge[rs.front()["tcpfsm.old_state"].get<std::string>() + "->" +
                  rs.front()["network.connection.state"].get<std::string>()] = rs;
    for (const json& r : rs) {
      EXPECT_EQ(r["network.transport"], "tcp");
      EXPECT_EQ(r["network.type"], "ipv4");
      EXPECT_EQ(r["network.local.address"], "127.0.0.1");
      // The listener has no peer.
      EXPECT_EQ(r["network.peer.address"], r["network.peer.port"] == 0 ? "0.0.0.0" : "127.0.0.1");
      EXPECT_EQ(r["tcpfsm.verdict"], "ok") << r.dump();
    }
  }
  auto edges = [](const std::vector<json>& rs) {
    std::vector<std::string> e;
    for (const json& r : rs)
      e.push_back(r["tcpfsm.old_state"].get<std::string>() + "->" + r["network.connection.state"].get<std::string>());
    return e;
  };
  const auto& client = by_first_edge["closed->syn_sent"];
  const auto& child = by_first_edge["listen->syn_received"];
  const auto& listener = by_first_edge["closed->listen"];
  EXPECT_EQ(edges(client), (std::vector<std::string>{"closed->syn_sent", "syn_sent->established",
                                                     "established->fin_wait_1", "fin_wait_1->fin_wait_2",
                                                     "fin_wait_2->closed"}));
  EXPECT_EQ(edges(child), (std::vector<std::string>{"listen->syn_received", "syn_received->established",
                                                    "established->close_wait", "close_wait->last_ack",
                                                    "last_ack->closed"}));
  EXPECT_EQ(edges(listener), (std::vector<std::string>{"closed->listen", "listen->closed"}));
  ASSERT_EQ(client.size(), 5u);
  ASSERT_EQ(child.size(), 5u);

  // connect() runs in the test's own context.
  std::string comm;
  std::getline(std::ifstream("/proc/self/comm"), comm);
  EXPECT_EQ(client.front()["process.pid"], getpid());
  EXPECT_EQ(client.front()["thread.id"], gettid());
  EXPECT_EQ(client.front()["process.executable.name"], comm);
  EXPECT_EQ(client.front()["network.peer.port"], kPort);
  EXPECT_TRUE(client.front()["tcpfsm.old_ns"].is_null());

  const json& client_end = client.back();
  expect_end_keys(client_end);
  EXPECT_EQ(client_end["network.local.port"], client_port);
  EXPECT_EQ(client_end["network.peer.port"], kPort);
  EXPECT_EQ(client_end["tcpfsm.cause"], "time_wait");
  EXPECT_EQ(client_end["tcpfsm.life.role"], "client");
  EXPECT_EQ(client_end["tcpfsm.life.tx_bytes"], 100);
  EXPECT_EQ(client_end["tcpfsm.life.rx_bytes"], 0);
  EXPECT_EQ(client_end["tcpfsm.life.retrans"], 0);
  auto ktime = [](const json& r) { return r["tcpfsm.ktime_ns"].get<std::uint64_t>(); };
  EXPECT_EQ(client_end["tcpfsm.life.duration_ns"], ktime(client_end) - ktime(client.front()));

  const json& child_end = child.back();
  expect_end_keys(child_end);
  EXPECT_EQ(child_end["network.local.port"], kPort);
  EXPECT_EQ(child_end["network.peer.port"], client_port);
  EXPECT_EQ(child_end["tcpfsm.cause"], "fin_acked");
  EXPECT_EQ(child_end["tcpfsm.life.role"], "server");
  EXPECT_EQ(child_end["tcpfsm.life.rx_bytes"], 100);
  EXPECT_EQ(child_end["tcpfsm.life.tx_bytes"], 0);
  EXPECT_EQ(child_end["tcpfsm.life.duration_ns"], ktime(child_end) - ktime(child.front()));
}

}  // namespace tcpfsm::itest
