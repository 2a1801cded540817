#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstring>

#include "kernel/decode.h"
#include "support/kernel_records.h"

using namespace tcpfsm;

namespace {

tcpfsm_event v4_event() {
  tcpfsm_event e = test::transition_record(5'000'000'000, 77);
  e.old_ns = 1500;
  e.flags = TCPFSM_F_OLD_NS;
  e.pid = 10;
  e.tid = 11;
  e.cpu = 1;
  e.family = AF_INET;
  e.lport = 45678;
  e.rport = 8080;
  e.old_state = 2;
  e.new_state = 1;
  e.ino = 4242;
  inet_pton(AF_INET, "127.0.0.1", e.laddr);
  inet_pton(AF_INET, "10.1.2.3", e.raddr);
  std::memcpy(e.comm, "curl", 4);
  return e;
}

std::string addr_text(bool v6, const Endpoint& ep) {
  char buf[kAddrTextMax];
  return std::string(buf, format_addr(buf, v6, ep.addr));
}

}  // namespace

TEST(Decode, Ipv4EventKeepsEveryField) {
  const auto e = v4_event();
  const Transition t = decode(e, nullptr, ClockMap{1'000});
  EXPECT_EQ(t.ktime_ns, 5'000'000'000u);
  EXPECT_EQ(t.wall_ns, 5'000'001'000u);
  EXPECT_EQ(t.cookie, 77u);
  EXPECT_EQ(t.old_ns, 1500u);
  EXPECT_EQ(t.pid, 10u);
  EXPECT_EQ(t.tid, 11u);
  EXPECT_EQ(t.cpu, 1u);
  EXPECT_EQ(t.ino, 4242u);
  EXPECT_FALSE(t.ipv6);
  EXPECT_EQ(t.local.port, 45678);
  EXPECT_EQ(t.remote.port, 8080);
  EXPECT_EQ(addr_text(false, t.local), "127.0.0.1");
  EXPECT_EQ(addr_text(false, t.remote), "10.1.2.3");
  EXPECT_EQ(t.old_state, 2);
  EXPECT_EQ(t.new_state, 1);
  EXPECT_EQ(t.comm, "curl");
}

TEST(Decode, OldNsIsAbsentWhenTheSocketWasFirstSeen) {
  auto e = v4_event();
  e.flags = 0;
  EXPECT_FALSE(decode(e, nullptr, {}).old_ns.has_value());
}

TEST(Decode, KernelTaskFlag) {
  auto e = v4_event();
  EXPECT_FALSE(decode(e, nullptr, {}).kernel_task);
  e.flags |= TCPFSM_F_KERNEL_TASK;
  EXPECT_TRUE(decode(e, nullptr, {}).kernel_task);
}

TEST(Decode, Netns) {
  auto e = v4_event();
  e.netns = 4026531840;
  EXPECT_EQ(decode(e, nullptr, {}).netns, 4026531840u);
}

TEST(Decode, CommOfFullLengthHasNoTerminator) {
  auto e = v4_event();
  std::memcpy(e.comm, "0123456789abcdef", 16);
  EXPECT_EQ(decode(e, nullptr, {}).comm, "0123456789abcdef");
}

TEST(Decode, Ipv6AndMappedAddresses) {
  auto e = v4_event();
  e.family = AF_INET6;
  inet_pton(AF_INET6, "2001:db8::1", e.laddr);
  inet_pton(AF_INET6, "::ffff:192.0.2.7", e.raddr);
  const Transition t = decode(e, nullptr, {});
  EXPECT_TRUE(t.ipv6);
  EXPECT_EQ(addr_text(true, t.local), "2001:db8::1");
  EXPECT_EQ(addr_text(true, t.remote), "::ffff:192.0.2.7");
}

TEST(Decode, ClockMapTracksRealtime) {
  const ClockMap m = ClockMap::now();
  timespec mono{}, real{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  const auto mono_ns = mono.tv_sec * 1'000'000'000LL + mono.tv_nsec;
  const auto real_ns = real.tv_sec * 1'000'000'000LL + real.tv_nsec;
  EXPECT_LT(std::llabs(mono_ns + m.mono_to_wall_ns - real_ns), 5'000'000LL);  // within 5 ms
}

TEST(Decode, AConnectionsLifeKeepsWhatTheKernelRead) {
  tcpfsm_close c = test::close_record(9'000'000, 77);
  c.life.born_ns = 1'000'000;
  c.life.role = TCPFSM_ROLE_SERVER;
  c.life.rx_bytes = 1000;
  c.life.tx_bytes = 300;
  c.life.segs_in = 6;
  c.life.segs_out = 3;
  c.life.retrans = 2;
  c.life.srtt_us = 18;
  c.life.rttvar_us = 9;
  const Transition t = decode(c.event, &c.life, {});
  ASSERT_TRUE(t.life.has_value());
  EXPECT_EQ(t.life->role, Role::Server);
  EXPECT_EQ(t.life->duration_ns, 8'000'000u);
  EXPECT_EQ(t.life->rx_bytes, 1000u);
  EXPECT_EQ(t.life->tx_bytes, 300u);
  EXPECT_EQ(t.life->segs_in, 6u);
  EXPECT_EQ(t.life->segs_out, 3u);
  EXPECT_EQ(t.life->retrans, 2u);
  EXPECT_EQ(t.life->srtt_us, 18u);
  EXPECT_EQ(t.life->rttvar_us, 9u);
  EXPECT_FALSE(decode(c.event, nullptr, {}).life.has_value());
}

TEST(Decode, WhatTheKernelCouldNotTellIsUnknownNotZero) {
  tcpfsm_close c = test::close_record(9'000'000, 77);
  c.life.fields = TCPFSM_LIFE_RX_BYTES | TCPFSM_LIFE_TX_BYTES | TCPFSM_LIFE_RTT;  // no segment counters
  c.life.rttvar_us = 250'000;  // the kernel's first guess: srtt 0 says no RTT was measured
  const Transition t = decode(c.event, &c.life, {});
  ASSERT_TRUE(t.life.has_value());
  EXPECT_EQ(t.life->role, Role::Unknown);
  EXPECT_FALSE(t.life->duration_ns.has_value());  // born_ns 0: the start was not seen
  EXPECT_EQ(t.life->rx_bytes, 0u);                // read, and 0 (a refused connection)
  EXPECT_FALSE(t.life->segs_in.has_value());
  EXPECT_FALSE(t.life->segs_out.has_value());
  EXPECT_FALSE(t.life->retrans.has_value());
  EXPECT_FALSE(t.life->srtt_us.has_value());
  EXPECT_FALSE(t.life->rttvar_us.has_value());
}
