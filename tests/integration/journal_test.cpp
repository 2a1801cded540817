// trace --journal against a real systemd-journald, one the test starts in a
// mount namespace of its own: a tmpfs over /run (so /run/systemd/journal,
// where journald listens, and /run/log/journal, where it keeps the entries,
// are empty and the test's alone) and over /var/log/journal. tcpfsm runs in
// that namespace (nsenter), the journal is read back there with
// `journalctl -o json`; the host's journal and any journald of the host
// are never touched. The namespace ends with its last process.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sockets.h"
#include "support/temp_dir.h"

namespace tcpfsm::itest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kJournald = "/lib/systemd/systemd-journald";

std::string journal_skip_reason() {
  for (const char* tool : {kJournald, "/usr/bin/journalctl"})
    if (::access(tool, X_OK) != 0)
      return std::string(tool) + " is not installed (Debian: systemd; scripts/deps installs it)";
  for (const char* tool : {"/usr/bin/unshare", "/usr/bin/nsenter"})
    if (::access(tool, X_OK) != 0) return std::string(tool) + " is not installed (Debian: util-linux)";
  return "";
}

#define REQUIRE_JOURNALD()                                                           \
  if (auto why = journal_skip_reason(); !why.empty()) {                              \
    if (must_not_skip()) FAIL() << "CI must run this test: " << why;                 \
    GTEST_SKIP() << "SKIPPED: " << why;                                              \
  }

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// What the namespace's /run/systemd/journal holds.
enum class Journald {
  Running,     // systemd-journald, listening
  None,        // nothing: no socket
  DeadSocket,  // the socket a journald left behind, nothing listening on it
};

// The private mount namespace, held by its first process: journald itself,
// or a sleep. Killed by its pid when the test ends; the namespace goes with it.
class JournalNamespace {
 public:
  explicit JournalNamespace(Journald j) : holder_(argv(j)) {
    if (j == Journald::Running) {
      // Up once its socket is bound: seen through the holder's own root.
      const std::string socket = "/proc/" + std::to_string(holder_.pid()) + "/root/run/systemd/journal/socket";
      const auto until = std::chrono::steady_clock::now() + scaled(10s);
      while (!fs::exists(socket)) {
        if (std::chrono::steady_clock::now() > until || holder_.wait_for_stderr("\x01", 50ms))
          throw std::runtime_error("systemd-journald did not start: " + holder_.err());
      }
    } else if (!holder_.wait_for_stdout([](const std::string& out) { return out == "ready\n"; })) {
      throw std::runtime_error("the namespace was not set up: " + holder_.err());
    }
  }
  ~JournalNamespace() { stop(); }
  JournalNamespace(const JournalNamespace&) = delete;
  JournalNamespace& operator=(const JournalNamespace&) = delete;

  // A command line that runs in the namespace (its mounts only: the
  // network namespace stays the test's). Its root and working directory are
  // the holder's: entering a mount namespace otherwise resets the root to
  // that namespace's, which is not the test's where it runs chrooted (the
  // kernel matrix's guests chroot into an overlay of the host).
  std::vector<std::string> in_it(const std::vector<std::string>& argv) const {
    const std::string proc = "/proc/" + std::to_string(holder_.pid());
    return std::vector<std::string>{"nsenter", "--mount=" + proc + "/ns/mnt", "--root=" + proc + "/root",
                                    "--wd=" + proc + "/cwd", "--"} +
           argv;
  }

  // tcpfsm's entries in the journal, in its order (journalctl -o json).
  // `polling`: before the journal may have a file, so journalctl may fail.
  std::vector<json> entries(bool polling = false) {
    Process jc(in_it({"journalctl", "--directory=/run/log/journal", "--output=json", "--all", "--no-pager",
                      "SYSLOG_IDENTIFIER=tcpfsm"}));
    const int status = jc.wait();
    if (!polling) {
      EXPECT_EQ(status, 0) << jc.err();
    }
    std::vector<json> out;
    std::istringstream lines(jc.out());
    for (std::string line; std::getline(lines, line);)
      if (line.starts_with("{")) out.push_back(json::parse(line));
    return out;
  }

  // Waits until the entries so far satisfy done; false if they do not
  // within 10 s.
  bool wait_for(const std::function<bool(const std::vector<json>&)>& done) {
    const auto until = std::chrono::steady_clock::now() + scaled(10s);
    for (;;) {
      if (done(entries(true))) return true;
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(100ms);
    }
  }

