#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <string>

#include "check/log_parsers.h"
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

// Which of the parsers behind parse_record() reads the line: "simdjson" when
// the fast one takes it (then nlohmann must read it to the same record), else
// "nlohmann".
std::string reader_of(std::string_view line) {
  LogRecord fast, reference;
  if (!parse_record_simdjson(line, fast)) return "nlohmann";
  const auto e = parse_record_nlohmann(line, reference);
  EXPECT_FALSE(e) << line << " -> " << e->message;
  EXPECT_TRUE(fast == reference) << line;
  return "simdjson";
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
  EXPECT_EQ(r.lost.ringbuf, 3u);
  EXPECT_EQ(r.lost.recursion, 4u);
  EXPECT_EQ(r.lost.skstate, 5u);
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

TEST(LogRecord, TransitionCauseErrorAndResetReason) {
  const std::string head = R"({"type":"transition","cookie":1,"old":"ESTABLISHED","new":"CLOSE",)";
  LogRecord r = parsed(head + R"("cause":"rst_received","error":"ECONNRESET","rst_reason":"TCP_ABORT_ON_CLOSE"})");
  EXPECT_EQ(r.cause, "rst_received");
  EXPECT_EQ(r.error, "ECONNRESET");
  EXPECT_EQ(r.rst_reason, "TCP_ABORT_ON_CLOSE");
  // A cause this tcpfsm does not know (a newer kernel's) is kept as written.
  EXPECT_EQ(parsed(head + R"("cause":"carrier_lost"})").cause, "carrier_lost");
  r = parsed(head + R"("ts":"x"})");
  EXPECT_EQ(r.cause, "");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.rst_reason, "");
}

TEST(LogRecord, CauseErrorAndResetReasonMustBeStrings) {
  const std::string head = R"({"type":"transition","cookie":1,"old":"ESTABLISHED","new":"CLOSE",)";
  EXPECT_EQ(outcome(head + R"("cause":5})"), R"(wrong_type: field "cause" should be a string, not a number)");
  EXPECT_EQ(outcome(head + R"("error":null})"), R"(wrong_type: field "error" should be a string, not null)");
  EXPECT_EQ(outcome(head + R"("rst_reason":["x"]})"),
            R"(wrong_type: field "rst_reason" should be a string, not an array)");
  EXPECT_EQ(outcome(R"({"type":"start","cause":true})"), R"(wrong_type: field "cause" should be a string, not a boolean)");
  // Records of other types do not read them.
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1,"recursion":0,"error":5,"rst_reason":{}})"), "ok");
}

TEST(LogRecord, ReadsTheOwnerTheTracerWrites) {
  Transition t;
  t.old_state = number(State::Established);
  t.new_state = number(State::CloseWait);
  t.owner_pid = 4242;
  t.owner_comm = "ng\"in\x1bx";
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson");
  const LogRecord r = parsed(line);
  EXPECT_EQ(r.owner_pid, 4242u);
  EXPECT_EQ(r.owner_comm, "ng\"in\x1bx");
  // Without an owner (not known, or --no-owners): none.
  t.owner_pid = 0;
  t.owner_comm.clear();
  line.clear();
  make_formatter(Format::Json)->transition(line, t, {});
  EXPECT_FALSE(parsed(line).owner_pid);
}

// A name that is not UTF-8: its bytes, as the tracer writes them beside it.
TEST(LogRecord, ReadsTheOwnersBytesTheTracerWrites) {
  Transition t;
  t.old_state = number(State::Established);
  t.new_state = number(State::CloseWait);
  t.owner_pid = 4242;
  t.owner_comm = "\xffng";
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson");
  const LogRecord r = parsed(line);
  EXPECT_EQ(r.owner_comm, "\xef\xbf\xbdng");
  EXPECT_EQ(r.owner_comm_bytes, "\xffng");
}

TEST(LogRecord, OwnerMustHaveItsTypes) {
  const std::string head = R"({"type":"transition","cookie":1,"old":"ESTABLISHED","new":"CLOSE",)";
  EXPECT_EQ(outcome(head + R"("owner_pid":"7"})"),
            R"(wrong_type: field "owner_pid" should be a process id (0-4294967295), not a string)");
  EXPECT_EQ(outcome(head + R"("owner_pid":4294967296})"),
            R"(wrong_type: field "owner_pid" should be a process id (0-4294967295), not 4294967296)");
  EXPECT_EQ(outcome(head + R"("owner_comm":7})"), R"(wrong_type: field "owner_comm" should be a string, not a number)");
  EXPECT_EQ(outcome(head + R"("owner_comm_bytes":"7"})"),
            R"(wrong_type: field "owner_comm_bytes" should be a string of hex digits, two a byte, not "7")");
  EXPECT_EQ(outcome(head + R"("owner_comm_bytes":7})"),
            R"(wrong_type: field "owner_comm_bytes" should be a string of hex digits, two a byte, not a number)");
  // Records of other types do not read them.
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1,"recursion":0,"owner_pid":"x"})"), "ok");
}

