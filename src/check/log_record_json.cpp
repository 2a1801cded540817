// parse_record() with nlohmann::json's SAX interface: no document is built and
// nothing throws; each value goes straight into the reused LogRecord.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>

#include "check/log_record.h"
#include "common/text.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

using json = nlohmann::json;

enum class Field : std::uint8_t {
  Type, Ts, Cause, Transitions, Cookie, Old, New, OldNs, Family, Laddr, Lport, Raddr, Rport, Ringbuf,
  Recursion, Skstate, Netns, CgroupId, Cgroup, Container, None,
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(Field::None);

struct FieldSpec {
  std::string_view name;
  std::string_view expected;  // "should be <expected>"
};
constexpr std::array<FieldSpec, kFieldCount> kFields{{
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
}};

constexpr std::uint32_t bit(Field f) { return 1u << static_cast<unsigned>(f); }

// Which fields each record type needs, and which it reads if present.
struct TypeSpec {
  std::string_view name;
  RecordType type;
  std::uint32_t required;
  std::uint32_t optional;
};
constexpr std::uint32_t kCommon = bit(Field::Ts);
constexpr std::array<TypeSpec, 5> kTypes{{
    {"transition", RecordType::Transition, bit(Field::Cookie) | bit(Field::Old) | bit(Field::New),
     kCommon | bit(Field::OldNs) | bit(Field::Family) | bit(Field::Laddr) | bit(Field::Lport) |
         bit(Field::Raddr) | bit(Field::Rport) | bit(Field::Netns) | bit(Field::CgroupId) | bit(Field::Cgroup) |
         bit(Field::Container)},
    {"lost", RecordType::Lost, bit(Field::Ringbuf) | bit(Field::Recursion), kCommon | bit(Field::Skstate)},
    {"start", RecordType::Start, 0, kCommon | bit(Field::Cause)},
    {"stats", RecordType::Stats, 0, kCommon},
    {"end", RecordType::End, 0, kCommon | bit(Field::Transitions)},
}};

// nlohmann's message in its own words, which are plain ASCII, but for the
// bytes it read last ("...; last read: '<bytes>'..."): those come from the
// line, and are escaped. Cut short, as the bytes may be a whole line.
std::string parse_error_text(std::string_view what) {
  constexpr std::size_t kMax = 160;
  constexpr std::string_view kLastRead = "last read: '";
  const std::string_view shown = cut_at(what, kMax);
  const std::size_t at = shown.find(kLastRead);
  const std::size_t own = at == std::string_view::npos ? shown.size() : at + kLastRead.size();
  std::string text(shown.substr(0, own));
  append_escaped(text, shown.substr(own));
  return shown.size() < what.size() ? text + "..." : text;
}

Field field_of(std::string_view key) {
  for (std::size_t i = 0; i < kFieldCount; ++i)
    if (kFields[i].name == key) return static_cast<Field>(i);
  return Field::None;
}

// Receives the parser's events for one line. Values nested deeper than the
// top-level object belong to fields check does not read, and are skipped.
class Sax {
 public:
  explicit Sax(LogRecord& r) : rec_(r) {}

  bool null() {
    if (!top_level_value()) return !not_object_;
    if (field_ != Field::OldNs) return wrong("null");
    rec_.old_ns.reset();
    set(Field::OldNs);
    return true;
  }
  bool boolean(bool) { return top_level_value() ? wrong("a boolean") : !not_object_; }
  bool number_integer(json::number_integer_t) {
    return top_level_value() ? wrong("a negative number") : !not_object_;
  }
  bool number_float(json::number_float_t, const std::string&) {
    return top_level_value() ? wrong("a number that is not an unsigned 64-bit integer") : !not_object_;
  }
  bool binary(json::binary_t&) { return top_level_value() ? wrong("binary") : !not_object_; }

  bool number_unsigned(json::number_unsigned_t v) {
    if (!top_level_value()) return !not_object_;
    switch (field_) {
      case Field::Cookie: rec_.cookie = v; break;
      case Field::Transitions: rec_.transitions = v; break;
      case Field::OldNs: rec_.old_ns = v; break;
      case Field::Ringbuf: rec_.ringbuf = v; break;
      case Field::Recursion: rec_.recursion = v; break;
      case Field::Skstate: rec_.skstate = v; break;
      case Field::CgroupId: rec_.cgroup_id = v; break;
      case Field::Netns:
        if (v > UINT32_MAX) return wrong(std::to_string(v));
        rec_.netns = static_cast<std::uint32_t>(v);
        break;
      case Field::Lport:
      case Field::Rport:
        if (v > 65535) return wrong(std::to_string(v));
        (field_ == Field::Lport ? rec_.lport : rec_.rport) = static_cast<std::uint16_t>(v);
        break;
      case Field::Old:
      case Field::New:
        // The kernel keeps a state in a byte; bounding it also bounds the matrix.
        if (v > 255) return wrong(std::to_string(v));
        (field_ == Field::Old ? rec_.old_state : rec_.new_state) = static_cast<int>(v);
        break;
      default:
        return wrong("a number");
    }
    set(field_);
    return true;
  }

