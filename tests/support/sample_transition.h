// The transition the output tests format: curl's connect() from
// 127.0.0.1:40000 (or ::1) to 10.0.0.5:8080, SYN_SENT -> ESTABLISHED after
// 250 us, at a fixed wall time, every field set.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>

#include "record/transition.h"

namespace tcpfsm::test {

// 2026-11-21T07:42:31.000001500Z
constexpr std::uint64_t kWall = 1'795'246'951'000'001'500ULL;

inline Transition sample_transition(bool v6 = false) {
  Transition t;
  t.ktime_ns = 123;
  t.wall_ns = kWall;
  t.cookie = 9;
  t.old_ns = 250'000;
  t.pid = 4242;
  t.tid = 4243;
  t.cpu = 1;
  t.ino = 31337;
  t.netns = 4026531840;
  t.cgroup_id = 8589;
  t.ipv6 = v6;
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "::1" : "127.0.0.1", t.local.addr.data());
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "::ffff:10.0.0.5" : "10.0.0.5", t.remote.addr.data());
  t.local.port = 40000;
  t.remote.port = 8080;
  t.old_state = 2;
  t.new_state = 1;
  t.comm = "curl";
  return t;
}

}  // namespace tcpfsm::test
