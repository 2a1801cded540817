// The fields of a log line that `check` reads, which record types read which,
// and how a value is stored in a LogRecord: one table for both parsers behind
// parse_record() (log_parsers.h), so they cannot disagree on a field.
#pragma once

#include <array>
#include <cstring>
#include <cstdint>
#include <string_view>

#include "check/log_record.h"

namespace tcpfsm::log_fields {

enum class Field : std::uint8_t {
  Type, Ts, Cause, Transitions, Cookie, Old, New, OldNs, Family, Laddr, Lport, Raddr, Rport, Ringbuf,
  Recursion, Skstate, Netns, CgroupId, Cgroup, Container, Error, RstReason, OwnerPid, OwnerComm, OwnerCommBytes,
  Life, None,
};
inline constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::None);

struct FieldSpec {
  std::string_view name;
  std::string_view expected;  // "should be <expected>"
};
inline constexpr std::array<FieldSpec, kFieldCount> kFields{{
    {"type", "a string"},
    {"ts", "a string"},
    {"cause", "a string"},
    {"transitions", "an unsigned integer"},
    {"cookie", "an unsigned integer"},
    {"old", "a state name or number (0-255)"},
    {"new", "a state name or number (0-255)"},
    {"old_ns", "an unsigned integer or null"},
    {"family", "a string"},
    {"laddr", "a string"},
    {"lport", "a port number (0-65535)"},
    {"raddr", "a string"},
    {"rport", "a port number (0-65535)"},
    {"ringbuf", "an unsigned integer"},
    {"recursion", "an unsigned integer"},
    {"skstate", "an unsigned integer"},
    {"netns", "a namespace inode (0-4294967295)"},
    {"cgroup_id", "an unsigned integer"},
    {"cgroup", "a string"},
    {"container", "a string"},
    {"error", "a string"},
    {"rst_reason", "a string"},
    {"owner_pid", "a process id (0-4294967295)"},
    {"owner_comm", "a string"},
    {"owner_comm_bytes", "a string of hex digits, two a byte"},
    {"life", "an object"},
}};

constexpr std::size_t index(Field f) { return static_cast<std::size_t>(f); }
constexpr std::uint32_t bit(Field f) { return 1u << index(f); }
static_assert(kFieldCount <= 32, "a record's fields are a 32-bit mask");

// Which fields each record type needs, and which it reads if present.
struct TypeSpec {
  std::string_view name;
  RecordType type;
  std::uint32_t required;
  std::uint32_t optional;
};
inline constexpr std::uint32_t kCommon = bit(Field::Ts);
inline constexpr std::array<TypeSpec, 5> kTypes{{
    {"transition", RecordType::Transition, bit(Field::Cookie) | bit(Field::Old) | bit(Field::New),
     kCommon | bit(Field::OldNs) | bit(Field::Family) | bit(Field::Laddr) | bit(Field::Lport) |
         bit(Field::Raddr) | bit(Field::Rport) | bit(Field::Netns) | bit(Field::CgroupId) | bit(Field::Cgroup) |
         bit(Field::Container) | bit(Field::Cause) | bit(Field::Error) | bit(Field::RstReason) |
         bit(Field::OwnerPid) | bit(Field::OwnerComm) | bit(Field::OwnerCommBytes) | bit(Field::Life)},
    {"lost", RecordType::Lost, bit(Field::Ringbuf) | bit(Field::Recursion), kCommon | bit(Field::Skstate)},
    {"start", RecordType::Start, 0, kCommon | bit(Field::Cause)},
    {"stats", RecordType::Stats, 0, kCommon},
    {"end", RecordType::End, 0, kCommon | bit(Field::Transitions)},
}};

// The type named `name`, or nullptr for a type tcpfsm does not write.
const TypeSpec* find_type(std::string_view name);

// The field a top-level key names, None for a key check does not read. Both
// parsers look up every key of every line: inline, below.
inline Field field_of(std::string_view key);

// Storing a value in a field: why the value does not fit, if it does not.
enum class Stored : std::uint8_t {
  Ok,
  WrongType,     // the field takes no value of this JSON type
  OutOfRange,    // a number too large for the field
  UnknownState,  // "old"/"new": a string the state table does not know
  Malformed,     // a string the field cannot read (owner_comm_bytes: not hex; life.role: no role)
};
Stored store_uint(LogRecord& r, Field f, std::uint64_t v);
Stored store_string(LogRecord& r, Field f, std::string_view v);
Stored store_null(LogRecord& r, Field f);

