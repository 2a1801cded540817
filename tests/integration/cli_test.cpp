// Bad command lines, given to the real binary: each is refused before
// anything is loaded (so no privilege is needed), with exit status 2 and
// one message naming the option and what is wrong with its value.
#include <gtest/gtest.h>

#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "harness.h"

namespace tcpfsm::itest {
namespace {

struct BadCommandLine {
  std::string name;  // the test's name
  std::vector<std::string> args;
  std::string message;  // the first line on stderr
};

// ctest lists a case by its command line, not by its bytes, and shows the
// hostile ones' bytes as \xHH, not to the terminal.
void PrintTo(const BadCommandLine& c, std::ostream* os) {
  *os << "tcpfsm";
  for (const auto& a : c.args) {
    *os << ' ' << (a.empty() ? "''" : "");
    for (const unsigned char b : a) {
      if (b >= 0x20 && b < 0x7F) {
        *os << b;
      } else {
        constexpr char kHex[] = "0123456789abcdef";
        *os << "\\x" << kHex[b >> 4] << kHex[b & 0xF];
      }
    }
  }
}

// Printed by CLI11 after every usage error.
constexpr std::string_view kHint = "Run with --help for more information.\n";

const std::string kCommands = "(one of trace, top, check, states, stuck, features)";
const std::string kStates =
    "(one of ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, "
    "CLOSING, NEW_SYN_RECV, BOUND_INACTIVE)";

const BadCommandLine kCases[] = {
    {"NoCommand", {}, "missing command " + kCommands},
    {"UnknownCommand", {"trcae"}, "unknown command 'trcae' " + kCommands},
    {"OptionBeforeCommand", {"-p", "80"}, "missing command before '-p' " + kCommands},

    {"TracePortZero", {"trace", "-p", "0"}, "--port: invalid port '0': must be from 1 to 65535"},
    {"TracePort65536", {"trace", "--port", "65536"}, "--port: invalid port '65536': must be from 1 to 65535"},
    {"TraceLportNotANumber", {"trace", "--lport", "http"}, "--lport: invalid port 'http': expected a number from 1 to 65535"},
    {"TraceRportHex", {"trace", "--rport", "0x50"}, "--rport: invalid port '0x50': expected a number from 1 to 65535"},
    {"TracePortNegative", {"trace", "--port=-1"}, "--port: invalid port '-1': expected a number from 1 to 65535"},
    {"TraceDurationNegative", {"trace", "-d", "-5s"}, "--duration: invalid duration '-5s': must not be negative"},
    {"TraceDurationUnknownUnit", {"trace", "--duration=1.5x"},
     "--duration: invalid duration '1.5x': unknown unit 'x' (use ms, s, m, h or d)"},
    {"TraceDurationMalformed", {"trace", "-d", "soon"},
     "--duration: invalid duration 'soon': expected a number with an optional unit"},
    {"TraceDurationZero", {"trace", "-d", "0"}, "--duration: invalid duration '0': must be more than 0"},
    {"TraceCountNegative", {"trace", "-n", "-1"}, "--count: invalid count '-1': expected a whole number"},
    {"TraceCountZero", {"trace", "--count", "0"}, "--count: invalid count '0': must be at least 1"},
    {"TraceCountTooLarge", {"trace", "-n", "18446744073709551616"},
     "--count: invalid count '18446744073709551616': too large"},
    {"TraceUnknownFormat", {"trace", "-f", "xml"}, "--format: xml not in {table,json,none}"},
    {"TraceFormatNoneWithOutput", {"trace", "-f", "none", "-o", "t.json"}, "--format none: writes no records: not with -o"},
    {"TraceOtelNamesWithTable", {"trace", "-f", "table", "--otel-names"},
     "--otel-names: names the keys of JSON records: only with JSON output (-f json)"},
    {"TraceOtelNamesWithNone", {"trace", "-f", "none", "--otel-names"},
     "--otel-names: names the keys of JSON records: only with JSON output (-f json)"},
    {"TraceMetricsNoPort", {"trace", "--metrics", "127.0.0.1"},
     "--metrics: '127.0.0.1' is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every "
     "address)"},
    {"TraceMetricsIPv6WithoutBrackets", {"trace", "--metrics", "::1:9464"},
     "--metrics: '::1:9464' is not HOST:PORT: an IPv6 address goes in brackets ([::1]:9464)"},
    // (an empty label: refused without a DNS query, here in a namespace with no network too)
    {"TraceMetricsUnknownHost", {"trace", "--metrics", "no..such.host:9464"},
     "--metrics: 'no..such.host:9464': cannot resolve host 'no..such.host': Name or service not known"},
    {"TraceMetricsPortZero", {"trace", "--metrics", "[::1]:0"}, "--metrics: '[::1]:0': port must be a number from 1 to 65535"},
    {"TraceStuckAgeWithoutMetrics", {"trace", "--stuck-age", "1s"}, "--stuck-age requires --metrics"},
    {"TraceStuckStateUnknown", {"trace", "--metrics", "127.0.0.1:9464", "--stuck-state", "bogus"},
     "--stuck-state: unknown TCP state 'bogus' (one of ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, "
     "TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV, BOUND_INACTIVE)"},
    {"TraceMaxSocketsZero", {"trace", "--max-sockets", "0"}, "--max-sockets: invalid count '0': must be from 1 to 67108864"},
    {"TraceUnknownModel", {"trace", "--model", "bsd"}, "--model: bsd not in {linux,rfc}"},
    {"TraceUnknownAttach", {"trace", "--attach", "kprobe"}, "--attach: kprobe not in {auto,tp_btf,tracepoint}"},
    {"TraceRingbufNotAPowerOfTwo", {"trace", "--ringbuf-size", "5000"},
     "--ringbuf-size: ring buffer size must be a power of two from 4K to 1G, not 5000"},
    {"TraceRingbufTooLarge", {"trace", "--ringbuf-size", "2G"},
     "--ringbuf-size: ring buffer size must be a power of two from 4K to 1G, not 2G"},
    {"TraceRingbufUnknownUnit", {"trace", "--ringbuf-size", "8T"},
     "--ringbuf-size: invalid size '8T': unknown unit 'T' (use K, M or G)"},
    {"TraceEmptyOutput", {"trace", "-o", ""}, "--output: empty file name"},
    {"TraceRotateWithoutOutput", {"trace", "--rotate-size", "10M"}, "--rotate-size requires --output"},
    {"TraceRotateSizeTooSmall", {"trace", "-o", "t.json", "--rotate-size", "1K"},
     "--rotate-size: invalid size '1K': must be at least 4K"},
    {"TraceRotateKeepWithoutRotateSize", {"trace", "-o", "t.json", "--rotate-keep", "3"},
     "--rotate-keep requires --rotate-size"},
    {"TraceRotateKeepZero", {"trace", "-o", "t.json", "--rotate-size", "1M", "--rotate-keep", "0"},
     "--rotate-keep: invalid count '0': must be from 1 to 1000"},
    {"TraceFlushIntervalWithoutOutput", {"trace", "--flush-interval", "1s"}, "--flush-interval requires --output"},
    {"TraceStatsIntervalZero", {"trace", "--stats-interval", "0s"},
     "--stats-interval: invalid duration '0s': must be more than 0"},
    {"TraceSocketMapSizeZero", {"trace", "--socket-map-size", "0"},
     "--socket-map-size: invalid count '0': must be from 1 to 16777216"},
    {"TraceSocketMapSizeWithTpBtf", {"trace", "--attach", "tp_btf", "--socket-map-size", "1024"},
     "--socket-map-size: sizes the tracepoint's map: not with --attach tp_btf"},
    {"TraceUnknownUser", {"trace", "--user", "no-such-user-tcpfsm"},
     "--user: no such user 'no-such-user-tcpfsm' (a name, or a numeric id below 4294967295)"},
    {"TraceUserIdOutOfRange", {"trace", "--user", "4294967295"},
     "--user: no such user '4294967295' (a name, or a numeric id below 4294967295)"},
    {"TraceBothFamilies", {"trace", "-4", "-6"}, "--ipv4 excludes --ipv6"},
    {"TraceStateNeverReported", {"trace", "--state", "TIME_WAIT"},
     "--state: TIME_WAIT never matches: Linux reports no transition into or out of it; a timewait mini-socket takes "
     "over, and the RFC's -> TIME_WAIT is reported as FIN_WAIT2 -> CLOSE or CLOSING -> CLOSE (cause time_wait)"},
    {"TraceNetnsNoSuchName", {"trace", "--netns", "no-such-netns-tcpfsm"},
     "--netns: no network namespace named 'no-such-netns-tcpfsm' (no /var/run/netns/no-such-netns-tcpfsm; ip netns "
     "list shows the names)"},
    {"TraceNetnsNotANamespace", {"trace", "--netns", "/proc/self/ns/mnt"},
     "--netns: '/proc/self/ns/mnt' is not a network namespace (try NAME as ip netns names it, /var/run/netns/NAME or "
     "/proc/PID/ns/net)"},
    // What a message quotes is escaped: an argument may be a file name or
    // come from a script, terminal controls and all.
    {"TraceNetnsHostileName", {"trace", "--netns", "\x1b]0;owned\x07"},
     "--netns: no network namespace named '\\x1b]0;owned\\x07' (no /var/run/netns/\\x1b]0;owned\\x07; ip netns list "
     "shows the names)"},
    {"TraceHostileModel", {"trace", "--model", "\x1b[2J"}, "--model: \\x1b[2J not in {linux,rfc}"},
    {"TraceHostilePort", {"trace", "-p", "\x9b" "1m"}, "--port: invalid port '\\x9b1m': expected a number from 1 to 65535"},
    {"TraceCgroupEmpty", {"trace", "--cgroup", ""}, "--cgroup: empty cgroup path (the root, every cgroup, is /)"},
    {"TraceUnknownOption", {"trace", "--prot", "80"}, "The following arguments were not expected: 80 --prot"},
    {"TraceOptionTwice", {"trace", "-d", "1s", "-d", "2s"}, "--duration: At Most 1 required but received 2"},

    // top shares trace's filter and pipeline options (one registration):
    // the same refusals, and its own.
    {"TopIntervalTooShort", {"top", "--interval", "50ms"}, "--interval: invalid duration '50ms': must be at least 100ms"},
    {"TopStuckAgeMalformed", {"top", "--stuck-age", "5q"},
     "--stuck-age: invalid duration '5q': unknown unit 'q' (use ms, s, m, h or d)"},
    {"TopStuckStateUnknown", {"top", "--stuck-state", "bogus"}, "--stuck-state: unknown TCP state 'bogus' " + kStates},
    {"TopPortZero", {"top", "-p", "0"}, "--port: invalid port '0': must be from 1 to 65535"},
    {"TopBothFamilies", {"top", "-4", "-6"}, "--ipv4 excludes --ipv6"},
    {"TopStateNeverReported", {"top", "--state", "bound-inactive"},
     "--state: BOUND_INACTIVE never matches: Linux reports no transition into or out of it; the kernel (6.5+) sets "
     "it on a bound socket without the tracepoint"},
    {"TopSocketMapSizeWithTpBtf", {"top", "--attach", "tp_btf", "--socket-map-size", "1024"},
     "--socket-map-size: sizes the tracepoint's map: not with --attach tp_btf"},
    {"TopCgroupEmpty", {"top", "--cgroup", ""}, "--cgroup: empty cgroup path (the root, every cgroup, is /)"},
    {"TopEmptyOutput", {"top", "-o", ""}, "--output: empty file name"},

    {"CheckUnknownModel", {"check", "--model", "bsd"}, "--model: bsd not in {linux,rfc}"},
    {"CheckUnknownFormat", {"check", "-f", "table"}, "--format: table not in {text,json}"},
    {"CheckShowNegative", {"check", "--show", "-1"}, "--show: invalid count '-1': expected a whole number"},
    {"CheckShowFraction", {"check", "--show", "1.5"}, "--show: invalid count '1.5': expected a whole number"},
    {"CheckEmptyDot", {"check", "--dot", ""}, "--dot: empty file name"},
    {"CheckStuckAgeMalformed", {"check", "--stuck-age", "5q"},
     "--stuck-age: invalid duration '5q': unknown unit 'q' (use ms, s, m, h or d)"},
    {"CheckStuckAgeNegative", {"check", "--stuck-age", "-1s"}, "--stuck-age: invalid duration '-1s': must not be negative"},

    {"StatesUnknownModel", {"states", "--model", "bsd"}, "--model: bsd not in {linux,rfc}"},
    {"StatesExtraArgument", {"states", "LISTEN"}, "The following argument was not expected: LISTEN"},
    {"StatesHostileArgument", {"states", "\x1b[2J"}, "The following argument was not expected: \\x1b[2J"},

    {"StuckUnknownState", {"stuck", "--state", "CLOSE_WAITING"}, "--state: unknown TCP state 'CLOSE_WAITING' " + kStates},
    {"StuckMinAgeNegative", {"stuck", "--min-age", "-1s"}, "--min-age: invalid duration '-1s': must not be negative"},
    {"StuckMinAgeMalformed", {"stuck", "--min-age", "5q"},
     "--min-age: invalid duration '5q': unknown unit 'q' (use ms, s, m, h or d)"},
    {"StuckIntervalTooShort", {"stuck", "--interval", "50ms"}, "--interval: invalid duration '50ms': must be at least 100ms"},
    {"StuckIntervalWithOnce", {"stuck", "--once", "--interval", "1s"}, "--once excludes --interval"},
    {"StuckPortZero", {"stuck", "-p", "0"}, "--port: invalid port '0': must be from 1 to 65535"},
    {"StuckPort65536", {"stuck", "-p", "65536"}, "--port: invalid port '65536': must be from 1 to 65535"},
    {"StuckUnknownFormat", {"stuck", "-f", "xml"}, "--format: xml not in {table,json}"},
    {"StuckBothFamilies", {"stuck", "-4", "-6"}, "--ipv4 excludes --ipv6"},

    {"FeaturesExtraArgument", {"features", "all"}, "The following argument was not expected: all"},
    {"FeaturesUnknownOption", {"features", "--json"}, "The following argument was not expected: --json"},
};

class CommandLine : public testing::TestWithParam<BadCommandLine> {};

TEST_P(CommandLine, IsRefusedWithItsReason) {
  std::vector<std::string> argv{binary()};
  argv.insert(argv.end(), GetParam().args.begin(), GetParam().args.end());
  Process p(argv);
  EXPECT_EQ(p.wait(), 2);
  EXPECT_EQ(p.err(), GetParam().message + "\n" + std::string(kHint));
  EXPECT_EQ(p.out(), "");
}

INSTANTIATE_TEST_SUITE_P(Bad, CommandLine, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<BadCommandLine>& info) { return info.param.name; });

// Not a usage error of the command line, but of its file: same status.
TEST(CommandLine, CheckOfAMissingFileIsAUsageError) {
  Process p({binary(), "check", "/nonexistent/t.json"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_EQ(p.err(), "tcpfsm check: cannot read /nonexistent/t.json: No such file or directory\n");
  EXPECT_EQ(p.out(), "");
}

// The limit is this host's: read here as tcpfsm reads it.
TEST(CommandLine, PidAtPidMaxIsRefusedWithTheLimit) {
  std::ifstream f("/proc/sys/kernel/pid_max");
  std::uint64_t pid_max = 0;
  ASSERT_TRUE(f >> pid_max);
  const std::string max = std::to_string(pid_max);
  for (const char* cmd : {"trace", "top"}) {
    Process p({binary(), cmd, "--pid", max});
    EXPECT_EQ(p.wait(), 2);
    EXPECT_EQ(p.err(), "--pid: invalid pid '" + max + "': process ids are below the kernel's pid_max, " + max +
                           " (/proc/sys/kernel/pid_max)\n" + std::string(kHint));
  }
}

TEST(CommandLine, HelpAndVersionExitZero) {
  Process help({binary(), "trace", "--help"});
  EXPECT_EQ(help.wait(), 0);
  EXPECT_TRUE(help.out().starts_with("Trace TCP state transitions live\n")) << help.out();
  EXPECT_EQ(help.err(), "");
  Process version({binary(), "--version"});
  EXPECT_EQ(version.wait(), 0);
  EXPECT_EQ(version.out(), std::string(TCPFSM_VERSION) + "\n");
}

}  // namespace
}  // namespace tcpfsm::itest
