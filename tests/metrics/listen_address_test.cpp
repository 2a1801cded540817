// --metrics ADDR: numeric addresses, ":PORT" for every address, host names
// (resolved with getaddrinfo), and a message naming what is wrong.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "metrics/server.h"

using namespace tcpfsm;

namespace {

bool kernel_has_ipv6() {
  const int fd = socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace

TEST(ListenAddress, ParsesNumericAddresses) {
  std::string why;
  auto a = parse_listen_address("127.0.0.1:9464", why);
  ASSERT_TRUE(a) << why;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  a = parse_listen_address("[::1]:9464", why);
  ASSERT_TRUE(a) << why;
  EXPECT_EQ(a->host, "::1");
  a = parse_listen_address("0.0.0.0:9464", why);
  ASSERT_TRUE(a) << why;
  EXPECT_EQ(a->host, "0.0.0.0");
}

// As Prometheus exporters read --web.listen-address=:9100: every address,
// IPv6's any address (dual-stack) where the kernel has IPv6.
TEST(ListenAddress, PortAloneIsEveryAddress) {
  std::string why;
  const auto a = parse_listen_address(":9464", why);
  ASSERT_TRUE(a) << why;
  EXPECT_EQ(a->host, kernel_has_ipv6() ? "::" : "0.0.0.0");
  EXPECT_EQ(a->port, 9464);
}

// /etc/hosts names localhost 127.0.0.1 (and perhaps ::1 too): IPv4 first.
TEST(ListenAddress, HostNamesAreResolvedIPv4First) {
  std::string why;
  const auto a = parse_listen_address("localhost:9464", why);
  ASSERT_TRUE(a) << why;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
}

TEST(ListenAddress, EachProblemIsNamed) {
  struct Bad {
    const char* text;
    std::string why;
  };
  const Bad cases[] = {
      {"9464", "'9464' is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every address)"},
      {"127.0.0.1", "'127.0.0.1' is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every "
                    "address)"},
      {"::1:9464", "'::1:9464' is not HOST:PORT: an IPv6 address goes in brackets ([::1]:9464)"},
      {"[::1]9464", "'[::1]9464' is not [IPV6]:PORT"},
      {"[::1:9464", "'[::1:9464' is not [IPV6]:PORT"},
      {"[127.0.0.1]:9464", "'[127.0.0.1]:9464': '127.0.0.1' is not an IPv6 address (brackets hold only those)"},
      {"127.0.0.1:", "'127.0.0.1:': port must be a number from 1 to 65535"},
      {":0", "':0': port must be a number from 1 to 65535"},
      {"127.0.0.1:65536", "'127.0.0.1:65536': port must be a number from 1 to 65535"},
      {"localhost:94x", "'localhost:94x': port must be a number from 1 to 65535"},
      // An empty label: getaddrinfo refuses it without asking DNS, so the
      // answer is the same with or without a network.
      {"no..such.host:9464",
       "'no..such.host:9464': cannot resolve host 'no..such.host': Name or service not known"},
  };
  for (const Bad& c : cases) {
    std::string why;
    EXPECT_FALSE(parse_listen_address(c.text, why)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}
