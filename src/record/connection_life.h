// What a connection did in its life, as its record into CLOSE carries it
// (tcpfsm_close: the kernel reads the socket's counters as it ends). What
// the kernel could not tell is nothing, never 0: a connection refused has
// sent 0 bytes, but one whose start this run missed has no known duration.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tcpfsm {

// How the connection began: connect() (client), or a listener's child
// (server); unknown when its start was not seen.
enum class Role : std::uint8_t { Unknown, Client, Server };

std::string_view role_name(Role r);  // "client", "server", "unknown"
std::optional<Role> parse_role(std::string_view s);

struct ConnectionLife {
  Role role = Role::Unknown;
  // From its lifecycle's start (connect(), or the SYN that made the child)
  // to its end; none when the start was not seen.
  std::optional<std::uint64_t> duration_ns;
  std::optional<std::uint64_t> rx_bytes, tx_bytes;  // payload bytes: received; sent (each byte once)
  std::optional<std::uint32_t> segs_in, segs_out;   // segments, control and retransmitted ones included
  std::optional<std::uint32_t> retrans;             // segments retransmitted
  // Smoothed RTT and its mean deviation; none when no RTT was measured (a
  // connection refused or never answered).
  std::optional<std::uint32_t> srtt_us, rttvar_us;

  bool operator==(const ConnectionLife&) const = default;
};

}  // namespace tcpfsm
