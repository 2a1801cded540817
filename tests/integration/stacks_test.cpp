// The code path behind stuck sockets (issue 24): real programs leak real
// sockets into CLOSE_WAIT, `tcpfsm stuck` (a watch, stacks on by default)
// names the function that opened them, from the stack the kernel took at
// connect(), listen() or accept() (--stacks). The fixtures are
// tests/fixtures/stacks/.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kOwnNetns{"--netns", "/proc/self/ns/net"};

std::vector<json> stuck_records(const std::string& out) {
  std::vector<json> r;
  for (std::size_t start = 0; start < out.size();) {
    const std::size_t nl = out.find('\n', start);
    if (nl == std::string::npos) break;
    json j = json::parse(out.substr(start, nl - start));
    if (j["type"] == "stuck") r.push_back(std::move(j));
    start = nl + 1;
  }
  return r;
}

// `tcpfsm stuck --stacks` watching one port of the test's namespace. A socket is
// reported once, when it crosses --min-age: 500 ms, a few refreshes, so
// that its holder is known by then (the held-socket pass, which names
// holders, and the sock_diag dump are not one instant: a socket entering
// CLOSE_WAIT between them is seen in the state before its holder is).
class Watch {
 public:
  Watch(std::uint16_t port, const std::string& format = "json")
      : proc_({binary(), "stuck", "--stacks", "--format", format, "--interval", "200ms", "--min-age", "500ms", "-p",
               std::to_string(port), kOwnNetns[0], kOwnNetns[1]}) {
    if (!proc_.wait_for_stderr("Watching for sockets"))
      throw std::runtime_error("tcpfsm stuck did not start: " + proc_.err());
  }
  // The stuck records once n sockets with an origin of `kind` have come.
  std::vector<json> wait_for_origins(std::size_t n, const std::string& kind, std::chrono::milliseconds timeout = 10s) {
    std::vector<json> found;
    proc_.wait_for_stdout(
        [&](const std::string& out) {
          found.clear();
          for (auto& r : stuck_records(out))
            if (r.contains("origin") && r["origin"]["kind"] == kind) found.push_back(r);
          return found.size() >= n;
        },
        timeout);
    return found;
  }
  Process& process() { return proc_; }

 private:
  Process proc_;
};

// The symbols of a record's frames, innermost first.
std::vector<std::string> symbols(const json& stuck) {
  std::vector<std::string> s;
  for (const auto& f : stuck["origin"]["frames"]) s.push_back(f["symbol"]);
  return s;
}

// The frame named `symbol`, if any.
std::optional<json> frame_named(const json& stuck, const std::string& symbol) {
  for (const auto& f : stuck["origin"]["frames"])
    if (f["symbol"] == symbol) return f;
  return std::nullopt;
}

// The line of the fixture's source where `call` is made (its first line
// containing that text after `function`'s definition begins).
int source_line(const std::string& file, const std::string& function, const std::string& call) {
  std::ifstream in(std::string(TCPFSM_STACK_FIXTURES) + "/" + file);
  std::string line;
  bool inside = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!inside && line.find(function + "(") != std::string::npos && line.find(';') == std::string::npos)
      inside = true;
    else if (inside && line.find(call) != std::string::npos)
      return n;
  }
  return 0;
}

std::string basename_of(const std::string& path) { return fs::path(path).filename().string(); }

// The peers of n connections: each accepted and closed at once, so the
// client's end sits in CLOSE_WAIT.
void accept_and_close(const Socket& listener, int n) {
  for (int i = 0; i < n; ++i) accept_from(listener);
}

// n clients of a leaky server: connected, accepted (the server says
// "accepted N"), then closed, so the server's accepted ends go to CLOSE_WAIT.
void connect_and_close(Process& server, std::uint16_t port, int n) {
  std::vector<Socket> clients;
  for (int i = 0; i < n; ++i) clients.push_back(connect_to(Family::V4, port));
  const std::string accepted = "accepted " + std::to_string(n) + "\n";
  ASSERT_TRUE(server.wait_for_stdout([&](const std::string& o) { return o.find(accepted) != std::string::npos; }, 5s))
      << server.out();
}

