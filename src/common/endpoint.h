// A socket's address and port, and their text.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcpfsm {

struct Endpoint {
  std::array<std::uint8_t, 16> addr{};  // network order; IPv4 in the first 4 bytes
  std::uint16_t port = 0;
};

// "127.0.0.1", "::1", "::ffff:10.0.0.1". Returns the length written to buf.
constexpr std::size_t kAddrTextMax = 46;  // INET6_ADDRSTRLEN
std::size_t format_addr(char (&buf)[kAddrTextMax], bool ipv6, const std::array<std::uint8_t, 16>& addr);

// "127.0.0.1:8080", "[::1]:8080" (as ss writes them).
std::string endpoint_text(bool ipv6, const Endpoint& ep);
// The same for an address already in text (as a log holds it).
std::string endpoint_text(bool ipv6, std::string_view addr, std::uint16_t port);

}  // namespace tcpfsm
