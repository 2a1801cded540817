#include "churn_events.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "model/states.h"

namespace tcpfsm::bench {
namespace {

constexpr int kConnections = 10'000;
constexpr std::uint16_t kServerPort = 24680;

tcpfsm_event make_event(std::uint64_t ktime, std::uint64_t cookie, bool ipv6, std::uint16_t lport,
                        std::uint16_t rport, State from, State to) {
  tcpfsm_event e{};
  e.ktime_ns = ktime;
  e.cookie = cookie;
  e.record = TCPFSM_RECORD_TRANSITION;
  e.old_ns = 12'345;
  e.flags = from == State::Close ? 0 : TCPFSM_F_OLD_NS;
  e.pid = 4242;
  e.tid = 4243;
  e.cpu = 1;
  e.family = ipv6 ? AF_INET6 : AF_INET;
  e.lport = lport;
  e.rport = rport;
  e.old_state = static_cast<std::uint8_t>(from);
  e.new_state = static_cast<std::uint8_t>(to);
  e.ino = 987'654;
  if (ipv6) {
    e.laddr[15] = 1;  // ::1
    e.raddr[15] = 1;
  } else {
    const in_addr_t client = htonl(0x7f000000u | (cookie & 0xffff00) | 7);
    const in_addr_t server = htonl(INADDR_LOOPBACK);
    const bool is_client = lport != kServerPort;
    std::memcpy(e.laddr, is_client ? &client : &server, 4);
    std::memcpy(e.raddr, is_client ? &server : &client, 4);
  }
  std::strncpy(e.comm, "churn", sizeof e.comm);
  return e;
}

}  // namespace

std::vector<tcpfsm_event> churn_events(bool ipv6) {
  std::vector<tcpfsm_event> out;
  out.reserve(kConnections * 10);
  std::uint64_t t = 1'000'000'000;
  for (int i = 0; i < kConnections; ++i) {
    const std::uint64_t c = 2 * i + 100, s = 2 * i + 101;
    const std::uint16_t eph = static_cast<std::uint16_t>(32768 + i % 28000);
    auto add = [&](std::uint64_t cookie, bool client, State from, State to) {
      out.push_back(make_event(t += 700, cookie, ipv6, client ? eph : kServerPort,
                               client ? kServerPort : eph, from, to));
    };
    add(c, true, State::Close, State::SynSent);
    add(s, false, State::Listen, State::SynRecv);
    add(c, true, State::SynSent, State::Established);
    add(s, false, State::SynRecv, State::Established);
    add(c, true, State::Established, State::FinWait1);
    add(s, false, State::Established, State::CloseWait);
    add(c, true, State::FinWait1, State::FinWait2);
    add(s, false, State::CloseWait, State::LastAck);
    add(c, true, State::FinWait2, State::Close);
    add(s, false, State::LastAck, State::Close);
  }
  return out;
}

}  // namespace tcpfsm::bench
