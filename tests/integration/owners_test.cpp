// Socket owners on real sockets of real processes: short connections of a
// process that is gone before its events are read, and a server's children,
// whose events run in softirq context in whatever task was on the CPU.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;

constexpr int kConnections = 50;

// A server named "owners-server": listens on port, accepts every
// connection, and closes it once the client has (EOF); then holds the
// listener until destroyed.
class Server {
 public:
  explicit Server(std::uint16_t port) {
    int ready[2];
    if (pipe(ready) != 0 || pipe(hold_) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_NAME, "owners-server");
      close(ready[0]);
      close(hold_[1]);
      Socket listener = listen_on(Family::V4, port);
      (void)!write(ready[1], "r", 1);
      for (int i = 0; i < kConnections; ++i) accept_from(listener).wait_eof();
      char c;
      while (read(hold_[0], &c, 1) > 0) {
      }
      _exit(0);
    }
    close(ready[1]);
    close(hold_[0]);
    char c;
    if (read(ready[0], &c, 1) != 1) throw std::runtime_error("the server did not start");
    close(ready[0]);
  }
  // Exits, closing the listener; returns once it has.
  void stop() {
    if (pid_ <= 0) return;
    close(hold_[1]);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  ~Server() { stop(); }
  pid_t pid() const { return pid_; }

 private:
  int hold_[2];
  pid_t pid_ = -1;
};

// tracefs, for the accept() hook's syscall tracepoints, mounted in the
// tests' private mount namespace when the host has none.
void ensure_tracefs() {
  if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0) return;
  ASSERT_EQ(mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr), 0) << std::strerror(errno);
}

// Records by socket, in order.
std::map<std::uint64_t, std::vector<json>> by_cookie(const std::vector<json>& t) {
  std::map<std::uint64_t, std::vector<json>> m;
  for (const json& r : t) m[r["cookie"].get<std::uint64_t>()].push_back(r);
  return m;
}

}  // namespace

// 50 connect()/close() of a client process that has exited before tcpfsm
// reads the events: every record of its sockets that has a file names it,
// exactly. The server's children: before accept() (no file; softirq work in
// the client's context) they belong to the listener's owner, the server;
// after, to the process accept() returned them to, the server again, though
// it closed them before their records were read.
TEST(Owners, ShortConnectionsAndAServersChildrenNameTheirProcesses) {
  REQUIRE_BPF();
  ensure_tracefs();
  const std::uint16_t port = 20951;
  TraceRun run({"-p", std::to_string(port)});
  Server server(port);
  const pid_t server_pid = server.pid();
  ASSERT_TRUE(run.wait_for_transitions(1));  // CLOSE -> LISTEN
  pid_t client_pid;
  {
    HoldingChild client("owners-client", [&] {
      for (int i = 0; i < kConnections; ++i) connect_to(Family::V4, port).close();
    });
    client_pid = client.pid();
  }  // the client exits here, before its events are read (up to 100 ms later)
  // Per connection: the client's 5, the child's 5; then LISTEN -> CLOSE.
  ASSERT_TRUE(run.wait_for_transitions(1 + kConnections * 10, 20s)) << run.process().err();
  server.stop();
  ASSERT_TRUE(run.wait_for_transitions(2 + kConnections * 10, 20s)) << run.process().err();
  ASSERT_EQ(run.stop(), 0);

  EXPECT_EQ(run.process().err().find("accepted socket's owner is found only"), std::string::npos)
      << run.process().err();
  const auto t = run.transitions();
  int clients = 0, children = 0;
  for (const auto& [cookie, recs] : by_cookie(t)) {
    const std::string first = recs.front()["old"].get<std::string>() + "->" + recs.front()["new"].get<std::string>();
    if (first == "CLOSE->SYN_SENT") {
      ++clients;
      ASSERT_EQ(recs.size(), 5u);
      for (const json& r : recs) {
        if (r["ino"] == 0) {  // orphaned by close(): nobody holds it
          EXPECT_FALSE(r.contains("owner_pid")) << r.dump();
          continue;
        }
        EXPECT_EQ(r.value("owner_pid", 0), client_pid) << r.dump();
        EXPECT_EQ(r.value("owner_comm", ""), "owners-client") << r.dump();
      }
    } else if (first == "LISTEN->SYN_RECV") {
      ++children;
      ASSERT_EQ(recs.size(), 5u);
      for (const json& r : recs) {
        const std::string edge = r["old"].get<std::string>() + "->" + r["new"].get<std::string>();
        if (edge == "LAST_ACK->CLOSE") {  // orphaned by the server's close()
          EXPECT_FALSE(r.contains("owner_pid")) << r.dump();
        } else {
          // Before accept() (softirq, in the client's context or anyone's),
          // and after (the acceptor): the server.
          EXPECT_EQ(r.value("owner_pid", 0), server_pid) << r.dump();
          EXPECT_EQ(r.value("owner_comm", ""), "owners-server") << r.dump();
        }
      }
    } else {
      EXPECT_EQ(first, "CLOSE->LISTEN");
      for (const json& r : recs) {
        EXPECT_EQ(r.value("owner_pid", 0), server_pid) << r.dump();
        EXPECT_EQ(r.value("owner_comm", ""), "owners-server") << r.dump();
      }
    }
  }
  EXPECT_EQ(clients, kConnections);
  EXPECT_EQ(children, kConnections);
  const auto records = run.records();
  ASSERT_EQ(records.back()["type"], "end");
  EXPECT_EQ(records.back()["owners_unresolved"], 0);
}

}  // namespace tcpfsm::itest

namespace tcpfsm::itest {
namespace {

// Where tracefs is not mounted (a fresh host, a container), tcpfsm mounts it
// for the accept() hook's attach, when it may (root), and takes it away
// again: the hook is there, and nothing is left mounted.
TEST(Owners, TheAcceptHookMountsTracefsForItsAttachAndLeavesNothing) {
  REQUIRE_BPF();
  const std::string script =
      "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; "
      "echo before=$(grep -c -e ' /sys/kernel/tracing ' -e ' /sys/kernel/debug ' /proc/self/mounts); "
      "\"$0\" trace -f none -d 1 -p 20952; "
      "echo after=$(grep -c ' /sys/kernel/tracing ' /proc/self/mounts)";
  Process p({"unshare", "-m", "--propagation", "private", "sh", "-c", script, binary()});
  EXPECT_EQ(p.wait(scaled(30s)), 0) << p.err();
  EXPECT_NE(p.out().find("before=0\n"), std::string::npos) << p.out();
  EXPECT_NE(p.out().find("after=0\n"), std::string::npos) << "tracefs left mounted: " << p.out();
  EXPECT_EQ(p.err().find("accepted socket's owner is found only while it is open"), std::string::npos) << p.err();
  EXPECT_NE(p.err().find("Tracing TCP state transitions"), std::string::npos) << p.err();
}

}  // namespace
}  // namespace tcpfsm::itest