// A C server (frame pointers, DWARF) that accepts in accept_leaky: its stuck
// sockets say so, with the file and the line of the accept4() call. libc's
// wrapper keeps no frame: accept_leaky is found from the stack words and
// libc's call frame information.
TEST(Stacks, AcceptedSocketsNameTheAcceptingFunctionFileAndLine) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21801;
  Watch watch(kPort);
  Process server({TCPFSM_LEAKY_SERVER, std::to_string(kPort), "2"});
  ASSERT_TRUE(server.wait_for_stdout([](const std::string& o) { return o.find("listening") != std::string::npos; }, 5s));
  connect_and_close(server, kPort, 2);
  const auto stuck = watch.wait_for_origins(2, "accept");
  ASSERT_EQ(stuck.size(), 2u) << watch.process().out() << watch.process().err();
  for (const auto& s : stuck) {
    const auto leaf = frame_named(s, "accept_leaky");
    ASSERT_TRUE(leaf) << s.dump();
    EXPECT_EQ(basename_of((*leaf)["file"]), "leaky_server.c");
    EXPECT_EQ((*leaf)["line"], source_line("leaky_server.c", "accept_leaky", "accept4(")) << s.dump();
    EXPECT_EQ(basename_of((*leaf)["module"]), "leaky_server");
    // The callers, in order, after the leaf.
    const auto names = symbols(s);
    const auto at = std::find(names.begin(), names.end(), "accept_leaky");
    ASSERT_GE(names.end() - at, 3) << s.dump();
    EXPECT_EQ(*(at + 1), "serve_leaky");
    EXPECT_EQ(*(at + 2), "main");
  }
  server.signal(SIGTERM);
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// One process leaks client connections from two code paths: the table shows
// two groups, each with its function.
TEST(Stacks, AMixedLeakIsTwoGroupsWithTheirFunctions) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21802;
  Socket listener = listen_on(Family::V4, kPort);
  Watch watch(kPort, "table");
  Process client({TCPFSM_LEAKY_SERVER, "--clients", std::to_string(kPort), "2", "3"});
  ASSERT_TRUE(client.wait_for_stdout([](const std::string& o) { return o.find("connected") != std::string::npos; }, 5s));
  accept_and_close(listener, 5);
  const std::string pid = std::to_string(client.pid());
  const std::string billing = "pid " + pid + " (leaky_server) holds 2 CLOSE_WAIT sockets to 127.0.0.1:" +
                              std::to_string(kPort);
  const std::string inventory = "pid " + pid + " (leaky_server) holds 3 CLOSE_WAIT sockets to 127.0.0.1:" +
                                std::to_string(kPort);
  const int billing_line = source_line("leaky_server.c", "dial_billing", "connect(");
  const int inventory_line = source_line("leaky_server.c", "dial_inventory", "connect(");
  // The last screen of the watch: both groups, each with its path.
  std::string screen;
  const bool both = watch.process().wait_for_stdout(
      [&](const std::string& out) {
        const std::size_t last = out.rfind("-- ");  // each refresh begins "-- HH:MM:SS"
        screen = last == std::string::npos ? "" : out.substr(last);
        return screen.find(billing) != std::string::npos && screen.find(inventory) != std::string::npos &&
               screen.find("connected at: dial_billing") != std::string::npos &&
               screen.find("connected at: dial_inventory") != std::string::npos;
      },
      10s);
  ASSERT_TRUE(both) << watch.process().out() << watch.process().err();
  // Each group's title is followed by its own path.
  const std::size_t b = screen.find(billing), i = screen.find(inventory);
  const std::size_t b_path = screen.find("connected at: dial_billing", b);
  const std::size_t i_path = screen.find("connected at: dial_inventory", i);
  EXPECT_LT(b_path, screen.find("\n\n", b)) << screen;
  EXPECT_LT(i_path, screen.find("\n\n", i)) << screen;
  EXPECT_NE(screen.find("(leaky_server.c:" + std::to_string(billing_line) + ")\n    <- billing_charge+", b_path),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("(leaky_server.c:" + std::to_string(inventory_line) + ")\n    <- inventory_reserve+", i_path),
            std::string::npos)
      << screen;
  client.signal(SIGTERM);
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// The same server run from a path that exists only in its own mount
// namespace (as a container's binary): named through /proc/PID/root.
TEST(Stacks, ABinaryOnlyInItsOwnMountNamespaceIsNamed) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21803;
  char dir[] = "/tmp/tcpfsm-mntns-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  Watch watch(kPort);
  const std::string script = "mount -t tmpfs tmpfs " + std::string(dir) + " && cp " + TCPFSM_LEAKY_SERVER + " " +
                             dir + "/ && exec " + dir + "/leaky_server " + std::to_string(kPort) + " 1";
  Process server({"unshare", "--mount", "--propagation", "private", "sh", "-c", script});
  ASSERT_TRUE(server.wait_for_stdout([](const std::string& o) { return o.find("listening") != std::string::npos; }, 5s))
      << server.err();
  EXPECT_FALSE(fs::exists(std::string(dir) + "/leaky_server"));  // not on the host
  connect_and_close(server, kPort, 1);
  const auto stuck = watch.wait_for_origins(1, "accept");
  ASSERT_EQ(stuck.size(), 1u) << watch.process().out() << watch.process().err();
  const auto leaf = frame_named(stuck[0], "accept_leaky");
  ASSERT_TRUE(leaf) << stuck[0].dump();
  // As /proc/PID/maps gives it: from the reader's root (the kernel matrix's
  // guests run chrooted, and name it below their root's mount).
  EXPECT_TRUE((*leaf)["module"].get<std::string>().ends_with(std::string(dir) + "/leaky_server")) << stuck[0].dump();
  EXPECT_EQ((*leaf)["line"], source_line("leaky_server.c", "accept_leaky", "accept4("));
  server.signal(SIGTERM);
  server.wait();
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
  rmdir(dir);
}

