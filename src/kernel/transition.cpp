#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <ctime>

#include "kernel/transition.h"

namespace tcpfsm {

// The BPF side writes this layout; a change there must show up here.
static_assert(sizeof(tcpfsm_event) == 104, "tcpfsm_event layout changed");
static_assert(offsetof(tcpfsm_event, pid) == 24);
static_assert(offsetof(tcpfsm_event, family) == 36);
static_assert(offsetof(tcpfsm_event, old_state) == 42);
static_assert(offsetof(tcpfsm_event, ino) == 48);
static_assert(offsetof(tcpfsm_event, laddr) == 56);
static_assert(offsetof(tcpfsm_event, comm) == 88);

ClockMap ClockMap::now() {
  // Bracket the realtime read between two monotonic reads; take the midpoint.
  timespec m1{}, r{}, m2{};
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  auto ns = [](const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  return {ns(r) - (ns(m1) + ns(m2)) / 2};
}

Transition decode(const tcpfsm_event& e, const ClockMap& clock) {
  Transition t;
  t.ktime_ns = e.ktime_ns;
  t.wall_ns = static_cast<std::uint64_t>(static_cast<std::int64_t>(e.ktime_ns) + clock.mono_to_wall_ns);
  t.cookie = e.cookie;
  if (e.flags & TCPFSM_F_OLD_NS) t.old_ns = e.old_ns;
  t.synthetic_cookie = e.flags & TCPFSM_F_SYNTHETIC_COOKIE;
  t.pid = e.pid;
  t.tid = e.tid;
  t.cpu = e.cpu;
  t.ino = e.ino;
  t.ipv6 = e.family == AF_INET6;
  std::memcpy(t.local.addr.data(), e.laddr, sizeof e.laddr);
  std::memcpy(t.remote.addr.data(), e.raddr, sizeof e.raddr);
  t.local.port = e.lport;
  t.remote.port = e.rport;
  t.old_state = e.old_state;
  t.new_state = e.new_state;
  t.comm = std::string_view(e.comm, strnlen(e.comm, sizeof e.comm));
  return t;
}

namespace {

// Address text is written by hand: inet_ntop() goes through sprintf and was
// more than half of the reader's JSON formatting time. Same text as glibc's
// inet_ntop(), byte for byte (tests/unit/format_addr_test.cpp compares them).

char* put_ipv4(char* p, const std::uint8_t* a) {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    const unsigned v = a[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
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

}  // namespace tcpfsm
