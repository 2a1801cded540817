// tcpfsm top in a real terminal: tmux runs it in a pane of a fixed size,
// real loopback traffic and a process that leaks CLOSE_WAIT sockets change
// what it shows, and `tmux capture-pane` reads the screen as a user sees it.
// Keys, a resize, q, Ctrl-C and SIGTERM; the terminal left as it was.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

constexpr std::uint16_t kTrafficPort = 20821, kStuckPort = 20822, kIdlePort = 20823, kLogPort = 20824;

std::string tmux_skip_reason() {
  if (access("/usr/bin/tmux", X_OK) != 0) return "/usr/bin/tmux is not installed (apt-get install tmux)";
  return "";
}

#define REQUIRE_TMUX()                                                                         \
  if (auto why = tmux_skip_reason(); !why.empty()) {                                          \
    if (must_not_skip()) FAIL() << "CI must run this test: " << why;                          \
    GTEST_SKIP() << "SKIPPED: " << why;                                                       \
  }

// A tmux server of its own (no user configuration) with one detached
// session whose pane runs `command` in a shell, at cols x rows.
class Tmux {
 public:
  Tmux(const std::string& command, int cols, int rows)
      // A server per instance: one being killed may still answer on its socket.
      : socket_("/tmp/tcpfsm-itest-tmux-" + std::to_string(getpid()) + "-" + std::to_string(++instances_)) {
    run({"-f", "/dev/null", "new-session", "-d", "-s", "top", "-x", std::to_string(cols), "-y",
         std::to_string(rows), command});
  }
  ~Tmux() {
    run({"kill-server"});
    unlink(socket_.c_str());  // a killed server may leave it
  }

  std::string capture() { return run({"capture-pane", "-p", "-t", "top"}); }
  std::string format(const std::string& f) {
    std::string s = run({"display-message", "-p", "-t", "top", f});
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }
  void keys(const std::string& k) { run({"send-keys", "-t", "top", k}); }
  // The pid of the program the pane's shell runs (0 if none).
  pid_t child() {
    Process pgrep({"pgrep", "-P", format("#{pane_pid}")});
    return pgrep.wait() == 0 ? std::stoi(pgrep.out()) : 0;
  }
  // Ends the server: every pane's terminal hangs up.
  void kill_server() { run({"kill-server"}); }
  void resize(int cols, int rows) {
    run({"resize-window", "-t", "top", "-x", std::to_string(cols), "-y", std::to_string(rows)});
  }
  // Captures every 50 ms until pred holds (or the timeout); every screen
  // seen goes to `seen`. Returns the last one.
  std::string wait_for(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout,
                       std::vector<std::string>* seen = nullptr) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string screen = capture();
    while (!pred(screen) && std::chrono::steady_clock::now() < end) {
      if (seen) seen->push_back(screen);
      std::this_thread::sleep_for(50ms);
      screen = capture();
    }
    if (seen) seen->push_back(screen);
    return screen;
  }

 private:
  std::string run(std::vector<std::string> args) {
    args.insert(args.begin(), {"tmux", "-S", socket_});
    Process p(args);
    p.wait(5s);
    return p.out();
  }
  static inline int instances_ = 0;
  std::string socket_;
};

// The shell line the pane runs: top, then its exit status, then a pause
// that keeps the pane (and what top left on it) until the test ends.
std::string top_command(const std::string& locale, const std::string& args) {
  return "LC_ALL=" + locale + " " + binary() + " top " + args + "; echo \"exit=$?\"; sleep 60";
}

std::vector<std::string> lines_of(const std::string& screen) {
  std::vector<std::string> lines;
  std::istringstream in(screen);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// NOW of each state in the sockets pane.
std::map<std::string, int> sockets_now(const std::string& screen) {
  std::map<std::string, int> now;
  static const std::regex row(R"(^([A-Z_0-9]+) +(\d+) +(\d+)  .*$)");
  std::smatch m;
  for (const std::string& l : lines_of(screen))
    if (std::regex_match(l, m, row)) now[m[1]] = std::stoi(m[2]);
  return now;
}

// Per edge ("ESTABLISHED -> CLOSE_WAIT"), its rate and total.
std::map<std::string, std::pair<double, int>> edges(const std::string& screen) {
  std::map<std::string, std::pair<double, int>> e;
  static const std::regex row(R"(^([A-Z_0-9]+) +-> ([A-Z_0-9]+) +([0-9.]+) +(\d+)$)");
  std::smatch m;
  for (const std::string& l : lines_of(screen))
    if (std::regex_match(l, m, row)) e[std::string(m[1]) + " -> " + std::string(m[2])] = {std::stod(m[3]), std::stoi(m[4])};
  return e;
}

// Columns on the terminal: one per character (the screens here have no wide ones).
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (unsigned char c : line) n += (c & 0xC0) != 0x80;
  return n;
}