// The process that connected forks, leaves the socket to its child and
// exits at once: the stack is named all the same (with the child's
// mappings, which are its parent's, if the parent was gone first).
TEST(Stacks, ASocketLeakedIntoAChildOfAnExitedProcessIsNamed) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21804;
  Socket listener = listen_on(Family::V4, kPort);
  Watch watch(kPort);
  Process parent({TCPFSM_LEAKY_SERVER, "--fork-and-exit", std::to_string(kPort)});
  ASSERT_EQ(parent.wait(), 0);
  const std::string out = parent.out();
  ASSERT_EQ(out.rfind("child ", 0), 0u) << out;
  const pid_t child = std::stoi(out.substr(6));
  accept_and_close(listener, 1);
  const auto stuck = watch.wait_for_origins(1, "connect");
  kill(child, SIGTERM);
  ASSERT_EQ(stuck.size(), 1u) << watch.process().out() << watch.process().err();
  ASSERT_TRUE(stuck[0].contains("owners") && !stuck[0]["owners"].empty()) << stuck[0].dump();
  EXPECT_EQ(stuck[0].at("owners").at(0).at("pid"), child);
  const auto leaf = frame_named(stuck[0], "dial_then_exit");
  ASSERT_TRUE(leaf) << stuck[0].dump();
  EXPECT_EQ((*leaf)["line"], source_line("leaky_server.c", "dial_then_exit", "connect("));
  EXPECT_TRUE(frame_named(stuck[0], "leak_to_child")) << stuck[0].dump();
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// A Go program (frame pointers, its own runtime): the goroutine's stack,
// from the runtime's syscall up to main.leakyDial.
TEST(Stacks, AGoClientNamesItsDialFunction) {
  REQUIRE_BPF();
  if (std::string(TCPFSM_LEAKY_CLIENT_GO).empty()) {
    if (must_not_skip()) FAIL() << "CI must run this test: go was not found at configure time (golang-go)";
    GTEST_SKIP() << "SKIPPED: go was not found at configure time (Debian package golang-go)";
  }
  constexpr std::uint16_t kPort = 21805;
  Socket listener = listen_on(Family::V4, kPort);
  Watch watch(kPort);
  Process client({TCPFSM_LEAKY_CLIENT_GO, std::to_string(kPort), "2"});
  ASSERT_TRUE(client.wait_for_stdout([](const std::string& o) { return o.find("connected") != std::string::npos; }, 10s));
  accept_and_close(listener, 2);
  const auto stuck = watch.wait_for_origins(2, "connect");
  ASSERT_EQ(stuck.size(), 2u) << watch.process().out() << watch.process().err();
  for (const auto& s : stuck) {
    const auto names = symbols(s);
    const auto dial = std::find(names.begin(), names.end(), "main.leakyDial");
    ASSERT_NE(dial, names.end()) << s.dump();
    EXPECT_NE(std::find(names.begin(), dial, "net.Dial"), dial) << s.dump();  // called through net.Dial
    const auto f = frame_named(s, "main.leakyDial");
    EXPECT_EQ(basename_of((*f)["file"]), "leaky_client.go");
    EXPECT_GT((*f)["line"], 0);
  }
  client.signal(SIGTERM);
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// Whether node links the system's libuv (Debian's nodejs, whose libuv1 keeps
// no frame pointers: the kernel's walk stops in it, before any JavaScript).
bool node_uses_system_libuv() {
  return std::system("ldd \"$(command -v node)\" 2>/dev/null | grep -q 'libuv\\.so'") == 0;
}

// Node with --perf-basic-prof: the JavaScript function that connected,
// named through the perf map V8 writes. Where node runs on Debian's libuv1,
// the kernel's walk cannot reach JavaScript: the stack is libc's and node's
// own frames, and nothing is made up.
TEST(Stacks, ANodeClientIsNamedThroughThePerfMap) {
  REQUIRE_BPF();
  if (std::system("command -v node >/dev/null") != 0) {
    if (must_not_skip()) FAIL() << "CI must run this test: no node (Debian package nodejs)";
    GTEST_SKIP() << "SKIPPED: no node (Debian package nodejs)";
  }
  constexpr std::uint16_t kPort = 21806;
  Socket listener = listen_on(Family::V4, kPort);
  Watch watch(kPort);
  Process client({"node", "--perf-basic-prof", "--interpreted-frames-native-stack", "--logfile=/dev/null",
                  std::string(TCPFSM_STACK_FIXTURES) + "/leaky_server.js", "--clients", std::to_string(kPort), "1"});
  const std::string map = "/tmp/perf-" + std::to_string(client.pid()) + ".map";
  const bool connected =
      client.wait_for_stdout([](const std::string& o) { return o.find("connected") != std::string::npos; }, 20s);
  accept_and_close(listener, 1);
  const auto stuck = watch.wait_for_origins(1, "connect");
  client.signal(SIGTERM);
  client.wait();
  fs::remove(map);
  ASSERT_TRUE(connected) << client.err();
  ASSERT_EQ(stuck.size(), 1u) << watch.process().out() << watch.process().err();
  const auto names = symbols(stuck[0]);
  bool js = false;
  for (const auto& f : stuck[0]["origin"]["frames"])
    js |= f["module"] == "[perf-map]" && f["symbol"].get<std::string>().find("leakyConnect") != std::string::npos;
  if (node_uses_system_libuv()) {
    EXPECT_FALSE(js) << stuck[0].dump();
    EXPECT_EQ(names.front(), "connect") << stuck[0].dump();
  } else {
    EXPECT_TRUE(js) << stuck[0].dump();
  }
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// Python 3.11 writes no perf map and keeps no frame pointers: the stack is
// what the kernel could walk, with a note on what Python needs.
TEST(Stacks, APythonClientShowsWhatCanBeKnownAndSaysWhy) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21807;
  Socket listener = listen_on(Family::V4, kPort);
  Watch watch(kPort);
  Process client({"/usr/bin/python3", std::string(TCPFSM_STACK_FIXTURES) + "/leaky_client.py", std::to_string(kPort), "1"});
  ASSERT_TRUE(client.wait_for_stdout([](const std::string& o) { return o.find("connected") != std::string::npos; }, 10s));
  accept_and_close(listener, 1);
  const auto stuck = watch.wait_for_origins(1, "connect");
  client.signal(SIGTERM);
  ASSERT_EQ(stuck.size(), 1u) << watch.process().out() << watch.process().err();
  const auto& origin = stuck[0]["origin"];
  ASSERT_FALSE(origin["frames"].empty()) << stuck[0].dump();
  EXPECT_EQ(origin["frames"][0]["symbol"], "connect") << stuck[0].dump();
  EXPECT_NE(origin.value("note", "").find("-X perf"), std::string::npos) << stuck[0].dump();
  watch.process().signal(SIGTERM);
  EXPECT_EQ(watch.process().wait(), 0) << watch.process().err();
}

// Without --stacks (the default): no origin.
TEST(Stacks, WithoutStacksNoneIsTaken) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 21808;
  Process watch({binary(), "stuck", "--format", "json", "--interval", "200ms", "--min-age", "0s", "-p",
                 std::to_string(kPort), kOwnNetns[0], kOwnNetns[1]});
  ASSERT_TRUE(watch.wait_for_stderr("Watching for sockets")) << watch.err();
  Process server({TCPFSM_LEAKY_SERVER, std::to_string(kPort), "1"});
  ASSERT_TRUE(server.wait_for_stdout([](const std::string& o) { return o.find("listening") != std::string::npos; }, 5s));
  connect_and_close(server, kPort, 1);
  ASSERT_TRUE(watch.wait_for_stdout([](const std::string& o) { return !stuck_records(o).empty(); }, 10s));
  server.signal(SIGTERM);
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(), 0) << watch.err();
  for (const auto& s : stuck_records(watch.out())) EXPECT_FALSE(s.contains("origin")) << s.dump();
}

}  // namespace
}  // namespace tcpfsm::itest
