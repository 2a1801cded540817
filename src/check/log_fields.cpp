#include "check/log_fields.h"

#include <optional>

#include "common/json_text.h"
#include "model/states.h"

namespace tcpfsm::log_fields {

const TypeSpec* find_type(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return &t;
  return nullptr;
}

Stored store_uint(LogRecord& r, Field f, std::uint64_t v) {
  switch (f) {
    case Field::Cookie: r.cookie = v; break;
    case Field::Transitions: r.transitions = v; break;
    case Field::OldNs: r.old_ns = v; break;
    case Field::Ringbuf: r.lost.ringbuf = v; break;
    case Field::Recursion: r.lost.recursion = v; break;
    case Field::Skstate: r.lost.skstate = v; break;
    case Field::CgroupId: r.cgroup_id = v; break;
    case Field::Netns:
      if (v > UINT32_MAX) return Stored::OutOfRange;
      r.netns = static_cast<std::uint32_t>(v);
      break;
    case Field::OwnerPid:
      if (v > UINT32_MAX) return Stored::OutOfRange;
      r.owner_pid = static_cast<std::uint32_t>(v);
      break;
    case Field::Lport:
    case Field::Rport:
      if (v > 65535) return Stored::OutOfRange;
      (f == Field::Lport ? r.lport : r.rport) = static_cast<std::uint16_t>(v);
      break;
    case Field::Old:
    case Field::New:
      // The kernel keeps a state in a byte; bounding it also bounds the matrix.
      if (v > 255) return Stored::OutOfRange;
      (f == Field::Old ? r.old_state : r.new_state) = static_cast<int>(v);
      break;
    default:
      return Stored::WrongType;
  }
  return Stored::Ok;
}

Stored store_string(LogRecord& r, Field f, std::string_view v) {
  switch (f) {
    case Field::Type: r.type_name = v; break;
    case Field::Ts: r.ts = v; break;
    case Field::Cause: r.cause = v; break;
    case Field::Family: r.family = v; break;
    case Field::Laddr: r.laddr = v; break;
    case Field::Raddr: r.raddr = v; break;
    case Field::Cgroup: r.cgroup = v; break;
    case Field::Container: r.container = v; break;
    case Field::Error: r.error = v; break;
    case Field::RstReason: r.rst_reason = v; break;
    case Field::OwnerComm: r.owner_comm = v; break;
    case Field::OwnerCommBytes: {
      auto bytes = json::parse_hex(v);
      if (!bytes) return Stored::Malformed;
      r.owner_comm_bytes = std::move(*bytes);
      break;
    }
    case Field::Old:
    case Field::New: {
      const std::optional<State> s = state_from_name(v);
      if (!s) return Stored::UnknownState;
      (f == Field::Old ? r.old_state : r.new_state) = number(*s);
      break;
    }
    default:
      return Stored::WrongType;
  }
  return Stored::Ok;
}

Stored store_null(LogRecord& r, Field f) {
  if (f != Field::OldNs) return Stored::WrongType;
  r.old_ns.reset();
  return Stored::Ok;
}

LifeField life_field_of(std::string_view key) {
  // Only a record into CLOSE has a life, and it has few members: a search is quick enough.
  constexpr std::string_view kPrefix = "life.";
  for (std::size_t i = 0; i < kLifeFieldCount; ++i)
    if (kLifeFields[i].name.substr(kPrefix.size()) == key) return static_cast<LifeField>(i);
  return LifeField::None;
}

namespace {

// The member a 32-bit counter of the life is.
std::optional<std::uint32_t>* counter(ConnectionLife& l, LifeField f) {
  switch (f) {
    case LifeField::SegsIn: return &l.segs_in;
    case LifeField::SegsOut: return &l.segs_out;
    case LifeField::Retrans: return &l.retrans;
    case LifeField::SrttUs: return &l.srtt_us;
    case LifeField::RttvarUs: return &l.rttvar_us;
    default: return nullptr;
  }
}

// The member a 64-bit quantity of the life is.
std::optional<std::uint64_t>* quantity(ConnectionLife& l, LifeField f) {
  switch (f) {
    case LifeField::DurationNs: return &l.duration_ns;
    case LifeField::RxBytes: return &l.rx_bytes;
    case LifeField::TxBytes: return &l.tx_bytes;
    default: return nullptr;
  }
}

}  // namespace

Stored store_uint(ConnectionLife& l, LifeField f, std::uint64_t v) {
  if (auto* q = quantity(l, f)) {
    *q = v;
    return Stored::Ok;
  }
  if (auto* c = counter(l, f)) {
    if (v > UINT32_MAX) return Stored::OutOfRange;
    *c = static_cast<std::uint32_t>(v);
    return Stored::Ok;
  }
  return Stored::WrongType;
}

Stored store_string(ConnectionLife& l, LifeField f, std::string_view v) {
  if (f != LifeField::Role) return Stored::WrongType;
  const std::optional<Role> role = parse_role(v);
  if (!role) return Stored::Malformed;
  l.role = *role;
  return Stored::Ok;
}

Stored store_null(ConnectionLife& l, LifeField f) {
  if (auto* q = quantity(l, f)) {
    q->reset();
    return Stored::Ok;
  }
  if (auto* c = counter(l, f)) {
    c->reset();
    return Stored::Ok;
  }
  return Stored::WrongType;
}

}  // namespace tcpfsm::log_fields
