// Why a transition happened, as far as the kernel tells: one word for each
// transition that ends a socket or begins its end. The one table of causes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tcpfsm {

enum class Cause : std::uint8_t {
  None,          // a transition that ends nothing, or an end nothing explains
  // What the kernel reported (first match wins, in this order):
  Killed,        // error ECONNABORTED: tcp_abort (ss -K, SOCK_DESTROY)
  Timeout,       // error ETIMEDOUT: SYN, retransmission, TCP_USER_TIMEOUT, keepalive
  RstSent,       // this host reset it: SO_LINGER {1,0}, close() with unread data,
                 // data after close (which the kernel also reports as received)
  RstReceived,   // a reset from the peer (refused connect: error ECONNREFUSED)
  Unreachable,   // error EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN (ICMP)
  Error,         // another error the kernel set
  // What the edge itself says, when the kernel reported nothing more:
  FinReceived,   // the peer closed: -> CLOSE_WAIT, FIN_WAIT1 -> CLOSING
  Close,         // this side closed or shut down: -> FIN_WAIT1, CLOSE_WAIT -> LAST_ACK,
                 // a listener or an unfinished connect closed
  TimeWait,      // FIN_WAIT2/CLOSING -> CLOSE: handed over to its TIME_WAIT mini-socket
  FinAcked,      // LAST_ACK -> CLOSE: the peer acknowledged our FIN
};

inline constexpr std::size_t kCauseCount = 11;  // with None

struct CauseInfo {
  Cause cause;
  std::string_view name;     // as logged: "rst_received"
  std::string_view meaning;  // one line for people
};
std::span<const CauseInfo> all_causes();  // every cause but None, in the order above

std::string_view cause_name(Cause c);  // "" for None
std::optional<Cause> cause_from_name(std::string_view name);

// What the kernel reported about one transition into CLOSE.
struct KernelCause {
  bool rst_received = false;  // tcp_receive_reset just before it (tcp_reset(): also a local abort)
  bool rst_sent = false;      // tcp_send_reset just before or after it
  int error = 0;              // the socket's error (errno) as the transition saw it
};

Cause cause_of(int old_state, int new_state, const KernelCause& k);

// Whether the cause is one the kernel reported (an abnormal end), not one
// read off the edge.
bool is_abnormal(Cause c);

// "ECONNREFUSED"; "errno 200" for a number libc has no name for.
std::string errno_name(int error);

}  // namespace tcpfsm
