#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>

#include "check/log_record.h"
#include "output/formatter.h"

using namespace tcpfsm;

namespace {

// "<kind>: <message>", or "ok".
std::string outcome(std::string_view line) {
  LogRecord r;
  auto e = parse_record(line, r);
  return e ? std::string(input_error_name(e->kind)) + ": " + e->message : "ok";
}

LogRecord parsed(std::string_view line) {
  LogRecord r;
  auto e = parse_record(line, r);
  EXPECT_FALSE(e) << line << " -> " << e->message;
  return r;
}

}  // namespace

TEST(LogRecord, ReadsWhatTheTracerWrites) {
  Transition t;
  t.wall_ns = 1'795'246'951'000'001'500ULL;
  t.cookie = 18446744073709551615ULL;
  t.old_ns = 250'000;
  t.ipv6 = true;
  inet_pton(AF_INET6, "::1", t.local.addr.data());
  inet_pton(AF_INET6, "::ffff:10.0.0.5", t.remote.addr.data());
  t.local.port = 40000;
  t.remote.port = 8080;
  t.old_state = number(State::SynSent);
  t.new_state = number(State::Established);
  t.comm = "cu\"rl";
  t.netns = 4026532100;
  t.cgroup_id = 4242;
  const std::string cgroup = "/system.slice/docker-" + std::string(64, 'b') + ".scope";
  t.cgroup = cgroup;
  const ContainerRef c{"docker", std::string(64, 'b'), "", ""};
  t.container = &c;
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {VerdictKind::Illegal, "odd"});
  line.pop_back();  // the newline

  const LogRecord r = parsed(line);
  EXPECT_EQ(r.type, RecordType::Transition);
  EXPECT_EQ(r.ts, "2026-11-21T07:42:31.000001500Z");
  EXPECT_EQ(r.cookie, 18446744073709551615ULL);
  EXPECT_EQ(r.old_state, number(State::SynSent));
  EXPECT_EQ(r.new_state, number(State::Established));
  EXPECT_EQ(r.old_ns, 250'000u);
  EXPECT_EQ(r.family, "ipv6");
  EXPECT_EQ(r.laddr, "::1");
  EXPECT_EQ(r.lport, 40000);
  EXPECT_EQ(r.raddr, "::ffff:10.0.0.5");
  EXPECT_EQ(r.rport, 8080);
  EXPECT_EQ(r.netns, 4026532100u);
  EXPECT_EQ(r.cgroup_id, 4242u);
  EXPECT_EQ(r.cgroup, cgroup);
  EXPECT_EQ(r.container, std::string(64, 'b'));
}

TEST(LogRecord, NamespaceAndCgroupMustHaveTheirTypes) {
  LogRecord r;
  auto e = parse_record(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"LISTEN","netns":"x"})", r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, InputError::WrongType);
  e = parse_record(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"LISTEN","netns":4294967296})", r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, InputError::WrongType);
  e = parse_record(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"LISTEN","container":7})", r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, InputError::WrongType);
}

TEST(LogRecord, ReadsAnUnknownStateNumberAndANullOldNs) {
  Transition t;
  t.old_state = number(State::Established);
  t.new_state = 42;
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {});
  const LogRecord r = parsed(line);
  EXPECT_EQ(r.new_state, 42);
  EXPECT_FALSE(r.old_ns);
}

TEST(LogRecord, ReadsALostRecordTheTracerWrites) {
  std::string line;
  make_formatter(Format::Json)->lost(line, 0, Losses{3, 4, 5});
  const LogRecord r = parsed(line);
  EXPECT_EQ(r.type, RecordType::Lost);
  EXPECT_EQ(r.ringbuf, 3u);
  EXPECT_EQ(r.recursion, 4u);
  EXPECT_EQ(r.skstate, 5u);
}