// The members of a transition's "life" object (record/connection_life.h),
// read like the fields; a member check does not know is skipped. One that is
// absent is not known, as one that is null.
enum class LifeField : std::uint8_t {
  Role, DurationNs, RxBytes, TxBytes, SegsIn, SegsOut, Retrans, SrttUs, RttvarUs,
  None,
};
inline constexpr std::size_t kLifeFieldCount = static_cast<std::size_t>(LifeField::None);
// Names as messages give them: "life.rx_bytes".
inline constexpr std::array<FieldSpec, kLifeFieldCount> kLifeFields{{
    {"life.role", "\"client\", \"server\" or \"unknown\""},
    {"life.duration_ns", "an unsigned integer or null"},
    {"life.rx_bytes", "an unsigned integer or null"},
    {"life.tx_bytes", "an unsigned integer or null"},
    {"life.segs_in", "an unsigned 32-bit integer or null"},
    {"life.segs_out", "an unsigned 32-bit integer or null"},
    {"life.retrans", "an unsigned 32-bit integer or null"},
    {"life.srtt_us", "an unsigned 32-bit integer or null"},
    {"life.rttvar_us", "an unsigned 32-bit integer or null"},
}};
constexpr std::size_t index(LifeField f) { return static_cast<std::size_t>(f); }
// The member a key inside "life" names, None for one check does not read.
LifeField life_field_of(std::string_view key);
Stored store_uint(ConnectionLife& l, LifeField f, std::uint64_t v);
Stored store_string(ConnectionLife& l, LifeField f, std::string_view v);
Stored store_null(ConnectionLife& l, LifeField f);

// field_of(): a perfect hash of the field names, so a lookup is one slot of a
// table and at most one comparison.
namespace detail {
// The multipliers are ones under which the names do not collide; when a new
// name collides, a search over small multipliers finds others (hundreds do).
constexpr std::size_t kSlots = 64;

constexpr std::size_t hash(std::string_view key) {
  return (key.size() * 7 + static_cast<unsigned char>(key.front()) * 5 +
          static_cast<unsigned char>(key.back()) * 3) &
         (kSlots - 1);
}

constexpr std::array<Field, kSlots> kSlotTable = [] {
  std::array<Field, kSlots> t{};
  t.fill(Field::None);
  for (std::size_t i = 0; i < kFieldCount; ++i) t[hash(kFields[i].name)] = static_cast<Field>(i);
  return t;
}();

constexpr bool names_collide() {
  std::size_t used = 0;
  for (Field f : kSlotTable) used += f != Field::None;
  return used != kFieldCount;
}
static_assert(!names_collide(), "two field names share a slot of kSlotTable: change hash()'s multipliers");

template <class T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Whether n bytes at a and b are the same, for n up to 16: a word or two of
// the bytes' start and end (overlapping), never past the n bytes. Quicker
// than a loop or a call to memcmp.
constexpr std::size_t kMaxName = 16;
inline bool same(const char* a, const char* b, std::size_t n) {
  if (n >= 8) return load<std::uint64_t>(a) == load<std::uint64_t>(b) &&
                     load<std::uint64_t>(a + n - 8) == load<std::uint64_t>(b + n - 8);
  if (n >= 4) return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
                     load<std::uint32_t>(a + n - 4) == load<std::uint32_t>(b + n - 4);
  if (n >= 2) return load<std::uint16_t>(a) == load<std::uint16_t>(b) &&
                     load<std::uint16_t>(a + n - 2) == load<std::uint16_t>(b + n - 2);
  return n == 0 || *a == *b;
}

constexpr bool names_fit() {
  for (const auto& f : kFields)
    if (f.name.empty() || f.name.size() > kMaxName) return false;
  return true;
}
static_assert(names_fit(), "same() compares field names of 1 to 16 bytes");

}  // namespace detail

inline Field field_of(std::string_view key) {
  if (key.empty()) return Field::None;
  const Field f = detail::kSlotTable[detail::hash(key)];
  if (f == Field::None) return f;
  const std::string_view name = kFields[index(f)].name;
  return name.size() == key.size() && detail::same(name.data(), key.data(), key.size()) ? f : Field::None;
}

}  // namespace tcpfsm::log_fields
