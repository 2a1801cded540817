// The journal entries trace --journal sends, built without sending them:
// their fields, priorities and messages. tests/integration/journal_test.cpp
// sends them to a real systemd-journald and reads them back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "output/journal_sink.h"
#include "output/formatter.h"
#include "support/sample_totals.h"
#include "support/sample_transition.h"

using namespace tcpfsm;

namespace {

using test::kWall;

Transition transition() { return test::sample_transition(); }

std::vector<std::string> fields(const JournalEntry& e) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < e.size(); ++i) out.emplace_back(e.field(i));
  return out;
}

std::vector<std::string> values(const JournalEntry& e, std::string_view name) {
  std::vector<std::string> out;
  for (const std::string& f : fields(e))
    if (f.starts_with(std::string(name) + "=")) out.push_back(f.substr(name.size() + 1));
  return out;
}

}  // namespace

TEST(JournalEntries, TransitionFieldsAreTheJsonKeysUpperCased) {
  EXPECT_EQ(fields(journal_transition_entry(transition(), {})),
            (std::vector<std::string>{
                "TCPFSM_TYPE=transition", "TS=2026-11-21T07:42:31.000001500Z", "KTIME_NS=123", "CPU=1", "COOKIE=9",
                "FAMILY=ipv4", "LADDR=127.0.0.1", "LPORT=40000", "RADDR=10.0.0.5", "RPORT=8080", "OLD=SYN_SENT",
                "NEW=ESTABLISHED", "OLD_NS=250000", "PID=4242", "TID=4243", "COMM=curl", "INO=31337",
                "NETNS=4026531840", "CGROUP_ID=8589", "VERDICT=ok",
                "MESSAGE=SYN_SENT -> ESTABLISHED 127.0.0.1:40000 <-> 10.0.0.5:8080 (task curl[4242])", "PRIORITY=6",
                "SYSLOG_IDENTIFIER=tcpfsm"}));
}

TEST(JournalEntries, ALifeIsItsKnownMembersPrefixed) {
  Transition t = transition();
  t.new_state = 7;  // CLOSE
  t.life.emplace();
  t.life->role = Role::Server;
  t.life->duration_ns = 94385;
  t.life->rx_bytes = 1000;
  t.life->tx_bytes = 300;
  const JournalEntry e = journal_transition_entry(t, {});
  EXPECT_EQ(e.get("LIFE_ROLE"), "server");
  EXPECT_EQ(e.get("LIFE_DURATION_NS"), "94385");
  EXPECT_EQ(e.get("LIFE_RX_BYTES"), "1000");
  EXPECT_EQ(e.get("LIFE_TX_BYTES"), "300");
  EXPECT_EQ(e.get("LIFE_SRTT_US"), std::nullopt);  // the JSON's null
  EXPECT_EQ(e.get("LIFE_RETRANS"), std::nullopt);
}

TEST(JournalEntries, PriorityFollowsTheVerdict) {
  EXPECT_EQ(journal_priority(VerdictKind::Ok), 6);
  EXPECT_EQ(journal_priority(VerdictKind::Gap), 5);
  EXPECT_EQ(journal_priority(VerdictKind::Illegal), 4);
  EXPECT_EQ(journal_priority(VerdictKind::UnknownState), 4);
  const JournalEntry gap = journal_transition_entry(transition(), {VerdictKind::Gap, "last seen in LISTEN"});
  EXPECT_EQ(gap.get("PRIORITY"), "5");
  EXPECT_EQ(gap.get("VERDICT"), "gap");
  EXPECT_EQ(gap.get("REASON"), "last seen in LISTEN");
  EXPECT_TRUE(gap.get("MESSAGE")->ends_with(" gap: last seen in LISTEN"));
  Transition unknown = transition();
  unknown.new_state = 42;
  const JournalEntry e = journal_transition_entry(unknown, {VerdictKind::UnknownState, "state 42"});
  EXPECT_EQ(e.get("NEW"), "42");
  EXPECT_EQ(e.get("PRIORITY"), "4");
  EXPECT_EQ(journal_transition_entry(transition(), {VerdictKind::Illegal, "no such edge"}).get("PRIORITY"), "4");
}

// A process names itself anything: the field keeps the bytes (the journal
// takes them with their length), the message shows them escaped.
TEST(JournalEntries, HostileNamesKeepTheirBytesInFieldsAndAreEscapedInTheMessage) {
  Transition t = transition();
  t.comm = std::string_view("a\nb\x1b]0;x\x07");
  t.owner_pid = 77;
  t.owner_comm = "own\xff\n";
  t.cgroup = "/evil\ndir";
  const JournalEntry e = journal_transition_entry(t, {});
  EXPECT_EQ(e.get("COMM"), "a\nb\x1b]0;x\x07");
  EXPECT_EQ(e.get("OWNER_PID"), "77");
  EXPECT_EQ(e.get("OWNER_COMM"), "own\xff\n");
  EXPECT_EQ(e.get("CGROUP"), "/evil\ndir");
  EXPECT_EQ(e.get("MESSAGE"), "SYN_SENT -> ESTABLISHED 127.0.0.1:40000 <-> 10.0.0.5:8080 (own\\xff\\x0a[77])");
  t.owner_pid = 0;
  EXPECT_EQ(journal_transition_entry(t, {}).get("MESSAGE"),
            "SYN_SENT -> ESTABLISHED 127.0.0.1:40000 <-> 10.0.0.5:8080 (task a\\x0ab\\x1b]0;x\\x07[4242])");
}

