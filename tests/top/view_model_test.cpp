// The aggregation behind `tcpfsm top`: exact counts per edge and verdict,
// rates over the interval given, losses, sockets per state with a bounded
// history, holders grouped and sorted, and the filters from the start record.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>

#include "top/view_model.h"

using namespace tcpfsm;
using namespace tcpfsm::top;
using namespace std::chrono_literals;

namespace {

void feed(TopModel& m, State from, State to, int times, VerdictKind verdict = VerdictKind::Ok) {
  Transition t;
  t.old_state = number(from);
  t.new_state = number(to);
  for (int i = 0; i < times; ++i) m.transition(t, Verdict{verdict, ""});
}

StuckSocket stuck_socket(State state, std::chrono::nanoseconds age, std::int32_t pid, const char* comm,
                         std::optional<ContainerRef> container = std::nullopt, std::uint32_t ino = 1) {
  StuckSocket s;
  s.sock.state = number(state);
  s.sock.ino = ino;
  s.sock.netns = 4026531840U;
  s.age = {age, AgeKind::Measured};
  if (pid) s.holders = {Holder{pid, 5, comm, comm}};
  s.owner = ownership_of(s.sock, s.holders);
  s.place.container = std::move(container);
  return s;
}

ContainerRef docker(char digit) { return {"docker", std::string(64, digit), "", ""}; }

std::vector<std::int32_t> pids(const std::vector<HolderRow>& rows) {
  std::vector<std::int32_t> p;
  for (const auto& r : rows) p.push_back(r.pid);
  return p;
}

}  // namespace

TEST(TopTally, CountsOnlyClosedIntervalsAndRatesTheLastOne) {
  Tally<std::string> t;
  t.add("a");
  t.add("b", 3);
  EXPECT_EQ(t.total(), 0U) << "nothing counted before the interval closes";
  t.close(2.0);
  EXPECT_EQ(t.total("a"), 1U);
  EXPECT_EQ(t.total("b"), 3U);
  EXPECT_EQ(t.last(), 4U);
  EXPECT_DOUBLE_EQ(t.per_second(), 2.0);

  t.add("a", 5);
  t.close(0.5);
  EXPECT_EQ(t.total("a"), 6U);
  EXPECT_EQ(t.last("a"), 5U);
  EXPECT_EQ(t.last("b"), 0U) << "the last interval only";
  EXPECT_EQ(t.total("b"), 3U);
  const auto rows = t.rows(TallySort::Rate);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].key, "a");
  EXPECT_DOUBLE_EQ(rows[0].per_second, 10.0);
  EXPECT_EQ(rows[1].key, "b");
  EXPECT_DOUBLE_EQ(rows[1].per_second, 0.0);
  t.add("c");
  t.close(0);  // an interval of no length has no rate
  EXPECT_DOUBLE_EQ(t.per_second(), 0.0);
}

TEST(TopTally, SortsByRateTotalOrKey) {
  Tally<std::string> t;
  t.add("x", 10);  // many, long ago
  t.close(1);
  t.add("y", 2);
  t.add("z", 2);
  t.add("w", 1);
  t.close(1);
  auto keys = [&](TallySort s) {
    std::string k;
    for (const auto& r : t.rows(s)) k += r.key;
    return k;
  };
  EXPECT_EQ(keys(TallySort::Rate), "yzwx");   // last interval; ties by total, then key
  EXPECT_EQ(keys(TallySort::Total), "xyzw");  // since start; ties by key
  EXPECT_EQ(keys(TallySort::Key), "wxyz");
}

TEST(TopModel, CountsEdgesVerdictsAndLossesFromTheRecords) {
  TopModel m(60);
  feed(m, State::Established, State::CloseWait, 6);
  feed(m, State::SynSent, State::Established, 2);
  feed(m, State::Established, State::SynSent, 1, VerdictKind::Illegal);
  feed(m, State::FinWait2, State::Close, 3, VerdictKind::Gap);
  m.lost(0, Losses{7, 2, 1});
  m.lost(0, Losses{1, 0, 0});
  m.close_interval(2s);

  const auto edges = m.edges().rows(TallySort::Rate);
  ASSERT_EQ(edges.size(), 4U);
  EXPECT_EQ(edges[0].key, (EdgeKey{number(State::Established), number(State::CloseWait)}));
  EXPECT_EQ(edges[0].total, 6U);
  EXPECT_DOUBLE_EQ(edges[0].per_second, 3.0);
  EXPECT_EQ(edges[1].key, (EdgeKey{number(State::FinWait2), number(State::Close)}));
  EXPECT_DOUBLE_EQ(edges[1].per_second, 1.5);
  EXPECT_EQ(edges[2].key, (EdgeKey{number(State::SynSent), number(State::Established)}));
  EXPECT_EQ(edges[3].key, (EdgeKey{number(State::Established), number(State::SynSent)}));
  EXPECT_EQ(m.edges().total(), 12U);
  EXPECT_DOUBLE_EQ(m.edges().per_second(), 6.0);

  EXPECT_EQ(m.verdicts().total(VerdictKind::Ok), 8U);
  EXPECT_EQ(m.verdicts().total(VerdictKind::Illegal), 1U);
  EXPECT_EQ(m.verdicts().total(VerdictKind::Gap), 3U);
  EXPECT_EQ(m.verdicts().total(VerdictKind::UnknownState), 0U);
  EXPECT_EQ(m.losses().total(LossKind::Ringbuf), 8U);
  EXPECT_EQ(m.losses().total(LossKind::Recursion), 2U);
  EXPECT_EQ(m.losses().total(LossKind::Skstate), 1U);

  // A quiet interval: totals stay, rates fall to nothing.
  m.close_interval(1s);
  EXPECT_EQ(m.edges().total(), 12U);
  EXPECT_DOUBLE_EQ(m.edges().per_second(), 0.0);
  EXPECT_EQ(m.losses().last(), 0U);
}

