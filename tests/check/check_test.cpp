// tcpfsm check, run in-process on crafted logs with injected streams.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "check/check.h"
#include "check/line_reader.h"

using namespace tcpfsm;

namespace {

struct Result {
  int status = -1;
  std::string out, err;
};

Result check(const std::string& input, CheckOptions o = {}) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Result r;
  r.status = run_check(o, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// Options as `tcpfsm check` has them by default, changed by `set`.
template <class F>
CheckOptions opts(F set) {
  CheckOptions o;
  set(o);
  return o;
}

nlohmann::json check_json(const std::string& input, CheckOptions o = {}) {
  o.format = ReportFormat::Json;
  const Result r = check(input, o);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

// A transition record as `trace` writes it (fields check does not read left out).
std::string tr(std::uint64_t cookie, const std::string& from, const std::string& to,
               const std::string& old_ns = "null", int lport = 40000, int rport = 8080) {
  auto state = [](const std::string& s) { return s[0] >= '0' && s[0] <= '9' ? s : "\"" + s + "\""; };
  return R"({"type":"transition","ts":"2026-11-21T07:00:00.000000001Z","cookie":)" + std::to_string(cookie) +
         R"(,"family":"ipv4","laddr":"127.0.0.1","lport":)" + std::to_string(lport) +
         R"(,"raddr":"127.0.0.1","rport":)" + std::to_string(rport) + R"(,"old":)" + state(from) +
         R"(,"new":)" + state(to) + R"(,"old_ns":)" + old_ns + R"(,"verdict":"ok"})";
}

const std::string kStart = R"({"type":"start","ts":"2026-11-21T07:00:00.000000000Z","schema":1,"cause":"run"})";

// A log with one of each problem; the line numbers are the ones in the comments.
std::string crafted_log() {
  const std::string too_long = R"({"type":"transition","comm":")" + std::string(LineReader::kMaxLine, 'x') + "\"}";
  return kStart + "\n" +                                                   // 1
         tr(1, "CLOSE", "LISTEN", "null", 8080, 0) + "\n" +                // 2  listener
         tr(2, "CLOSE", "SYN_SENT", "null", 0) + "\n" +                    // 3  client
         tr(2, "SYN_SENT", "ESTABLISHED", "50000") + "\n" +                // 4
         tr(3, "LISTEN", "SYN_RECV", "null", 8080, 40000) + "\n" +         // 5  server child
         tr(3, "SYN_RECV", "ESTABLISHED", "20000", 8080, 40000) + "\n" +   // 6
         tr(2, "ESTABLISHED", "FIN_WAIT1", "1000000") + "\n" +             // 7
         tr(2, "FIN_WAIT1", "FIN_WAIT2", "30000") + "\n" +                 // 8
         tr(2, "FIN_WAIT2", "TIME_WAIT", "40000") + "\n" +                 // 9  illegal
         "garbage\n" +                                                     // 10 invalid_json
         R"({"type":"transition","cookie":"3","old":"ESTABLISHED","new":"CLOSE_WAIT"})" "\n"  // 11 wrong_type
         "\n" +                                                            // 12 empty_line
         R"({"type":"transition","cookie":4,"old":"CLOSED","new":"SYN_SENT"})" "\n"  // 13 unknown_state_name
         R"({"type":"transition","cookie":4,"old":"CLOSE"})" "\n"          // 14 missing_field
         R"({"type":"bogus","ts":"x"})" "\n"                               // 15 unknown_type
         R"({"type":"lost","ts":"x","ringbuf":2,"recursion":1,"skstate":4})" "\n" +  // 16
         tr(3, "CLOSE_WAIT", "LAST_ACK", "10", 8080, 40000) + "\n" +       // 17 gap, after the loss
         tr(3, "LAST_ACK", "CLOSE", "7000", 8080, 40000) + "\n" +          // 18 ends truncated
         tr(5, "ESTABLISHED", "42", "null", 1, 2) + "\n" +                 // 19 unknown_state
         R"({"type":"stats","ts":"x","transitions":12})" "\n" +            // 20
         tr(6, "CLOSE", "SYN_SENT", "null", 0, 9) + "\n" +                 // 21
         tr(6, "SYN_SENT", "CLOSE", "3000000", 0, 9) + "\n" +              // 22 failed connect
         tr(7, "CLOSE", "SYN_SENT", "null", 0, 80) + "\n" +                // 23
         tr(7, "SYN_SENT", "ESTABLISHED", "60000", 41000, 80) + "\n" +     // 24
         tr(7, "ESTABLISHED", "CLOSE", "2000000", 41000, 80) + "\n" +      // 25 reset
         too_long + "\n" +                                                 // 26 too_long
         tr(8, "CLOSE", "SYN_SENT", "null", 0, 443) + "\r\n" +             // 27 CRLF: read
         tr(1, "LISTEN", "CLOSE", "9000000000", 8080, 0) + "\n" +          // 28 listener closed
         R"({"type":"end","ts":"x","transitions":20,"reason":"signal"})" "\n"  // 29 count_mismatch
         R"({"type":"transition","cookie":9,"old":"CLO)";                  // 30 torn
}

const std::string kCraftedErr =
    "<stdin>:10: invalid_json: invalid JSON at column 1: syntax error while parsing value - invalid literal; last "
    "read: 'g'\n"
    "<stdin>:11: wrong_type: field \"cookie\" should be an unsigned integer, not a string\n"
    "<stdin>:12: empty_line: empty line\n"
    "<stdin>:13: unknown_state_name: field \"old\": unknown state name \"CLOSED\"\n"
    "<stdin>:14: missing_field: missing field \"new\" in a transition record\n"
    "<stdin>:15: unknown_type: unknown record type \"bogus\"\n"
    "<stdin>:26: too_long: line is 1048607 bytes, over the 1 MiB limit\n"
    "<stdin>:27: note: CRLF line ending, read as LF (not noted again for this file)\n"
    "<stdin>:29: count_mismatch: end record counts 20 transitions in its run, but 18 were read since its start at "
    "<stdin>:1\n"
    "<stdin>:30: torn_line: last line is cut short, with no newline (the writer stopped mid-line): invalid JSON at "
    "column 43: syntax error while parsing value - invalid string: missing closing quote; last read: '\"CLO'\n";

std::string temp_file(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::path(testing::TempDir()) / ("tcpfsm_check_" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

}  // namespace

TEST(Check, CraftedLogErrorsAreEachReportedWithFileAndLine) {
  const Result r = check(crafted_log());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, kCraftedErr);
}

TEST(Check, CraftedLogCounts) {
  const auto j = check_json(crafted_log());
  EXPECT_EQ(j["lines"], 30);
  EXPECT_EQ(j["records"], nlohmann::json::parse(R"({"transition":18,"lost":1,"start":1,"stats":1,"end":1})"));
  EXPECT_EQ(j["transitions"],
            nlohmann::json::parse(
                R"({"total":18,"ok":15,"illegal":1,"gap":1,"unknown_state":1,"gaps_explained":1})"));
  EXPECT_EQ(j["lifecycles"], nlohmann::json::parse(R"({"total":7,"listeners":1,"completed":1,"refused":0,"timed_out":0,
      "unreachable":0,"reset":0,"killed":0,"failed_connect":1,"aborted":1,"truncated":2,"open":2,"open_at_end":{"SYN_SENT":1,"TIME_WAIT":1,"42":1}})"));
  EXPECT_EQ(j["losses"], nlohmann::json::parse(R"({"records":1,"ringbuf":2,"recursion":1,"skstate":4})"));
  EXPECT_EQ(j["input_errors"], nlohmann::json::parse(R"({"total":9,"invalid_json":1,"not_an_object":0,
      "missing_field":1,"wrong_type":1,"unknown_state_name":1,"unknown_type":1,"too_long":1,"torn_line":1,
      "empty_line":1,"empty_file":0,"count_mismatch":1})"));
  EXPECT_EQ(j["runs_counted"], 1);
  EXPECT_EQ(j["files"], nlohmann::json::parse(R"([{"name":"<stdin>","lines":30,"crlf_lines":1}])"));
  EXPECT_EQ(j["exit_status"], 1);
  EXPECT_EQ(j["problems"].size(), 9u);
  EXPECT_EQ(j["problems"][0], nlohmann::json::parse(R"({"file":"<stdin>","line":10,"kind":"invalid_json",
      "message":"invalid JSON at column 1: syntax error while parsing value - invalid literal; last read: 'g'"})"));
}

TEST(Check, CraftedLogViolationsNameTheConnection) {
  const auto j = check_json(crafted_log());
  ASSERT_EQ(j["violations"].size(), 3u);
  EXPECT_EQ(j["violations"][0], nlohmann::json::parse(R"({"file":"<stdin>","line":9,"verdict":"illegal",
      "reason":"FIN_WAIT2 -> TIME_WAIT is not a transition Linux makes","old":"FIN_WAIT2","new":"TIME_WAIT",
      "cookie":2,"ts":"2026-11-21T07:00:00.000000001Z","family":"ipv4","laddr":"127.0.0.1","lport":40000,
      "raddr":"127.0.0.1","rport":8080,"count":1,"last_file":"<stdin>","last_line":9})"));
  EXPECT_EQ(j["violations"][1]["line"], 17);
  EXPECT_EQ(j["violations"][1]["reason"],
            "CLOSE_WAIT -> LAST_ACK, but the socket last entered ESTABLISHED: events lost (reported)");
  EXPECT_EQ(j["violations"][2]["line"], 19);
  EXPECT_EQ(j["violations"][2]["reason"], "ESTABLISHED -> 42: state 42 is not a known TCP state");
  EXPECT_EQ(j["violations_not_listed"], 0);
}

TEST(Check, CraftedLogTextReport) {
  const Result r = check(crafted_log());
  EXPECT_EQ(r.out,
            "tcpfsm check, linux model (exactly what Linux reports at sock:inet_sock_set_state)\n"
            "Input         1 file, 30 lines: <stdin> (30)\n"
            "              1 lines with CRLF endings, read as LF\n"
            "Records       22: transition 18, lost 1, start 1, stats 1, end 1\n"
            "Transitions   18: ok 15, illegal 1, gap 1 (1 explained by reported losses), unknown_state 1\n"
            "Lifecycles    7: connections 6, listeners 1\n"
            "              completed 1, refused 0, timed_out 0, unreachable 0, reset 0, killed 0, failed_connect 1, aborted 1,\n"
            "              truncated 2, open 2\n"
            "              still open when their run or the log ended, by state: SYN_SENT 1, TIME_WAIT 1, 42 1\n"
            "Losses        3 events: ringbuf 2, recursion 1; socket state not stored 4; lost records 1\n"
            "Input errors  9: invalid_json 1, missing_field 1, wrong_type 1, unknown_state_name 1, unknown_type 1, "
            "too_long 1, torn_line 1, empty_line 1, count_mismatch 1 (listed on stderr)\n"
            "Runs          1 with an end record: its transition total compared\n"
            "\n"
            "Violations (3)\n"
            "  <stdin>:9: illegal: FIN_WAIT2 -> TIME_WAIT is not a transition Linux makes [cookie 2 "
            "127.0.0.1:40000 -> 127.0.0.1:8080 at 2026-11-21T07:00:00.000000001Z]\n"
            "  <stdin>:17: gap: CLOSE_WAIT -> LAST_ACK, but the socket last entered ESTABLISHED: events lost "
            "(reported) [cookie 3 127.0.0.1:8080 -> 127.0.0.1:40000 at 2026-11-21T07:00:00.000000001Z]\n"
            "  <stdin>:19: unknown_state: ESTABLISHED -> 42: state 42 is not a known TCP state [cookie 5 "
            "127.0.0.1:1 -> 127.0.0.1:2 at 2026-11-21T07:00:00.000000001Z]\n"
            "\n"
            "Who and where (the 10 largest of each; owner - when the log does not say)\n"
            "  violations 3\n"
            "    owner      - 3\n"
            "    container  host 3\n"
            "    lport      1 1, 40000 1, 8080 1\n"
            "    peer       127.0.0.1:2 1, 127.0.0.1:40000 1, 127.0.0.1:8080 1\n"
            "  open at end 3\n"
            "    owner      - 3\n"
            "    container  host 3\n"
            "    lport      0 1, 1 1, 40000 1\n"
            "    peer       127.0.0.1:2 1, 127.0.0.1:443 1, 127.0.0.1:8080 1\n"
            "\n"
            "Transition matrix (old -> new)\n"
            "  OLD            NEW          COUNT  MODEL\n"
            "  CLOSE       -> LISTEN           1  passive open (listen)\n"
            "  CLOSE       -> SYN_SENT         4  active open (connect)\n"
            "  LISTEN      -> SYN_RECV         1  passive open: child created\n"
            "  LISTEN      -> CLOSE            1  listener closed\n"
            "  SYN_SENT    -> ESTABLISHED      2  handshake done (SYN-ACK received)\n"
            "  SYN_SENT    -> CLOSE            1  connect failed (refused, timeout, unreachable) or closed\n"
            "  SYN_RECV    -> ESTABLISHED      1  handshake done\n"
            "  ESTABLISHED -> FIN_WAIT1        1  active close\n"
            "  ESTABLISHED -> CLOSE            1  reset or abort\n"
            "  FIN_WAIT1   -> FIN_WAIT2        1  our FIN acked\n"
            "  FIN_WAIT2   -> TIME_WAIT        1  !! not in the linux model: peer's FIN received (RFC; Linux "
            "reports -> CLOSE)\n"
            "  CLOSE_WAIT  -> LAST_ACK         1  close after peer closed\n"
            "  LAST_ACK    -> CLOSE            1  our FIN acked: connection done\n"
            "  ESTABLISHED -> 42               1  !! not in the linux model\n"
            "\n"
            "Time in state (from old_ns, by the state left)\n"
            "  STATE        COUNT      P50      P90      P99      MAX\n"
            "  ESTABLISHED      2      1ms      2ms      2ms      2ms\n"
            "  SYN_SENT         3     61us      3ms      3ms      3ms\n"  // 60us: in the bucket up to 61.4us
            "  SYN_RECV         1     20us     20us     20us     20us\n"
            "  FIN_WAIT1        1     30us     30us     30us     30us\n"
            "  FIN_WAIT2        1     40us     40us     40us     40us\n"
            "  CLOSE_WAIT       1      0us      0us      0us      0us\n"
            "  LAST_ACK         1      7us      7us      7us      7us\n"
            "  LISTEN           1     9.0s     9.0s     9.0s     9.0s\n");
}

// Any program can write a log: what the report and the messages quote from
// it reaches the terminal escaped; the JSON report keeps the strings whole.
TEST(Check, TextQuotedFromTheLogIsEscaped) {
  const std::string log =
      R"({"type":"\u001b]0;owned\u0007\u001b[2J"})" "\n"
      R"({"type":"transition","ts":"\u001b[2J","cookie":1,"family":"ipv6","laddr":"\u009b1m","lport":1,)"
      R"("raddr":"::1","rport":2,"old":"LISTEN","new":"FIN_WAIT2"})" "\n";
  const Result r = check(log);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, R"(<stdin>:1: unknown_type: unknown record type "\x1b]0;owned\x07\x1b[2J")" "\n");
  EXPECT_NE(r.out.find(R"(  <stdin>:2: illegal: LISTEN -> FIN_WAIT2 is not a transition Linux makes [cookie 1 )"
                       R"([\xc2\x9b1m]:1 -> [::1]:2 at \x1b[2J])" "\n"),
            std::string::npos)
      << r.out;
  const auto j = check_json(log);
  EXPECT_EQ(j["violations"][0]["laddr"], "\xc2\x9b" "1m");
  EXPECT_EQ(j["violations"][0]["ts"], "\x1b[2J");
}

TEST(Check, CraftedLogUnderRfcFlagsTheLinuxOnlyEdges) {
  const auto j = check_json(crafted_log(), opts([](auto& o) { o.model = Model::Rfc; }));
  EXPECT_EQ(j["model"], "rfc");
  EXPECT_EQ(j["transitions"]["illegal"], 1);  // FIN_WAIT2 -> TIME_WAIT is fine here
  EXPECT_EQ(j["violations"][2]["line"], 25);
  EXPECT_EQ(j["violations"][2]["reason"],
            "ESTABLISHED -> CLOSE is not in RFC 9293 Figure 5 (Linux: reset or abort)");
}

TEST(Check, CleanLogExitsZero) {
  const std::string log = kStart + "\n" + tr(1, "CLOSE", "SYN_SENT") + "\n" + tr(1, "SYN_SENT", "ESTABLISHED", "5") +
                          "\n" + tr(1, "ESTABLISHED", "FIN_WAIT1", "5") + "\n" + tr(1, "FIN_WAIT1", "FIN_WAIT2", "5") +
                          "\n" + tr(1, "FIN_WAIT2", "CLOSE", "5") + "\n" +
                          R"({"type":"end","ts":"x","transitions":5})" "\n";
  const Result r = check(log);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  const auto j = check_json(log);
  EXPECT_EQ(j["lifecycles"]["completed"], 1);
  EXPECT_EQ(j["transitions"]["ok"], 5);
  EXPECT_EQ(j["exit_status"], 0);
  // The same log under rfc: the timewait takeover is a violation.
  EXPECT_EQ(check(log, opts([](auto& o) { o.model = Model::Rfc; })).status, 1);
}

TEST(Check, ARunWithNoEndRecordIsUnfinished) {
  // The tracer was killed (or its disk filled) after line 3.
  const std::string log =
      kStart + "\n" + tr(1, "CLOSE", "SYN_SENT") + "\n" + tr(1, "SYN_SENT", "ESTABLISHED", "5") + "\n";
  const Result r = check(log);
  EXPECT_EQ(r.status, 9);
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("\nUnfinished    1 trace run with no end record (the tracer was killed or its disk filled, "
                       "or it is still writing, or the files after a rotated one are missing):\n"
                       "              <stdin>:1 to <stdin>:3\n"),
            std::string::npos)
      << r.out;
  const auto j = check_json(log);
  EXPECT_EQ(j["unfinished_runs"],
            nlohmann::json::parse(R"([{"file":"<stdin>","line":1,"last_file":"<stdin>","last_line":3}])"));
  EXPECT_EQ(j["unfinished_runs_not_listed"], 0);
  EXPECT_EQ(j["exit_status"], 9);
  // A log with no start record is a piece of one: nothing to say of its runs.
  EXPECT_EQ(check(tr(1, "CLOSE", "SYN_SENT") + "\n").status, 0);
}