  // Ends the namespace's first process (and with it the namespace, once
  // nothing else is in it); what it said on standard error.
  std::string stop() {
    if (!stopped_) {
      holder_.signal(SIGTERM);
      holder_.wait(5s);
      stopped_ = true;
    }
    return holder_.err();
  }

 private:
  static std::vector<std::string> argv(Journald j) {
    // /run a tmpfs of the namespace's own: nothing of the host's /run
    // (its journald's socket, its runtime journal) is seen or written.
    std::string script =
        "set -e\n"
        "mount -t tmpfs -o mode=0755,size=64m tcpfsm-journal-test /run\n"
        "mkdir -p /run/systemd/journal /run/log/journal /run/systemd/journald.conf.d\n"
        "if [ -d /var/log/journal ]; then mount -t tmpfs -o mode=2755 tcpfsm-journal-test /var/log/journal; fi\n";
    switch (j) {
      case Journald::Running:
        // Kept in /run/log/journal; nothing read from or written to the
        // kernel's log, the console or a syslog; the kernel's audit left
        // as it is (journald's default, Audit=no, turns it off host-wide,
        // from any network namespace); no rate limit. Last in the drop-in
        // order, over anything in the host's /etc.
        script +=
            "printf '[Journal]\\nStorage=volatile\\nReadKMsg=no\\nAudit=\\nForwardToSyslog=no\\nForwardToKMsg=no\\n"
            "ForwardToConsole=no\\nForwardToWall=no\\nRateLimitIntervalSec=0\\nRateLimitBurst=0\\n' "
            "> /run/systemd/journald.conf.d/zz-tcpfsm-test.conf\n"
            "SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=notice exec " +
            std::string(kJournald) + "\n";
        break;
      case Journald::None:
        script += "echo ready\nexec sleep 600\n";
        break;
      case Journald::DeadSocket:
        script +=
            "python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"
            ".bind(\"/run/systemd/journal/socket\")'\n"
            "echo ready\nexec sleep 600\n";
        break;
    }
    return {"unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script};
  }

  Process holder_;
  bool stopped_ = false;
};

// A field as journalctl -o json writes it: a string, or, when it is not
// printable UTF-8, an array of its bytes. "" when absent.
std::string bytes_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  std::string s;
  if (v.is_array())
    for (const json& b : v) s.push_back(static_cast<char>(b.get<int>()));
  return s;
}
std::string field(const json& entry, const char* name) { return entry.contains(name) ? bytes_of(entry[name]) : ""; }

// A field that came more than once: an array of its values.
std::vector<std::string> fields(const json& entry, const char* name) {
  if (!entry.contains(name)) return {};
  const json& v = entry[name];
  if (!v.is_array() || v.empty() || v[0].is_number()) return {bytes_of(v)};
  std::vector<std::string> out;
  for (const json& one : v) out.push_back(bytes_of(one));
  return out;
}

std::vector<json> of_type(const std::vector<json>& entries, std::string_view type) {
  std::vector<json> out;
  for (const json& e : entries)
    if (field(e, "TCPFSM_TYPE") == type) out.push_back(e);
  return out;
}

using Edges = std::vector<std::string>;
const Edges kClient{"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->FIN_WAIT1", "FIN_WAIT1->FIN_WAIT2",
                    "FIN_WAIT2->CLOSE"};
const Edges kChild{"LISTEN->SYN_RECV", "SYN_RECV->ESTABLISHED", "ESTABLISHED->CLOSE_WAIT", "CLOSE_WAIT->LAST_ACK",
                   "LAST_ACK->CLOSE"};
const Edges kListener{"CLOSE->LISTEN", "LISTEN->CLOSE"};
const Edges kRefused{"CLOSE->SYN_SENT", "SYN_SENT->CLOSE"};

}  // namespace

