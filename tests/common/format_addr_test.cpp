// format_addr() writes addresses by hand for speed; its text must stay the
// same as glibc's inet_ntop(), byte for byte, for every shape of address.
// endpoint_text() adds the port as ss does.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <random>
#include <string>

#include "common/endpoint.h"

using namespace tcpfsm;

namespace {

std::string ours(bool v6, const std::array<std::uint8_t, 16>& a) {
  char buf[kAddrTextMax];
  const std::size_t n = format_addr(buf, v6, a);
  EXPECT_EQ(buf[n], '\0');
  return std::string(buf, n);
}

std::string glibc(bool v6, const std::array<std::uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(v6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof buf);
}

std::array<std::uint8_t, 16> v6_from_groups(const unsigned (&g)[8]) {
  std::array<std::uint8_t, 16> a{};
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = static_cast<std::uint8_t>(g[i] >> 8);
    a[2 * i + 1] = static_cast<std::uint8_t>(g[i]);
  }
  return a;
}

}  // namespace

TEST(FormatAddr, Ipv4EveryDigitCountMatchesInetNtop) {
  const std::uint8_t values[] = {0, 1, 9, 10, 99, 100, 127, 200, 255};
  std::array<std::uint8_t, 16> a{};
  for (auto b0 : values)
    for (auto b1 : values)
      for (auto b2 : values)
        for (auto b3 : values) {
          a[0] = b0, a[1] = b1, a[2] = b2, a[3] = b3;
          ASSERT_EQ(ours(false, a), glibc(false, a));
        }
}

// Every pattern of zero and non-zero groups, so every placement of "::" and
// of the IPv4 tail is covered, with short and long hex groups.
TEST(FormatAddr, Ipv6EveryZeroPatternMatchesInetNtop) {
  const unsigned fills[] = {1, 0xf, 0xab, 0xffff, 0x1000, 0x0db8};
  for (unsigned mask = 0; mask < 256; ++mask)
    for (unsigned fill : fills) {
      unsigned g[8];
      for (int i = 0; i < 8; ++i) g[i] = (mask >> i) & 1 ? fill : 0;
      const auto a = v6_from_groups(g);
      ASSERT_EQ(ours(true, a), glibc(true, a)) << "mask " << mask << " fill " << fill;
      g[5] = 0xffff;  // the v4-mapped shape when groups 0-4 are zero
      const auto m = v6_from_groups(g);
      ASSERT_EQ(ours(true, m), glibc(true, m)) << "mask " << mask << " fill " << fill << " ffff";
    }
}

TEST(FormatAddr, WellKnownAddresses) {
  std::array<std::uint8_t, 16> a{};
  EXPECT_EQ(ours(true, a), "::");
  a[15] = 1;
  EXPECT_EQ(ours(true, a), "::1");
  a[10] = a[11] = 0xff, a[12] = 127, a[13] = 0, a[14] = 0, a[15] = 6;
  EXPECT_EQ(ours(true, a), "::ffff:127.0.0.6");
  EXPECT_EQ(ours(false, {127, 0, 0, 1}), "127.0.0.1");
  EXPECT_EQ(ours(false, {}), "0.0.0.0");
}

TEST(FormatAddr, RandomAddressesMatchInetNtop) {
  std::mt19937 rng(42);
  std::array<std::uint8_t, 16> a{};
  for (int n = 0; n < 200'000; ++n) {
    // Mostly-zero bytes make zero groups, and so "::" runs, common.
    for (auto& b : a) b = rng() % 3 ? 0 : static_cast<std::uint8_t>(rng());
    ASSERT_EQ(ours(true, a), glibc(true, a));
    ASSERT_EQ(ours(false, a), glibc(false, a));
  }
}

TEST(EndpointText, AsSsWritesThem) {
  Endpoint v4;
  v4.addr = {127, 0, 0, 1};
  v4.port = 8080;
  EXPECT_EQ(endpoint_text(false, v4), "127.0.0.1:8080");
  Endpoint v6;
  v6.addr[15] = 1;
  v6.port = 443;
  EXPECT_EQ(endpoint_text(true, v6), "[::1]:443");
  EXPECT_EQ(endpoint_text(true, "::ffff:10.0.0.5", 0), "[::ffff:10.0.0.5]:0");
  EXPECT_EQ(endpoint_text(false, "10.0.0.5", 65535), "10.0.0.5:65535");
}
