#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include "output/formatter.h"
#include "owners/owners.h"
#include "support/sample_totals.h"
#include "support/sample_transition.h"

using namespace tcpfsm;

namespace {

using test::kWall;

Transition transition(bool v6 = false) { return test::sample_transition(v6); }

std::string json_of(const Transition& t, const Verdict& v = {}) {
  std::string out;
  make_formatter(Format::Json)->transition(out, t, v);
  return out;
}

}  // namespace

TEST(JsonOutput, TransitionRecordIsExact) {
  EXPECT_EQ(json_of(transition()),
            R"({"type":"transition","ts":"2026-11-21T07:42:31.000001500Z","ktime_ns":123,"cpu":1,)"
            R"("cookie":9,"family":"ipv4","laddr":"127.0.0.1","lport":40000,"raddr":"10.0.0.5",)"
            R"("rport":8080,"old":"SYN_SENT","new":"ESTABLISHED","old_ns":250000,"pid":4242,)"
            R"("tid":4243,"comm":"curl","ino":31337,"netns":4026531840,"cgroup_id":8589,"verdict":"ok"})"
            "\n");
}

TEST(JsonOutput, Ipv6FirstSeenAndViolation) {
  Transition t = transition(true);
  t.old_ns.reset();
  const std::string line = json_of(t, {VerdictKind::Illegal, "SYN_SENT -> ESTABLISHED is \"odd\""});
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["family"], "ipv6");
  EXPECT_EQ(j["laddr"], "::1");
  EXPECT_EQ(j["raddr"], "::ffff:10.0.0.5");
  EXPECT_TRUE(j["old_ns"].is_null());
  EXPECT_EQ(j["verdict"], "illegal");
  EXPECT_EQ(j["reason"], "SYN_SENT -> ESTABLISHED is \"odd\"");
}

TEST(JsonOutput, OwnerFieldsOnlyWhenKnown) {
  Transition t = transition();
  t.owner_pid = 777;
  t.owner_comm = "java";
  EXPECT_NE(json_of(t).find(R"("cgroup_id":8589,"owner_pid":777,"owner_comm":"java","verdict":"ok")"), std::string::npos);
  EXPECT_EQ(json_of(transition()).find("owner"), std::string::npos);
}

// trace drops an owner's cache entry when its socket reaches CLOSE, in the
// event that is then written: the name must not point into it (ASan found a
// use after free in the integration tests).
TEST(JsonOutput, OwnerNameOutlivesTheCacheEntryItCameFrom) {
  Transition t = transition();
  {
    const Holder cached{777, 3, "java", "java -jar app.jar"};
    t.owner_pid = cached.pid;
    t.owner_comm = cached.comm;
  }
  EXPECT_NE(json_of(t).find(R"("owner_pid":777,"owner_comm":"java")"), std::string::npos);
}

TEST(JsonOutput, CauseErrorAndResetReasonOnlyWhenKnown) {
  Transition t = transition();
  t.old_state = 1;
  t.new_state = 7;
  EXPECT_EQ(json_of(t).find("\"cause\""), std::string::npos);
  t.cause = Cause::RstSent;
  t.rst_reason = "TCP_ABORT_ON_CLOSE";
  EXPECT_NE(json_of(t).find(R"("cgroup_id":8589,"cause":"rst_sent","rst_reason":"TCP_ABORT_ON_CLOSE","verdict")"),
            std::string::npos)
      << json_of(t);
  t.cause = Cause::RstReceived;
  t.reported.kernel.error = ECONNREFUSED;
  t.rst_reason = "";
  EXPECT_NE(json_of(t).find(R"("cause":"rst_received","error":"ECONNREFUSED","verdict":"ok")"), std::string::npos)
      << json_of(t);
}

TEST(JsonOutput, UnknownStateIsItsNumber) {
  Transition t = transition();
  t.new_state = 42;
  auto j = nlohmann::json::parse(json_of(t, {VerdictKind::UnknownState, "x"}));
  EXPECT_EQ(j["new"], 42);
  EXPECT_EQ(j["verdict"], "unknown_state");
}

