// The container-era filters on real sockets: --netns, --state, --pid. Each
// keeps exactly the records it names.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cgroups.h"
#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;

std::uint64_t inode_of(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::vector<std::string> edges_of(const std::vector<json>& transitions) {
  std::vector<std::string> e;
  for (const json& t : transitions) e.push_back(t["old"].get<std::string>() + "->" + t["new"].get<std::string>());
  return e;
}

// A network namespace of the test's own, named, removed with it.
class NamedNetns {
 public:
  NamedNetns() : name_("tcpfsm-it-" + std::to_string(getpid())) {
    Process({"ip", "netns", "add", name_}).wait();
    Process({"ip", "-n", name_, "link", "set", "lo", "up"}).wait();
  }
  ~NamedNetns() { Process({"ip", "netns", "del", name_}).wait(); }
  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }
  std::vector<std::string> exec() const { return {"ip", "netns", "exec", name_}; }

 private:
  std::string name_;
};

}  // namespace

// A workload in its own network namespace (as a container's) and the same on
// the host: --netns keeps exactly the namespace's records, each carrying its
// inode, whether it is given by path or by name (as `ip netns` names it);
// unfiltered, every record carries its own namespace.
TEST(Filters, NetnsKeepsExactlyThatNamespacesSockets) {
  REQUIRE_BPF();
  NamedNetns ns;
  const std::uint64_t inode = inode_of(ns.path());
  ASSERT_NE(inode, 0u);
  TraceRun filtered({"--netns", ns.path()});
  TraceRun by_name({"--netns", ns.name()});
  TraceRun all({"-p", "20901"});
  auto churn = ns.exec();
  churn.insert(churn.end(), {TCPFSM_CHURN, "-n", "3", "-p", "20901"});
  ASSERT_EQ(Process(churn).wait(), 0);
  run_connections(Family::V4, 20901, 3);  // the host's twin, in the test's namespace
  ASSERT_TRUE(filtered.wait_for_transitions(32));
  ASSERT_TRUE(by_name.wait_for_transitions(32));
  ASSERT_TRUE(all.wait_for_transitions(64));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(filtered.stop(), 0);
  EXPECT_EQ(by_name.stop(), 0);
  EXPECT_EQ(all.stop(), 0);
  const auto mine = filtered.transitions();
  EXPECT_EQ(mine.size(), 32u);  // 3 connections x 10, the listener's 2
  for (const json& t : mine) EXPECT_EQ(t["netns"], inode) << t.dump();
  const auto named = by_name.transitions();
  EXPECT_EQ(named.size(), 32u);
  for (const json& t : named) EXPECT_EQ(t["netns"], inode) << t.dump();
  const std::uint64_t host = inode_of("/proc/self/ns/net");
  std::size_t in_ns = 0, on_host = 0;
  for (const json& t : all.transitions()) {
    in_ns += t["netns"] == inode;
    on_host += t["netns"] == host;
  }
  EXPECT_EQ(in_ns, 32u);
  EXPECT_EQ(on_host, 32u);
}

// --state CLOSE_WAIT: transitions into and out of it, nothing else, with the
// time spent in it measured by the kernel, and no gap claimed.
TEST(Filters, StateKeepsTransitionsIntoAndOutOfIt) {
  REQUIRE_BPF();
  TraceRun run({"--state", "close-wait", "-p", "20902"});
  run_connections(Family::V4, 20902, 3);
  ASSERT_TRUE(run.wait_for_transitions(6));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  EXPECT_EQ(edges_of(t), (std::vector<std::string>{"ESTABLISHED->CLOSE_WAIT", "CLOSE_WAIT->LAST_ACK",
                                                   "ESTABLISHED->CLOSE_WAIT", "CLOSE_WAIT->LAST_ACK",
                                                   "ESTABLISHED->CLOSE_WAIT", "CLOSE_WAIT->LAST_ACK"}));
  for (std::size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i]["verdict"], "ok");
    if (i % 2) {
      EXPECT_TRUE(t[i]["old_ns"].is_number()) << t[i].dump();  // time in CLOSE_WAIT
    }
  }
}