TEST(Check, ARunKilledBeforeTheNextBeganIsUnfinished) {
  // Killed mid-line with a connection open; the next run (Restart=on-failure)
  // sees it end: its start record on a line of its own (the writer ends the
  // torn line first) begins a run, so no gap.
  const std::string run1 = kStart + "\n" + tr(1, "CLOSE", "SYN_SENT") + "\n" +
                           tr(1, "SYN_SENT", "ESTABLISHED", "5") + "\n" + R"({"type":"transition","ts":"2026-11)";
  const std::string run2 = kStart + "\n" + tr(1, "FIN_WAIT2", "CLOSE", "5") + "\n" +
                           R"({"type":"end","ts":"x","transitions":1})" "\n";
  const Result r = check(run1 + "\n" + run2);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "<stdin>:4: invalid_json: invalid JSON at column 35: syntax error while parsing value - invalid string: "
            "missing closing quote; last read: '\"2026-11'\n");
  const auto j = check_json(run1 + "\n" + run2);
  EXPECT_EQ(j["transitions"]["gap"], 0);
  EXPECT_EQ(j["unfinished_runs"],
            nlohmann::json::parse(R"([{"file":"<stdin>","line":1,"last_file":"<stdin>","last_line":3}])"));
  EXPECT_EQ(j["runs_counted"], 1);
  // Appended to the torn line, the new run's start is lost with it: a gap.
  EXPECT_EQ(check_json(run1 + run2)["transitions"]["gap"], 1);
  // Without the torn line, the unfinished run alone: exit status 9.
  EXPECT_EQ(check(run1.substr(0, run1.rfind('\n') + 1) + run2).status, 9);
}

