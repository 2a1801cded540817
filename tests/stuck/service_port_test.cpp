// Which port a stuck socket's group is keyed by: the service's.
#include "stuck/service_port.h"

#include <gtest/gtest.h>


using namespace tcpfsm;

namespace {
DiagSocket socket_with(std::uint16_t local, std::uint16_t remote) {
  DiagSocket d;
  d.local.port = local;
  d.remote.port = remote;
  return d;
}
}  // namespace

TEST(ServicePort, AServerIsKeyedByItsPortAClientByThePeers) {
  const EphemeralPorts eph;  // 32768-60999
  EXPECT_EQ(service_port(socket_with(8080, 51234), eph).port, 8080);
  EXPECT_FALSE(service_port(socket_with(8080, 51234), eph).client);
  EXPECT_EQ(service_port(socket_with(51234, 8080), eph).port, 8080);
  EXPECT_TRUE(service_port(socket_with(51234, 8080), eph).client);
  // Both ephemeral (peer to peer) or neither: the local port.
  EXPECT_EQ(service_port(socket_with(40000, 50000), eph).port, 40000);
  EXPECT_EQ(service_port(socket_with(443, 80), eph).port, 443);
}

TEST(ServicePort, AnotherRangeMovesTheLine) {
  const EphemeralPorts wide{1024, 65535};
  EXPECT_EQ(service_port(socket_with(8080, 51234), wide).port, 8080);  // both in range: local
  EXPECT_FALSE(service_port(socket_with(8080, 51234), wide).client);
  EXPECT_TRUE(service_port(socket_with(51234, 80), wide).client);
}
