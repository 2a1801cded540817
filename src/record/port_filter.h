// The port filter, as userspace hands it to the BPF program's port_match table.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tcpfsm {

struct PortFilter {
  std::vector<std::uint16_t> either;  // -p: local or remote
  std::vector<std::uint16_t> local;   // --lport
  std::vector<std::uint16_t> remote;  // --rport

  // An event passes when any listed port matches its side (OR of all of them).
  bool active() const { return !(either.empty() && local.empty() && remote.empty()); }
  // Whether a socket with these ports passes (userspace's copy of the test
  // the BPF program makes; true when no filter is set).
  bool matches(std::uint16_t local_port, std::uint16_t remote_port) const;
  // Writes the TCPFSM_PORT_LOCAL/REMOTE bits per port into table[65536].
  void fill(std::span<std::uint8_t, 65536> table) const;
};

}  // namespace tcpfsm
