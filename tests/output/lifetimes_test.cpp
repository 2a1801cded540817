// --lifetimes: one line per connection as it ends (the table), or the
// records that end connections alone (JSON); and -w's life on the trace
// table's row that ends a connection.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "model/states.h"
#include "output/formatter.h"
#include "support/sample_transition.h"

using namespace tcpfsm;

namespace {

class LifetimesOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

// curl's connect(), as its owner's record says it.
Transition connected(bool v6 = false) {
  Transition t = test::sample_transition(v6);
  t.owner_pid = 4242;
  t.owner_comm = "curl";
  return t;
}

// Its end: FIN_WAIT2 -> CLOSE, orphaned (no file, no owner), on whatever
// task ran the softirq; 10000 bytes received and 300 sent in 94.4 us.
Transition ended(bool v6 = false) {
  Transition t = test::sample_transition(v6);
  t.old_state = number(State::FinWait2);
  t.new_state = number(State::Close);
  t.ino = 0;
  t.pid = 0;
  t.comm = "swapper/1";
  t.cause = Cause::TimeWait;
  ConnectionLife l;
  l.role = Role::Client;
  l.duration_ns = 94'400;
  l.rx_bytes = 10'000;
  l.tx_bytes = 300;
  l.segs_in = 5;
  l.segs_out = 6;
  l.retrans = 0;
  l.srtt_us = 15;
  l.rttvar_us = 7;
  t.life = l;
  return t;
}

constexpr const char* kHeader =
    "TIME             PID     OWNER            LADDR:LPORT           RADDR:RPORT           TX_KB    RX_KB    "
    "RETRANS RTT_MS   DUR_MS     CONTAINER           CAUSE\n";

}  // namespace

// The holder comes from the connection's earlier records: the end, in
// softirq, names only the task that happened to run.
TEST_F(LifetimesOutput, OneLinePerConnectionWithItsHolder) {
  auto f = make_formatter(Format::Table, {.lifetimes = true});
  std::string out;
  f->start(out, StartInfo{});
  f->transition(out, connected(), {});
  f->transition(out, ended(), {});
  EXPECT_EQ(out, std::string(kHeader) +
                     "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         0.29     "
                     "9.77     0       0.015    0.094      -                   time_wait\n");
}