int total_transitions(const std::string& screen) {
  std::smatch m;
  static const std::regex all(R"(all: [0-9.]+/s, (\d+) since start)");
  return std::regex_search(screen, m, all) ? std::stoi(m[1]) : -1;
}

}  // namespace

TEST(Top, RefusesWithoutATerminal) {
  Process p({binary(), "top"});  // standard output is a pipe
  EXPECT_EQ(p.wait(), 2);
  EXPECT_EQ(p.out(), "");
  EXPECT_EQ(p.err(),
            "tcpfsm: top draws a live screen and needs a terminal on standard output; to record or pipe transitions "
            "use `tcpfsm trace` (JSON lines when piped), to monitor use `tcpfsm trace --format none --metrics "
            "ADDR:PORT`\n");
}

TEST(Top, ShowsStatesRatesAndHoldersInARealTerminalAndQuitsWithQ) {
  REQUIRE_BPF();
  REQUIRE_TMUX();
  Tmux tmux(top_command("C.UTF-8", "-p " + std::to_string(kTrafficPort) + " -p " + std::to_string(kStuckPort) +
                                       " --stuck-age 0 --interval 1s"),
            120, 45);
  const auto on_screen = [](const std::string& s) { return s.rfind("tcpfsm top  ", 0) == 0; };
  std::string screen = tmux.wait_for(on_screen, 15s);
  ASSERT_TRUE(on_screen(screen)) << screen;
  EXPECT_EQ(tmux.format("#{alternate_on}"), "1");

  // 52 transitions, 5 TIME_WAIT clients left; then 25 transitions, a
  // listener, 3 CLOSE_WAIT sockets held by "leaky" and 3 orphaned clients in
  // FIN_WAIT2.
  run_connections(Family::V4, kTrafficPort, 5);
  auto leaky = plant_close_wait("leaky", kStuckPort);
  const std::map<std::string, int> want_sockets{
      {"ESTABLISHED", 0}, {"SYN_SENT", 0},   {"SYN_RECV", 0}, {"FIN_WAIT1", 0}, {"FIN_WAIT2", 3},
      {"TIME_WAIT", 5},   {"CLOSE_WAIT", 3}, {"LAST_ACK", 0}, {"LISTEN", 1},    {"CLOSING", 0}};
  const std::string holder = std::to_string(leaky->pid());
  const auto holder_row = [&](const std::string& s) {
    for (const std::string& l : lines_of(s))
      if (l.rfind(holder + " ", 0) == 0) return l;
    return std::string();
  };
  std::vector<std::string> seen;
  screen = tmux.wait_for(
      [&](const std::string& s) {
        return total_transitions(s) == 77 && sockets_now(s) == want_sockets && !holder_row(s).empty();
      },
      15s, &seen);
  EXPECT_EQ(total_transitions(screen), 77) << screen;
  EXPECT_EQ(sockets_now(screen), want_sockets) << screen;
  // PID, COMM, CONTAINER, STATE, SOCKETS, then the age of the oldest.
  char row[128];
  std::snprintf(row, sizeof row, "%-8s%-17s%-20s%-12s%9s  ", holder.c_str(), "leaky", "-", "CLOSE_WAIT", "3");
  EXPECT_EQ(holder_row(screen).substr(0, std::string(row).size()), row) << screen;

  const auto e = edges(screen);
  const std::map<std::string, int> want_totals{
      {"CLOSE -> SYN_SENT", 8},        {"SYN_SENT -> ESTABLISHED", 8}, {"LISTEN -> SYN_RECV", 8},
      {"SYN_RECV -> ESTABLISHED", 8},  {"ESTABLISHED -> FIN_WAIT1", 8}, {"ESTABLISHED -> CLOSE_WAIT", 8},
      {"FIN_WAIT1 -> FIN_WAIT2", 8},   {"FIN_WAIT2 -> CLOSE", 8},       {"CLOSE_WAIT -> LAST_ACK", 5},
      {"LAST_ACK -> CLOSE", 5},        {"CLOSE -> LISTEN", 2},          {"LISTEN -> CLOSE", 1}};
  std::map<std::string, int> totals;
  for (const auto& [edge, rt] : e) totals[edge] = rt.second;
  EXPECT_EQ(totals, want_totals) << screen;
  // Each edge ran at a rate above nothing in the interval it happened in.
  for (const std::string edge : {"ESTABLISHED -> CLOSE_WAIT", "SYN_SENT -> ESTABLISHED", "CLOSE_WAIT -> LAST_ACK"}) {
    bool moved = false;
    for (const std::string& s : seen) {
      const auto es = edges(s);
      moved |= es.count(edge) && es.at(edge).first > 0;
    }
    EXPECT_TRUE(moved) << edge << " never showed a rate above 0.0/s";
  }
  // Recursion misses are counted before the port filter: other programs'
  // traffic on the host may have some.
  EXPECT_TRUE(std::regex_search(screen, std::regex("LOST ring buffer 0, recursion \\d+, state not stored 0   "
                                                   "VIOLATIONS illegal 0, gaps 0, unknown states 0")))
      << screen;

  // Keys change the sorts, and the help line says which.
  tmux.keys("e");
  tmux.keys("s");
  screen = tmux.wait_for(
      [](const std::string& s) {
        return s.find("e edges by rate [total] edge   s stuck by sockets [age] container pid") != std::string::npos;
      },
      5s);
  // By total: the eight-count edges first, then CLOSE_WAIT -> LAST_ACK (5).
  const auto sorted = lines_of(screen);
  const auto heading = std::find_if(sorted.begin(), sorted.end(), [](const std::string& l) { return l.rfind("OLD ", 0) == 0; });
  ASSERT_LT(heading + 9, sorted.end()) << screen;
  EXPECT_EQ(heading[9].substr(0, 25), "CLOSE_WAIT  -> LAST_ACK  ") << screen;

  // A smaller terminal: redrawn to fit it.
  tmux.resize(70, 20);
  screen = tmux.wait_for(
      [](const std::string& s) {
        const auto l = lines_of(s);
        return l.size() == 20 && l.back().rfind("q quit", 0) == 0;
      },
      5s);
  const auto small = lines_of(screen);
  ASSERT_EQ(small.size(), 20U) << screen;
  EXPECT_EQ(small.front().rfind("tcpfsm top  ", 0), 0U) << screen;
  for (const std::string& l : small) EXPECT_LE(columns(l), 70U) << l;

  tmux.keys("q");
  screen = tmux.wait_for([](const std::string& s) { return s.find("exit=") != std::string::npos; }, 5s);
  EXPECT_NE(screen.find("exit=0"), std::string::npos) << screen;
  EXPECT_EQ(tmux.format("#{alternate_on}"), "0");
  EXPECT_NE(screen.find("tcpfsm: quit after "), std::string::npos) << screen;
  EXPECT_EQ(screen.find("tcpfsm top  "), std::string::npos) << "the screen is left as it was:\n" << screen;
}