TEST(Check, FilesAreReadInOrderAsOneStream) {
  // A rotated log: the lifecycle runs across the two files; the end total covers both.
  const std::string first = temp_file("rot.1", kStart + "\n" + tr(1, "CLOSE", "SYN_SENT") + "\n");
  const std::string second =
      temp_file("rot", R"({"type":"start","ts":"x","cause":"rotate"})" "\n" + tr(1, "SYN_SENT", "CLOSE", "9") +
                           "\n" R"({"type":"end","ts":"x","transitions":2})" "\n");
  const CheckOptions o = opts([&](auto& o) {
    o.files = {first, second};
    o.format = ReportFormat::Json;
  });
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(run_check(o, in, out, err), 0);
  EXPECT_EQ(err.str(), "");
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["lifecycles"]["failed_connect"], 1);
  EXPECT_EQ(j["runs_counted"], 1);
  EXPECT_EQ(j["files"][0]["name"], first);
  EXPECT_EQ(j["files"][1]["lines"], 3);
  EXPECT_EQ(j["unfinished_runs"], nlohmann::json::array());
  // The older file alone ends mid-run; the newer alone ends its run.
  std::ostringstream out1, out2;
  EXPECT_EQ(run_check(opts([&](auto& o) { o.files = {first}; }), in, out1, err), 9);
  EXPECT_NE(out1.str().find("\n              " + first + ":1 to " + first + ":2\n"), std::string::npos) << out1.str();
  EXPECT_EQ(run_check(opts([&](auto& o) { o.files = {second}; }), in, out2, err), 0);
}

TEST(Check, NewRunStartsTheLifecyclesOver) {
  // A socket the first run saw ESTABLISHED closed while no tracer ran: not a gap.
  const std::string log = kStart + "\n" + tr(1, "CLOSE", "SYN_SENT") + "\n" + tr(1, "SYN_SENT", "ESTABLISHED", "5") +
                          "\n" + kStart + "\n" + tr(1, "CLOSE_WAIT", "LAST_ACK", "5") + "\n";
  const auto j = check_json(log);
  EXPECT_EQ(j["transitions"]["gap"], 0);
  EXPECT_EQ(j["lifecycles"]["open"], 1);
  EXPECT_EQ(j["lifecycles"]["truncated"], 1);
  EXPECT_EQ(j["lifecycles"]["open_at_end"], nlohmann::json::parse(R"({"ESTABLISHED":1,"LAST_ACK":1})"));
}

TEST(Check, StdinIsTheDashAmongFiles) {
  const std::string file = temp_file("before_stdin", tr(1, "CLOSE", "SYN_SENT") + "\n");
  const CheckOptions o = opts([&](auto& o) {
    o.files = {file, "-"};
    o.format = ReportFormat::Json;
  });
  std::istringstream in(tr(1, "SYN_SENT", "ESTABLISHED", "1") + "\n");
  std::ostringstream out, err;
  EXPECT_EQ(run_check(o, in, out, err), 0);
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["files"][1]["name"], "<stdin>");
  EXPECT_EQ(j["transitions"]["ok"], 2);
}

