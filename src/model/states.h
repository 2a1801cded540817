// The one table of TCP states: kernel number, netstat name, meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tcpfsm {

// Kernel numbering, include/net/tcp_states.h.
enum class State : std::uint8_t {
  Established = 1,
  SynSent = 2,
  SynRecv = 3,
  FinWait1 = 4,
  FinWait2 = 5,
  TimeWait = 6,
  Close = 7,
  CloseWait = 8,
  LastAck = 9,
  Listen = 10,
  Closing = 11,
  NewSynRecv = 12,
  BoundInactive = 13,
};

// Kernel state numbers below this fit arrays indexed by number (the known
// ones and a few to spare); a count of any other number goes elsewhere.
constexpr int kStateNumbers = 16;

struct StateInfo {
  State state;
  std::string_view name;     // netstat / ss spelling, e.g. "CLOSE_WAIT"
  std::string_view meaning;  // netstat(8) one-liner
  // OpenTelemetry's network.connection.state value, e.g. "close_wait"
  // (docs/opentelemetry.md); the two states it has none for, in its style.
  std::string_view otel_name;
};

// Every known state, in kernel order.
std::span<const StateInfo> all_states();

// nullptr for a number the table does not know.
const StateInfo* find_state(int number);
std::optional<State> state_from_name(std::string_view name);

// "CLOSE_WAIT", or the bare number ("42") for a state the table does not know.
std::string state_name(int number);

// "CLOSE_WAIT", "CLOSE_WAIT or FIN_WAIT2", "A, B or C": states in a
// sentence, in the order given.
std::string state_names(std::span<const State> states);

inline int number(State s) { return static_cast<int>(s); }

}  // namespace tcpfsm