// The lines a log is made of take the fast parser; the slow one would cost
// them the speed without a sign.
TEST(LogRecordParsers, SimdjsonTakesEveryKindOfRecord) {
  Transition t;
  t.comm = "a\"b\\c\x1b\xff";  // escaped in the line
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {VerdictKind::Gap, "why"});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson") << line;
  line.clear();
  make_formatter(Format::Json)->lost(line, 0, Losses{1, 2, 3});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson") << line;
  EXPECT_EQ(reader_of(
                R"({"type":"start","ts":"2026-11-30T19:44:42.215911902Z","schema":2,"cause":"run","tcpfsm":"0.1.0",)"
                R"("filters":{"family":"any","ports":[],"states":[],"netns":[],"cgroups":[],"pid":null},)"
                R"("ringbuf_bytes":8388608,"clock":{"source":"CLOCK_MONOTONIC","mono_to_wall_ns":-17960537352531}})"),
            "simdjson");
  EXPECT_EQ(reader_of(R"({"type":"stats","ts":"x","transitions":5,"lost":{"ringbuf":1},"rate":1.5e3,"ok":true})"),
            "simdjson");
  EXPECT_EQ(reader_of(R"({"type":"end","ts":"x","transitions":12,"reason":"signal","signal":"SIGINT"})"), "simdjson");
  EXPECT_EQ(reader_of(R"({"type":"hello","x":[1,{"y":null}]})"), "simdjson");
}

// What the fast parser takes, it reads as nlohmann does (reader_of checks):
// escapes, duplicate keys, spaces, numbers at their limits.
TEST(LogRecordParsers, SimdjsonReadsTheCornersAsNlohmannDoes) {
  EXPECT_EQ(reader_of(R"({"typ\u0065":"stats"})"), "simdjson");  // an escaped key is the key
  EXPECT_EQ(parsed(R"({"typ\u0065":"stats"})").type, RecordType::Stats);
  const std::string head = R"({"type":"transition","cookie":1,"old":"CLOSE","new":"LISTEN",)";
  EXPECT_EQ(reader_of(head + R"("family":"ipv\u0034","cgroup":"/a\\x2db","container":"\ud834\udd1e"})"), "simdjson");
  const LogRecord r = parsed(head + R"("family":"ipv\u0034","cgroup":"/a\\x2db","container":"\ud834\udd1e"})");
  EXPECT_EQ(r.family, "ipv4");
  EXPECT_EQ(r.cgroup, "/a\\x2db");
  EXPECT_EQ(r.container, "\xf0\x9d\x84\x9e");
  EXPECT_EQ(reader_of(head + R"("laddr":"a\u0000b"})"), "simdjson");
  EXPECT_EQ(parsed(head + R"("laddr":"a\u0000b"})").laddr, std::string("a\0b", 3));
  EXPECT_EQ(reader_of(R"({"type":"transition","cookie":1,"old":1,"new":4,"cookie":2,"old_ns":5,"old_ns":null})"),
            "simdjson");
  EXPECT_EQ(reader_of(R"({"type":"lost","type":"stats"})"), "simdjson");
  EXPECT_EQ(parsed(R"({"type":"lost","type":"stats"})").type, RecordType::Stats);
  EXPECT_EQ(reader_of(" { \"type\" : \"stats\" ,\r\"x\" : [ 1 , { } ] }\t"), "simdjson");
  EXPECT_EQ(reader_of(head + R"("cookie":18446744073709551615,"netns":4294967295,"lport":65535,"x":1e-400})"),
            "simdjson");
}