TEST(Check, UnreadableFilesAreAUsageErrorBeforeAnythingIsRead) {
  const std::string good = temp_file("good", tr(1, "CLOSE", "SYN_SENT") + "\n");
  const std::string missing = (std::filesystem::path(testing::TempDir()) / "tcpfsm_check_none").string();
  const std::string dir = testing::TempDir();
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(run_check(opts([&](auto& o) { o.files = {good, missing, dir}; }), in, out, err), 2);
  EXPECT_EQ(err.str(), "tcpfsm check: cannot read " + missing + ": No such file or directory\n" +
                           "tcpfsm check: cannot read " + dir + ": is a directory\n");
  EXPECT_EQ(out.str(), "");
}

// A file name is any bytes: whoever can name a file can put terminal
// controls in it, and `tcpfsm check *` would show them.
TEST(Check, FileNamesAreEscapedInMessagesAndTheTextReport) {
  const std::string hostile = "\x1b]0;owned\x07";
  const std::string shown = R"(\x1b]0;owned\x07)";
  const std::string bad = temp_file(hostile, "garbage\n" + tr(1, "FIN_WAIT2", "TIME_WAIT") + "\r\n");
  const std::string bad_shown = (std::filesystem::path(testing::TempDir()) / ("tcpfsm_check_" + shown)).string();
  const Result r = check("", opts([&](auto& o) { o.files = {bad}; }));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(bad_shown + ":1: invalid_json: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(bad_shown + ":2: note: CRLF line ending"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("1 file, 2 lines: " + bad_shown + " (2)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n  " + bad_shown + ":2: illegal: "), std::string::npos) << r.out;
  EXPECT_EQ((r.out + r.err).find('\x1b'), std::string::npos);

  const std::string missing = (std::filesystem::path(testing::TempDir()) / hostile).string();
  const Result gone = check("", opts([&](auto& o) { o.files = {missing}; }));
  EXPECT_EQ(gone.status, 2);
  EXPECT_EQ(gone.err, "tcpfsm check: cannot read " + (std::filesystem::path(testing::TempDir()) / shown).string() +
                          ": No such file or directory\n");
  // JSON keeps the name's bytes, in JSON escapes.
  EXPECT_EQ(check_json("", opts([&](auto& o) { o.files = {bad}; }))["files"][0]["name"], bad);
}

TEST(Check, ReadErrorIsExitTwoAfterTheReport) {
  struct FailingDevice : std::streambuf {
    int_type underflow() override { throw std::runtime_error("I/O error"); }
  } device;
  std::istream in(&device);
  std::ostringstream out, err;
  EXPECT_EQ(run_check(CheckOptions{}, in, out, err), 2);
  EXPECT_EQ(err.str(), "tcpfsm check: error reading <stdin> after line 0\n");
  EXPECT_NE(out.str().find("\nRecords       0: "), std::string::npos);
}

TEST(Check, EmptyInput) {
  const Result r = check("");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "<stdin>: empty_file: empty file\n");
  EXPECT_EQ(check_json("")["input_errors"]["empty_file"], 1);
}

TEST(Check, NulBytesAreInvalid) {
  // A record followed by NUL bytes, and a block of them, as a crash can leave.
  const Result r = check(kStart + std::string(3, '\0') + "junk\n" + std::string(4096, '\0') + "\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err,
            "<stdin>:1: invalid_json: invalid JSON at column 80: NUL byte\n"
            "<stdin>:2: invalid_json: invalid JSON at column 1: NUL byte\n");
}

TEST(Check, ValidLastLineWithoutNewlineIsRead) {
  const Result r = check(tr(1, "CLOSE", "SYN_SENT"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
}

TEST(Check, ShowLimitsTheListsNotTheCounts) {
  // Five violations, each of its own kind (alike ones are listed once).
  std::string log;
  int i = 0;
  for (const char* from : {"FIN_WAIT2", "LISTEN", "SYN_SENT", "ESTABLISHED", "CLOSE_WAIT"})
    log += tr(100 + i++, from, "TIME_WAIT", "1") + "\nbad\n";
  const Result r = check(log, opts([](auto& o) { o.show = 2; }));
  EXPECT_EQ(r.err,
            "<stdin>:2: invalid_json: invalid JSON at column 1: syntax error while parsing value - invalid literal; "
            "last read: 'b'\n"
            "<stdin>:4: invalid_json: invalid JSON at column 1: syntax error while parsing value - invalid literal; "
            "last read: 'b'\n"
            "tcpfsm check: 3 more input errors not listed (--show 0 lists all)\n");
  EXPECT_NE(r.out.find("\nViolations (5)\n"), std::string::npos);
  EXPECT_NE(r.out.find("\n  ... and 3 more (--show 0 lists all)\n"), std::string::npos);
  const auto j = check_json(log, opts([](auto& o) { o.show = 2; }));
  EXPECT_EQ(j["violations"].size(), 2u);
  EXPECT_EQ(j["violations_not_listed"], 3);
  EXPECT_EQ(j["problems_not_listed"], 3);
  EXPECT_EQ(check_json(log, opts([](auto& o) { o.show = 0; }))["violations"].size(), 5u);
}

TEST(Check, DotGraphHasCountsAndRedIllegalEdges) {
  const std::string dot = (std::filesystem::path(testing::TempDir()) / "tcpfsm_check.dot").string();
  const Result r = check(tr(1, "CLOSE", "SYN_SENT") + "\n" + tr(1, "SYN_SENT", "ESTABLISHED", "1") + "\n" +
                          tr(2, "CLOSE", "SYN_SENT") + "\n" + tr(2, "SYN_SENT", "TIME_WAIT", "1") + "\n",
                      opts([&](auto& o) { o.dot_path = dot; }));
  EXPECT_EQ(r.status, 1);
  std::ifstream in(dot);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "digraph tcpfsm {\n"
            "  label=\"tcpfsm check: transitions observed; red: not in the linux model\";\n"
            "  labelloc=t;\n"
            "  fontname=\"Helvetica\";\n"
            "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
            "  edge [fontname=\"Helvetica\", fontsize=10];\n"
            "  \"CLOSE\";\n"
            "  \"SYN_SENT\";\n"
            "  \"ESTABLISHED\";\n"
            "  \"TIME_WAIT\";\n"
            "  \"CLOSE\" -> \"SYN_SENT\" [label=\"2\"];\n"
            "  \"SYN_SENT\" -> \"ESTABLISHED\" [label=\"1\"];\n"
            "  \"SYN_SENT\" -> \"TIME_WAIT\" [label=\"1 (not in the model)\", color=red, fontcolor=red, "
            "penwidth=2];\n"
            "}\n");
}

TEST(Check, DotFileThatCannotBeWritten) {
  const Result r = check("", opts([](auto& o) { o.dot_path = "/nonexistent-dir/g.dot"; }));
  EXPECT_EQ(r.status, 8);
  EXPECT_EQ(r.err, "tcpfsm check: cannot write /nonexistent-dir/g.dot: No such file or directory\n");
}

namespace {

// A transition at 2026-11-21T07:00:<sec>Z, with `extra` (JSON members, each
// after a comma) after the usual fields.
std::string tx(int sec, std::uint64_t cookie, const std::string& from, const std::string& to, int lport,
               const std::string& raddr, int rport, const std::string& extra = "") {
  char ts[40];
  std::snprintf(ts, sizeof ts, "2026-11-21T07:00:%02d.000000000Z", sec);
  return R"({"type":"transition","ts":")" + std::string(ts) + R"(","cookie":)" + std::to_string(cookie) +
         R"(,"family":"ipv4","laddr":"10.0.0.1","lport":)" + std::to_string(lport) + R"(,"raddr":")" + raddr +
         R"(","rport":)" + std::to_string(rport) + R"(,"old":")" + from + R"(","new":")" + to + "\"" + extra +
         "}\n";
}

const std::string kNginx = R"(,"owner_pid":100,"owner_comm":"nginx")";
const std::string kCurl = R"(,"owner_pid":200,"owner_comm":"curl")";
const std::string kInA = R"(,"container":")" + std::string(64, 'a') + "\"";