TEST(LogRecord, StartStatsAndEndRecords) {
  LogRecord r = parsed(R"({"type":"start","ts":"x","cause":"rotate","schema":1,"filters":{"ports":[1,2]}})");
  EXPECT_EQ(r.type, RecordType::Start);
  EXPECT_EQ(r.cause, "rotate");
  EXPECT_EQ(parsed(R"({"type":"stats","ts":"x","transitions":5,"lost":{"ringbuf":1}})").type, RecordType::Stats);
  r = parsed(R"({"type":"end","ts":"x","transitions":12,"reason":"signal"})");
  EXPECT_EQ(r.type, RecordType::End);
  EXPECT_EQ(r.transitions, 12u);
  EXPECT_FALSE(parsed(R"({"type":"end"})").transitions);
}

TEST(LogRecord, UnknownTypeParsesForTheCallerToJudge) {
  const LogRecord r = parsed(R"({"type":"hello","cookie":"not read"})");
  EXPECT_EQ(r.type, RecordType::Unknown);
  EXPECT_EQ(r.type_name, "hello");
}

TEST(LogRecord, ReusedRecordForgetsThePreviousLine) {
  LogRecord r;
  ASSERT_FALSE(parse_record(R"({"type":"transition","cookie":1,"old":1,"new":4,"old_ns":5,"laddr":"a"})", r));
  ASSERT_FALSE(parse_record(R"({"type":"transition","cookie":2,"old":1,"new":4})", r));
  EXPECT_FALSE(r.old_ns);
  EXPECT_EQ(r.laddr, "");
}

TEST(LogRecord, OtherFieldsAndNestedValuesAreIgnored) {
  const LogRecord r = parsed(
      R"({"x":{"cookie":"no","old":[1]},"type":"transition","cookie":9,"y":[{"a":null}],"old":"CLOSE","new":"LISTEN"})");
  EXPECT_EQ(r.cookie, 9u);
  EXPECT_EQ(r.new_state, number(State::Listen));
}

TEST(LogRecord, LaterDuplicateKeyWins) {
  EXPECT_EQ(parsed(R"({"type":"transition","cookie":"x","cookie":3,"old":1,"new":4})").cookie, 3u);
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":3,"cookie":"x","old":1,"new":4})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a string)");
}

TEST(LogRecord, InvalidJson) {
  EXPECT_EQ(outcome("garbage"),
            "invalid_json: invalid JSON at column 1: syntax error while parsing value - invalid literal; last read: 'g'");
  EXPECT_EQ(outcome(R"({"type":"lost")"),
            "invalid_json: invalid JSON at column 15: syntax error while parsing object - unexpected end of input; "
            "expected '}'");
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1,"recursion":2} {})"),
            "invalid_json: invalid JSON at column 43: syntax error while parsing value - unexpected '{'; expected "
            "end of input");
  EXPECT_EQ(outcome("{\"type\":\"x\xff\"}").substr(0, 26), "invalid_json: invalid JSON");
}

