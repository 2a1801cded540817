#include "kernel/time_order.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tcpfsm {
namespace {

tcpfsm_event event(std::uint64_t ktime, std::uint64_t cookie) {
  tcpfsm_event e{};
  e.ktime_ns = ktime;
  e.cookie = cookie;
  return e;
}

tcpfsm_cause cause(std::uint64_t ktime, std::uint64_t cookie) {
  tcpfsm_cause c{};
  c.ktime_ns = ktime;
  c.cookie = cookie;
  return c;
}

// "e<ktime>/<cookie>" or "c<ktime>/<cookie>", in the order handed on.
struct Seen {
  std::vector<std::string> out;
  std::size_t release(TimeOrder& o, std::uint64_t horizon, std::size_t limit = SIZE_MAX) {
    return o.release(
        horizon, limit,
        [&](const tcpfsm_event& e) { out.push_back("e" + std::to_string(e.ktime_ns) + "/" + std::to_string(e.cookie)); },
        [&](const tcpfsm_cause& c) { out.push_back("c" + std::to_string(c.ktime_ns) + "/" + std::to_string(c.cookie)); });
  }
};

TEST(TimeOrder, TwoCpusBuffersComeOutInTimeOrder) {
  TimeOrder o;
  // CPU 0's buffer, then CPU 1's: each in order, together not.
  for (auto e : {event(10, 1), event(30, 1), event(50, 2)}) ASSERT_TRUE(o.push(&e, sizeof e));
  for (auto e : {event(20, 1), event(40, 2)}) ASSERT_TRUE(o.push(&e, sizeof e));
  Seen s;
  EXPECT_EQ(s.release(o, UINT64_MAX), 5u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/1", "e30/1", "e40/2", "e50/2"}));
  EXPECT_EQ(o.size(), 0u);
}

TEST(TimeOrder, RecordsAtOrPastTheHorizonWaitForTheNextRead) {
  TimeOrder o;
  for (auto e : {event(10, 1), event(100, 1), event(20, 2)}) o.push(&e, sizeof e);
  EXPECT_EQ(o.ready(100), 2u);
  Seen s;
  EXPECT_EQ(s.release(o, 100), 2u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/2"}));
  // The next read brings an older record of another CPU: it goes first.
  auto late = event(60, 1);
  o.push(&late, sizeof late);
  EXPECT_EQ(s.release(o, 200), 2u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/2", "e60/1", "e100/1"}));
}

TEST(TimeOrder, TiesKeepTheOrderTheyWereReadIn) {
  TimeOrder o;
  auto a = event(5, 1);
  auto b = cause(5, 2);
  auto c = event(5, 3);
  o.push(&a, sizeof a);
  o.push(&b, sizeof b);
  Seen s;
  s.release(o, 1);  // sorts these two, hands on none
  o.push(&c, sizeof c);
  s.release(o, UINT64_MAX);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e5/1", "c5/2", "e5/3"}));
}

TEST(TimeOrder, StopsAtTheLimitAndGoesOnFromThere) {
  TimeOrder o;
  for (std::uint64_t t = 1; t <= 10; ++t) {
    auto e = event(11 - t, t);
    o.push(&e, sizeof e);
  }
  Seen s;
  EXPECT_EQ(s.release(o, UINT64_MAX, 4), 4u);
  EXPECT_EQ(o.size(), 6u);
  EXPECT_EQ(s.release(o, UINT64_MAX, 100), 6u);
  ASSERT_EQ(s.out.size(), 10u);
  EXPECT_EQ(s.out.front(), "e1/10");
  EXPECT_EQ(s.out.back(), "e10/1");
}

// A perf sample's raw size pads the record: 4 bytes of size, then the
// record, to a multiple of 8.
TEST(TimeOrder, TellsTheKindsApartByPaddedSize) {
  TimeOrder o;
  unsigned char buf[sizeof(tcpfsm_event) + 8] = {};
  auto e = event(7, 1);
  std::memcpy(buf, &e, sizeof e);
  EXPECT_TRUE(o.push(buf, sizeof(tcpfsm_event) + 4));
  auto c = cause(3, 2);
  std::memcpy(buf, &c, sizeof c);
  EXPECT_TRUE(o.push(buf, sizeof(tcpfsm_cause) + 4));
  EXPECT_FALSE(o.push(buf, 8));
  EXPECT_FALSE(o.push(buf, sizeof(tcpfsm_cause) + 8));
  Seen s;
  s.release(o, UINT64_MAX);
  EXPECT_EQ(s.out, (std::vector<std::string>{"c3/2", "e7/1"}));
}

TEST(TimeOrder, ManyRecordsCompactAsTheyGo) {
  TimeOrder o;
  Seen s;
  std::uint64_t handed = 0;
  for (std::uint64_t round = 0; round < 10; ++round) {
    // Two CPUs' worth, interleaved in time, read one CPU after the other.
    for (std::uint64_t i = 0; i < 1000; ++i) {
      auto e = event(round * 10000 + 2 * i, i);
      o.push(&e, sizeof e);
    }
    for (std::uint64_t i = 0; i < 1000; ++i) {
      auto e = event(round * 10000 + 2 * i + 1, i);
      o.push(&e, sizeof e);
    }
    while (std::size_t n = s.release(o, UINT64_MAX, 300)) handed += n;
  }
  EXPECT_EQ(handed, 20000u);
  std::uint64_t last = 0;
  for (const auto& x : s.out) {
    const std::uint64_t t = std::stoull(x.substr(1, x.find('/') - 1));
    EXPECT_GE(t, last);
    last = t;
  }
}

}  // namespace
}  // namespace tcpfsm