// Resets, a refusal, a timeout, two alike violations and sockets left open,
// one of them in CLOSE_WAIT for 35 s when the log ends.
std::string who_log() {
  return kStart + "\n" +                                                                             // 1
         tx(0, 1, "CLOSE", "LISTEN", 8080, "0.0.0.0", 0, kNginx + kInA) +                            // 2
         tx(1, 2, "LISTEN", "SYN_RECV", 8080, "10.0.0.2", 50000, kNginx + kInA) +                    // 3
         tx(1, 2, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.2", 50000, kInA) +                        // 4
         tx(2, 2, "ESTABLISHED", "CLOSE", 8080, "10.0.0.2", 50000,                                   // 5 reset: its
            kInA + R"(,"cause":"rst_received","error":"ECONNRESET")") +                              //   owner from 3
         tx(2, 3, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                  // 6
         tx(3, 3, "SYN_SENT", "CLOSE", 41000, "10.0.0.9", 443,                                       // 7 refused
            R"(,"cause":"rst_received","error":"ECONNREFUSED")") +                                   //
         tx(3, 4, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                  // 8
         tx(4, 4, "SYN_SENT", "CLOSE", 41001, "10.0.0.9", 443, R"(,"cause":"timeout","error":"ETIMEDOUT")") +  // 9
         tx(5, 5, "LISTEN", "SYN_RECV", 8080, "10.0.0.3", 50001, kNginx + kInA) +                    // 10
         tx(5, 5, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.3", 50001, kNginx + kInA) +               // 11
         tx(5, 5, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001,                              // 12 stays
            kNginx + kInA + R"(,"cause":"fin_received")") +                                          //
         tx(6, 6, "ESTABLISHED", "CLOSE", 8080, "10.0.0.4", 50002, kInA + R"(,"cause":"rst_sent")") +  // 13 reset
         tx(7, 7, "FIN_WAIT2", "TIME_WAIT", 40000, "127.0.0.1", 8080) +                              // 14 illegal
         tx(8, 8, "FIN_WAIT2", "TIME_WAIT", 40001, "127.0.0.1", 8080) +                              // 15 the same
         R"({"type":"end","ts":"2026-11-21T07:00:40.000000000Z","transitions":14})" "\n";           // 16
}

// The report's section that begins with `title`, up to the blank line after it.
std::string section(const std::string& report, const std::string& title) {
  const auto at = report.find("\n" + title);
  if (at == std::string::npos) return "";
  const auto end = report.find("\n\n", at + 1);
  return report.substr(at + 1, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

TEST(Check, WhoAndWhereText) {
  const Result r = check(who_log());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(section(r.out, "Who and where"),
            "Who and where (the 10 largest of each; owner - when the log does not say)\n"
            "  resets 2\n"
            "    owner      - 1, nginx[100] 1\n"
            "    container  aaaaaaaaaaaa 2\n"
            "    lport      8080 2\n"
            "    peer       10.0.0.2:50000 1, 10.0.0.4:50002 1\n"
            "  timeouts 1\n"
            "    owner      curl[200] 1\n"
            "    container  host 1\n"
            "    lport      41001 1\n"
            "    peer       10.0.0.9:443 1\n"
            "  refusals 1\n"
            "    owner      curl[200] 1\n"
            "    container  host 1\n"
            "    lport      41000 1\n"
            "    peer       10.0.0.9:443 1\n"
            "  violations 2\n"
            "    owner      - 2\n"
            "    container  host 2\n"
            "    lport      40000 1, 40001 1\n"
            "    peer       127.0.0.1:8080 2\n"
            "  open at end 4\n"
            "    owner      - 2, nginx[100] 2\n"
            "    container  aaaaaaaaaaaa 2, host 2\n"
            "    lport      8080 2, 40000 1, 40001 1\n"
            "    peer       127.0.0.1:8080 2, 0.0.0.0 1, 10.0.0.3:50001 1\n");
}

TEST(Check, WhoAndWhereJson) {
  const auto j = check_json(who_log());
  const std::string a64(64, 'a');
  const auto one = [](const std::string& key, int n) { return nlohmann::json{{"key", key}, {"count", n}}; };
  const auto dim = [](nlohmann::json top, int distinct) {
    return nlohmann::json{{"top", std::move(top)}, {"other", 0}, {"distinct", distinct}};
  };
  nlohmann::json expected = {
      {"top_n", 10},
      {"max_distinct", 10000},
      {"resets",
       {{"count", 2},
        {"owner", dim({one("-", 1), one("nginx[100]", 1)}, 2)},
        {"container", dim({one(a64, 2)}, 1)},
        {"lport", dim({one("8080", 2)}, 1)},
        {"peer", dim({one("10.0.0.2:50000", 1), one("10.0.0.4:50002", 1)}, 2)}}},
      {"timeouts",
       {{"count", 1},
        {"owner", dim({one("curl[200]", 1)}, 1)},
        {"container", dim({one("host", 1)}, 1)},
        {"lport", dim({one("41001", 1)}, 1)},
        {"peer", dim({one("10.0.0.9:443", 1)}, 1)}}},
      {"refusals",
       {{"count", 1},
        {"owner", dim({one("curl[200]", 1)}, 1)},
        {"container", dim({one("host", 1)}, 1)},
        {"lport", dim({one("41000", 1)}, 1)},
        {"peer", dim({one("10.0.0.9:443", 1)}, 1)}}},
      {"violations",
       {{"count", 2},
        {"owner", dim({one("-", 2)}, 1)},
        {"container", dim({one("host", 2)}, 1)},
        {"lport", dim({one("40000", 1), one("40001", 1)}, 2)},
        {"peer", dim({one("127.0.0.1:8080", 2)}, 1)}}},
      {"open_at_end",
       {{"count", 4},
        {"owner", dim({one("-", 2), one("nginx[100]", 2)}, 2)},
        {"container", dim({one(a64, 2), one("host", 2)}, 2)},
        {"lport", dim({one("8080", 2), one("40000", 1), one("40001", 1)}, 3)},
        {"peer", dim({one("127.0.0.1:8080", 2), one("0.0.0.0", 1), one("10.0.0.3:50001", 1)}, 3)}}},
  };
  EXPECT_EQ(j["who_and_where"], expected) << j["who_and_where"].dump(2);
}

TEST(Check, WhoAndWhereKeepsAtMostTenThousandKeys) {
  // 10,003 timeouts, each from its own peer port: the first 10,000 ports are
  // kept, the 3 after them count as other, with the 9,990 not in the top 10.
  std::string log;
  for (int i = 0; i < 10003; ++i)
    log += tx(1, 1000 + i, "SYN_SENT", "CLOSE", 40000, "10.0.0.9", 1 + i, R"(,"cause":"timeout")");
  const auto j = check_json(log);
  const auto& peer = j["who_and_where"]["timeouts"]["peer"];
  EXPECT_EQ(j["who_and_where"]["timeouts"]["count"], 10003);
  EXPECT_EQ(peer["distinct"], 10000);
  EXPECT_EQ(peer["other"], 9993);
  ASSERT_EQ(peer["top"].size(), 10u);
  // All 1: by key, as text.
  EXPECT_EQ(peer["top"][0], nlohmann::json::parse(R"({"key":"10.0.0.9:1","count":1})"));
  EXPECT_EQ(peer["top"][1], nlohmann::json::parse(R"({"key":"10.0.0.9:10","count":1})"));
  EXPECT_EQ(j["who_and_where"]["timeouts"]["lport"]["top"][0],
            nlohmann::json::parse(R"({"key":"40000","count":10003})"));
  // Port 10001 and up came past the cap: not kept.
  EXPECT_NE(section(check(log).out, "Who and where").find("    peer       10.0.0.9:1 1, 10.0.0.9:10 1, 10.0.0.9:100 1, "
                                                          "10.0.0.9:1000 1, 10.0.0.9:10000 1, 10.0.0.9:1001 1, "
                                                          "10.0.0.9:1002 1, 10.0.0.9:1003 1, 10.0.0.9:1004 1, "
                                                          "10.0.0.9:1005 1, others 9993\n"),
            std::string::npos)
      << check(log).out;
}

TEST(Check, WhoAndWhereLabelsAreEscapedAndCut) {
  const std::string comm = "\\u001b[2J" + std::string(60, 'x');
  const std::string log = tx(1, 1, "ESTABLISHED", "CLOSE", 80, "::1", 9, R"(,"family":"ipv6","owner_pid":7,)"
                                                                        R"("owner_comm":")" + comm +
                                                                        R"(","cause":"rst_sent")");
  EXPECT_EQ(section(check(log).out, "Who and where"),
            "Who and where (the 10 largest of each; owner - when the log does not say)\n"
            "  resets 1\n"
            "    owner      \\x1b[2J" + std::string(41, 'x') + "... 1\n"
            "    container  host 1\n"
            "    lport      80 1\n"
            "    peer       [::1]:9 1\n");
  EXPECT_EQ(check_json(log)["who_and_where"]["resets"]["owner"]["top"][0]["key"],
            "\x1b[2J" + std::string(60, 'x') + "[7]");
}

// trace writes a name that is not UTF-8 with U+FFFD for its odd bytes, and
// the bytes themselves in owner_comm_bytes: check labels the owner by them.
TEST(Check, OwnerCommBytesNameTheOwner) {
  const std::string log = tx(1, 1, "ESTABLISHED", "CLOSE", 80, "10.0.0.2", 9,
                             R"(,"owner_pid":7,"owner_comm":"\ufffdw","owner_comm_bytes":"ff77","cause":"rst_sent")");
  const Result r = check(log);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(section(r.out, "Who and where").find("    owner      \\xffw[7] 1\n"), std::string::npos) << r.out;
}

TEST(Check, OwnerCommBytesThatAreNotHexAreAWrongType) {
  const Result r = check(tx(1, 1, "CLOSE", "SYN_SENT", 0, "10.0.0.2", 9,
                            R"(,"owner_pid":7,"owner_comm":"w","owner_comm_bytes":"f7w")"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "<stdin>:1: wrong_type: field \"owner_comm_bytes\" should be a string of hex digits, two a byte, "
                   "not \"f7w\"\n");
}

TEST(Check, WhoAndWhereKeepsAtMost256BytesOfAField) {
  // Any program can name itself, and any log line can hold 1 MiB: what is
  // kept of each label is bounded.
  const std::string log = tx(1, 1, "ESTABLISHED", "CLOSE", 80, std::string(1000, 'r'), 9,
                             R"(,"owner_pid":7,"owner_comm":")" + std::string(1000, 'x') + R"(","container":")" +
                                 std::string(1000, 'c') + R"(","cause":"rst_sent")");
  const auto j = check_json(log)["who_and_where"]["resets"];
  EXPECT_EQ(j["owner"]["top"][0]["key"], std::string(256, 'x') + "[7]");
  EXPECT_EQ(j["container"]["top"][0]["key"], std::string(256, 'c'));
  EXPECT_EQ(j["peer"]["top"][0]["key"], std::string(256, 'r') + ":9");
}

// Item 3 of issue 21: a violation repeated is listed once, with its count
// and where it was first and last seen.
TEST(Check, RepeatedViolationsAreGrouped) {
  const std::string log = tr(100, "FIN_WAIT2", "TIME_WAIT", "1") + "\n" + tr(200, "LISTEN", "FIN_WAIT2", "1") + "\n" +
                          tr(101, "FIN_WAIT2", "TIME_WAIT", "1") + "\n" + tr(102, "FIN_WAIT2", "TIME_WAIT", "1") + "\n";
  EXPECT_EQ(section(check(log).out, "Violations"),
            "Violations (4)\n"
            "  <stdin>:1: illegal: FIN_WAIT2 -> TIME_WAIT is not a transition Linux makes [cookie 100 "
            "127.0.0.1:40000 -> 127.0.0.1:8080 at 2026-11-21T07:00:00.000000001Z] (3 times, the last at <stdin>:4)\n"
            "  <stdin>:2: illegal: LISTEN -> FIN_WAIT2 is not a transition Linux makes [cookie 200 "
            "127.0.0.1:40000 -> 127.0.0.1:8080 at 2026-11-21T07:00:00.000000001Z]\n");
  const auto j = check_json(log);
  ASSERT_EQ(j["violations"].size(), 2u);
  EXPECT_EQ(j["violations"][0], nlohmann::json::parse(R"({"file":"<stdin>","line":1,"verdict":"illegal",
      "reason":"FIN_WAIT2 -> TIME_WAIT is not a transition Linux makes","old":"FIN_WAIT2","new":"TIME_WAIT",
      "cookie":100,"ts":"2026-11-21T07:00:00.000000001Z","family":"ipv4","laddr":"127.0.0.1","lport":40000,
      "raddr":"127.0.0.1","rport":8080,"count":3,"last_file":"<stdin>","last_line":4})"));
  EXPECT_EQ(j["violations"][1]["count"], 1);
  EXPECT_EQ(j["violations"][1]["last_line"], 2);
  EXPECT_EQ(j["violations_not_listed"], 0);
  // --show counts groups; the count of a listed group keeps growing.
  const auto one = check_json(log, opts([](auto& o) { o.show = 1; }));
  ASSERT_EQ(one["violations"].size(), 1u);
  EXPECT_EQ(one["violations"][0]["count"], 3);
  EXPECT_EQ(one["violations_not_listed"], 1);
}

// Item 2: a log that ends with sockets long in CLOSE_WAIT is clean, with a
// warning that names who holds them. The exit status stays 0.
TEST(Check, CloseWaitAtTheEndIsAWarning) {
  const std::string log = kStart + "\n" + tx(1, 1, "LISTEN", "SYN_RECV", 8080, "10.0.0.3", 50001, kNginx) +
                          tx(1, 1, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.3", 50001, kNginx) +
                          tx(2, 1, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, kNginx) +
                          tx(3, 2, "LISTEN", "SYN_RECV", 8080, "10.0.0.4", 50002) +
                          tx(3, 2, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.4", 50002) +
                          tx(4, 2, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.4", 50002) +
                          tx(20, 3, "LISTEN", "SYN_RECV", 8080, "10.0.0.5", 50003, kCurl) +
                          tx(20, 3, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.5", 50003, kCurl) +
                          tx(21, 3, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.5", 50003, kCurl) +  // 19 s: young
                          tx(40, 4, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +
                          R"({"type":"end","ts":"x"})" "\n";
  const Result r = check(log);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(section(r.out, "Clean, with warnings"),
            "Clean, with warnings (exit status 0)\n"
            "  warning: 2 sockets in CLOSE_WAIT for 30s or more at the end of the log (the oldest for 38.0s), "
            "held by - 1, nginx[100] 1\n");
  const auto j = check_json(log);
  EXPECT_EQ(j["exit_status"], 0);
  EXPECT_EQ(j["warnings"], nlohmann::json::parse(R"([{"kind":"stuck_at_end","state":"CLOSE_WAIT","sockets":2,
      "min_age_ns":30000000000,"oldest_ns":38000000000,
      "owners":{"top":[{"key":"-","count":1},{"key":"nginx[100]","count":1}],"other":0,"distinct":2},
      "message":"2 sockets in CLOSE_WAIT for 30s or more at the end of the log (the oldest for 38.0s), held by - 1,)"
                                                     R"( nginx[100] 1"}])"));
}

TEST(Check, CloseWaitWarningFollowsStuckAge) {
  const std::string log = tx(2, 1, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, kNginx) +
                          tx(21, 3, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.5", 50003, kCurl) +
                          tx(40, 4, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl);
  const auto aged = [&](std::chrono::nanoseconds age) {
    return check(log, opts([&](auto& o) { o.stuck_age = age; }));
  };
  // 38 s and 19 s in CLOSE_WAIT when the log ends.
  EXPECT_EQ(section(aged(std::chrono::seconds(39)).out, "Clean"), "");
  EXPECT_EQ(check_json(log, opts([](auto& o) { o.stuck_age = std::chrono::seconds(39); }))["warnings"],
            nlohmann::json::array());
  EXPECT_EQ(section(aged(std::chrono::seconds(19)).out, "Clean, with warnings"),
            "Clean, with warnings (exit status 0)\n"
            "  warning: 2 sockets in CLOSE_WAIT for 19s or more at the end of the log (the oldest for 38.0s), "
            "held by curl[200] 1, nginx[100] 1\n");
  EXPECT_EQ(section(aged(std::chrono::milliseconds(90500)).out, "Clean"), "");
  EXPECT_NE(aged(std::chrono::milliseconds(1500)).out.find("for 1.5s or more at the end of the log"),
            std::string::npos);
}

TEST(Check, CloseWaitWarningSaysWhenARunEndedBeforeTheLog) {
  // Two trace runs: a socket stuck when the first ended, and one when the log did.
  const std::string log = kStart + "\n" + tx(2, 1, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, kNginx) +
                          R"({"type":"end","ts":"2026-11-21T07:00:40.000000000Z"})" "\n" +
                          R"({"type":"start","ts":"2026-11-21T07:00:41.000000000Z","cause":"run"})" "\n" +
                          tx(42, 2, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.4", 50002, kCurl) +
                          R"({"type":"end","ts":"2026-11-21T07:01:30.000000000Z"})" "\n";
  EXPECT_EQ(section(check(log).out, "Clean, with warnings"),
            "Clean, with warnings (exit status 0)\n"
            "  warning: 2 sockets in CLOSE_WAIT for 30s or more when their trace run or the log ended (the oldest "
            "for 48.0s), held by curl[200] 1, nginx[100] 1\n");
  // The last run's alone: at the end of the log.
  const std::string last = log.substr(log.find(R"({"type":"start","ts":"2026-11-21T07:00:41)"));
  EXPECT_NE(check(last).out.find("  warning: 1 socket in CLOSE_WAIT for 30s or more at the end of the log (the "
                                 "oldest for 48.0s), held by curl[200] 1\n"),
            std::string::npos);
}

TEST(Check, CloseWaitWarningBesideViolations) {
  const Result r = check(who_log());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(section(r.out, "Warnings"),
            "Warnings\n"
            "  warning: 1 socket in CLOSE_WAIT for 30s or more at the end of the log (the oldest for 35.0s), held by "
            "nginx[100] 1\n");
}

namespace {

// A life as trace writes it (schema 4), each quantity a number or null.
std::string life(const std::string& role, const std::string& duration_ns, const std::string& rx,
                 const std::string& tx_bytes, const std::string& retrans, const std::string& srtt_us) {
  return R"(,"life":{"role":")" + role + R"(","duration_ns":)" + duration_ns + R"(,"rx_bytes":)" + rx +
         R"(,"tx_bytes":)" + tx_bytes + R"(,"segs_in":6,"segs_out":3,"retrans":)" + retrans + R"(,"srtt_us":)" +
         srtt_us + R"(,"rttvar_us":)" + (srtt_us == "null" ? "null" : "9") + "}";
}

// Connections whose lives are known to the byte: three completed (a server,
// a client, a client whose start the kernel did not see), one refused, one
// reset, one begun before tracing (truncated), and a listener (no life).
// Values either below 16 or at the top of their histogram bucket, or a
// class's largest, so that the quantiles are exact.
std::string lives_log() {
  const std::string fin = R"(,"cause":"fin_acked")", tw = R"(,"cause":"time_wait")";
  return kStart + "\n" +                                                                                  // 1
         tx(1, 10, "CLOSE", "LISTEN", 8080, "0.0.0.0", 0, kNginx) +                                       // 2
         tx(1, 11, "LISTEN", "SYN_RECV", 8080, "10.0.0.2", 50000, kNginx) +                               // 3
         tx(1, 11, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.2", 50000) +                                  // 4
         tx(1, 11, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.2", 50000, R"(,"cause":"fin_received")") +  // 5
         tx(2, 11, "CLOSE_WAIT", "LAST_ACK", 8080, "10.0.0.2", 50000, R"(,"cause":"close")") +            // 6
         tx(2, 11, "LAST_ACK", "CLOSE", 8080, "10.0.0.2", 50000,                                          // 7 completed
            fin + life("server", "1048575", "1000", "300", "0", "15")) +                                  //
         tx(3, 12, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                      // 8
         tx(3, 12, "SYN_SENT", "ESTABLISHED", 41000, "10.0.0.9", 443) +                                   // 9
         tx(3, 12, "ESTABLISHED", "FIN_WAIT1", 41000, "10.0.0.9", 443, R"(,"cause":"close")") +           // 10
         tx(3, 12, "FIN_WAIT1", "FIN_WAIT2", 41000, "10.0.0.9", 443) +                                    // 11
         tx(4, 12, "FIN_WAIT2", "CLOSE", 41000, "10.0.0.9", 443,                                          // 12 completed
            tw + life("client", "3000000", "5", "7", "2", "40")) +                                        //
         tx(5, 13, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                      // 13
         tx(5, 13, "SYN_SENT", "CLOSE", 41001, "10.0.0.9", 443,                                           // 14 refused
            R"(,"cause":"rst_received","error":"ECONNREFUSED")" + life("client", "60000", "0", "0", "0", "null")) +
         tx(6, 14, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                      // 15
         tx(6, 14, "SYN_SENT", "ESTABLISHED", 41002, "10.0.0.9", 443) +                                   // 16
         tx(7, 14, "ESTABLISHED", "CLOSE", 41002, "10.0.0.9", 443,                                        // 17 reset
            R"(,"cause":"rst_sent")" + life("client", "2000000", "15", "null", "5", "31")) +              //
         tx(8, 15, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, R"(,"cause":"fin_received")") +  // 18
         tx(8, 15, "CLOSE_WAIT", "LAST_ACK", 8080, "10.0.0.3", 50001, R"(,"cause":"close")") +            // 19
         tx(9, 15, "LAST_ACK", "CLOSE", 8080, "10.0.0.3", 50001,                                          // 20 truncated
            fin + life("unknown", "null", "100", "200", "1", "15")) +                                     //
         tx(9, 16, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, kCurl) +                                      // 21
         tx(9, 16, "SYN_SENT", "ESTABLISHED", 41003, "10.0.0.9", 443) +                                   // 22
         tx(9, 16, "ESTABLISHED", "FIN_WAIT1", 41003, "10.0.0.9", 443, R"(,"cause":"close")") +           // 23
         tx(9, 16, "FIN_WAIT1", "FIN_WAIT2", 41003, "10.0.0.9", 443) +                                    // 24
         tx(9, 16, "FIN_WAIT2", "CLOSE", 41003, "10.0.0.9", 443,                                          // 25 completed
            tw + life("client", "null", "67", "15", "0", "null")) +                                       //
         tx(10, 10, "LISTEN", "CLOSE", 8080, "0.0.0.0", 0, R"(,"cause":"close")") +                        // 26
         R"({"type":"end","ts":"2026-11-21T07:00:10.000000000Z","transitions":25})" "\n";                 // 27
}

}  // namespace

// Item 5 of issue 25: each class's lives, as distributions; unknowns apart.
TEST(Check, LivesByHowTheyEndedText) {
  const Result r = check(lives_log());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(section(r.out, "Lives by how they ended"),
            "Lives by how they ended (from the life on each connection's CLOSE record; unknown: not told)\n"
            "  ENDED        LIVES  MEASURE     KNOWN  UNKNOWN      P50      P90      P99      MAX\n"
            "  completed        3  duration        2        1      1ms      3ms      3ms      3ms\n"
            "                      rx bytes        3        0       67     1000     1000     1000\n"
            "                      tx bytes        3        0       15      300      300      300\n"
            "                      srtt            2        1     15us     40us     40us     40us\n"
            "  refused          1  duration        1        0     60us     60us     60us     60us\n"
            "                      rx bytes        1        0        0        0        0        0\n"
            "                      tx bytes        1        0        0        0        0        0\n"
            "                      srtt            0        1        -        -        -        -\n"
            "  reset            1  duration        1        0      2ms      2ms      2ms      2ms\n"
            "                      rx bytes        1        0       15       15       15       15\n"
            "                      tx bytes        0        1        -        -        -        -\n"
            "                      srtt            1        0     31us     31us     31us     31us\n"
            "  truncated        1  duration        0        1        -        -        -        -\n"
            "                      rx bytes        1        0      100      100      100      100\n"
            "                      tx bytes        1        0      200      200      200      200\n"
            "                      srtt            1        0     15us     15us     15us     15us\n");
}

TEST(Check, LivesByHowTheyEndedJson) {
  const auto j = check_json(lives_log())["lives"];
  EXPECT_EQ(j["total"], 6);
  EXPECT_EQ(j["top_n"], 5);
  EXPECT_EQ(j["by_class"]["completed"], nlohmann::json::parse(R"({"count":3,
      "duration_ns":{"known":2,"unknown":1,"p50":1048575,"p90":3000000,"p99":3000000,"max":3000000},
      "rx_bytes":{"known":3,"unknown":0,"p50":67,"p90":1000,"p99":1000,"max":1000},
      "tx_bytes":{"known":3,"unknown":0,"p50":15,"p90":300,"p99":300,"max":300},
      "srtt_us":{"known":2,"unknown":1,"p50":15,"p90":40,"p99":40,"max":40}})"));
  EXPECT_EQ(j["by_class"]["refused"]["srtt_us"],
            nlohmann::json::parse(R"({"known":0,"unknown":1,"p50":null,"p90":null,"p99":null,"max":null})"));
  EXPECT_EQ(j["by_class"]["reset"]["tx_bytes"]["unknown"], 1);
  EXPECT_EQ(j["by_class"]["truncated"]["duration_ns"]["unknown"], 1);
  EXPECT_EQ(j["by_class"]["open"]["count"], 0);
  EXPECT_EQ(j["by_class"].size(), 10u);
}

// The longest lives and the most retransmissions, each with where its CLOSE
// record is; lives that do not tell their duration, or did not retransmit,
// are not listed.
TEST(Check, LongestLivesAndMostRetransmissionsText) {
  const Result r = check(lives_log());
  EXPECT_EQ(section(r.out, "Longest lives"),
            "Longest lives (the 5 longest connections, where their CLOSE record is)\n"
            "  <stdin>:12: completed client curl[200] 10.0.0.1:41000 -> 10.0.0.9:443 time_wait: 3ms, rx 5 B, tx 7 B, "
            "retrans 2, srtt 40us\n"
            "  <stdin>:17: reset client curl[200] 10.0.0.1:41002 -> 10.0.0.9:443 rst_sent: 2ms, rx 15 B, tx ? B, "
            "retrans 5, srtt 31us\n"
            "  <stdin>:7: completed server nginx[100] 10.0.0.1:8080 -> 10.0.0.2:50000 fin_acked: 1ms, rx 1000 B, "
            "tx 300 B, retrans 0, srtt 15us\n"
            "  <stdin>:14: refused client curl[200] 10.0.0.1:41001 -> 10.0.0.9:443 rst_received ECONNREFUSED: 60us, "
            "rx 0 B, tx 0 B, retrans 0, srtt ?\n");
  EXPECT_EQ(section(r.out, "Most retransmissions"),
            "Most retransmissions (the 5 connections that retransmitted most segments)\n"
            "  <stdin>:17: reset client curl[200] 10.0.0.1:41002 -> 10.0.0.9:443 rst_sent: 2ms, rx 15 B, tx ? B, "
            "retrans 5, srtt 31us\n"
            "  <stdin>:12: completed client curl[200] 10.0.0.1:41000 -> 10.0.0.9:443 time_wait: 3ms, rx 5 B, tx 7 B, "
            "retrans 2, srtt 40us\n"
            "  <stdin>:20: truncated unknown - 10.0.0.1:8080 -> 10.0.0.3:50001 fin_acked: ?, rx 100 B, tx 200 B, "
            "retrans 1, srtt 15us\n");
}

TEST(Check, LongestLivesAndMostRetransmissionsJson) {
  const auto j = check_json(lives_log())["lives"];
  ASSERT_EQ(j["longest"].size(), 4u);
  EXPECT_EQ(j["longest"][0], nlohmann::json::parse(R"({"file":"<stdin>","line":12,"class":"completed",
      "role":"client","owner":"curl[200]","family":"ipv4","laddr":"10.0.0.1","lport":41000,"raddr":"10.0.0.9",
      "rport":443,"cause":"time_wait","error":null,"duration_ns":3000000,"rx_bytes":5,"tx_bytes":7,"segs_in":6,
      "segs_out":3,"retrans":2,"srtt_us":40,"rttvar_us":9})"));
  EXPECT_EQ(j["longest"][3]["error"], "ECONNREFUSED");
  EXPECT_EQ(j["longest"][3]["srtt_us"], nullptr);
  ASSERT_EQ(j["most_retrans"].size(), 3u);
  EXPECT_EQ(j["most_retrans"][0]["line"], 17);
  EXPECT_EQ(j["most_retrans"][2]["line"], 20);
  EXPECT_EQ(j["most_retrans"][2]["duration_ns"], nullptr);
  EXPECT_EQ(j["most_retrans"][2]["owner"], "-");
}

// Of lives as long, the one read first is listed first; past 5, the shortest go.
TEST(Check, LongestLivesKeepTheFiveLongest) {
  std::string log;
  for (int i = 1; i <= 7; ++i)
    log += tx(i, static_cast<std::uint64_t>(i), "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443) +
           tx(i, static_cast<std::uint64_t>(i), "SYN_SENT", "CLOSE", 41000 + i, "10.0.0.9", 443,
              R"(,"cause":"rst_received")" + life("client", i == 2 ? "5" : std::to_string(i % 3), "0", "0", "0", "null"));
  const auto j = check_json(log);
  std::vector<int> lines;
  for (const auto& row : j["lives"]["longest"]) lines.push_back(row["line"]);
  // durations by line: 2: 1, 4: 5, 6: 0, 8: 1, 10: 2, 12: 0, 14: 1
  EXPECT_EQ(lines, (std::vector<int>{4, 10, 2, 8, 14}));
}

// A log of schema 3 or before has no life: no section, every count 0.
TEST(Check, LogWithoutLivesHasNoLivesSection) {
  const Result r = check(who_log());
  EXPECT_EQ(r.out.find("Lives by how they ended"), std::string::npos);
  EXPECT_EQ(r.out.find("Longest lives"), std::string::npos);
  const auto j = check_json(who_log())["lives"];
  EXPECT_EQ(j["total"], 0);
  EXPECT_EQ(j["longest"], nlohmann::json::array());
  EXPECT_EQ(j["most_retrans"], nlohmann::json::array());
}

TEST(Check, MalformedLifeIsNamedWithFileAndLine) {
  const Result r = check(tx(1, 1, "ESTABLISHED", "CLOSE", 80, "10.0.0.2", 9,
                            R"(,"cause":"rst_sent","life":{"role":"client","rx_bytes":"1000"})"));
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "<stdin>:1: wrong_type: field \"life.rx_bytes\" should be an unsigned integer or null, not a "
                   "string\n");
}
