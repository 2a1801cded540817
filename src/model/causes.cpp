#include "model/causes.h"

#include <array>
#include <cerrno>
#include <cstring>

#include "model/states.h"

namespace tcpfsm {
namespace {

constexpr std::array kCauses{
    CauseInfo{Cause::Killed, "killed", "aborted on this host: ss -K, SOCK_DESTROY (error ECONNABORTED)"},
    CauseInfo{Cause::Timeout, "timeout", "SYN, retransmission, TCP_USER_TIMEOUT or keepalive timeout (ETIMEDOUT)"},
    CauseInfo{Cause::RstSent, "rst_sent",
              "this host sent a reset: SO_LINGER {1,0}, close() with unread data, data after close, ..."},
    CauseInfo{Cause::RstReceived, "rst_received", "the peer sent a reset (a refused connect: ECONNREFUSED)"},
    CauseInfo{Cause::Unreachable, "unreachable", "an ICMP error: host or network unreachable or down"},
    CauseInfo{Cause::Error, "error", "another error the kernel set on the socket"},
    CauseInfo{Cause::FinReceived, "fin_received", "the peer closed its side (FIN)"},
    CauseInfo{Cause::Close, "close", "this side closed or shut down (close(), shutdown())"},
    CauseInfo{Cause::TimeWait, "time_wait", "a normal active close: handed over to its TIME_WAIT mini-socket"},
    CauseInfo{Cause::FinAcked, "fin_acked", "a normal passive close: the peer acknowledged our FIN"},
};

bool is(int state, State s) { return state == number(s); }

Cause edge_cause(int old_state, int new_state) {
  if (is(new_state, State::CloseWait) || (is(old_state, State::FinWait1) && is(new_state, State::Closing)))
    return Cause::FinReceived;
  if ((is(new_state, State::FinWait1) && !is(old_state, State::FinWait1)) ||
      (is(old_state, State::CloseWait) && is(new_state, State::LastAck)))
    return Cause::Close;
  if (!is(new_state, State::Close)) return Cause::None;
  switch (static_cast<State>(old_state)) {
    case State::FinWait2:
    case State::Closing: return Cause::TimeWait;
    case State::LastAck: return Cause::FinAcked;
    case State::Listen:
    case State::SynSent: return Cause::Close;
    default: return Cause::None;
  }
}

}  // namespace

static_assert(kCauses.size() + 1 == kCauseCount);

std::span<const CauseInfo> all_causes() { return kCauses; }

std::string_view cause_name(Cause c) {
  for (const CauseInfo& i : kCauses)
    if (i.cause == c) return i.name;
  return "";
}

std::optional<Cause> cause_from_name(std::string_view name) {
  for (const CauseInfo& i : kCauses)
    if (i.name == name) return i.cause;
  return std::nullopt;
}

Cause cause_of(int old_state, int new_state, const KernelCause& k) {
  if (is(new_state, State::Close)) {
    if (k.error == ECONNABORTED) return Cause::Killed;
    if (k.error == ETIMEDOUT) return Cause::Timeout;
    // A reset the socket sent outranks one reported received. tcp_reset(),
    // where tcp_receive_reset fires, also ends a socket the kernel aborts for
    // data after close() (tcp_rcv_state_process(), TCP_ABORT_ON_DATA), and
    // the caller then sends the reset; but no received reset makes a socket
    // send one (tcp_v4_send_reset(): "Never send a reset in response to a
    // reset"). docs/json-schema.md#causes has the kernel source.
    if (k.rst_sent) return Cause::RstSent;
    if (k.rst_received) return Cause::RstReceived;
    switch (k.error) {
      case 0: break;
      case EHOSTUNREACH:
      case ENETUNREACH:
      case EHOSTDOWN:
      case ENETDOWN: return Cause::Unreachable;
      default: return Cause::Error;
    }
  }
  return edge_cause(old_state, new_state);
}

bool is_abnormal(Cause c) {
  switch (c) {
    case Cause::Killed:
    case Cause::Timeout:
    case Cause::RstReceived:
    case Cause::RstSent:
    case Cause::Unreachable:
    case Cause::Error: return true;
    default: return false;
  }
}

std::string errno_name(int error) {
  if (const char* n = strerrorname_np(error)) return n;
  return "errno " + std::to_string(error);
}

}  // namespace tcpfsm
