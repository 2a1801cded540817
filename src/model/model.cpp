#include "model/model.h"

#include <array>

namespace tcpfsm {
namespace {

using S = State;

// Facts: docs/linux-tcp-transitions.md (what Linux reports) and
// RFC 9293 Figure 5. Linux never reports TIME_WAIT on the full socket: its
// "-> TIME_WAIT" is "-> CLOSE" when a timewait mini-socket takes over.
constexpr std::array kEdges = std::to_array<Edge>({
    {S::Close, S::Listen, true, true, "passive open (listen)"},
    {S::Close, S::SynSent, true, true, "active open (connect)"},
    {S::Listen, S::SynRecv, true, true, "passive open: child created"},
    {S::Listen, S::Close, true, true, "listener closed"},
    {S::Listen, S::SynSent, true, false, "send on a listener (RFC only)"},
    {S::SynSent, S::Established, true, true, "handshake done (SYN-ACK received)"},
    {S::SynSent, S::SynRecv, true, true, "simultaneous open"},
    {S::SynSent, S::Close, true, true, "connect failed (refused, timeout, unreachable) or closed"},
    {S::SynRecv, S::Established, true, true, "handshake done"},
    {S::SynRecv, S::FinWait1, true, true, "closed before established (Fast Open / simultaneous open)"},
    {S::SynRecv, S::Listen, true, false, "reset in SYN_RECV (RFC only; Linux goes to CLOSE)"},
    {S::SynRecv, S::Close, false, true, "reset or abort before established"},
    {S::SynRecv, S::CloseWait, false, true, "Fast Open SYN carrying FIN"},
    {S::Established, S::FinWait1, true, true, "active close"},
    {S::Established, S::CloseWait, true, true, "peer closed (FIN)"},
    {S::Established, S::Close, false, true, "reset or abort"},
    {S::FinWait1, S::FinWait2, true, true, "our FIN acked"},
    {S::FinWait1, S::Closing, true, true, "simultaneous close"},
    {S::FinWait1, S::Close, false, true, "reset, abort or orphan timeout"},
    {S::FinWait1, S::FinWait1, false, true, "close after shutdown"},
    {S::FinWait2, S::TimeWait, true, false, "peer's FIN received (RFC; Linux reports -> CLOSE)"},
    {S::FinWait2, S::Close, false, true, "timewait takeover (RFC: -> TIME_WAIT)"},
    {S::FinWait2, S::FinWait2, false, true, "close after shutdown"},
    {S::Closing, S::TimeWait, true, false, "our FIN acked (RFC; Linux reports -> CLOSE)"},
    {S::Closing, S::Close, false, true, "timewait takeover (RFC: -> TIME_WAIT)"},
    {S::Closing, S::Closing, false, true, "close after shutdown"},
    {S::TimeWait, S::Close, true, false, "2MSL timeout (RFC only; timewait socket is not traced)"},
    {S::CloseWait, S::LastAck, true, true, "close after peer closed"},
    {S::CloseWait, S::Close, false, true, "reset or abort"},
    {S::LastAck, S::Close, true, true, "our FIN acked: connection done"},
    {S::LastAck, S::LastAck, false, true, "close after shutdown"},
    {S::Close, S::Close, false, true, "abort sets CLOSE twice (ss -K on a listener)"},
});

}  // namespace

std::string_view model_name(Model m) { return m == Model::Linux ? "linux" : "rfc"; }

std::string_view model_description(Model m) {
  return m == Model::Linux ? "exactly what Linux reports at sock:inet_sock_set_state"
                           : "strict RFC 9293 Figure 5";
}

std::span<const Edge> all_edges() { return kEdges; }

const Edge* find_edge(int from, int to) {
  // Built once from kEdges: the checker asks this for every event.
  constexpr int kSide = 16;
  static const auto index = [] {
    std::array<const Edge*, kSide * kSide> t{};
    for (const auto& e : kEdges) t[number(e.from) * kSide + number(e.to)] = &e;
    return t;
  }();
  if (from < 0 || from >= kSide || to < 0 || to >= kSide) return nullptr;
  return index[from * kSide + to];
}

std::string_view never_reported(State s) {
  for (const auto& e : kEdges)
    if (e.linux && (e.from == s || e.to == s)) return "";
  switch (s) {
    case S::TimeWait:
      return "a timewait mini-socket takes over, and the RFC's -> TIME_WAIT is reported as FIN_WAIT2 -> CLOSE or "
             "CLOSING -> CLOSE (cause time_wait)";
    case S::NewSynRecv:
      return "a connection request is a mini-socket that sets it without the tracepoint; the child is reported as "
             "LISTEN -> SYN_RECV";
    case S::BoundInactive:
      return "the kernel (6.5+) sets it on a bound socket without the tracepoint";
    default: return "no edge of the linux model has it";
  }
}

bool allowed(Model m, int from, int to) {
  const Edge* e = find_edge(from, to);
  return e && allowed(m, *e);
}

}  // namespace tcpfsm