// A child that connects to `port` when told to, and holds the socket until
// it is destroyed.
class ConnectingChild {
 public:
  explicit ConnectingChild(std::uint16_t port) {
    if (pipe(go_) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      close(go_[1]);
      char c;
      if (read(go_[0], &c, 1) != 1) _exit(1);
      Socket s = connect_to(Family::V4, port);
      while (read(go_[0], &c, 1) > 0) {
      }  // hold until the parent closes its end
      _exit(0);
    }
    close(go_[0]);
  }
  void connect() { (void)!write(go_[1], "c", 1); }
  ~ConnectingChild() {
    close(go_[1]);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  int go_[2];
  pid_t pid_ = -1;
};

// --pid: the sockets a process holds. Its connection's events are kept; the
// accepted end, whose events ran in that process's softirq context before
// the test accepted it, belongs to the listener's owner, and is not.
TEST(Filters, PidKeepsTheSocketsThatProcessHolds) {
  REQUIRE_BPF();
  ConnectingChild child(20903);
  TraceRun run({"-p", "20903", "--pid", std::to_string(child.pid())});
  Socket listener = listen_on(Family::V4, 20903);
  std::this_thread::sleep_for(300ms);  // the listener's owner is found after the drain
  child.connect();
  Socket server = accept_from(listener);
  ASSERT_TRUE(run.wait_for_transitions(2));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(run.stop(), 0);
  const auto t = run.transitions();
  EXPECT_EQ(edges_of(t), (std::vector<std::string>{"CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED"}));
  for (const json& r : t) {
    EXPECT_EQ(r["rport"], 20903);
    EXPECT_EQ(r["owner_pid"], child.pid()) << r.dump();
  }
}

// A workload in a container's network namespace and cgroup, and its twin on
// the host, traced unfiltered: every record carries its netns; the
// container's, softirq ones included, carry its cgroup, container id and
// path, the host's do not; --cgroup keeps exactly the container's records.
TEST(Filters, ContainerRecordsCarryItsCgroupAndCgroupKeepsThem) {
  REQUIRE_BPF();
  const std::string mount = cgroup2_mount_point();
  ASSERT_FALSE(mount.empty()) << "no cgroup2 mount";
  DockerCgroup container(mount, "c0ffee");
  const std::uint64_t cgroup_id = inode_of(container.dir());
  ASSERT_NE(cgroup_id, 0u);
  NamedNetns ns;
  TraceRun all({"-p", "20904"});
  TraceRun only({"--cgroup", container.dir().substr(mount.size())});
  auto churn = ns.exec();
  churn.insert(churn.end(), {TCPFSM_CHURN, "-n", "3", "-p", "20904"});
  ASSERT_EQ(Process(container.run(churn)).wait(), 0);
  run_connections(Family::V4, 20904, 3);
  ASSERT_TRUE(all.wait_for_transitions(64));
  ASSERT_TRUE(only.wait_for_transitions(32));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(all.stop(), 0);
  EXPECT_EQ(only.stop(), 0);

  const std::string path = "/system.slice/docker-" + container.id() + ".scope";
  std::size_t in_container = 0, on_host = 0;
  for (const json& t : all.transitions()) {
    if (t["netns"] == inode_of(ns.path())) {
      ++in_container;
      EXPECT_EQ(t["cgroup_id"], cgroup_id) << t.dump();
      EXPECT_EQ(t["cgroup"], path) << t.dump();
      EXPECT_EQ(t["container"], container.id()) << t.dump();
      EXPECT_EQ(t["container_runtime"], "docker") << t.dump();
    } else {
      ++on_host;
      EXPECT_NE(t["cgroup_id"], cgroup_id) << t.dump();
      EXPECT_FALSE(t.contains("container")) << t.dump();
    }
  }
  EXPECT_EQ(in_container, 32u);
  EXPECT_EQ(on_host, 32u);
  const auto mine = only.transitions();
  EXPECT_EQ(mine.size(), 32u);
  for (const json& t : mine) EXPECT_EQ(t["container"], container.id()) << t.dump();
}

}  // namespace tcpfsm::itest
