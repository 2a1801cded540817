#include "model/states.h"

#include <array>

namespace tcpfsm {
namespace {

constexpr std::array<StateInfo, 13> kStates{{
    {State::Established, "ESTABLISHED", "The socket has an established connection.", "established"},
    {State::SynSent, "SYN_SENT", "The socket is actively attempting to establish a connection.", "syn_sent"},
    {State::SynRecv, "SYN_RECV", "A connection request has been received from the network.", "syn_received"},
    {State::FinWait1, "FIN_WAIT1", "The socket is closed, and the connection is shutting down.", "fin_wait_1"},
    {State::FinWait2, "FIN_WAIT2",
     "Connection is closed, and the socket is waiting for a shutdown from the remote end.", "fin_wait_2"},
    {State::TimeWait, "TIME_WAIT",
     "The socket is waiting after close to handle packets still in the network.", "time_wait"},
    {State::Close, "CLOSE", "The socket is not being used.", "closed"},
    {State::CloseWait, "CLOSE_WAIT",
     "The remote end has shut down, waiting for the socket to close.", "close_wait"},
    {State::LastAck, "LAST_ACK",
     "The remote end has shut down, and the socket is closed. Waiting for acknowledgement.", "last_ack"},
    {State::Listen, "LISTEN", "The socket is listening for incoming connections.", "listen"},
    {State::Closing, "CLOSING",
     "Both sockets are shut down but we still don't have all our data sent.", "closing"},
    {State::NewSynRecv, "NEW_SYN_RECV",
     "A request socket for a connection not yet accepted (never on the tracepoint).", "new_syn_recv"},
    {State::BoundInactive, "BOUND_INACTIVE",
     "Bound but neither listening nor connected (Linux 6.5+; never on the tracepoint).", "bound_inactive"},
}};

}  // namespace

std::span<const StateInfo> all_states() { return kStates; }

const StateInfo* find_state(int n) {
  // kStates is in kernel order starting at 1.
  if (n < 1 || n > static_cast<int>(kStates.size())) return nullptr;
  return &kStates[static_cast<std::size_t>(n - 1)];
}

std::optional<State> state_from_name(std::string_view name) {
  for (const auto& s : kStates)
    if (s.name == name) return s.state;
  return std::nullopt;
}

std::string state_name(int n) {
  if (const auto* s = find_state(n)) return std::string(s->name);
  return std::to_string(n);
}

std::string state_names(std::span<const State> states) {
  std::string s;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (i > 0) s += i + 1 == states.size() ? " or " : ", ";
    s += state_name(static_cast<int>(states[i]));
  }
  return s;
}

}  // namespace tcpfsm