// A log may hold any bytes, and the messages quoting them go to a terminal:
// what nlohmann quotes from the line is escaped, its own words are not.
TEST(LogRecord, InvalidJsonQuotesTheLineEscaped) {
  EXPECT_EQ(outcome("{\"type\":\"a\xc2\x9b\xff\"}"),
            R"(invalid_json: invalid JSON at column 13: syntax error while parsing value - invalid string: )"
            R"(ill-formed UTF-8 byte; last read: '"a\xc2\x9b\xff')");
  EXPECT_EQ(outcome("{\"type\":\x7f}"),
            R"(invalid_json: invalid JSON at column 9: syntax error while parsing value - invalid literal; )"
            R"(last read: '"type":\x7f')");
  EXPECT_EQ(outcome("{\"type\":\"x\x1b[2J\"}"),
            R"(invalid_json: invalid JSON at column 11: syntax error while parsing value - invalid string: )"
            R"(control character U+001B (ESC) must be escaped to \u001B; last read: '"x<U+001B>')");
  // A long token is cut, never in the middle of an escape.
  const std::string e = outcome("\"" + std::string(300, '\x7f'));
  EXPECT_TRUE(e.ends_with(R"(\x7f\x7f...)")) << e;
  EXPECT_EQ(e.find('\x7f'), std::string::npos) << e;
}

TEST(LogRecord, NotAnObject) {
  EXPECT_EQ(outcome("[1,2]"), "not_an_object: not a JSON object");
  EXPECT_EQ(outcome("42"), "not_an_object: not a JSON object");
  EXPECT_EQ(outcome("\"transition\""), "not_an_object: not a JSON object");
  EXPECT_EQ(outcome("null"), "not_an_object: not a JSON object");
}

TEST(LogRecord, MissingFields) {
  EXPECT_EQ(outcome("{}"), R"(missing_field: missing field "type")");
  EXPECT_EQ(outcome(R"({"type":"transition","old":"CLOSE","new":"LISTEN"})"),
            R"(missing_field: missing field "cookie" in a transition record)");
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":"CLOSE"})"),
            R"(missing_field: missing field "new" in a transition record)");
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1})"), R"(missing_field: missing field "recursion" in a lost record)");
}

TEST(LogRecord, WrongTypes) {
  const std::string head = R"({"type":"transition","old":"CLOSE","new":"LISTEN",)";
  EXPECT_EQ(outcome(head + R"("cookie":-1})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a negative number)");
  EXPECT_EQ(outcome(head + R"("cookie":1.5})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a number that is not an unsigned 64-bit integer)");
  EXPECT_EQ(outcome(head + R"("cookie":18446744073709551616})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a number that is not an unsigned 64-bit integer)");
  EXPECT_EQ(outcome(head + R"("cookie":true})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a boolean)");
  EXPECT_EQ(outcome(head + R"("cookie":null})"), R"(wrong_type: field "cookie" should be an unsigned integer, not null)");
  EXPECT_EQ(outcome(head + R"("cookie":{"a":1}})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not an object)");
  EXPECT_EQ(outcome(head + R"("cookie":[1]})"), R"(wrong_type: field "cookie" should be an unsigned integer, not an array)");
  EXPECT_EQ(outcome(head + R"("cookie":1,"lport":70000})"),
            R"(wrong_type: field "lport" should be a port number (0-65535), not 70000)");
  EXPECT_EQ(outcome(head + R"("cookie":1,"old_ns":"5"})"),
            R"(wrong_type: field "old_ns" should be an unsigned integer or null, not a string)");
  EXPECT_EQ(outcome(head + R"("cookie":1,"laddr":5})"), R"(wrong_type: field "laddr" should be a string, not a number)");
  EXPECT_EQ(outcome(R"({"type":5})"), R"(wrong_type: field "type" should be a string, not a number)");
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":true,"new":1})"),
            R"(wrong_type: field "old" should be a state name or number (0-255), not a boolean)");
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":1,"new":256})"),
            R"(wrong_type: field "new" should be a state name or number (0-255), not 256)");
  EXPECT_EQ(parsed(R"({"type":"transition","cookie":1,"old":0,"new":255})").new_state, 255);
  // A field the record's type does not read is not checked.
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1,"recursion":0,"cookie":"x"})"), "ok");
}

TEST(LogRecord, UnknownStateName) {
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":"CLOSED","new":"LISTEN"})"),
            R"(unknown_state_name: field "old": unknown state name "CLOSED")");
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"listen"})"),
            R"(unknown_state_name: field "new": unknown state name "listen")");
  const std::string longname(100, 'X');
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":"CLOSE","new":")" + longname + "\"}"),
            R"(unknown_state_name: field "new": unknown state name ")" + std::string(64, 'X') + "\"...");
  // JSON escapes in the log become the bytes they stand for: shown escaped.
  EXPECT_EQ(outcome(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"\u001b[2J\u009b\\"})"),
            R"(unknown_state_name: field "new": unknown state name "\x1b[2J\xc2\x9b\\")");
}
