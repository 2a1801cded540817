#include "stuck/service_port.h"

namespace tcpfsm {

ServicePort service_port(const DiagSocket& s, const EphemeralPorts& ephemeral) {
  if (ephemeral.contains(s.local.port) && !ephemeral.contains(s.remote.port)) return {s.remote.port, true};
  return {s.local.port, false};
}

}  // namespace tcpfsm
