// Kernel events, any bytes at all, through the reader's path: decode, check,
// JSON and table formatting. Every JSON line must be strict JSON that
// `tcpfsm check` reads back to the same values, with its fast parser, the
// names' bytes kept exactly, and every table row inert on a terminal,
// whatever the task's comm holds (any process can name itself with any bytes).
#include <arpa/inet.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "model/checker.h"
#include "check/log_parsers.h"
#include "check/log_record.h"
#include "common/json_text.h"
#include "output/formatter.h"
#include "kernel/decode.h"

namespace {

std::string ntop(bool v6, const std::array<std::uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
}

bool ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

}  // namespace

// Input: one tcpfsm_event (112 bytes); when its flags have 0x40, its life
// (48 bytes: the event is a tcpfsm_close); then the owner's comm, if any.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tcpfsm_close c{};
  tcpfsm_event& e = c.event;
  if (size < sizeof e) return 0;
  std::memcpy(&e, data, sizeof e);
  std::size_t used = sizeof e;
  const bool has_life = (e.flags & 0x40) && size >= sizeof c;
  if (has_life) {
    std::memcpy(&c.life, data + used, sizeof c.life);
    used += sizeof c.life;
  }
  tcpfsm::Transition t = tcpfsm::decode(e, has_life ? &c.life : nullptr, tcpfsm::ClockMap{});
  if (size > used) {
    t.owner_pid = 1;
    t.owner_comm.assign(reinterpret_cast<const char*>(data) + used, size - used);
  }
  tcpfsm::Checker checker(e.flags & 0x80 ? tcpfsm::Model::Rfc : tcpfsm::Model::Linux);
  const tcpfsm::Verdict v = checker.observe(t.cookie, t.old_state, t.new_state).verdict;

  std::string table;
  tcpfsm::make_formatter(tcpfsm::Format::Table)->transition(table, t, v);
  FUZZ_CHECK(!table.empty() && table.back() == '\n' && table.find('\n') == table.size() - 1);
  FUZZ_CHECK(tcpfsm::fuzz::inert(table));  // the comm is escaped

  std::string line;
  tcpfsm::make_formatter(tcpfsm::Format::Json)->transition(line, t, v);
  FUZZ_CHECK(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1);
  line.pop_back();

  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!j.is_discarded());
  FUZZ_CHECK(j["laddr"] == ntop(t.ipv6, t.local.addr) && j["raddr"] == ntop(t.ipv6, t.remote.addr));
  if (ascii(t.comm)) FUZZ_CHECK(j["comm"] == t.comm);
  if (t.owner_pid && ascii(t.owner_comm)) FUZZ_CHECK(j["owner_comm"] == t.owner_comm);
  // The comm's bytes, exactly: the string's, or where they are not UTF-8, comm_bytes'.
  FUZZ_CHECK(tcpfsm::json::utf8(t.comm) ? j["comm"] == t.comm && !j.contains("comm_bytes")
                                        : tcpfsm::json::parse_hex(j["comm_bytes"].get<std::string>()) == t.comm);

  tcpfsm::LogRecord r;
  FUZZ_CHECK(!tcpfsm::parse_record(line, r));
  // check reads the owner's name back exactly.
  if (t.owner_pid) FUZZ_CHECK((r.owner_comm_bytes.empty() ? r.owner_comm : r.owner_comm_bytes) == t.owner_comm);
  FUZZ_CHECK(r.type == tcpfsm::RecordType::Transition && r.cookie == t.cookie && r.old_state == t.old_state &&
        r.new_state == t.new_state && r.old_ns == t.old_ns && r.lport == t.local.port &&
        r.rport == t.remote.port && r.laddr == j["laddr"] && r.raddr == j["raddr"] &&
        r.family == (t.ipv6 ? "ipv6" : "ipv4") && r.netns == t.netns && r.cgroup_id == t.cgroup_id);
  FUZZ_CHECK(r.life == t.life);  // what the connection did, unknowns as unknowns
  // The fast parser takes every line the tracer writes: none costs the slow one.
  tcpfsm::LogRecord fast;
  FUZZ_CHECK(tcpfsm::parse_record_simdjson(line, fast) && fast == r);
  return 0;
}
