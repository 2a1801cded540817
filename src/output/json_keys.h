// The keys of a transition record, in one table: tcpfsm's own
// (docs/json-schema.md) beside OpenTelemetry's (trace --otel-names,
// docs/opentelemetry.md), which are the semantic conventions' names where
// they have one and tcpfsm.* for the rest. Each key comes with its
// punctuation, as the JSON formatter copies it in one piece: ,"laddr":.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tcpfsm {

enum class JsonNames : std::uint8_t { Tcpfsm, OpenTelemetry };

// In the order of the rows below.
enum class TransitionKey : std::uint8_t {
  Head,  // the record's type and the opening of its time
  Ktime, Cpu, Cookie, Family,
  Transport,  // the semantic conventions want it; tcpfsm's records are all TCP, and say nothing
  Laddr, Lport, Raddr, Rport, Old, New, OldNs, Pid, Tid, Comm, CommBytes, Ino, Netns, CgroupId, Cgroup,
  CgroupBytes, Container, ContainerBytes, ContainerRuntime, PodUid, OwnerPid, OwnerComm, OwnerCommBytes, Cause,
  Error, RstReason,
  LifeRole,  // opens the life: an object of tcpfsm's, members tcpfsm.life.* in OpenTelemetry's flat attributes
  LifeDuration, LifeRx, LifeTx, LifeSegsIn, LifeSegsOut, LifeRetrans, LifeSrtt, LifeRttvar,
  LifeEnd,  // closes it
  Verdict, Reason,
};

struct KeyRow {
  TransitionKey key;
  std::string_view tcpfsm, otel;
};

