#include "check/log_record.h"

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

}  // namespace tcpfsm
