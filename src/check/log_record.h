// One record of a tcpfsm JSON-lines log, and what can be wrong with a line.
// The parsers sit behind parse_record() alone, so they can be swapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "record/connection_life.h"
#include "record/run_records.h"

namespace tcpfsm {

enum class RecordType : std::uint8_t { Transition, Lost, Start, Stats, End, Unknown };
std::string_view record_type_name(RecordType t);  // "transition", ...; "unknown"

// Fields `check` uses; others in the line are ignored. The strings keep their
// capacity when a record is reused, so parsing a line need not allocate.
struct LogRecord {
  RecordType type = RecordType::Unknown;
  std::string type_name;  // as written: names an unknown type in messages
  std::string ts;
  // What it means depends on the type. start: "run" begins a trace run;
  // "rotate", "reopen" continue it. transition: why the socket changed state
  // ("rst_received", "timeout", ...: as written, also a word tcpfsm does not
  // know yet). Empty when absent.
  std::string cause;
  std::optional<std::uint64_t> transitions;  // end: transitions the run wrote
  // transition
  std::uint64_t cookie = 0;
  int old_state = 0, new_state = 0;  // kernel numbers; a bare number may be unknown
  std::optional<std::uint64_t> old_ns;
  std::string family, laddr, raddr;
  std::uint16_t lport = 0, rport = 0;
  // where the socket lived (absent in logs from before schema 2: 0 and empty)
  std::uint32_t netns = 0;
  std::uint64_t cgroup_id = 0;
  std::string cgroup, container;
  // who held the socket, when the tracer was certain (absent: no pid, empty comm)
  std::optional<std::uint32_t> owner_pid;
  std::string owner_comm;
  // owner_comm's exact bytes when they are not UTF-8 (owner_comm then has
  // U+FFFD for them); empty when absent.
  std::string owner_comm_bytes;
  std::string error;       // errno name, e.g. "ECONNREFUSED"; empty when absent
  std::string rst_reason;  // the kernel's reset reason, e.g. "TCP_ABORT_ON_CLOSE"; empty when absent
  // What the connection did, on a transition into CLOSE that ends one (logs
  // of schema 4 on); absent before, and on every other record.
  std::optional<ConnectionLife> life;
  Losses lost;  // lost

  // Back to the record of no line, keeping the strings' capacity.
  void clear();
  bool operator==(const LogRecord&) const = default;
};

// What is wrong with the input at a line. All but CountMismatch mean the line
// was skipped.
enum class InputError : std::uint8_t {
  InvalidJson,       // not JSON, or JSON with something after it
  NotAnObject,       // valid JSON, but not an object
  MissingField,      // a field the record type needs is absent
  WrongType,         // a field has the wrong JSON type or an out-of-range value
  UnknownStateName,  // "old"/"new" is a string the state table does not know
  UnknownType,       // "type" is not a record type tcpfsm writes
  TooLong,           // longer than the line limit
  TornLine,          // the last line has no newline and is not a valid record
  EmptyLine,
  EmptyFile,      // reported at line 0
  CountMismatch,  // an end record's transition total differs from what its run holds
};
inline constexpr int kInputErrorKinds = 11;
std::string_view input_error_name(InputError e);  // "invalid_json", ...

struct ParseError {
  InputError kind;
  std::string message;  // for the user: what is wrong, without the file:line
};

// Fills `out` from one line (without its line ending). A record of an unknown
// type parses (type Unknown): the caller decides what that means. The line
// must hold no NUL byte: a parser may take one for the end of the line.
std::optional<ParseError> parse_record(std::string_view line, LogRecord& out);

}  // namespace tcpfsm
