// The metrics exposition, exactly: what counts, how it is named and escaped.
#include <gtest/gtest.h>

#include "metrics/exposition.h"
#include "metrics/server.h"
#include "model/states.h"
#include "support/sample_totals.h"

using namespace tcpfsm;

namespace {

constexpr int kClose = 7, kSynSent = 2, kEstablished = 1, kCloseWait = 8;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST(TransitionCounts, EdgesVerdictsAndTimeInState) {
  TransitionCounts c;
  c.observe(kClose, kSynSent, std::nullopt, VerdictKind::Ok);
  c.observe(kSynSent, kEstablished, 50'000, VerdictKind::Ok);        // 50 us
  c.observe(kSynSent, kEstablished, 2'000'000'000, VerdictKind::Ok);  // 2 s
  c.observe(kEstablished, 42, std::nullopt, VerdictKind::UnknownState);
  EXPECT_EQ(c.edges[kClose][kSynSent], 1u);
  EXPECT_EQ(c.edges[kSynSent][kEstablished], 2u);
  EXPECT_EQ((c.other_edges[{kEstablished, 42}]), 1u);
  EXPECT_EQ(c.total(), 4u);
  EXPECT_EQ(c.verdicts[0], 3u);
  EXPECT_EQ(c.verdicts[3], 1u);
  const auto& h = c.time_in_state[kSynSent];
  EXPECT_EQ(h.count, 2u);
  EXPECT_EQ(h.sum, 2'000'050'000u);  // ns
  EXPECT_EQ(h.buckets[1], 1u);  // le 1e-4
  EXPECT_EQ(h.buckets[6], 1u);  // le 10
}

TEST(Exposition, ClosesByCause) {
  MetricsSnapshot s;
  s.transitions.observe(kEstablished, kClose, std::nullopt, VerdictKind::Ok, Cause::RstReceived);
  s.transitions.observe(kEstablished, kClose, std::nullopt, VerdictKind::Ok, Cause::RstReceived);
  s.transitions.observe(kSynSent, kClose, std::nullopt, VerdictKind::Ok, Cause::Timeout);
  s.transitions.observe(kEstablished, kClose, std::nullopt, VerdictKind::Ok);  // nothing told
  s.transitions.observe(kEstablished, kCloseWait, std::nullopt, VerdictKind::Ok, Cause::FinReceived);  // not a close
  s.run.causes_lost = 2;
  const std::string text = exposition(s, ExpositionFormat::Prometheus);
  EXPECT_TRUE(has_line(text, "# TYPE tcpfsm_closes_total counter")) << text;
  EXPECT_TRUE(has_line(text, "tcpfsm_closes_total{cause=\"rst_received\"} 2"));
  EXPECT_TRUE(has_line(text, "tcpfsm_closes_total{cause=\"timeout\"} 1"));
  EXPECT_TRUE(has_line(text, "tcpfsm_closes_total{cause=\"unknown\"} 1"));
  EXPECT_EQ(text.find("tcpfsm_closes_total{cause=\"fin_received\"}"), std::string::npos);
  EXPECT_TRUE(has_line(text, "tcpfsm_reset_reports_lost_total 2"));
}

TEST(Exposition, PrometheusTextFormat) {
  MetricsSnapshot s;
  s.transitions.observe(kSynSent, kEstablished, 50'000, VerdictKind::Ok);
  s.run.lost.ringbuf = 3;
  s.run.sockets.tracked = 5;
  s.version = "0.1.0";
  s.attach = "tp_btf";
  s.buffer = "ring";
  s.kernel = "6.18";
  s.stuck = {{kCloseWait, "java", "docker:0123456789ab", "6f1c2d3e-0000-4000-8000-000000000001", "4026532296", "8080",
              "server", 4, 187.25},
             {kCloseWait, "orphan", "", "", "4026531840", "443", "client", 1, 30}};
  s.netns = NetnsCounts{1, 2, 0};
  s.http = HttpRefusals{.evicted = 7, .busy = 0, .per_client = 14, .deadline = 3, .body = 2};
  const std::string text = exposition(s, ExpositionFormat::Prometheus);
  EXPECT_TRUE(text.starts_with("# HELP tcpfsm_transitions_total TCP state transitions written, by edge.\n"
                               "# TYPE tcpfsm_transitions_total counter\n"
                               "tcpfsm_transitions_total{old=\"SYN_SENT\",new=\"ESTABLISHED\"} 1\n"))
      << text;
  EXPECT_TRUE(has_line(text, "tcpfsm_verdicts_total{verdict=\"ok\"} 1"));
  EXPECT_TRUE(has_line(text, "tcpfsm_state_duration_seconds_bucket{state=\"SYN_SENT\",le=\"1e-05\"} 0"));
  EXPECT_TRUE(has_line(text, "tcpfsm_state_duration_seconds_bucket{state=\"SYN_SENT\",le=\"0.0001\"} 1"));
  EXPECT_TRUE(has_line(text, "tcpfsm_state_duration_seconds_bucket{state=\"SYN_SENT\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has_line(text, "tcpfsm_state_duration_seconds_sum{state=\"SYN_SENT\"} 5e-05"));
  EXPECT_TRUE(has_line(text, "tcpfsm_lost_events_total{reason=\"ringbuf\"} 3"));
  EXPECT_TRUE(has_line(text, "tcpfsm_sockets_tracked 5"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_stuck_sockets{state="CLOSE_WAIT",owner="java",container="docker:0123456789ab",)"
                             R"(pod_uid="6f1c2d3e-0000-4000-8000-000000000001",netns="4026532296",port="8080",)"
                             R"(role="server"} 4)"))
      << text;
  EXPECT_TRUE(has_line(text, R"(tcpfsm_stuck_oldest_seconds{state="CLOSE_WAIT",owner="java",container="docker:0123456789ab",)"
                             R"(pod_uid="6f1c2d3e-0000-4000-8000-000000000001",netns="4026532296",port="8080",)"
                             R"(role="server"} 187.25)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_stuck_sockets{state="CLOSE_WAIT",owner="orphan",container="",pod_uid="",)"
                             R"(netns="4026531840",port="443",role="client"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_netns{read="sock_diag"} 1)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_netns{read="held_sockets"} 2)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_netns{read="unreadable"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_http_refused_total{reason="evicted"} 7)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_http_refused_total{reason="busy"} 0)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_http_refused_total{reason="per_client"} 14)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_http_refused_total{reason="deadline"} 3)"));
  EXPECT_TRUE(has_line(text, R"(tcpfsm_http_refused_total{reason="body"} 2)"));
  EXPECT_TRUE(has_line(text, "# TYPE tcpfsm_build_info gauge"));
  EXPECT_TRUE(has_line(text, "tcpfsm_build_info{version=\"0.1.0\",attach=\"tp_btf\",buffer=\"ring\",kernel=\"6.18\"} 1"));
  EXPECT_EQ(text.find("tcpfsm_sockets{"), std::string::npos);          // no sock_diag numbers: no gauge
  EXPECT_EQ(text.find("tcpfsm_bpf_program_runs"), std::string::npos);  // bpf_stats off
  EXPECT_EQ(text.find("# EOF"), std::string::npos);
}

namespace {

// The connection families as written: from the first to the run's counters after them.
std::string connection_families(const std::string& text) {
  const auto from = text.find("# HELP tcpfsm_connection_duration_seconds");
  const auto to = text.find("# HELP tcpfsm_lost_events");
  return from < to && to != std::string::npos ? text.substr(from, to - from) : "not found in:\n" + text;
}

ConnectionLife life(Role role, std::optional<std::uint64_t> duration_ns, std::optional<std::uint64_t> rx,
                    std::optional<std::uint64_t> tx, std::optional<std::uint32_t> srtt_us,
                    std::optional<std::uint32_t> retrans) {
  ConnectionLife l;
  l.role = role;
  l.duration_ns = duration_ns;
  l.rx_bytes = rx;
  l.tx_bytes = tx;
  l.srtt_us = srtt_us;
  l.retrans = retrans;
  return l;
}

}  // namespace

// Known lives, each observed where it knows the value and nowhere it does
// not; a value on a bound counts in that bound's bucket.
TEST(Exposition, ConnectionLivesExactly) {
  MetricsSnapshot s;
  s.connections.observe(life(Role::Client, 2'500'000, 1'000, 300, 15, 0));
  s.connections.observe(life(Role::Client, 1'500'000'000, 2'000'000, 100, 45'000, 3));
  s.connections.observe(life(Role::Client, 60'000, 0, 0, std::nullopt, 0));  // refused: no RTT measured
  s.connections.observe(life(Role::Server, 84'868, 300, 1'000, 15, 0));
  s.connections.observe(life(Role::Unknown, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt));
  EXPECT_EQ(connection_families(exposition(s, ExpositionFormat::Prometheus)),
            "# HELP tcpfsm_connection_duration_seconds Time from a connection's start (connect(), or the SYN its "
            "listener answered) to its end, by role, observed when it ended; connections whose start was not seen "
            "are not in it.\n"
            "# TYPE tcpfsm_connection_duration_seconds histogram\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"0.001\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"0.01\"} 2\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"0.1\"} 2\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"1\"} 2\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"10\"} 3\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"60\"} 3\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"600\"} 3\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"3600\"} 3\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"client\",le=\"+Inf\"} 3\n"
            "tcpfsm_connection_duration_seconds_sum{role=\"client\"} 1.50256\n"
            "tcpfsm_connection_duration_seconds_count{role=\"client\"} 3\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"0.001\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"0.01\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"0.1\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"1\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"10\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"60\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"600\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"3600\"} 1\n"
            "tcpfsm_connection_duration_seconds_bucket{role=\"server\",le=\"+Inf\"} 1\n"
            "tcpfsm_connection_duration_seconds_sum{role=\"server\"} 8.4868e-05\n"
            "tcpfsm_connection_duration_seconds_count{role=\"server\"} 1\n"
            "# HELP tcpfsm_connection_bytes Payload bytes a connection received (rx) and sent (tx, each byte once), "
            "by role, observed when it ended.\n"
            "# TYPE tcpfsm_connection_bytes histogram\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"100\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"1000\"} 2\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"10000\"} 2\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"100000\"} 2\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"1000000\"} 2\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"10000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"100000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"1000000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"rx\",le=\"+Inf\"} 3\n"
            "tcpfsm_connection_bytes_sum{role=\"client\",direction=\"rx\"} 2001000\n"
            "tcpfsm_connection_bytes_count{role=\"client\",direction=\"rx\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"100\"} 2\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"1000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"10000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"100000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"1000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"10000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"100000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"1000000000\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"client\",direction=\"tx\",le=\"+Inf\"} 3\n"
            "tcpfsm_connection_bytes_sum{role=\"client\",direction=\"tx\"} 400\n"
            "tcpfsm_connection_bytes_count{role=\"client\",direction=\"tx\"} 3\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"100\"} 0\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"1000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"10000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"100000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"1000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"10000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"100000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"1000000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"rx\",le=\"+Inf\"} 1\n"
            "tcpfsm_connection_bytes_sum{role=\"server\",direction=\"rx\"} 300\n"
            "tcpfsm_connection_bytes_count{role=\"server\",direction=\"rx\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"100\"} 0\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"1000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"10000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"100000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"1000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"10000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"100000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"1000000000\"} 1\n"
            "tcpfsm_connection_bytes_bucket{role=\"server\",direction=\"tx\",le=\"+Inf\"} 1\n"
            "tcpfsm_connection_bytes_sum{role=\"server\",direction=\"tx\"} 1000\n"
            "tcpfsm_connection_bytes_count{role=\"server\",direction=\"tx\"} 1\n"
            "# HELP tcpfsm_connection_srtt_seconds A connection's smoothed round-trip time as it ended; connections "
            "without an RTT measured (refused, never answered) are not in it.\n"
            "# TYPE tcpfsm_connection_srtt_seconds histogram\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"1e-05\"} 0\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.0001\"} 2\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.001\"} 2\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.01\"} 2\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.05\"} 3\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.1\"} 3\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"0.25\"} 3\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"1\"} 3\n"
            "tcpfsm_connection_srtt_seconds_bucket{le=\"+Inf\"} 3\n"
            "tcpfsm_connection_srtt_seconds_sum 0.04503\n"
            "tcpfsm_connection_srtt_seconds_count 3\n"
            "# HELP tcpfsm_retransmits_total Segments retransmitted, summed over the connections that ended.\n"
            "# TYPE tcpfsm_retransmits_total counter\n"
            "tcpfsm_retransmits_total 3\n");
  // OpenMetrics: the same samples; the counter's family without _total.
  const std::string om = connection_families(exposition(s, ExpositionFormat::OpenMetrics));
  EXPECT_NE(om.find("# TYPE tcpfsm_retransmits counter\ntcpfsm_retransmits_total 3\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# TYPE tcpfsm_connection_bytes histogram\n"), std::string::npos) << om;
}

// Before any connection ended: no series by role, an empty RTT histogram
// and no retransmits, so that rate() has its zero from the start.
TEST(Exposition, NoConnectionEndedYet) {
  const std::string text = exposition(MetricsSnapshot{}, ExpositionFormat::Prometheus);
  EXPECT_EQ(text.find("tcpfsm_connection_duration_seconds_bucket"), std::string::npos) << text;
  EXPECT_EQ(text.find("tcpfsm_connection_bytes_bucket"), std::string::npos);
  EXPECT_TRUE(has_line(text, "tcpfsm_connection_srtt_seconds_bucket{le=\"+Inf\"} 0"));
  EXPECT_TRUE(has_line(text, "tcpfsm_connection_srtt_seconds_count 0"));
  EXPECT_TRUE(has_line(text, "tcpfsm_retransmits_total 0"));
}

namespace {

// The run's counters as written: from their first family to the gauges after them.
std::string run_counters(const std::string& text) {
  const auto from = text.find("# HELP tcpfsm_lost_events");
  const auto to = text.find("# HELP tcpfsm_stuck_sockets");
  return from < to && to != std::string::npos ? text.substr(from, to - from) : "not found in:\n" + text;
}

}  // namespace

// Each of the run's counters under its own family (or label), by its own
// value: the families of several rows once, with one HELP and TYPE.
TEST(Exposition, EveryRunCounterExactly) {
  MetricsSnapshot s;
  s.run = test::sample_totals();
  EXPECT_EQ(run_counters(exposition(s, ExpositionFormat::Prometheus)),
            "# HELP tcpfsm_lost_events_total Transitions the kernel could not deliver (ringbuf, recursion), and "
            "per-socket state it could not store (skstate: old_ns unknown later, not a lost transition).\n"
            "# TYPE tcpfsm_lost_events_total counter\n"
            "tcpfsm_lost_events_total{reason=\"ringbuf\"} 1\n"
            "tcpfsm_lost_events_total{reason=\"recursion\"} 2\n"
            "tcpfsm_lost_events_total{reason=\"skstate\"} 3\n"
            "# HELP tcpfsm_sockets_tracked Sockets in tcpfsm's socket table now.\n"
            "# TYPE tcpfsm_sockets_tracked gauge\n"
            "tcpfsm_sockets_tracked 7\n"
            "# HELP tcpfsm_untracked_transitions_total Transitions of sockets the table had no room for "
            "(--max-sockets).\n"
            "# TYPE tcpfsm_untracked_transitions_total counter\n"
            "tcpfsm_untracked_transitions_total 8\n"
            "# HELP tcpfsm_sockets_stale_total Sockets dropped from the table because the kernel no longer had them "
            "(their CLOSE was lost).\n"
            "# TYPE tcpfsm_sockets_stale_total counter\n"
            "tcpfsm_sockets_stale_total 9\n"
            "# HELP tcpfsm_crosscheck_errors_total Cross-checks of the socket table with the kernel that failed (a "
            "namespace out of reach, sock_diag).\n"
            "# TYPE tcpfsm_crosscheck_errors_total counter\n"
            "tcpfsm_crosscheck_errors_total 10\n"
            "# HELP tcpfsm_owners_unresolved_total Transitions of a socket with a file written without its owner (not "
            "found in /proc).\n"
            "# TYPE tcpfsm_owners_unresolved_total counter\n"
            "tcpfsm_owners_unresolved_total 11\n"
            "# HELP tcpfsm_reset_reports_lost_total Reports of resets the kernel could not deliver (ring buffer full, "
            "program skipped): the transitions they explain lack the cause rst_received or rst_sent.\n"
            "# TYPE tcpfsm_reset_reports_lost_total counter\n"
            "tcpfsm_reset_reports_lost_total 12\n"
            "# HELP tcpfsm_reset_reports_late_total Reports of resets that came after their transition into CLOSE had "
            "been written (more than 20 ms late): it lacks the cause rst_received or rst_sent.\n"
            "# TYPE tcpfsm_reset_reports_late_total counter\n"
            "tcpfsm_reset_reports_late_total 13\n"
            "# HELP tcpfsm_log_open_failures_total Times the log's next file (--rotate-size) or the log again (SIGHUP) "
            "could not be opened: the file already open was written to meanwhile.\n"
            "# TYPE tcpfsm_log_open_failures_total counter\n"
            "tcpfsm_log_open_failures_total 14\n"
            "# HELP tcpfsm_journal_records_not_sent_total Records that did not reach the systemd journal (--journal): "
            "no journald, more than 8192 waiting, or not taken within 2 s of the end.\n"
            "# TYPE tcpfsm_journal_records_not_sent_total counter\n"
            "tcpfsm_journal_records_not_sent_total 15\n");
  // OpenMetrics: the same, counters' families named without _total.
  const std::string om = run_counters(exposition(s, ExpositionFormat::OpenMetrics));
  EXPECT_NE(om.find("# TYPE tcpfsm_lost_events counter\ntcpfsm_lost_events_total{reason=\"ringbuf\"} 1\n"),
            std::string::npos)
      << om;
  EXPECT_NE(om.find("# TYPE tcpfsm_sockets_tracked gauge\ntcpfsm_sockets_tracked 7\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# TYPE tcpfsm_log_open_failures counter\ntcpfsm_log_open_failures_total 14\n"),
            std::string::npos)
      << om;
}

TEST(Exposition, OpenMetricsNamesFamiliesWithoutSuffixesAndEnds) {
  MetricsSnapshot s;
  s.bpf_runs = 10;
  s.bpf_run_ns = 2'500;
  s.sockets_by_state.emplace().fill(0);
  (*s.sockets_by_state)[number(State::TimeWait)] = 7;
  const std::string text = exposition(s, ExpositionFormat::OpenMetrics);
  EXPECT_TRUE(has_line(text, "# TYPE tcpfsm_transitions counter"));
  EXPECT_TRUE(has_line(text, "# TYPE tcpfsm_build info"));
  EXPECT_TRUE(has_line(text, "tcpfsm_sockets{state=\"TIME_WAIT\"} 7"));
  EXPECT_TRUE(has_line(text, "tcpfsm_sockets{state=\"CLOSE_WAIT\"} 0"));
  EXPECT_TRUE(has_line(text, "tcpfsm_bpf_program_runs_total 10"));
  EXPECT_TRUE(has_line(text, "tcpfsm_bpf_program_run_seconds_total 2.5e-06"));
  EXPECT_TRUE(text.ends_with("\n# EOF\n"));
}

TEST(Exposition, LabelValuesAreEscapedForTheTerminalAndTheFormat) {
  MetricsSnapshot s;
  s.stuck = {{kCloseWait, "a\"b\\c\x1b]0;x\x07", "", "", "1", "80", "server", 1, 0}};
  const std::string text = exposition(s, ExpositionFormat::Prometheus);
  EXPECT_TRUE(has_line(text, R"(tcpfsm_stuck_sockets{state="CLOSE_WAIT",owner="a\"b\\\\c\\x1b]0;x\\x07",container="",)"
                             R"(pod_uid="",netns="1",port="80",role="server"} 1)")) << text;
}

// An alert's text quotes the owner label: a bidi override or a zero-width
// character in a process name is escaped there too.
TEST(Exposition, BidiAndFormatCharactersInLabelValuesAreEscaped) {
  MetricsSnapshot s;
  s.stuck = {{kCloseWait, "evil\xe2\x80\xae" "gpj\xe2\x80\x8b", "", "", "1", "80", "server", 1, 0}};
  const std::string text = exposition(s, ExpositionFormat::Prometheus);
  EXPECT_TRUE(has_line(text, R"(tcpfsm_stuck_sockets{state="CLOSE_WAIT",owner="evil\\xe2\\x80\\xaegpj\\xe2\\x80\\x8b",container="",)"
                             R"(pod_uid="",netns="1",port="80",role="server"} 1)"))
      << text;
}

TEST(Exposition, ContentNegotiation) {
  EXPECT_EQ(format_for_accept("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
            ExpositionFormat::OpenMetrics);
  EXPECT_EQ(format_for_accept("text/plain"), ExpositionFormat::Prometheus);
  EXPECT_EQ(format_for_accept(""), ExpositionFormat::Prometheus);
}
