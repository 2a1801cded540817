#include "kernel/port_filter.h"

#include "tcpfsm/event.h"

namespace tcpfsm {

void PortFilter::fill(std::span<std::uint8_t, 65536> table) const {
  for (auto p : either) table[p] |= TCPFSM_PORT_LOCAL | TCPFSM_PORT_REMOTE;
  for (auto p : local) table[p] |= TCPFSM_PORT_LOCAL;
  for (auto p : remote) table[p] |= TCPFSM_PORT_REMOTE;
}

}  // namespace tcpfsm
