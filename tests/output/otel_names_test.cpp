// trace --otel-names: transition records keyed as OpenTelemetry's semantic
// conventions name them (docs/opentelemetry.md), exactly; the same values
// as tcpfsm's own records, member for member.
#include <gtest/gtest.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "output/formatter.h"
#include "output/json_keys.h"
#include "support/sample_transition.h"

using namespace tcpfsm;

namespace {

std::string line_of(JsonNames names, const Transition& t, const Verdict& v = {}) {
  std::string out;
  make_formatter(Format::Json, {.names = names})->transition(out, t, v);
  return out;
}

// A server's connection ending in a reset, every member set: container,
// pod, owner, cause, error, the reset's reason and the connection's life.
struct FullTransition {
  ContainerRef container{"containerd", std::string(64, 'a'), "6f1c2d3e-0000-4000-8000-000000000001", "burstable"};
  Transition t = [this] {
    Transition t = test::sample_transition();
    t.old_state = 1;  // ESTABLISHED
    t.new_state = 7;  // CLOSE
    t.cgroup = "/kubepods.slice/x";
    t.container = &container;
    t.owner_pid = 777;
    t.owner_comm = "java";
    t.cause = Cause::RstReceived;
    t.reported.kernel.error = ECONNRESET;
    t.rst_reason = "TCP_RFC7323_PAWS";
    ConnectionLife life;
    life.role = Role::Server;
    life.duration_ns = 84'868;
    life.rx_bytes = 1'000;
    life.tx_bytes = 300;
    life.segs_in = 6;
    life.segs_out = 3;
    life.retrans = 0;
    life.srtt_us = 15;  // rttvar_us unknown: null
    t.life = life;
    return t;
  }();
};

}  // namespace

TEST(OtelNames, TransitionRecordIsExact) {
  const FullTransition full;
  EXPECT_EQ(line_of(JsonNames::OpenTelemetry, full.t, {VerdictKind::Illegal, "odd"}),
            R"({"tcpfsm.type":"transition","tcpfsm.ts":"2026-11-21T07:42:31.000001500Z","tcpfsm.ktime_ns":123,)"
            R"("tcpfsm.cpu":1,"tcpfsm.cookie":9,"network.type":"ipv4","network.transport":"tcp",)"
            R"("network.local.address":"127.0.0.1","network.local.port":40000,)"
            R"("network.peer.address":"10.0.0.5","network.peer.port":8080,)"
            R"("tcpfsm.old_state":"established","network.connection.state":"closed","tcpfsm.old_ns":250000,)"
            R"("process.pid":4242,"thread.id":4243,"process.executable.name":"curl","tcpfsm.ino":31337,)"
            R"("tcpfsm.netns":4026531840,"tcpfsm.cgroup_id":8589,"tcpfsm.cgroup":"/kubepods.slice/x",)"
            R"("container.id":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
            R"("container.runtime.name":"containerd","k8s.pod.uid":"6f1c2d3e-0000-4000-8000-000000000001",)"
            R"("tcpfsm.owner_pid":777,"tcpfsm.owner_comm":"java","tcpfsm.cause":"rst_received",)"
            R"("error.type":"ECONNRESET","tcpfsm.rst_reason":"TCP_RFC7323_PAWS","tcpfsm.life.role":"server",)"
            R"("tcpfsm.life.duration_ns":84868,"tcpfsm.life.rx_bytes":1000,"tcpfsm.life.tx_bytes":300,)"
            R"("tcpfsm.life.segs_in":6,"tcpfsm.life.segs_out":3,"tcpfsm.life.retrans":0,)"
            R"("tcpfsm.life.srtt_us":15,"tcpfsm.life.rttvar_us":null,"tcpfsm.verdict":"illegal",)"
            R"("tcpfsm.reason":"odd"})"
            "\n");
}