TEST(Top, CtrlCAndSigtermEndItCleanlyAndAsciiWithoutUtf8) {
  REQUIRE_BPF();
  REQUIRE_TMUX();
  for (const bool sigterm : {false, true}) {
    SCOPED_TRACE(sigterm ? "SIGTERM, C locale" : "Ctrl-C");
    Tmux tmux(top_command(sigterm ? "C" : "C.UTF-8", "-p " + std::to_string(kIdlePort)), 100, 30);
    const auto on_screen = [](const std::string& s) { return s.rfind("tcpfsm top  ", 0) == 0; };
    std::string screen = tmux.wait_for(on_screen, 15s);
    ASSERT_TRUE(on_screen(screen)) << screen;
    if (sigterm) {
      // Without a UTF-8 locale, the sparklines are ASCII: no byte above it.
      screen = tmux.wait_for([](const std::string& s) { return s.find("LISTEN              0        0  __") != std::string::npos; }, 5s);
      for (unsigned char c : screen) ASSERT_LT(c, 0x80) << screen;
      EXPECT_NE(screen.find("LISTEN              0        0  __"), std::string::npos) << screen;
      const pid_t top = tmux.child();
      ASSERT_GT(top, 0);
      kill(top, SIGTERM);
    } else {
      tmux.keys("C-c");
    }
    screen = tmux.wait_for([](const std::string& s) { return s.find("exit=") != std::string::npos; }, 5s);
    EXPECT_NE(screen.find("exit=0"), std::string::npos) << screen;
    EXPECT_NE(screen.find(sigterm ? "tcpfsm: terminated after " : "tcpfsm: interrupted after "), std::string::npos)
        << screen;
    EXPECT_EQ(tmux.format("#{alternate_on}"), "0");
  }
}

