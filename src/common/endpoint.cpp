#include "common/endpoint.h"

#include <array>
#include <cstring>

namespace tcpfsm {
namespace {

// Address text is written by hand: inet_ntop() goes through sprintf and was
// more than half of the reader's JSON formatting time. Same text as glibc's
// inet_ntop(), byte for byte (tests/common/format_addr_test.cpp compares them).

// Each octet's text: its digits (3 bytes, the unused ones anything) and
// how many there are. Copying 4 bytes and moving on by the count has no
// branch to mispredict between octets of 1, 2 and 3 digits.
struct OctetText {
  char digits[3];
  std::uint8_t len;
};
constexpr auto kOctets = [] {
  std::array<OctetText, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    OctetText& o = t[v];
    if (v >= 100) o.digits[o.len++] = static_cast<char>('0' + v / 100);
    if (v >= 10) o.digits[o.len++] = static_cast<char>('0' + v / 10 % 10);
    o.digits[o.len++] = static_cast<char>('0' + v % 10);
  }
  return t;
}();

// Writes up to two bytes past its end (the last octet's unused digits):
// callers' buffers have room for an IPv6 address.
char* put_ipv4(char* p, const std::uint8_t* a) {
  for (int i = 0; i < 4; ++i) {
    const OctetText& o = kOctets[a[i]];
    std::memcpy(p, o.digits, 3);
    p += o.len;
    *p = '.';
    p += i < 3;
  }
  return p;
}

char* put_hex16(char* p, unsigned w) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (w >> shift) & 0xF;
    if (nibble || started || shift == 0) {
      *p++ = kHex[nibble];
      started = true;
    }
  }
  return p;
}

// RFC 4291 text as glibc writes it: the longest run of two or more zero
// groups (the first, when tied) becomes "::"; ::a.b.c.d and ::ffff:a.b.c.d
// end in dotted IPv4.
char* put_ipv6(char* p, const std::uint8_t* a) {
  unsigned w[8];
  for (int i = 0; i < 8; ++i) w[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];
  int zero_at = -1, zero_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i]) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && !w[j]) ++j;
    if (j - i > zero_len) zero_at = i, zero_len = j - i;
    i = j;
  }
  if (zero_len < 2) zero_at = -1;
  for (int i = 0; i < 8; ++i) {
    if (zero_at >= 0 && i >= zero_at && i < zero_at + zero_len) {
      if (i == zero_at) *p++ = ':';
      continue;
    }
    if (i) *p++ = ':';
    if (i == 6 && zero_at == 0 && (zero_len == 6 || (zero_len == 5 && w[5] == 0xffff)))
      return put_ipv4(p, a + 12);
    p = put_hex16(p, w[i]);
  }
  if (zero_at >= 0 && zero_at + zero_len == 8) *p++ = ':';
  return p;
}

}  // namespace

std::size_t format_addr(char (&buf)[kAddrTextMax], bool ipv6, const std::array<std::uint8_t, 16>& addr) {
  char* end = ipv6 ? put_ipv6(buf, addr.data()) : put_ipv4(buf, addr.data());
  *end = '\0';
  return static_cast<std::size_t>(end - buf);
}

std::string endpoint_text(bool ipv6, const Endpoint& ep) {
  char buf[kAddrTextMax];
  return endpoint_text(ipv6, std::string_view(buf, format_addr(buf, ipv6, ep.addr)), ep.port);
}

std::string endpoint_text(bool ipv6, std::string_view addr, std::uint16_t port) {
  std::string s;
  if (ipv6) s += '[';
  s += addr;
  if (ipv6) s += ']';
  return s + ':' + std::to_string(port);
}

}  // namespace tcpfsm