  bool string(std::string& v) {
    if (!top_level_value()) return !not_object_;
    switch (field_) {
      case Field::Type: rec_.type_name = v; break;
      case Field::Ts: rec_.ts = v; break;
      case Field::Cause: rec_.cause = v; break;
      case Field::Family: rec_.family = v; break;
      case Field::Laddr: rec_.laddr = v; break;
      case Field::Raddr: rec_.raddr = v; break;
      case Field::Cgroup: rec_.cgroup = v; break;
      case Field::Container: rec_.container = v; break;
      case Field::Old:
      case Field::New:
        if (auto s = state_from_name(v))
          (field_ == Field::Old ? rec_.old_state : rec_.new_state) = number(*s);
        else
          return fail(field_, InputError::UnknownStateName,
                      "field \"" + std::string(kFields[idx(field_)].name) + "\": unknown state name " +
                          quote(v));
        break;
      default:
        return wrong("a string");
    }
    set(field_);
    return true;
  }

  bool start_object(std::size_t) { return open("an object"); }
  bool start_array(std::size_t) {
    if (depth_ == 0) not_object_ = true;
    return open("an array");
  }
  bool end_object() { return --depth_, true; }
  bool end_array() { return --depth_, true; }

  bool key(std::string& k) {
    if (depth_ == 1) field_ = field_of(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // e.what(): "[json.exception.parse_error.101] parse error at line 1, column 7: <what>"
    std::string_view what = e.what();
    if (auto col = what.find("column "); col != what.npos)
      if (auto colon = what.find(": ", col); colon != what.npos) what.remove_prefix(colon + 2);
    syntax_ = ParseError{InputError::InvalidJson,
                         "invalid JSON at column " + std::to_string(position) + ": " + parse_error_text(what)};
    return false;
  }

  // After the parse: the record, or what is wrong with it.
  std::optional<ParseError> finish(bool parsed) {
    if (syntax_) return std::move(syntax_);
    if (not_object_ || !parsed) return ParseError{InputError::NotAnObject, "not a JSON object"};
    if (!(seen_ & bit(Field::Type)))
      return bad_[idx(Field::Type)] ? std::move(bad_[idx(Field::Type)])
                                    : ParseError{InputError::MissingField, "missing field \"type\""};
    const TypeSpec* spec = nullptr;
    for (const auto& t : kTypes)
      if (t.name == rec_.type_name) spec = &t;
    if (!spec) return rec_.type = RecordType::Unknown, std::nullopt;
    rec_.type = spec->type;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      const std::uint32_t b = 1u << i;
      if (!((spec->required | spec->optional) & b)) continue;
      if (bad_[i]) return std::move(bad_[i]);
      if ((spec->required & b) && !(seen_ & b))
        return ParseError{InputError::MissingField, "missing field \"" + std::string(kFields[i].name) +
                                                       "\" in a " + std::string(spec->name) + " record"};
    }
    return std::nullopt;
  }

 private:
  static std::size_t idx(Field f) { return static_cast<std::size_t>(f); }

  // True for a value directly inside the top-level object, the only ones read.
  bool top_level_value() {
    if (depth_ == 0) not_object_ = true;
    return depth_ == 1 && field_ != Field::None;
  }

  bool open(std::string_view what) {
    if (depth_ == 1 && field_ != Field::None) wrong(what);
    ++depth_;
    return !not_object_;
  }

  void set(Field f) {
    seen_ |= bit(f);
    bad_[idx(f)].reset();  // a later duplicate key wins
  }

  // Records the problem with the current field and goes on: it matters only if
  // the record's type reads that field.
  bool wrong(std::string_view got) {
    return fail(field_, InputError::WrongType,
                "field \"" + std::string(kFields[idx(field_)].name) + "\" should be " +
                    std::string(kFields[idx(field_)].expected) + ", not " + std::string(got));
  }
  bool fail(Field f, InputError kind, std::string message) {
    seen_ &= ~bit(f);
    bad_[idx(f)] = ParseError{kind, std::move(message)};
    return true;
  }

  LogRecord& rec_;
  int depth_ = 0;
  Field field_ = Field::None;
  std::uint32_t seen_ = 0;
  bool not_object_ = false;
  std::optional<ParseError> syntax_;
  std::array<std::optional<ParseError>, kFieldCount> bad_;
};

void reset(LogRecord& r) {
  r.type = RecordType::Unknown;
  r.type_name.clear();
  r.ts.clear();
  r.cause.clear();
  r.transitions.reset();
  r.cookie = 0;
  r.old_state = r.new_state = 0;
  r.old_ns.reset();
  r.family.clear();
  r.laddr.clear();
  r.raddr.clear();
  r.lport = r.rport = 0;
  r.netns = 0;
  r.cgroup_id = 0;
  r.cgroup.clear();
  r.container.clear();
  r.ringbuf = r.recursion = r.skstate = 0;
}

}  // namespace

std::optional<ParseError> parse_record(std::string_view line, LogRecord& out) {
  reset(out);
  Sax sax(out);
  const bool parsed = json::sax_parse(line.data(), line.data() + line.size(), &sax);
  return sax.finish(parsed);
}

}  // namespace tcpfsm