TEST(TopModel, KeepsTheLastSamplesOfSocketsPerState) {
  TopModel m(3);
  for (std::uint64_t n : {5, 6, 7, 8}) {
    SocketsNow now;
    now.by_state[number(State::Established)] = n;
    now.by_state[number(State::Listen)] = 1;
    m.sockets(now);
  }
  EXPECT_EQ(m.history(number(State::Established)), (std::vector<std::uint64_t>{6, 7, 8}));
  EXPECT_EQ(m.history(number(State::Listen)), (std::vector<std::uint64_t>{1, 1, 1}));
  EXPECT_EQ(m.sockets_now(number(State::Established)), 8U);
  EXPECT_EQ(m.sockets_now(number(State::CloseWait)), 0U);
  EXPECT_TRUE(m.history(99).empty());
}

TEST(TopModel, GroupsStuckSocketsByHolderAndSortsThem) {
  TopModel m(60);
  SocketsNow now;
  // pid 300 (in a container): 3 sockets, the oldest 40s; pid 100: 1 socket,
  // 5 minutes; pid 200: 2 sockets, 50s; and an orphan (no file), 90s.
  now.stuck.push_back(stuck_socket(State::CloseWait, 40s, 300, "java", docker('b'), 1));
  now.stuck.push_back(stuck_socket(State::CloseWait, 31s, 300, "java", docker('b'), 2));
  now.stuck.push_back(stuck_socket(State::CloseWait, 35s, 300, "java", docker('b'), 3));
  now.stuck.push_back(stuck_socket(State::CloseWait, 300s, 100, "leaky", std::nullopt, 4));
  now.stuck.push_back(stuck_socket(State::CloseWait, 50s, 200, "nginx", docker('a'), 5));
  now.stuck.push_back(stuck_socket(State::CloseWait, 45s, 200, "nginx", docker('a'), 6));
  now.stuck.push_back(stuck_socket(State::FinWait2, 90s, 0, "", std::nullopt, 0));
  now.younger = 4;
  m.sockets(now);

  EXPECT_EQ(m.stuck_sockets(), 7U);
  EXPECT_EQ(m.stuck_younger(), 4U);
  const auto by_sockets = m.holders(HolderSort::Sockets);
  ASSERT_EQ(by_sockets.size(), 4U);
  EXPECT_EQ(pids(by_sockets), (std::vector<std::int32_t>{300, 200, 100, 0}));  // ties: the oldest first
  EXPECT_EQ(by_sockets[0].comm, "java");
  EXPECT_EQ(by_sockets[0].sockets, 3U);
  EXPECT_EQ(by_sockets[0].oldest.value, 40s);
  ASSERT_TRUE(by_sockets[0].container);
  EXPECT_EQ(container_label(*by_sockets[0].container), "docker:bbbbbbbbbbbb");
  EXPECT_EQ(by_sockets[0].state, number(State::CloseWait));
  EXPECT_EQ(by_sockets[3].owner, Ownership::Orphan);
  EXPECT_EQ(by_sockets[3].state, number(State::FinWait2));

  EXPECT_EQ(pids(m.holders(HolderSort::Age)), (std::vector<std::int32_t>{100, 0, 200, 300}));
  EXPECT_EQ(pids(m.holders(HolderSort::Container)), (std::vector<std::int32_t>{200, 300, 100, 0}));
  EXPECT_EQ(pids(m.holders(HolderSort::Pid)), (std::vector<std::int32_t>{100, 200, 300, 0}));

  m.sockets(SocketsNow{});  // all of them closed
  EXPECT_TRUE(m.holders(HolderSort::Sockets).empty());
  EXPECT_EQ(m.stuck_sockets(), 0U);
}

TEST(TopModel, TakesTheAttachModeModelAndFiltersFromTheStartRecord) {
  TopModel m(60);
  PortFilter ports;
  ports.either = {8080};
  ports.local = {22};
  StartInfo s;
  s.attach = "tp_btf";
  s.model = "linux";
  s.filters.family = AF_INET6;
  s.filters.ports = ports;
  s.filters.states = (1U << number(State::CloseWait)) | (1U << number(State::Established));
  s.filters.netns = {4026532296U};
  s.filters.cgroups = {"/system.slice/x.service"};
  s.filters.pid = 42;
  m.start(s);
  EXPECT_EQ(m.attach(), "tp_btf");
  EXPECT_EQ(m.model(), "linux");
  EXPECT_EQ(m.filters(),
            "-6 -p 8080 --lport 22 --state ESTABLISHED --state CLOSE_WAIT --netns 4026532296 "
            "--cgroup /system.slice/x.service --pid 42");
  m.start(StartInfo{});
  EXPECT_EQ(m.filters(), "");
}