inline constexpr std::array kTransitionKeys{
    KeyRow{TransitionKey::Head, R"({"type":"transition","ts":")", R"({"tcpfsm.type":"transition","tcpfsm.ts":")"},
    KeyRow{TransitionKey::Ktime, R"(,"ktime_ns":)", R"(,"tcpfsm.ktime_ns":)"},
    KeyRow{TransitionKey::Cpu, R"(,"cpu":)", R"(,"tcpfsm.cpu":)"},
    KeyRow{TransitionKey::Cookie, R"(,"cookie":)", R"(,"tcpfsm.cookie":)"},
    KeyRow{TransitionKey::Family, R"(,"family":)", R"(,"network.type":)"},
    KeyRow{TransitionKey::Transport, "", R"(,"network.transport":"tcp")"},
    KeyRow{TransitionKey::Laddr, R"(,"laddr":)", R"(,"network.local.address":)"},
    KeyRow{TransitionKey::Lport, R"(,"lport":)", R"(,"network.local.port":)"},
    KeyRow{TransitionKey::Raddr, R"(,"raddr":)", R"(,"network.peer.address":)"},
    KeyRow{TransitionKey::Rport, R"(,"rport":)", R"(,"network.peer.port":)"},
    KeyRow{TransitionKey::Old, R"(,"old":)", R"(,"tcpfsm.old_state":)"},
    KeyRow{TransitionKey::New, R"(,"new":)", R"(,"network.connection.state":)"},
    KeyRow{TransitionKey::OldNs, R"(,"old_ns":)", R"(,"tcpfsm.old_ns":)"},
    KeyRow{TransitionKey::Pid, R"(,"pid":)", R"(,"process.pid":)"},
    KeyRow{TransitionKey::Tid, R"(,"tid":)", R"(,"thread.id":)"},
    KeyRow{TransitionKey::Comm, R"(,"comm":)", R"(,"process.executable.name":)"},
    KeyRow{TransitionKey::CommBytes, R"(,"comm_bytes":)", R"(,"tcpfsm.comm_bytes":)"},
    KeyRow{TransitionKey::Ino, R"(,"ino":)", R"(,"tcpfsm.ino":)"},
    KeyRow{TransitionKey::Netns, R"(,"netns":)", R"(,"tcpfsm.netns":)"},
    KeyRow{TransitionKey::CgroupId, R"(,"cgroup_id":)", R"(,"tcpfsm.cgroup_id":)"},
    KeyRow{TransitionKey::Cgroup, R"(,"cgroup":)", R"(,"tcpfsm.cgroup":)"},
    KeyRow{TransitionKey::CgroupBytes, R"(,"cgroup_bytes":)", R"(,"tcpfsm.cgroup_bytes":)"},
    KeyRow{TransitionKey::Container, R"(,"container":)", R"(,"container.id":)"},
    KeyRow{TransitionKey::ContainerBytes, R"(,"container_bytes":)", R"(,"tcpfsm.container_bytes":)"},
    KeyRow{TransitionKey::ContainerRuntime, R"(,"container_runtime":)", R"(,"container.runtime.name":)"},
    KeyRow{TransitionKey::PodUid, R"(,"pod_uid":)", R"(,"k8s.pod.uid":)"},
    KeyRow{TransitionKey::OwnerPid, R"(,"owner_pid":)", R"(,"tcpfsm.owner_pid":)"},
    KeyRow{TransitionKey::OwnerComm, R"(,"owner_comm":)", R"(,"tcpfsm.owner_comm":)"},
    KeyRow{TransitionKey::OwnerCommBytes, R"(,"owner_comm_bytes":)", R"(,"tcpfsm.owner_comm_bytes":)"},
    KeyRow{TransitionKey::Cause, R"(,"cause":)", R"(,"tcpfsm.cause":)"},
    KeyRow{TransitionKey::Error, R"(,"error":)", R"(,"error.type":)"},
    KeyRow{TransitionKey::RstReason, R"(,"rst_reason":)", R"(,"tcpfsm.rst_reason":)"},
    KeyRow{TransitionKey::LifeRole, R"(,"life":{"role":)", R"(,"tcpfsm.life.role":)"},
    KeyRow{TransitionKey::LifeDuration, R"(,"duration_ns":)", R"(,"tcpfsm.life.duration_ns":)"},
    KeyRow{TransitionKey::LifeRx, R"(,"rx_bytes":)", R"(,"tcpfsm.life.rx_bytes":)"},
    KeyRow{TransitionKey::LifeTx, R"(,"tx_bytes":)", R"(,"tcpfsm.life.tx_bytes":)"},
    KeyRow{TransitionKey::LifeSegsIn, R"(,"segs_in":)", R"(,"tcpfsm.life.segs_in":)"},
    KeyRow{TransitionKey::LifeSegsOut, R"(,"segs_out":)", R"(,"tcpfsm.life.segs_out":)"},
    KeyRow{TransitionKey::LifeRetrans, R"(,"retrans":)", R"(,"tcpfsm.life.retrans":)"},
    KeyRow{TransitionKey::LifeSrtt, R"(,"srtt_us":)", R"(,"tcpfsm.life.srtt_us":)"},
    KeyRow{TransitionKey::LifeRttvar, R"(,"rttvar_us":)", R"(,"tcpfsm.life.rttvar_us":)"},
    KeyRow{TransitionKey::LifeEnd, "}", ""},
    KeyRow{TransitionKey::Verdict, R"(,"verdict":)", R"(,"tcpfsm.verdict":)"},
    KeyRow{TransitionKey::Reason, R"(,"reason":)", R"(,"tcpfsm.reason":)"},
};

constexpr bool rows_in_key_order() {
  for (std::size_t i = 0; i < kTransitionKeys.size(); ++i)
    if (static_cast<std::size_t>(kTransitionKeys[i].key) != i) return false;
  return true;
}
static_assert(rows_in_key_order(), "kTransitionKeys: a row out of TransitionKey's order");

// A key with its punctuation; a constant where names and k are.
constexpr std::string_view json_key(JsonNames names, TransitionKey k) {
  const KeyRow& row = kTransitionKeys[static_cast<std::size_t>(k)];
  return names == JsonNames::OpenTelemetry ? row.otel : row.tcpfsm;
}

}  // namespace tcpfsm