// A refused connect() sent and received nothing, and measured no RTT; a
// connection whose start this run missed has no duration, a kernel without
// the counters no bytes: "-", never 0.
TEST_F(LifetimesOutput, RefusedAndUnknown) {
  auto f = make_formatter(Format::Table, {.lifetimes = true});
  std::string out;
  Transition refused = ended();
  refused.old_state = number(State::SynSent);
  refused.ino = 31337;
  refused.owner_pid = 4242;
  refused.owner_comm = "curl";
  refused.cause = Cause::RstReceived;
  refused.reported.kernel.error = ECONNREFUSED;
  refused.life = ConnectionLife{Role::Client, 41'000, 0, 0, 1, 1, 0, std::nullopt, std::nullopt};
  f->transition(out, refused, {});
  Transition unknown = ended();
  unknown.cookie = 10;
  unknown.life = ConnectionLife{};
  f->transition(out, unknown, {});
  EXPECT_EQ(out,
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         0.00     0.00     "
            "0       -        0.041      -                   rst_received ECONNREFUSED\n"
            "07:42:31.000001  -       -                127.0.0.1:40000       10.0.0.5:8080         -        -        "
            "-       -        -          -                   time_wait\n");
}

// Only ends: no line for the connect, nor for a listener's close (no life).
TEST_F(LifetimesOutput, NothingButConnectionsEnds) {
  auto f = make_formatter(Format::Table, {.lifetimes = true});
  std::string out;
  f->transition(out, connected(), {});
  Transition listener = connected();
  listener.old_state = number(State::Listen);
  listener.new_state = number(State::Close);
  f->transition(out, listener, {});
  EXPECT_EQ(out, "");
}

TEST_F(LifetimesOutput, Ipv6WidensTheAddressColumns) {
  auto f = make_formatter(Format::Table, {.lifetimes = true});
  std::string out;
  f->transition(out, connected(true), {});
  f->transition(out, ended(true), {});
  EXPECT_EQ(out,
            "07:42:31.000001  4242    curl             [::1]:40000            [::ffff:10.0.0.5]:8080 0.29     9.77     "
            "0       0.015    0.094      -                   time_wait\n");
}

// A name any process can give itself, and a machine's name, cannot drive
// the terminal; the columns after them stay where the header says.
TEST_F(LifetimesOutput, HostileNamesAreEscaped) {
  auto f = make_formatter(Format::Table, {.lifetimes = true});
  std::string out;
  Transition t = connected();
  t.owner_comm = "\x1b]0;x\x07";
  f->transition(out, t, {});
  Transition end = ended();
  const ContainerRef machine{"machined", "vm\x1b[2J", "", ""};
  end.container = &machine;
  f->transition(out, end, {});
  const ContainerRef docker{"docker", std::string(64, 'a'), "", ""};
  end.container = &docker;
  f->transition(out, end, {});
  EXPECT_EQ(out,
            R"(07:42:31.000001  4242    \x1b]0;x\x07     127.0.0.1:40000       10.0.0.5:8080         0.29     9.77     )"
            R"(0       0.015    0.094      machined:vm\x1b[2J  time_wait)"
            "\n"
            "07:42:31.000001  -       -                127.0.0.1:40000       10.0.0.5:8080         0.29     9.77     "
            "0       0.015    0.094      docker:aaaaaaaaaaaa time_wait\n");
}

// Without owners (--no-owners) the holder is the task in a call on the
// socket's file (connect(), close()), as tcplife takes it; never the task
// that ran the softirq of the end.
TEST_F(LifetimesOutput, WithoutOwnersTheTaskInACallOnTheSocket) {
  auto f = make_formatter(Format::Table, {.owners = false, .lifetimes = true});
  std::string out;
  f->start(out, StartInfo{});
  Transition connect = test::sample_transition();
  connect.old_state = number(State::Close);
  connect.new_state = number(State::SynSent);
  f->transition(out, connect, {});
  Transition established = test::sample_transition();
  established.pid = 777;
  established.comm = "softirq bystander";
  f->transition(out, established, {});
  f->transition(out, ended(), {});
  EXPECT_EQ(out,
            "TIME             PID     COMM             LADDR:LPORT           RADDR:RPORT           TX_KB    RX_KB    "
            "RETRANS RTT_MS   DUR_MS     CONTAINER           CAUSE\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         0.29     9.77     "
            "0       0.015    0.094      -                   time_wait\n");
}

TEST_F(LifetimesOutput, LossesAreSaidAsInTheTable) {
  std::string out;
  make_formatter(Format::Table, {.lifetimes = true})->lost(out, test::kWall, Losses{3, 2, 1});
  EXPECT_EQ(out, "-- lost: ring buffer full 3, recursion 2, per-socket state not stored 1\n");
}

// JSON: the records that end connections, with their life, and no other
// transition; the records about the run as always.
TEST_F(LifetimesOutput, JsonWritesTheEndsAlone) {
  auto f = make_formatter(Format::Json, {.lifetimes = true});
  std::string out;
  f->transition(out, connected(), {});
  f->transition(out, ended(), {});
  f->lost(out, test::kWall, Losses{1, 0, 0});
  EXPECT_EQ(out,
            R"({"type":"transition","ts":"2026-11-21T07:42:31.000001500Z","ktime_ns":123,"cpu":1,)"
            R"("cookie":9,"family":"ipv4","laddr":"127.0.0.1","lport":40000,"raddr":"10.0.0.5",)"
            R"("rport":8080,"old":"FIN_WAIT2","new":"CLOSE","old_ns":250000,"pid":0,)"
            R"("tid":4243,"comm":"swapper/1","ino":0,"netns":4026531840,"cgroup_id":8589,"cause":"time_wait",)"
            R"("life":{"role":"client","duration_ns":94400,"rx_bytes":10000,"tx_bytes":300,"segs_in":5,)"
            R"("segs_out":6,"retrans":0,"srtt_us":15,"rttvar_us":7},"verdict":"ok"})"
            "\n"
            R"({"type":"lost","ts":"2026-11-21T07:42:31.000001500Z","ringbuf":1,"recursion":0,"skstate":0})"
            "\n");
}

// -w: the row that ends a connection says what it did; unknowns as "-".
TEST_F(LifetimesOutput, WideTraceRowCarriesTheLife) {
  auto f = make_formatter(Format::Table, {.wide = true});
  std::string out;
  f->transition(out, ended(), {});
  Transition unknown = ended();
  unknown.life = ConnectionLife{};
  f->transition(out, unknown, {VerdictKind::Gap, "events lost"});
  EXPECT_EQ(out,
            "07:42:31.000001  -       -                127.0.0.1:40000       10.0.0.5:8080         FIN_WAIT2   -> "
            "CLOSE       0.250     time_wait                    4026531840 #8589                    0 swapper/1  "
            "rx=10000B tx=300B retrans=0 rtt=15us dur=0.094ms\n"
            "07:42:31.000001  -       -                127.0.0.1:40000       10.0.0.5:8080         FIN_WAIT2   -> "
            "CLOSE       0.250     time_wait                    4026531840 #8589                    0 swapper/1  "
            "rx=- tx=- retrans=- rtt=- dur=-  !! gap: events lost\n");
}
