// Command lines parsed as main() parses them (nothing is run): what the
// options accept, and each refusal's message.
#include <gtest/gtest.h>
#include <pwd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "kernel/privileges.h"

using namespace tcpfsm;

namespace {

struct Parsed {
  std::optional<int> status;  // none: there is a command to run
  std::string err;
};

Parsed parse(std::vector<std::string> words) {
  words.insert(words.begin(), "tcpfsm");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  cli::Command run;
  auto app = cli::make_app(run);
  std::ostringstream out, err;
  Parsed p{cli::parse(*app, static_cast<int>(argv.size()), argv.data(), out, err), err.str()};
  if (!p.status) {
    EXPECT_TRUE(run);
  }
  return p;
}

constexpr std::string_view kHint = "Run with --help for more information.\n";

}  // namespace

// The tracepoint never reports these states: a filter on one would match
// nothing, silently.
TEST(StateFilter, RefusesAStateThatNoTransitionReports) {
  const Parsed time_wait = parse({"trace", "--state", "time-wait"});
  EXPECT_EQ(time_wait.status, 2);
  EXPECT_EQ(time_wait.err,
            "--state: TIME_WAIT never matches: Linux reports no transition into or out of it; a timewait "
            "mini-socket takes over, and the RFC's -> TIME_WAIT is reported as FIN_WAIT2 -> CLOSE or CLOSING -> "
            "CLOSE (cause time_wait)\n" +
                std::string(kHint));
  const Parsed top = parse({"top", "--state", "NEW_SYN_RECV"});
  EXPECT_EQ(top.status, 2);
  EXPECT_EQ(top.err,
            "--state: NEW_SYN_RECV never matches: Linux reports no transition into or out of it; a connection "
            "request is a mini-socket that sets it without the tracepoint; the child is reported as LISTEN -> "
            "SYN_RECV\n" +
                std::string(kHint));
  const Parsed bound = parse({"trace", "--state", "CLOSE_WAIT", "--state", "BOUND_INACTIVE"});
  EXPECT_EQ(bound.status, 2);
  EXPECT_EQ(bound.err,
            "--state: BOUND_INACTIVE never matches: Linux reports no transition into or out of it; the kernel "
            "(6.5+) sets it on a bound socket without the tracepoint\n" +
                std::string(kHint));
}

TEST(StateFilter, AcceptsEveryStateATransitionReports) {
  for (const char* s : {"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "CLOSE", "CLOSE_WAIT",
                        "LAST_ACK", "LISTEN", "CLOSING", "close-wait"}) {
    EXPECT_EQ(parse({"trace", "--state", s}).status, std::nullopt) << s;
    EXPECT_EQ(parse({"top", "--state", s}).status, std::nullopt) << s;
  }
}

// sock_diag lists timewait sockets: there TIME_WAIT is a state to look for.
TEST(StateFilter, StuckStillLooksForTimeWait) {
  EXPECT_EQ(parse({"stuck", "--once", "--state", "TIME_WAIT"}).status, std::nullopt);
}

TEST(MetricsAddress, AcceptsPortAloneAndHostNames) {
  for (const char* a : {":9464", "localhost:9464", "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"})
    EXPECT_EQ(parse({"trace", "-f", "none", "--metrics", a}).status, std::nullopt) << a;
}

TEST(MetricsAddress, NamesTheProblem) {
  const Parsed p = parse({"trace", "--metrics", "9464"});
  EXPECT_EQ(p.status, 2);
  EXPECT_EQ(p.err,
            "--metrics: '9464' is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every "
            "address)\n" +
                std::string(kHint));
}

// Whatever a message quotes is escaped (common/text.h), CLI11's own messages
// as much as tcpfsm's: an argument may be a file name, any bytes.
TEST(UsageError, QuotesArgumentsEscaped) {
  const Parsed netns = parse({"trace", "--netns", "/nonexistent/\x1b]0;owned\x07"});
  EXPECT_EQ(netns.status, 2);
  EXPECT_EQ(netns.err, "--netns: cannot open '/nonexistent/\\x1b]0;owned\\x07': No such file or directory\n" +
                           std::string(kHint));
  const Parsed model = parse({"check", "--model", "\x1b[2J"});
  EXPECT_EQ(model.err, "--model: \\x1b[2J not in {linux,rfc}\n" + std::string(kHint));
  const Parsed extra = parse({"states", "\xff\\"});
  EXPECT_EQ(extra.err, "The following argument was not expected: \\xff\\\\\n" + std::string(kHint));
}

