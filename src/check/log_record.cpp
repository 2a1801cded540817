#include "check/log_record.h"

#include "check/log_parsers.h"

namespace tcpfsm {

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::Transition: return "transition";
    case RecordType::Lost: return "lost";
    case RecordType::Start: return "start";
    case RecordType::Stats: return "stats";
    case RecordType::End: return "end";
    case RecordType::Unknown: return "unknown";
  }
  return "?";
}

std::string_view input_error_name(InputError e) {
  switch (e) {
    case InputError::InvalidJson: return "invalid_json";
    case InputError::NotAnObject: return "not_an_object";
    case InputError::MissingField: return "missing_field";
    case InputError::WrongType: return "wrong_type";
    case InputError::UnknownStateName: return "unknown_state_name";
    case InputError::UnknownType: return "unknown_type";
    case InputError::TooLong: return "too_long";
    case InputError::TornLine: return "torn_line";
    case InputError::EmptyLine: return "empty_line";
    case InputError::EmptyFile: return "empty_file";
    case InputError::CountMismatch: return "count_mismatch";
  }
  return "?";
}

void LogRecord::clear() {
  type = RecordType::Unknown;
  type_name.clear();
  ts.clear();
  cause.clear();
  transitions.reset();
  cookie = 0;
  old_state = new_state = 0;
  old_ns.reset();
  family.clear();
  laddr.clear();
  raddr.clear();
  lport = rport = 0;
  netns = 0;
  cgroup_id = 0;
  cgroup.clear();
  container.clear();
  owner_pid.reset();
  owner_comm.clear();
  owner_comm_bytes.clear();
  error.clear();
  rst_reason.clear();
  life.reset();
  lost = {};
}

// A log is nearly all well-formed records: simdjson reads those; a line it
// does not take is read again by nlohmann, whose messages say what is wrong.
std::optional<ParseError> parse_record(std::string_view line, LogRecord& out) {
  if (parse_record_simdjson(line, out)) return std::nullopt;
  return parse_record_nlohmann(line, out);
}

}  // namespace tcpfsm
