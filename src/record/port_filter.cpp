#include "record/port_filter.h"

#include <algorithm>

#include "tcpfsm/event.h"

namespace tcpfsm {

void PortFilter::fill(std::span<std::uint8_t, 65536> table) const {
  for (auto p : either) table[p] |= TCPFSM_PORT_LOCAL | TCPFSM_PORT_REMOTE;
  for (auto p : local) table[p] |= TCPFSM_PORT_LOCAL;
  for (auto p : remote) table[p] |= TCPFSM_PORT_REMOTE;
}

bool PortFilter::matches(std::uint16_t local_port, std::uint16_t remote_port) const {
  if (!active()) return true;
  const auto has = [](const std::vector<std::uint16_t>& v, std::uint16_t p) {
    return std::find(v.begin(), v.end(), p) != v.end();
  };
  return has(either, local_port) || has(either, remote_port) || has(local, local_port) || has(remote, remote_port);
}

}  // namespace tcpfsm
