// The cells the two tables (trace's, and --lifetimes') write alike: the
// cause of a transition, and what a connection did as it ended. An unknown
// is "-", never an invented 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "record/connection_life.h"
#include "record/transition.h"

namespace tcpfsm {

// The cause, with the error or the reset's reason that tells more:
// "rst_received ECONNREFUSED", "rst_sent TCP_ABORT_ON_CLOSE"; "-" if none.
std::string cause_text(const Transition& t);

// Nanoseconds as milliseconds, "19.265" (to the microsecond); "-" unknown.
std::string ms_text(const std::optional<std::uint64_t>& ns);

// -w: the life after a connection's end, compact:
// "rx=1000B tx=300B retrans=0 rtt=15us dur=0.094ms" ("rtt=-": never measured).
std::string life_text(const ConnectionLife& l);

}  // namespace tcpfsm