// Every record of a run, one journal entry each, read back from a real
// journald: the exact transitions of each socket, PRIORITY from the verdict
// (--model rfc makes Linux's FIN_WAIT2 -> CLOSE illegal), the fields of a
// process that named itself with a newline and an escape sequence kept as
// bytes, its MESSAGE escaped; the start, a stats and the end entry.
TEST(Journal, EveryRecordReachesARealJournaldAsItsFields) {
  REQUIRE_BPF();
  REQUIRE_JOURNALD();
  constexpr std::uint16_t kPort = 20830, kNobody = 20831;  // nothing listens on kNobody
  JournalNamespace ns(Journald::Running);
  Process trace(ns.in_it({binary(), "trace", "--journal", "--format", "none", "--model", "rfc", "-p",
                          std::to_string(kPort), "-p", std::to_string(kNobody)}));
  ASSERT_TRUE(trace.wait_for_stderr("Tracing TCP state transitions")) << trace.err();

  run_connections(Family::V4, kPort, 2);
  const char kName[] = "jn\nl\x1b[31m\x07";  // a newline, a colour, a bell
  pid_t hostile = 0;
  {
    HoldingChild child(kName, [] { connect_to(Family::V4, kNobody); });
    hostile = child.pid();
  }
  // All 24 in the journal, then a stats record (SIGUSR1) after them.
  ASSERT_TRUE(ns.wait_for([](const std::vector<json>& e) { return of_type(e, "transition").size() >= 24; }))
      << trace.err();
  trace.signal(SIGUSR1);
  ASSERT_TRUE(ns.wait_for([](const std::vector<json>& e) { return !of_type(e, "stats").empty(); })) << trace.err();
  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(), 0) << trace.err();
  EXPECT_EQ(trace.err().find("--journal"), std::string::npos) << trace.err();  // nothing went missing

  // journald takes the datagrams in order: with the end entry, all of them.
  ASSERT_TRUE(ns.wait_for([](const std::vector<json>& e) { return !of_type(e, "end").empty(); }));
  const std::vector<json> entries = ns.entries();
  ASSERT_GE(entries.size(), 3u);
  for (const json& e : entries) {
    EXPECT_EQ(field(e, "SYSLOG_IDENTIFIER"), "tcpfsm") << e.dump();
    EXPECT_EQ(field(e, "_PID"), std::to_string(trace.pid())) << e.dump();
    EXPECT_FALSE(field(e, "MESSAGE").empty()) << e.dump();
  }

  const json& start = entries.front();
  EXPECT_EQ(field(start, "TCPFSM_TYPE"), "start");
  EXPECT_EQ(field(start, "TCPFSM"), TCPFSM_VERSION);
  EXPECT_EQ(field(start, "MODEL"), "rfc");
  EXPECT_EQ(fields(start, "FILTERS_PORTS"), (std::vector<std::string>{"20830", "20831"}));
  EXPECT_EQ(field(start, "PRIORITY"), "6");
  EXPECT_EQ(of_type(entries, "start").size(), 1u);

  // The transitions of each socket, in order, by cookie.
  const std::vector<json> transitions = of_type(entries, "transition");
  std::map<std::string, Edges> by_cookie;
  for (const json& t : transitions) {
    by_cookie[field(t, "COOKIE")].push_back(field(t, "OLD") + "->" + field(t, "NEW"));
    // PRIORITY from the verdict; under rfc, Linux's FIN_WAIT2 -> CLOSE (its
    // TIME_WAIT) alone is illegal here.
    const std::string verdict = field(t, "VERDICT");
    EXPECT_EQ(verdict, field(t, "OLD") == "FIN_WAIT2" && field(t, "NEW") == "CLOSE" ? "illegal" : "ok") << t.dump();
    EXPECT_EQ(field(t, "PRIORITY"), verdict == "ok" ? "6" : verdict == "gap" ? "5" : "4") << t.dump();
    EXPECT_EQ(field(t, "REASON").empty(), verdict == "ok") << t.dump();
  }
  std::map<Edges, int> lifecycles;
  for (const auto& [cookie, edges] : by_cookie) ++lifecycles[edges];
  EXPECT_EQ(lifecycles, (std::map<Edges, int>{{kClient, 2}, {kChild, 2}, {kListener, 1}, {kRefused, 1}}));
  EXPECT_EQ(transitions.size(), 24u);

  // The process with the hostile name: its bytes in COMM and OWNER_COMM,
  // escaped in MESSAGE (no newline, no escape, no bell reach a terminal).
  const auto connect = std::find_if(transitions.begin(), transitions.end(), [&](const json& t) {
    return field(t, "PID") == std::to_string(hostile) && field(t, "NEW") == "SYN_SENT";
  });
  ASSERT_NE(connect, transitions.end());
  EXPECT_EQ(field(*connect, "COMM"), kName);
  EXPECT_EQ(field(*connect, "OWNER_PID"), std::to_string(hostile));
  EXPECT_EQ(field(*connect, "OWNER_COMM"), kName);
  EXPECT_EQ(field(*connect, "RPORT"), "20831");
  const std::string message = field(*connect, "MESSAGE");
  EXPECT_EQ(message, "CLOSE -> SYN_SENT 127.0.0.1:0 <-> 127.0.0.1:20831 (jn\\x0al\\x1b[31m\\x07[" +
                         std::to_string(hostile) + "])");
  EXPECT_EQ(message.find_first_of("\n\x1b\x07"), std::string::npos);
  const auto refused = std::find_if(transitions.begin(), transitions.end(), [&](const json& t) {
    return field(t, "COOKIE") == field(*connect, "COOKIE") && field(t, "NEW") == "CLOSE";
  });
  ASSERT_NE(refused, transitions.end());
  EXPECT_EQ(field(*refused, "CAUSE"), "rst_received");
  EXPECT_EQ(field(*refused, "ERROR"), "ECONNREFUSED");

  const std::vector<json> stats = of_type(entries, "stats");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(field(stats[0], "TRANSITIONS"), "24");
  EXPECT_EQ(field(stats[0], "JOURNAL_NOT_SENT"), "0");
  EXPECT_EQ(field(stats[0], "PRIORITY"), "6");
  EXPECT_TRUE(of_type(entries, "lost").empty());

  const json& end = entries.back();
  EXPECT_EQ(field(end, "TCPFSM_TYPE"), "end");
  EXPECT_EQ(field(end, "REASON"), "signal");
  EXPECT_EQ(field(end, "SIGNAL"), "SIGTERM");
  EXPECT_EQ(field(end, "TRANSITIONS"), "24");
  EXPECT_EQ(field(end, "VIOLATIONS_ILLEGAL"), "2");
  EXPECT_EQ(field(end, "JOURNAL_NOT_SENT"), "0");
  EXPECT_EQ(field(end, "PRIORITY"), "6");
  EXPECT_EQ(of_type(entries, "end").size(), 1u);
  EXPECT_EQ(entries.size(), 1 + 24 + 1 + 1u);

  const std::string journald = ns.stop();  // warnings and worse
  EXPECT_EQ(journald.find("Unknown key"), std::string::npos) << journald;
}

