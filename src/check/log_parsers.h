// The two parsers behind parse_record(): simdjson reads the lines that are
// well-formed records, fast; nlohmann reads every other line, and words what
// is wrong with it. Apart here so that tests and a fuzz target can hold them
// to the same results.
#pragma once

#include <optional>
#include <string_view>

#include "check/log_record.h"

namespace tcpfsm {

// simdjson's On Demand API. True when the line is a valid record (of a known
// type, or of an unknown one) and `out` holds it, exactly as
// parse_record_nlohmann would fill it. False for any other line, and for a
// few valid ones it leaves to the other parser (an integer beyond 64 bits,
// nesting deeper than 32, a byte order mark, a field of the wrong type in a
// record that does not read it); `out` is then in no particular state.
bool parse_record_simdjson(std::string_view line, LogRecord& out);

// nlohmann::json's SAX parser: any line, with the message for what is wrong.
std::optional<ParseError> parse_record_nlohmann(std::string_view line, LogRecord& out);

}  // namespace tcpfsm