TEST(JsonOutput, CommWithControlAndInvalidUtf8StaysValidJson) {
  Transition t = transition();
  const char raw[] = {'a', '"', '\\', '\n', '\x01', '\xff', 'z', '\xc3', '\xa9'};
  t.comm = std::string_view(raw, sizeof raw);
  const std::string line = json_of(t);
  EXPECT_NE(line.find(R"("comm":"a\"\\\n\u0001\ufffdzé")"), std::string::npos) << line;
  EXPECT_EQ(nlohmann::json::parse(line)["comm"], "a\"\\\n\x01\xef\xbf\xbdz\xc3\xa9");
  EXPECT_EQ(nlohmann::json::parse(line)["comm_bytes"], "61225c0a01ff7ac3a9");
}

// A process may name itself any bytes; the JSON string has U+FFFD for those
// that are not UTF-8, and a *_bytes member beside it has them all, in hex.
// So do a cgroup's directory names, and a machined container's.
TEST(JsonOutput, TextThatIsNotUtf8KeepsItsBytesBesideIt) {
  Transition t = transition();
  t.comm = "\xffworker";
  t.owner_pid = 7;
  t.owner_comm = "srv\xc0";
  t.cgroup = "/machine.slice/machine-\xfe.scope";
  const ContainerRef machine{"machined", "\xfe", "", ""};
  t.container = &machine;
  const std::string line = json_of(t);
  EXPECT_NE(line.find(R"("comm":"\ufffdworker","comm_bytes":"ff776f726b6572","ino":)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("owner_comm":"srv\ufffd","owner_comm_bytes":"737276c0",)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("cgroup":"/machine.slice/machine-\ufffd.scope",)"
                      R"("cgroup_bytes":"2f6d616368696e652e736c6963652f6d616368696e652dfe2e73636f7065",)"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("container":"\ufffd","container_bytes":"fe","container_runtime":"machined")"), std::string::npos)
      << line;
  // UTF-8 text has none.
  EXPECT_EQ(json_of(transition()).find("_bytes"), std::string::npos);
}

// Found by tests/fuzz/event_json_fuzz: a lead byte 0xF5-0xFF was taken for a
// three-byte sequence, and overlong forms, surrogates and code points past
// U+10FFFF went out as they came: lines that strict JSON parsers reject.
TEST(JsonOutput, MalformedUtf8InCommIsReplacedByteByByte) {
  const std::pair<std::string, std::string> cases[] = {
      {"\xff\x9c\x90", "\\ufffd\\ufffd\\ufffd"},        // no lead byte, then lone continuation bytes
      {"\xe0\x80\x80", "\\ufffd\\ufffd\\ufffd"},        // overlong "\0"
      {"\xc0\xaf", "\\ufffd\\ufffd"},                    // overlong "/"
      {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},        // surrogate U+D800
      {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},  // U+110000
      {"\xf0\x8f\xbf\xbf", "\\ufffd\\ufffd\\ufffd\\ufffd"},  // overlong U+FFFF
      {"\xe2\x9c", "\\ufffd\\ufffd"},                    // cut short
      // Well-formed: é, ✓, 😀 and U+10FFFF stay as they are.
      {"\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", "\xc3\xa9\xe2\x9c\x93\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"},
  };
  for (const auto& [comm, written] : cases) {
    Transition t = transition();
    t.comm = comm;
    const std::string line = json_of(t);
    EXPECT_NE(line.find(R"("comm":")" + written + '"'), std::string::npos) << line;
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  }
}

TEST(JsonOutput, LostRecord) {
  std::string out;
  make_formatter(Format::Json)->lost(out, kWall, Losses{3, 2, 1});
  EXPECT_EQ(out, R"({"type":"lost","ts":"2026-11-21T07:42:31.000001500Z","ringbuf":3,"recursion":2,"skstate":1})"
                 "\n");
}

TEST(JsonOutput, StartRecordDescribesTheRun) {
  PortFilter ports;
  ports.either = {443, 8443};
  ports.remote = {5432};
  StartInfo s;
  s.wall_ns = kWall;
  s.cause = "rotate";
  s.version = "0.1.0";
  s.host = "db-7";
  s.kernel = "6.18.44";
  s.boot_id = "b00t";
  s.attach = "tp_btf";
  s.model = "linux";
  s.filters.family = AF_INET6;
  s.filters.ports = ports;
  s.ringbuf_bytes = 8 << 20;
  s.mono_to_wall_ns = -42;
  s.filters.states = 1U << 8;
  s.filters.netns = {4026531840};
  s.filters.cgroups = {"/system.slice/nginx.service"};
  s.filters.pid = 77;
  std::string out;
  make_formatter(Format::Json)->start(out, s);
  EXPECT_EQ(out,
            R"({"type":"start","ts":"2026-11-21T07:42:31.000001500Z","schema":4,"cause":"rotate",)"
            R"("tcpfsm":"0.1.0","host":"db-7","kernel":"6.18.44","boot_id":"b00t","attach":"tp_btf",)"
            R"("model":"linux","filters":{"family":"ipv6","ports":[443,8443],"lports":[],"rports":[5432],)"
            R"("states":["CLOSE_WAIT"],"netns":[4026531840],"cgroups":["/system.slice/nginx.service"],"pid":77},)"
            R"("ringbuf_bytes":8388608,"clock":{"source":"CLOCK_MONOTONIC","mono_to_wall_ns":-42}})"
            "\n");
}

TEST(JsonOutput, StatsAndEndRecords) {
  const Totals t = test::sample_totals();
  std::string out;
  auto f = make_formatter(Format::Json);
  f->stats(out, {kWall, t, 2'000'000'000, 49.6});
  f->end(out, {kWall, t, 103, 3'000'000'000, "signal", "SIGTERM"});
  EXPECT_EQ(out,
            R"({"type":"stats","ts":"2026-11-21T07:42:31.000001500Z","transitions":100,)"
            R"("lost":{"ringbuf":1,"recursion":2,"skstate":3},"violations":{"illegal":4,"gap":5,"unknown_state":6},)"
            R"("sockets_tracked":7,"sockets_untracked":8,"sockets_stale":9,"crosscheck_errors":10,)"
            R"("owners_unresolved":11,"causes_lost":12,"causes_late":13,"log_open_failures":14,"journal_not_sent":15,)"
            R"("interval_ns":2000000000,"transitions_per_s":50})"
            "\n"
            R"({"type":"end","ts":"2026-11-21T07:42:31.000001500Z","transitions":100,)"
            R"("lost":{"ringbuf":1,"recursion":2,"skstate":3},"violations":{"illegal":4,"gap":5,"unknown_state":6},)"
            R"("sockets_tracked":7,"sockets_untracked":8,"sockets_stale":9,"crosscheck_errors":10,)"
            R"("owners_unresolved":11,"causes_lost":12,"causes_late":13,"log_open_failures":14,"journal_not_sent":15,)"
            R"("kernel_matched":103,"duration_ns":3000000000,"reason":"signal","signal":"SIGTERM"})"
            "\n");
}

// A transition whose socket's owner is known: the task on the CPU (pid,
// comm) was its owner.
Transition owned(bool ipv6 = false) {
  Transition t = transition(ipv6);
  t.owner_pid = t.pid;
  t.owner_comm = t.comm;
  return t;
}

class TableOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(TableOutput, HeaderAndRowsAlign) {
  auto f = make_formatter(Format::Table);
  std::string out;
  f->start(out, StartInfo{});
  f->transition(out, owned(), {});
  Transition first = owned();
  first.old_ns.reset();
  first.old_state = 7;
  first.new_state = 2;
  f->transition(out, first, {});
  EXPECT_EQ(out,
            "TIME             PID     OWNER            LADDR:LPORT           RADDR:RPORT           OLD         -> NEW         MS        CAUSE\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> ESTABLISHED 0.250     -\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         CLOSE       -> SYN_SENT    -         -\n");
}

TEST_F(TableOutput, Ipv6WidensTheAddressColumnsAndViolationsAreMarked) {
  auto f = make_formatter(Format::Table);
  std::string out;
  f->transition(out, owned(true), {VerdictKind::Gap, "events lost"});
  EXPECT_EQ(out,
            "07:42:31.000001  4242    curl             [::1]:40000            [::ffff:10.0.0.5]:8080 "
            "SYN_SENT    -> ESTABLISHED 0.250     -  !! gap: events lost\n");
}

// Any process can name itself with terminal controls: the table shows the
// name escaped, and the columns after it stay where the header says.
TEST_F(TableOutput, CommIsEscapedAndKeepsTheColumns) {
  auto f = make_formatter(Format::Table);
  std::string out;
  Transition t = owned();
  t.owner_comm = "\x1b]0;x\x07";
  f->transition(out, t, {});
  t.owner_comm = "\xe6\x97\xa5\xe6\x9c\xac";  // 日本: 6 bytes, 4 columns
  f->transition(out, t, {});
  EXPECT_EQ(out,
            R"(07:42:31.000001  4242    \x1b]0;x\x07     127.0.0.1:40000       10.0.0.5:8080         )"
            "SYN_SENT    -> ESTABLISHED 0.250     -\n"
            "07:42:31.000001  4242    \xe6\x97\xa5\xe6\x9c\xac             127.0.0.1:40000       10.0.0.5:8080         "
            "SYN_SENT    -> ESTABLISHED 0.250     -\n");
}

// U+202E RIGHT-TO-LEFT OVERRIDE would show the rest of the row reversed.
TEST_F(TableOutput, BidiControlsInCommAreEscaped) {
  auto f = make_formatter(Format::Table);
  std::string out;
  Transition t = owned();
  t.owner_comm = "a\xe2\x80\xae" "b";
  f->transition(out, t, {});
  EXPECT_EQ(out,
            R"(07:42:31.000001  4242    a\xe2\x80\xaeb   127.0.0.1:40000       10.0.0.5:8080         )"
            "SYN_SENT    -> ESTABLISHED 0.250     -\n");
}

TEST_F(TableOutput, CauseWithTheErrorOrTheResetsReason) {
  auto f = make_formatter(Format::Table);
  std::string out;
  Transition t = owned();
  t.old_state = 2;
  t.new_state = 7;
  t.cause = Cause::RstReceived;
  t.reported.kernel.error = ECONNREFUSED;
  f->transition(out, t, {});
  t.old_state = 1;
  t.cause = Cause::RstSent;
  t.reported.kernel.error = 0;
  t.rst_reason = "TCP_ABORT_ON_CLOSE";
  f->transition(out, t, {});
  EXPECT_EQ(out,
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         "
            "SYN_SENT    -> CLOSE       0.250     rst_received ECONNREFUSED\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         "
            "ESTABLISHED -> CLOSE       0.250     rst_sent TCP_ABORT_ON_CLOSE\n");
}

TEST_F(TableOutput, UnknownStateShowsItsNumber) {
  auto f = make_formatter(Format::Table);
  std::string out;
  Transition t = owned();
  t.old_state = 99;
  f->transition(out, t, {});
  EXPECT_NE(out.find("99          -> ESTABLISHED"), std::string::npos) << out;
}

TEST_F(TableOutput, LostLine) {
  std::string out;
  make_formatter(Format::Table)->lost(out, kWall, Losses{3, 2, 1});
  EXPECT_EQ(out, "-- lost: ring buffer full 3, recursion 2, per-socket state not stored 1\n");
}

// The summary (the stats line here, and stderr's at the end) says every
// counter, each by its own value; those that are not always said, only
// when not 0.
TEST_F(TableOutput, StatsLineIsTheSummaryOfEveryCounter) {
  std::string out;
  make_formatter(Format::Table)->stats(out, {kWall, test::sample_totals(), 2'000'000'000, 49.6});
  EXPECT_EQ(out,
            "-- 07:42:31.000001 100 transitions; lost: ring buffer full 1, recursion 2, per-socket state not stored 3; "
            "violations: illegal 4, gaps 5, unknown states 6; 7 sockets tracked, "
            "8 transitions of untracked sockets (--max-sockets), 9 sockets dropped as gone from the kernel, "
            "10 cross-checks failed, 11 transitions without a known owner, 12 reset reports lost, "
            "13 reset reports too late for their record, the log's next file could not be opened 14 times, "
            "15 records not sent to the journal; 50 transitions/s\n");
  EXPECT_EQ(describe(Totals{}),
            "0 transitions; lost: ring buffer full 0, recursion 0, per-socket state not stored 0; "
            "violations: illegal 0, gaps 0, unknown states 0; 0 sockets tracked");
  Totals t;
  t.sockets.stale = 2;
  t.causes_late = 3;
  EXPECT_TRUE(describe(t).ends_with("; 0 sockets tracked, 2 sockets dropped as gone from the kernel, "
                                    "3 reset reports too late for their record"))
      << describe(t);
}

TEST_F(TableOutput, WideAddsTheNamespaceAndTheContainer) {
  auto f = make_formatter(Format::Table, {.wide = true});
  std::string out;
  f->start(out, StartInfo{});
  Transition t = owned();
  const ContainerRef docker{"docker", std::string(64, 'a'), "", ""};
  t.cgroup = "/system.slice/docker-aaaa.scope";
  t.container = &docker;
  f->transition(out, t, {});
  t.container = nullptr;
  t.cgroup = "/evil\x1b[2J";
  f->transition(out, t, {});
  t.cgroup = "";
  f->transition(out, t, {});
  EXPECT_EQ(out,
            "TIME             PID     OWNER            LADDR:LPORT           RADDR:RPORT           OLD         -> NEW "
            "        MS        CAUSE                        NETNS      CGROUP                   TASK\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -                            4026531840 docker:aaaaaaaaaaaa      4242 curl\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -                            4026531840 /evil\\x1b[2J             4242 curl\n"
            "07:42:31.000001  4242    curl             127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -                            4026531840 #8589                    4242 curl\n");
}

// The PID and OWNER columns name the socket's owner, never the task that was
// on the CPU (here a client on loopback whose ACK moved the server's socket
// to CLOSE_WAIT); -w keeps that task apart. Without owners (--no-owners)
// the columns are the task's, and say so (COMM).
TEST_F(TableOutput, TheOwnerIsNamedAndTheTaskOnTheCpuOnlyInWide) {
  Transition t = transition();
  t.owner_pid = 9627;
  t.owner_comm = "server";
  t.pid = 13306;
  t.comm = "python3";
  Transition unknown = transition();
  std::string out;
  auto plain = make_formatter(Format::Table);
  plain->transition(out, t, {});
  plain->transition(out, unknown, {});
  EXPECT_EQ(out,
            "07:42:31.000001  9627    server           127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -\n"
            "07:42:31.000001  -       -                127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -\n");
  out.clear();
  auto wide = make_formatter(Format::Table, {.wide = true});
  wide->start(out, StartInfo{});
  t.comm = "\x1b[2J";
  wide->transition(out, t, {});
  EXPECT_EQ(out,
            "TIME             PID     OWNER            LADDR:LPORT           RADDR:RPORT           OLD         -> NEW "
            "        MS        CAUSE                        NETNS      CGROUP                   TASK\n"
            "07:42:31.000001  9627    server           127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -                            4026531840 #8589                    13306 \\x1b[2J\n");
  out.clear();
  auto no_owners = make_formatter(Format::Table, {.owners = false});
  no_owners->start(out, StartInfo{});
  no_owners->transition(out, t, {});
  EXPECT_EQ(out,
            "TIME             PID     COMM             LADDR:LPORT           RADDR:RPORT           OLD         -> NEW "
            "        MS        CAUSE\n"
            "07:42:31.000001  13306   \\x1b[2J          127.0.0.1:40000       10.0.0.5:8080         SYN_SENT    -> "
            "ESTABLISHED 0.250     -\n");
}
