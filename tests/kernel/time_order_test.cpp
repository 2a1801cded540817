#include "kernel/time_order.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "support/kernel_records.h"

namespace tcpfsm {
namespace {

using test::cause_record;
using test::origin_record;
using test::transition_record;

// "e<ktime>/<cookie>" or "c<ktime>/<cookie>", in the order handed on.
struct Seen {
  std::vector<std::string> out;
  std::size_t release(TimeOrder& o, std::uint64_t horizon, std::size_t limit = SIZE_MAX) {
    return o.release(
        horizon, limit,
        [&](const tcpfsm_event& e, const tcpfsm_life*) {
          out.push_back("e" + std::to_string(e.ktime_ns) + "/" + std::to_string(e.cookie));
        },
        [&](const tcpfsm_cause& c) { out.push_back("c" + std::to_string(c.ktime_ns) + "/" + std::to_string(c.cookie)); },
        [&](const tcpfsm_origin& g) { out.push_back("o" + std::to_string(g.ktime_ns) + "/" + std::to_string(g.ino)); });
  }
};

TEST(TimeOrder, TwoCpusBuffersComeOutInTimeOrder) {
  TimeOrder o;
  // CPU 0's buffer, then CPU 1's: each in order, together not.
  for (auto e : {transition_record(10, 1), transition_record(30, 1), transition_record(50, 2)}) ASSERT_TRUE(o.push(&e, sizeof e).ok());
  for (auto e : {transition_record(20, 1), transition_record(40, 2)}) ASSERT_TRUE(o.push(&e, sizeof e).ok());
  Seen s;
  EXPECT_EQ(s.release(o, UINT64_MAX), 5u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/1", "e30/1", "e40/2", "e50/2"}));
  EXPECT_EQ(o.size(), 0u);
}

TEST(TimeOrder, RecordsAtOrPastTheHorizonWaitForTheNextRead) {
  TimeOrder o;
  for (auto e : {transition_record(10, 1), transition_record(100, 1), transition_record(20, 2)}) o.push(&e, sizeof e);
  EXPECT_EQ(o.ready(100), 2u);
  Seen s;
  EXPECT_EQ(s.release(o, 100), 2u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/2"}));
  // The next read brings an older record of another CPU: it goes first.
  auto late = transition_record(60, 1);
  o.push(&late, sizeof late);
  EXPECT_EQ(s.release(o, 200), 2u);
  EXPECT_EQ(s.out, (std::vector<std::string>{"e10/1", "e20/2", "e60/1", "e100/1"}));
}

TEST(TimeOrder, TiesKeepTheOrderTheyWereReadIn) {
  TimeOrder o;
  auto a = transition_record(5, 1);
  auto b = cause_record(5, 2);
  auto c = transition_record(5, 3);
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
    auto e = transition_record(11 - t, t);
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
// record, to a multiple of 8. The kinds are told apart by their kind byte,
// whatever the padding; neither kind's record is kept.
TEST(TimeOrder, TellsTheKindsApartByTheirKindByte) {
  TimeOrder o;
  unsigned char buf[sizeof(tcpfsm_event) + 8] = {};
  auto e = transition_record(7, 1);
  std::memcpy(buf, &e, sizeof e);
  EXPECT_EQ(o.push(buf, sizeof(tcpfsm_event) + 4).verdict, RecordHead::Verdict::Transition);
  EXPECT_EQ(o.push(buf, sizeof(tcpfsm_cause) + 4).verdict, RecordHead::Verdict::Short);  // a transition's head
  auto c = cause_record(3, 2);
  std::memcpy(buf, &c, sizeof c);
  EXPECT_EQ(o.push(buf, sizeof(tcpfsm_cause) + 4).verdict, RecordHead::Verdict::Cause);
  EXPECT_EQ(o.push(buf, sizeof(tcpfsm_event) + 8).verdict, RecordHead::Verdict::Cause);  // padding is not read
  EXPECT_EQ(o.push(buf, 8).verdict, RecordHead::Verdict::Short);
  buf[offsetof(tcpfsm_head, record)] = 0;
  EXPECT_EQ(o.push(buf, sizeof(tcpfsm_cause)).verdict, RecordHead::Verdict::UnknownKind);
  EXPECT_EQ(o.size(), 3u);
  Seen s;
  s.release(o, UINT64_MAX);
  EXPECT_EQ(s.out, (std::vector<std::string>{"c3/2", "c3/2", "e7/1"}));
}

// An origin goes before the transition it was written with (same time,
// read first), and keeps its whole stack through a compaction.
TEST(TimeOrder, OriginsComeInOrderAndWholeAcrossCompactions) {
  TimeOrder o;
  Seen s;
  std::vector<std::uint64_t> last_ips;
  for (std::uint64_t i = 0; i < 6000; ++i) {
    auto g = origin_record(10 * i, i);
    g.ino = static_cast<std::uint32_t>(i);
    g.frames = 3;
    g.ips[2] = 0x1000 + i;
    o.push(&g, sizeof g);
    auto e = transition_record(10 * i, i);
    o.push(&e, sizeof e);
  }
  std::size_t n = 0;
  std::vector<std::uint64_t> third;
  while (const std::size_t k = o.release(
             UINT64_MAX, 5000, [&](const tcpfsm_event&, const tcpfsm_life*) { ++n; },
             [&](const tcpfsm_cause&) { ADD_FAILURE(); },
             [&](const tcpfsm_origin& g) {
               ++n;
               third.push_back(g.ips[2] - g.ino);
             }))
    (void)k;
  EXPECT_EQ(n, 12000u);
  ASSERT_EQ(third.size(), 6000u);
  for (std::uint64_t v : third) EXPECT_EQ(v, 0x1000u);
  auto g = origin_record(5, 1);
  g.ino = 9;
  o.push(&g, sizeof g);
  auto e = transition_record(5, 1);
  o.push(&e, sizeof e);
  s.release(o, UINT64_MAX);
  EXPECT_EQ(s.out, (std::vector<std::string>{"o5/9", "e5/1"}));
}

// A connection's end keeps its own life: in time order with the rest, and
// through compactions, while the transitions around it have none.
TEST(TimeOrder, LivesStayWithTheirEndsAcrossCompactions) {
  TimeOrder o;
  for (std::uint64_t i = 0; i < 6000; ++i) {
    auto e = transition_record(10 * i + 5, i);  // read first, later in time
    o.push(&e, sizeof e);
    auto c = test::close_record(10 * i, i);
    c.life.rx_bytes = 1000 + i;
    o.push(&c, sizeof c);
  }
  std::size_t ends = 0, plain = 0, wrong = 0;
  while (o.release(
      UINT64_MAX, 5000,
      [&](const tcpfsm_event& e, const tcpfsm_life* l) {
        if (!l) return void(++plain);
        ++ends;
        if (e.record != TCPFSM_RECORD_CLOSE || l->rx_bytes != 1000 + e.cookie || e.ktime_ns % 10) ++wrong;
      },
      [&](const tcpfsm_cause&) { ADD_FAILURE(); }, [&](const tcpfsm_origin&) { ADD_FAILURE(); })) {
  }
  EXPECT_EQ(ends, 6000u);
  EXPECT_EQ(plain, 6000u);
  EXPECT_EQ(wrong, 0u);
}

TEST(TimeOrder, ManyRecordsCompactAsTheyGo) {
  TimeOrder o;
  Seen s;
  std::uint64_t handed = 0;
  for (std::uint64_t round = 0; round < 10; ++round) {
    // Two CPUs' worth, interleaved in time, read one CPU after the other.
    for (std::uint64_t i = 0; i < 1000; ++i) {
      auto e = transition_record(round * 10000 + 2 * i, i);
      o.push(&e, sizeof e);
    }
    for (std::uint64_t i = 0; i < 1000; ++i) {
      auto e = transition_record(round * 10000 + 2 * i + 1, i);
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
