// Which port a stuck socket's group is keyed by: the service's.
#include "stuck/service_port.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

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

TEST(ServicePort, TheRangeIsTheKernelsOrItsDefault) {
  const std::string path = ::testing::TempDir() + "/ip_local_port_range";
  std::ofstream(path) << "1024\t65535\n";
  const EphemeralPorts wide = EphemeralPorts::read(path);
  EXPECT_EQ(wide.first, 1024);
  EXPECT_EQ(wide.last, 65535);
  EXPECT_EQ(service_port(socket_with(8080, 51234), wide).port, 8080);  // both in range: local
  std::ofstream(path) << "garbage\n";
  EXPECT_EQ(EphemeralPorts::read(path).first, 32768);
  EXPECT_EQ(EphemeralPorts::read("/nonexistent/range").last, 60999);
  std::remove(path.c_str());
}