TEST(JournalEntries, CauseErrorResetReasonAndIpv6InTheMessage) {
  Transition t = transition();
  t.ipv6 = true;
  t.local.addr = {};
  t.local.addr[15] = 1;  // ::1
  t.remote.addr = t.local.addr;
  t.new_state = 7;  // CLOSE
  t.old_ns.reset();
  t.cause = Cause::RstReceived;
  t.reported.kernel.error = 111;  // ECONNREFUSED
  const JournalEntry e = journal_transition_entry(t, {});
  EXPECT_EQ(e.get("OLD_NS"), std::nullopt);  // the JSON's null
  EXPECT_EQ(e.get("CAUSE"), "rst_received");
  EXPECT_EQ(e.get("ERROR"), "ECONNREFUSED");
  EXPECT_EQ(e.get("MESSAGE"),
            "SYN_SENT -> CLOSE [::1]:40000 <-> [::1]:8080 (task curl[4242]) rst_received ECONNREFUSED");
}

TEST(JournalEntries, StartListsRepeatTheirField) {
  StartInfo s;
  s.wall_ns = kWall;
  s.cause = "run";
  s.version = "0.1.0";
  s.attach = "tp_btf";
  s.buffer = "ring";
  s.model = "linux";
  s.filters.ports.either = {80, 443};
  s.filters.states = 1U << 8;  // CLOSE_WAIT
  s.filters.cgroups = {"/a", "/b\nc"};
  const JournalEntry e = journal_start_entry(s);
  EXPECT_EQ(e.get("TCPFSM_TYPE"), "start");
  EXPECT_EQ(values(e, "FILTERS_PORTS"), (std::vector<std::string>{"80", "443"}));
  EXPECT_EQ(values(e, "FILTERS_STATES"), (std::vector<std::string>{"CLOSE_WAIT"}));
  EXPECT_EQ(values(e, "FILTERS_CGROUPS"), (std::vector<std::string>{"/a", "/b\nc"}));
  EXPECT_EQ(e.get("FILTERS_FAMILY"), "any");
  EXPECT_EQ(e.get("FILTERS_PID"), std::nullopt);
  EXPECT_EQ(e.get("MESSAGE"), "tcpfsm 0.1.0 tracing TCP state transitions (tp_btf, ring buffer), model linux");
  EXPECT_EQ(e.get("PRIORITY"), "6");
}

TEST(JournalEntries, LostIsAWarningStatsAndEndCarryTheTotals) {
  const JournalEntry lost = journal_lost_entry(kWall, {3, 1, 2});
  EXPECT_EQ(fields(lost), (std::vector<std::string>{
                              "TCPFSM_TYPE=lost", "TS=2026-11-21T07:42:31.000001500Z", "RINGBUF=3", "RECURSION=1",
                              "SKSTATE=2",
                              "MESSAGE=lost: ring buffer full 3, recursion 1, per-socket state not stored 2",
                              "PRIORITY=4", "SYSLOG_IDENTIFIER=tcpfsm"}));
  const Totals t = test::sample_totals();
  const std::vector<std::string> totals = {
      "TRANSITIONS=100",       "LOST_RINGBUF=1",           "LOST_RECURSION=2",     "LOST_SKSTATE=3",
      "VIOLATIONS_ILLEGAL=4",  "VIOLATIONS_GAP=5",         "VIOLATIONS_UNKNOWN_STATE=6",
      "SOCKETS_TRACKED=7",     "SOCKETS_UNTRACKED=8",      "SOCKETS_STALE=9",      "CROSSCHECK_ERRORS=10",
      "OWNERS_UNRESOLVED=11",  "CAUSES_LOST=12",           "CAUSES_LATE=13",       "LOG_OPEN_FAILURES=14",
      "JOURNAL_NOT_SENT=15"};
  const auto with_totals = [&](std::vector<std::string> head, const std::vector<std::string>& tail) {
    head.insert(head.end(), totals.begin(), totals.end());
    head.insert(head.end(), tail.begin(), tail.end());
    return head;
  };
  const JournalEntry stats = journal_stats_entry({kWall, t, 1'000'000'000, 11.6});
  EXPECT_EQ(fields(stats), with_totals({"TCPFSM_TYPE=stats", "TS=2026-11-21T07:42:31.000001500Z"},
                                       {"INTERVAL_NS=1000000000", "TRANSITIONS_PER_S=12",
                                        "MESSAGE=stats: " + describe(t), "PRIORITY=6", "SYSLOG_IDENTIFIER=tcpfsm"}));
  const JournalEntry end = journal_end_entry({kWall, t, 15, 2'500'000'000, "signal", "SIGTERM"});
  EXPECT_EQ(fields(end), with_totals({"TCPFSM_TYPE=end", "TS=2026-11-21T07:42:31.000001500Z"},
                                     {"KERNEL_MATCHED=15", "DURATION_NS=2500000000", "REASON=signal", "SIGNAL=SIGTERM",
                                      "MESSAGE=tcpfsm ended (SIGTERM) after 2.5s: " + describe(t), "PRIORITY=6",
                                      "SYSLOG_IDENTIFIER=tcpfsm"}));
}

// No name can hold '=' or a newline (libsystemd refuses such a field), and
// every value is found again whole, whatever bytes it holds.
TEST(JournalEntries, EveryFieldIsNameEqualsValue) {
  Transition t = transition();
  t.comm = std::string_view("x=y\n\0z", 6);
  const JournalEntry e = journal_transition_entry(t, {VerdictKind::Illegal, "a\nb"});
  for (const std::string& f : fields(e)) {
    const auto eq = f.find('=');
    ASSERT_NE(eq, std::string::npos) << f;
    for (char c : f.substr(0, eq)) EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << f;
  }
  EXPECT_EQ(e.get("COMM"), "x=y\n");  // a comm ends at its first NUL, as the kernel's does
  EXPECT_EQ(e.get("REASON"), "a\nb");
  EXPECT_EQ(e.get("MESSAGE")->find('\n'), std::string::npos);
}
