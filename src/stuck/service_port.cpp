#include "stuck/service_port.h"

#include <fstream>

namespace tcpfsm {

EphemeralPorts EphemeralPorts::read(const std::string& path) {
  EphemeralPorts p;
  std::ifstream f(path);
  unsigned first = 0, last = 0;
  if (f >> first >> last && first > 0 && first <= last && last <= 65535) {
    p.first = static_cast<std::uint16_t>(first);
    p.last = static_cast<std::uint16_t>(last);
  }
  return p;
}

ServicePort service_port(const DiagSocket& s, const EphemeralPorts& ephemeral) {
  if (ephemeral.contains(s.local.port) && !ephemeral.contains(s.remote.port)) return {s.remote.port, true};
  return {s.local.port, false};
}

}  // namespace tcpfsm