// Each of these is read by nlohmann, as before simdjson: the same errors with
// the same messages. The fast parser skips values it does not keep, so each
// is a problem in a value check does not read.
TEST(LogRecordParsers, InvalidJsonInAValueCheckDoesNotReadIsStillFound) {
  const std::string head = R"({"type":"stats","x":)";
  const std::string invalid = "invalid_json: invalid JSON at column ";
  const std::pair<std::string, std::string> cases[] = {
      {"[1 2]}", "24: syntax error while parsing array - unexpected number literal; expected ']'"},
      {"[1,]}", "24: syntax error while parsing value - unexpected ']'; expected '[', '{', or a literal"},
      {R"({"a" 1}})", "26: syntax error while parsing object separator - unexpected number literal; expected ':'"},
      {"tru}", R"(24: syntax error while parsing value - invalid literal; last read: '"x":tru}')"},
      {"truex}", R"(25: syntax error while parsing object - invalid literal; last read: '"x":truex'; expected '}')"},
      {"01}", "22: syntax error while parsing object - unexpected number literal; expected '}'"},
      {"1.}", "23: syntax error while parsing value - invalid number; expected digit after '.'; last read: '1.}'"},
      {"1e400}", "25: [json.exception.out_of_range.406] number overflow parsing '1e400'"},
      {R"("\x"})", R"(23: syntax error while parsing value - invalid string: forbidden character after backslash; )"
                   R"(last read: '"\\x')"},
      {R"("\ud800"})", R"(28: syntax error while parsing value - invalid string: surrogate U+D800..U+DBFF must be )"
                       R"(followed by U+DC00..U+DFFF; last read: '"\\ud800"')"},
      {"\"a\tb\"}", R"(23: syntax error while parsing value - invalid string: control character U+0009 (HT) must be )"
                    R"(escaped to \u0009 or \t; last read: '"a<U+0009>')"},
      {"1} x", R"(24: syntax error while parsing value - invalid literal; last read: '1} x'; expected end of input)"},
      {"1}{}", "23: syntax error while parsing value - unexpected '{'; expected end of input"},
      // simdjson 3.0.1 skips over these when the value before the ':' is not read.
      {R"("a":1}})", "24: syntax error while parsing object - unexpected ':'; expected '}'"},
      {"null:1}}", "25: syntax error while parsing object - unexpected ':'; expected '}'"},
  };
  for (const auto& [tail, message] : cases) {
    EXPECT_EQ(reader_of(head + tail), "nlohmann") << tail;
    EXPECT_EQ(outcome(head + tail), invalid + message);
  }
  EXPECT_EQ(outcome(R"({"type":"stats","ts":"a":1}})"),
            invalid + "25: syntax error while parsing object - unexpected ':'; expected '}'");
  // A number too large for a double is an error, a 30-digit one is not;
  // neither is an unsigned 64-bit integer, for a field that needs one.
  EXPECT_TRUE(outcome(head + std::string(400, '9') + "}")
                  .starts_with(invalid + "420: [json.exception.out_of_range.406] number overflow parsing '999"));
  EXPECT_EQ(outcome(head + "123456789012345678901234567890}"), "ok");
  EXPECT_EQ(outcome(R"({"type":"transition","old":1,"new":4,"cookie":123456789012345678901234567890})"),
            R"(wrong_type: field "cookie" should be an unsigned integer, not a number that is not an unsigned 64-bit integer)");
  // Valid, but deeper than the fast parser goes: read all the same.
  const std::string deep = head + std::string(40, '[') + std::string(40, ']') + "}";
  EXPECT_EQ(reader_of(deep), "nlohmann");
  EXPECT_EQ(outcome(deep), "ok");
}

// Schema 4: a transition into CLOSE that ends a connection carries its life.
TEST(LogRecord, ReadsTheLifeTheTracerWrites) {
  Transition t;
  t.old_state = number(State::LastAck);
  t.new_state = number(State::Close);
  t.life = ConnectionLife{Role::Server, 94385, 1000, 300, 6, 3, 0, 15, 9};
  std::string line;
  make_formatter(Format::Json)->transition(line, t, {});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson") << line;
  EXPECT_EQ(parsed(line).life, t.life);

  // What the kernel could not tell stays unknown, never 0.
  t.life = ConnectionLife{Role::Client, std::nullopt, 0, 0, 1, 1, 0, std::nullopt, std::nullopt};
  line.clear();
  make_formatter(Format::Json)->transition(line, t, {});
  line.pop_back();
  EXPECT_EQ(reader_of(line), "simdjson") << line;
  const LogRecord r = parsed(line);
  ASSERT_TRUE(r.life);
  EXPECT_EQ(r.life, t.life);
  EXPECT_FALSE(r.life->duration_ns);
  EXPECT_EQ(r.life->rx_bytes, 0u);
  EXPECT_FALSE(r.life->srtt_us);
}

// Logs of schema 3 and before have none.
TEST(LogRecord, ARecordWithoutALifeHasNone) {
  EXPECT_FALSE(parsed(R"({"type":"transition","cookie":1,"old":"LAST_ACK","new":"CLOSE"})").life);
  LogRecord r;
  ASSERT_FALSE(parse_record(R"({"type":"transition","cookie":1,"old":"LAST_ACK","new":"CLOSE","life":{}})", r));
  ASSERT_FALSE(parse_record(R"({"type":"transition","cookie":1,"old":"CLOSE","new":"SYN_SENT"})", r));
  EXPECT_FALSE(r.life);  // a reused record forgets it
}

// A member this tcpfsm does not know (a newer writer's) is skipped; one
// absent is unknown, as one null; of two "life", the last wins.
TEST(LogRecord, LifeMembersCheckDoesNotKnowAreSkipped) {
  const std::string head = R"({"type":"transition","cookie":1,"old":"LAST_ACK","new":"CLOSE",)";
  const std::string line = head + R"("life":{"role":"client","zerowin":{"a":[1,null]},"rx_bytes":5,"x":-1.5}})";
  EXPECT_EQ(reader_of(line), "simdjson");
  const LogRecord r = parsed(line);
  ASSERT_TRUE(r.life);
  EXPECT_EQ(r.life->role, Role::Client);
  EXPECT_EQ(r.life->rx_bytes, 5u);
  EXPECT_FALSE(r.life->tx_bytes);
  const std::string twice = head + R"("life":{"rx_bytes":1},"life":{"tx_bytes":2}})";
  EXPECT_EQ(reader_of(twice), "simdjson");
  EXPECT_EQ(parsed(twice).life, (ConnectionLife{Role::Unknown, {}, {}, 2, {}, {}, {}, {}, {}}));
  // A wrong one, then a right one: the right one is read.
  const std::string wrong_then_right = head + R"("life":{"rx_bytes":"1"},"life":{"rx_bytes":1}})";
  EXPECT_EQ(reader_of(wrong_then_right), "nlohmann");
  EXPECT_EQ(outcome(wrong_then_right), "ok");
  EXPECT_EQ(parsed(wrong_then_right).life->rx_bytes, 1u);
}

// A malformed life is named as any field is, by its member; the fast parser
// leaves it to nlohmann, which words it.
TEST(LogRecord, LifeMustHaveItsTypes) {
  const std::string head = R"({"type":"transition","cookie":1,"old":"LAST_ACK","new":"CLOSE","life":)";
  const std::pair<std::string, std::string> cases[] = {
      {R"("x")", R"(field "life" should be an object, not a string)"},
      {"[1]", R"(field "life" should be an object, not an array)"},
      {"null", R"(field "life" should be an object, not null)"},
      {R"({"role":"peer"})", R"(field "life.role" should be "client", "server" or "unknown", not "peer")"},
      {R"({"role":1})", R"(field "life.role" should be "client", "server" or "unknown", not a number)"},
      {R"({"duration_ns":true})", R"(field "life.duration_ns" should be an unsigned integer or null, not a boolean)"},
      {R"({"rx_bytes":"1000"})", R"(field "life.rx_bytes" should be an unsigned integer or null, not a string)"},
      {R"({"tx_bytes":-1})", R"(field "life.tx_bytes" should be an unsigned integer or null, not a negative number)"},
      {R"({"segs_in":4294967296})",
       R"(field "life.segs_in" should be an unsigned 32-bit integer or null, not 4294967296)"},
      {R"({"retrans":1.5})", R"(field "life.retrans" should be an unsigned 32-bit integer or null, not a number )"
                             R"(that is not an unsigned 64-bit integer)"},
      {R"({"srtt_us":{"a":1}})", R"(field "life.srtt_us" should be an unsigned 32-bit integer or null, not an object)"},
      {R"({"rttvar_us":[]})", R"(field "life.rttvar_us" should be an unsigned 32-bit integer or null, not an array)"},
      // The first wrong member is the one named.
      {R"({"rx_bytes":"a","tx_bytes":"b"})", R"(field "life.rx_bytes" should be an unsigned integer or null, not a string)"},
  };
  for (const auto& [life, message] : cases) {
    EXPECT_EQ(reader_of(head + life + "}"), "nlohmann") << life;
    EXPECT_EQ(outcome(head + life + "}"), "wrong_type: " + message) << life;
  }
  // A record that does not read a life does not check it.
  EXPECT_EQ(outcome(R"({"type":"lost","ringbuf":1,"recursion":0,"life":{"rx_bytes":"x"}})"), "ok");
}