// top -o FILE keeps the log while it shows the screen: the records trace -o
// would write, the same transitions of the same sockets with the same
// verdicts and causes, between a start and an end record.
TEST(Top, KeepsTheLogTraceWouldWrite) {
  REQUIRE_BPF();
  REQUIRE_TMUX();
  const std::string log = "/tmp/tcpfsm-itest-top-log-" + std::to_string(getpid());
  std::remove(log.c_str());
  const std::string port = std::to_string(kLogPort);
  TraceRun trace({"-p", port});
  Tmux tmux(top_command("C.UTF-8", "-p " + port + " -o " + log), 100, 30);
  const auto on_screen = [](const std::string& s) { return s.rfind("tcpfsm top  ", 0) == 0; };
  ASSERT_TRUE(on_screen(tmux.wait_for(on_screen, 15s)));
  run_connections(Family::V4, kLogPort, 5);  // 52 transitions
  std::string screen = tmux.wait_for([](const std::string& s) { return total_transitions(s) == 52; }, 15s);
  EXPECT_EQ(total_transitions(screen), 52) << screen;
  ASSERT_TRUE(trace.wait_for_transitions(52));
  tmux.keys("q");
  screen = tmux.wait_for([](const std::string& s) { return s.find("exit=") != std::string::npos; }, 5s);
  EXPECT_NE(screen.find("exit=0"), std::string::npos) << screen;
  EXPECT_EQ(trace.stop(), 0);

  // What identifies a record's content, beyond when it was written.
  const auto key = [](const nlohmann::json& r) {
    std::string k;
    for (const char* f : {"cookie", "old", "new", "lport", "rport", "verdict", "cause", "comm"})
      k += (r.contains(f) ? r[f].dump() : "-") + " ";
    return k;
  };
  std::vector<std::string> want, got;
  for (const auto& r : trace.transitions()) want.push_back(key(r));
  std::ifstream in(log);
  std::vector<std::string> types;
  for (std::string line; std::getline(in, line);) {
    const auto r = nlohmann::json::parse(line);
    types.push_back(r["type"]);
    if (r["type"] == "transition") got.push_back(key(r));
    if (r["type"] == "start") {
      EXPECT_EQ(r["filters"]["ports"], nlohmann::json::array({kLogPort})) << line;
    }
  }
  ASSERT_EQ(want.size(), 52U);
  EXPECT_EQ(got, want);
  ASSERT_GE(types.size(), 2U);
  EXPECT_EQ(types.front(), "start");
  EXPECT_EQ(types.back(), "end");
  Process check({binary(), "check", log});
  EXPECT_EQ(check.wait(), 0) << check.out() << check.err();
  std::remove(log.c_str());
}

// A terminal that goes away (ssh dropped, tmux killed) ends top: SIGHUP
// asks a trace run to reopen its log, so top watches its terminal itself.
TEST(Top, EndsWhenItsTerminalHangsUp) {
  REQUIRE_BPF();
  REQUIRE_TMUX();
  Tmux tmux(top_command("C.UTF-8", "-p " + std::to_string(kIdlePort)), 100, 30);
  const auto on_screen = [](const std::string& s) { return s.rfind("tcpfsm top  ", 0) == 0; };
  ASSERT_TRUE(on_screen(tmux.wait_for(on_screen, 15s)));
  const pid_t top = tmux.child();
  ASSERT_GT(top, 0);
  tmux.kill_server();
  // Gone, or a zombie nobody has reaped yet, within a few polls.
  const auto running = [top] {
    std::ifstream stat("/proc/" + std::to_string(top) + "/stat");
    std::string pid, comm, state;
    return stat >> pid >> comm >> state && state != "Z";
  };
  for (int i = 0; i < 60 && running(); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(running()) << "tcpfsm top (pid " << top << ") still runs without its terminal";
}

}  // namespace tcpfsm::itest