namespace {

// With no journald in the namespace, trace --journal -o FILE traces to the
// file as without --journal, and says once why the journal gets nothing,
// and at the end how many records it did not get.
void traces_on_without_journald(Journald j, std::uint16_t port, const std::string& why) {
  JournalNamespace ns(j);
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  Process trace(ns.in_it({binary(), "trace", "--journal", "-o", log.string(), "-p", std::to_string(port)}));
  ASSERT_TRUE(trace.wait_for_stderr("Tracing TCP state transitions")) << trace.err();
  run_connections(Family::V4, port, 1);
  std::this_thread::sleep_for(300ms);
  trace.signal(SIGTERM);
  ASSERT_EQ(trace.wait(), 0) << trace.err();

  std::vector<json> records;
  std::istringstream lines(slurp(log));
  for (std::string line; std::getline(lines, line);) records.push_back(json::parse(line));
  ASSERT_EQ(records.size(), 1 + 12 + 1u) << slurp(log);
  EXPECT_EQ(records.front()["type"], "start");
  EXPECT_EQ(records.back()["type"], "end");
  EXPECT_EQ(records.back()["transitions"], 12);
  // The records before the end that the journal did not get: the start and
  // the 12 transitions (the end's own is counted on stderr, below).
  EXPECT_EQ(records.back()["journal_not_sent"], 13) << records.back().dump();

  const std::string said = "tcpfsm: --journal: records are not reaching the journal: " + why +
                           "; counted, tracing goes on\n";
  const std::string& err = trace.err();
  EXPECT_NE(err.find(said), std::string::npos) << err;
  EXPECT_EQ(err.find("not reaching the journal"), err.rfind("not reaching the journal")) << "said once: " << err;
  EXPECT_NE(err.find("tcpfsm: --journal: 14 of 14 records were not sent to the journal: 14: " + why + "\n"),
            std::string::npos)
      << err;
}

}  // namespace

TEST(Journal, WithoutJournaldTheTraceGoesOnAndSaysWhyOnce) {
  REQUIRE_BPF();
  REQUIRE_JOURNALD();
  traces_on_without_journald(Journald::None, 20832,
                             "no systemd-journald listens at /run/systemd/journal/socket (No such file or directory)");
}

TEST(Journal, ASocketJournaldLeftBehindIsRefusedAndSaidOnce) {
  REQUIRE_BPF();
  REQUIRE_JOURNALD();
  traces_on_without_journald(Journald::DeadSocket, 20833,
                             "no systemd-journald listens at /run/systemd/journal/socket (Connection refused)");
}

}  // namespace tcpfsm::itest