// "" is the root: a filter that would keep every socket.
TEST(CgroupFilter, EmptyPathIsRefused) {
  for (const char* cmd : {"trace", "top"}) {
    const Parsed p = parse({cmd, "--cgroup", ""});
    EXPECT_EQ(p.status, 2) << cmd;
    EXPECT_EQ(p.err, "--cgroup: empty cgroup path (the root, every cgroup, is /)\n" + std::string(kHint)) << cmd;
  }
}

namespace {

std::uint64_t pid_max() {
  std::ifstream f("/proc/sys/kernel/pid_max");
  std::uint64_t n = 0;
  f >> n;
  return n;
}

}  // namespace

TEST(PidFilter, BelowPidMaxOnly) {
  const std::uint64_t max = pid_max();
  ASSERT_GT(max, 1u);
  EXPECT_EQ(parse({"trace", "--pid", std::to_string(max - 1)}).status, std::nullopt);
  for (const char* cmd : {"trace", "top"}) {
    const Parsed at = parse({cmd, "--pid", std::to_string(max)});
    EXPECT_EQ(at.status, 2);
    EXPECT_EQ(at.err, "--pid: invalid pid '" + std::to_string(max) + "': process ids are below the kernel's pid_max, " +
                          std::to_string(max) + " (/proc/sys/kernel/pid_max)\n" + std::string(kHint));
  }
  const Parsed zero = parse({"trace", "--pid", "0"});
  EXPECT_EQ(zero.err, "--pid: invalid pid '0': expected a process id from 1 to " + std::to_string(max - 1) + "\n" +
                          std::string(kHint));
}

// A container's user is often an id the host has no account for.
TEST(User, NameOrNumericId) {
  for (const char* user : {"nobody", "65534", "0", "4294967294"})
    EXPECT_EQ(parse({"trace", "--user", user}).status, std::nullopt) << user;
  // (uid_t)-1 is no id: setresuid() reads it as "unchanged".
  for (const char* user : {"4294967295", "4294967296", "-1", "1e3", "no-such-user-tcpfsm", ""}) {
    const Parsed p = parse({"trace", "--user", user});
    EXPECT_EQ(p.status, 2) << user;
    EXPECT_EQ(p.err, "--user: no such user '" + std::string(user) + "' (a name, or a numeric id below 4294967295)\n" +
                         std::string(kHint));
  }
}

TEST(User, AnIdWithoutAnAccountHasTheGroupOfTheSameNumber) {
  constexpr std::uint32_t kUnlisted = 3999999;
  if (getpwuid(kUnlisted)) GTEST_SKIP() << "uid " << kUnlisted << " has an account here";
  const auto a = find_account(std::to_string(kUnlisted));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->uid, kUnlisted);
  EXPECT_EQ(a->gid, kUnlisted);
  // An id with one: its account's group.
  const passwd* nobody = getpwnam("nobody");
  ASSERT_TRUE(nobody);
  const std::uint32_t uid = nobody->pw_uid, gid = nobody->pw_gid;  // the next lookup reuses *nobody
  const auto n = find_account(std::to_string(uid));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->gid, gid);
}

// --lifetimes writes connections' ends, as a table or JSON, to standard
// output or -o; what it cannot mean is refused with the reason.
TEST(LifetimesOption, RefusedWhereItCannotMeanAnything) {
  EXPECT_EQ(parse({"trace", "--lifetimes", "-f", "json", "-o", "/tmp/tcpfsm-lifetimes.json"}).status, std::nullopt);
  EXPECT_EQ(parse({"trace", "--lifetimes", "-f", "table", "-p", "443", "--no-owners"}).status, std::nullopt);
  const std::pair<std::vector<std::string>, std::string> refused[] = {
      {{"-f", "none"}, "writes connections' ends: not with -f none"},
      {{"-w"}, "has columns of its own: not with -w"},
      {{"--state", "ESTABLISHED"}, "needs every transition of a connection: not with --state"},
      {{"-n", "10"}, "-n counts transitions, not connections: not with -n (use -d)"},
  };
  for (const auto& [words, why] : refused) {
    std::vector<std::string> argv{"trace", "--lifetimes"};
    argv.insert(argv.end(), words.begin(), words.end());
    const Parsed p = parse(argv);
    EXPECT_EQ(p.status, 2) << words[0];
    EXPECT_EQ(p.err, "--lifetimes: " + why + "\n" + std::string(kHint));
  }
}