// The table renames; it changes no value: each member of tcpfsm's record
// (the life's flattened) is in the OpenTelemetry one under its other name,
// the states in network.connection.state's values.
TEST(OtelNames, SameValuesAsTcpfsmNames) {
  const FullTransition full;
  const auto own = nlohmann::json::parse(line_of(JsonNames::Tcpfsm, full.t, {VerdictKind::Illegal, "odd"}));
  const auto otel = nlohmann::json::parse(line_of(JsonNames::OpenTelemetry, full.t, {VerdictKind::Illegal, "odd"}));
  auto bare = [](std::string_view key) {  // ,"laddr": -> laddr; ,"life":{"role": -> role
    key = key.substr(0, key.rfind('"'));
    return std::string(key.substr(key.rfind('"') + 1));
  };
  std::size_t compared = 0;
  for (const KeyRow& row : kTransitionKeys) {
    if (row.key == TransitionKey::Head || row.tcpfsm.find('"') == std::string_view::npos) continue;
    const bool in_life = row.key >= TransitionKey::LifeRole && row.key <= TransitionKey::LifeRttvar;
    const auto& mine = in_life ? own["life"] : own;
    if (!mine.contains(bare(row.tcpfsm))) continue;  // *_bytes: only for text that is not UTF-8
    ASSERT_TRUE(otel.contains(bare(row.otel))) << row.otel;
    const auto& value = mine[bare(row.tcpfsm)];
    if (row.key == TransitionKey::Old || row.key == TransitionKey::New)
      EXPECT_EQ(otel[bare(row.otel)], row.key == TransitionKey::Old ? "established" : "closed");
    else
      EXPECT_EQ(otel[bare(row.otel)], value) << row.otel;
    ++compared;
  }
  EXPECT_EQ(compared, 37u);
  EXPECT_EQ(own["old"], "ESTABLISHED");
  EXPECT_EQ(otel["network.transport"], "tcp");
  EXPECT_EQ(own.size() + own["life"].size() - 1 + 1, otel.size());  // the life flat; network.transport
}

// Every state has its network.connection.state value; a state tcpfsm does
// not know is its number, as in tcpfsm's own records.
TEST(OtelNames, StatesAsTheConventionsValues) {
  Transition t = test::sample_transition();
  const std::pair<int, const char*> states[] = {
      {1, "established"}, {2, "syn_sent"},   {3, "syn_received"}, {4, "fin_wait_1"}, {5, "fin_wait_2"},
      {6, "time_wait"},   {7, "closed"},     {8, "close_wait"},   {9, "last_ack"},   {10, "listen"},
      {11, "closing"},    {12, "new_syn_recv"}, {13, "bound_inactive"}};
  for (const auto& [number, value] : states) {
    t.new_state = number;
    EXPECT_EQ(nlohmann::json::parse(line_of(JsonNames::OpenTelemetry, t))["network.connection.state"], value);
  }
  t.new_state = 42;
  EXPECT_EQ(nlohmann::json::parse(line_of(JsonNames::OpenTelemetry, t))["network.connection.state"], 42);
}

TEST(OtelNames, TextThatIsNotUtf8KeepsItsBytesUnderTcpfsm) {
  Transition t = test::sample_transition();
  t.comm = "\xffworker";
  const std::string line = line_of(JsonNames::OpenTelemetry, t);
  EXPECT_NE(line.find(R"("process.executable.name":"\ufffdworker","tcpfsm.comm_bytes":"ff776f726b6572",)"),
            std::string::npos)
      << line;
}

// Only the transition records are renamed: the run's own keep tcpfsm's names.
TEST(OtelNames, RunRecordsKeepTheirNames) {
  std::string otel, own;
  make_formatter(Format::Json, {.names = JsonNames::OpenTelemetry})->lost(otel, test::kWall, Losses{3, 2, 1});
  make_formatter(Format::Json)->lost(own, test::kWall, Losses{3, 2, 1});
  EXPECT_EQ(otel, own);
}
