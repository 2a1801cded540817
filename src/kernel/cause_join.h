// Joins the kernel's reset reports (tcpfsm_cause) to the transitions they
// explain. The kernel reports a reset apart from the state change, on the
// same CPU within microseconds: a reset on a socket not yet in CLOSE comes
// before the transition it causes (tcp_reset(), tcp_abort(), a keepalive
// timeout); one on a socket already in CLOSE comes just after it (close()
// with unread data and SO_LINGER {1,0} set the state first).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "record/transition.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

class CauseJoin {
 public:
  // How far apart a report and its transition may be. Both come from one
  // kernel call path; a report further away is about something else (a
  // reset that ended nothing, e.g. in SYN_RECV). Microseconds apart on a
  // host, but a virtual CPU descheduled between the two stretches that:
  // 5 ms was too little in the kernel matrix's guests (TCG, two vCPUs per
  // guest on a loaded two-core host), where a close() with SO_LINGER 0 now
  // and then sent its reset more than 5 ms after its CLOSE.
  static constexpr std::uint64_t kWindowNs = 20'000'000;

  enum class Order : std::uint8_t {
    Before,  // kept for the socket's transition into CLOSE to come
    After,   // belongs to the socket's transition into CLOSE just made
  };
  Order on_cause(const tcpfsm_cause& c);

  // At socket `key`'s transition into CLOSE: the resets reported just before.
  void take(std::uint64_t key, std::uint64_t ktime_ns, ReportedCause& into);

  std::size_t waiting() const { return before_.size(); }

 private:
  struct Early {
    std::uint64_t ktime_ns = 0;
    ReportedCause seen;
  };
  void expire(std::uint64_t now_ns);

  std::unordered_map<std::uint64_t, Early> before_;  // by socket key
};

}  // namespace tcpfsm
