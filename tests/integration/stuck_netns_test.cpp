// tcpfsm stuck across network namespaces (root): a container's leak, in its
// own network namespace and a docker-shaped cgroup, beside the host's twin
// in the test's own namespace. Both are found by default, each with its
// namespace, cgroup and container, and the holder found through the host's
// /proc; --netns keeps exactly the named one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
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

// The complete lines of out, parsed, of one type.
std::vector<json> records(const std::string& out, const std::string& type) {
  std::vector<json> r;
  for (std::size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    json j = json::parse(out.substr(start, nl - start));
    if (j["type"] == type) r.push_back(std::move(j));
  }
  return r;
}

std::vector<json> stuck_records(const std::string& out) { return records(out, "stuck"); }

// Pumps watch's output until a record of `type` for local port lport arrives.
std::optional<json> wait_for(Process& watch, const std::string& type, std::uint16_t lport) {
  std::optional<json> found;
  watch.wait_for_stdout(
      [&](const std::string& out) {
        for (json& j : records(out, type))
          if (j["lport"] == lport) found = std::move(j);
        return found.has_value();
      },
      5s);
  return found;
}

struct Once {
  int status;
  std::string out, err;
};

Once stuck_once(std::vector<std::string> args) {
  std::vector<std::string> argv{binary(), "stuck", "--once"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv);
  const int status = p.wait();
  return {status, p.out(), p.err()};
}

// A named network namespace (`ip netns add`), removed with the object.
class TestNetns {
 public:
  explicit TestNetns(const std::string& tag) : name_("tcpfsm-" + tag + "-" + std::to_string(getpid())) {
    Process({"ip", "netns", "add", name_}).wait();
    Process({"ip", "-n", name_, "link", "set", "lo", "up"}).wait();
  }
  ~TestNetns() { Process({"ip", "netns", "del", name_}).wait(); }
  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }

 private:
  std::string name_;
};

// This process's cgroup v2 path, below the mount ("0::PATH").
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}


// A process that makes a connection to itself on `port`, closes the server
// end (its socket goes to CLOSE_WAIT) and holds the client end; it prints
// "PID FD LPORT" when ready. No single quote: DockerCgroup::run quotes with them.
const char* const kLeak =
    "import os, socket, time\n"
    "port = int(os.environ[\"PORT\"])\n"
    "l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "l.bind((\"127.0.0.1\", port)); l.listen()\n"
    "c = socket.create_connection((\"127.0.0.1\", port)); s, _ = l.accept(); s.close(); l.close()\n"
    "print(os.getpid(), c.fileno(), c.getsockname()[1], flush=True)\n"
    "time.sleep(120)\n";

struct Leak {
  int pid = 0, fd = -1;
  std::uint16_t lport = 0;
};

// Waits for the leaking process to say where its socket is.
Leak start_leak(Process& p) {
  Leak l;
  if (!p.wait_for_stdout([](const std::string& out) { return out.find('\n') != std::string::npos; }))
    throw std::runtime_error("the leaking workload did not start: " + p.err());
  std::istringstream(p.out()) >> l.pid >> l.fd >> l.lport;
  return l;
}

std::vector<std::string> leak_command(const TestNetns& ns, std::uint16_t port) {
  return {"ip", "netns", "exec", ns.name(), "env", "PORT=" + std::to_string(port), "python3", "-c", kLeak};
}

const json* find_netns(const std::vector<json>& records, std::uint64_t netns) {
  for (const json& r : records)
    if (r["netns"] == netns) return &r;
  return nullptr;
}

}  // namespace

TEST(StuckNetns, OnceSeesEveryNamespaceWithItsCgroupAndContainer) {
  REQUIRE_BPF();  // root: ip netns, cgroups, setns
  constexpr std::uint16_t kPort = 20951;
  const std::string mount = cgroup2_mount_point();
  ASSERT_FALSE(mount.empty()) << "no cgroup2 mount";
  DockerCgroup container(mount, "5eed");
  ASSERT_NE(container.cgroup_id(), 0u);
  TestNetns ns("stuck");
  const std::uint64_t ns_inode = inode_of(ns.path());
  const std::uint64_t own_inode = inode_of("/proc/self/ns/net");
  ASSERT_NE(ns_inode, 0u);
  ASSERT_NE(ns_inode, own_inode);

  Process workload(container.run(leak_command(ns, kPort)));
  const Leak leak = start_leak(workload);
  // The host's twin: the same port, held by this process in its own namespace.
  Socket listener = listen_on(Family::V4, kPort);
  Socket client = connect_to(Family::V4, kPort);
  accept_from(listener);  // closed at once: the client is in CLOSE_WAIT
  std::this_thread::sleep_for(1100ms);

  const Once all = stuck_once({"--min-age", "1s", "-f", "json", "-p", std::to_string(kPort)});
  EXPECT_EQ(all.status, 1) << all.err;
  const auto records = stuck_records(all.out);
  ASSERT_EQ(records.size(), 2u) << all.out << all.err;

  const json* in_ns = find_netns(records, ns_inode);
  ASSERT_NE(in_ns, nullptr) << all.out;
  EXPECT_EQ((*in_ns)["lport"], leak.lport);
  EXPECT_EQ((*in_ns)["cgroup_id"], container.cgroup_id()) << in_ns->dump();
  EXPECT_EQ((*in_ns)["cgroup"], container.path()) << in_ns->dump();
  EXPECT_EQ((*in_ns)["container"], container.id()) << in_ns->dump();
  EXPECT_EQ((*in_ns)["container_runtime"], "docker") << in_ns->dump();
  // Its holder, through the host's /proc: inodes are unique host-wide.
  EXPECT_EQ((*in_ns)["owner"], "process") << in_ns->dump();
  ASSERT_EQ((*in_ns)["owners"].size(), 1u) << in_ns->dump();
  EXPECT_EQ((*in_ns)["owners"][0]["pid"], leak.pid) << in_ns->dump();
  EXPECT_EQ((*in_ns)["owners"][0]["fd"], leak.fd) << in_ns->dump();
  EXPECT_EQ((*in_ns)["kill"], "ip netns exec " + ns.name() + " ss -K -tn state close-wait '( src 127.0.0.1:" +
                                  std::to_string(leak.lport) + " and dst 127.0.0.1:" + std::to_string(kPort) +
                                  " )'");

  const json* own = find_netns(records, own_inode);
  ASSERT_NE(own, nullptr) << all.out;
  EXPECT_EQ((*own)["lport"], client.local_port());
  EXPECT_EQ((*own)["cgroup"], own_cgroup()) << own->dump();
  EXPECT_EQ((*own)["cgroup_id"], inode_of(mount + own_cgroup())) << own->dump();
  EXPECT_NE((*own)["cgroup_id"], container.cgroup_id());
  EXPECT_FALSE(own->contains("container") && (*own)["container"] == container.id()) << own->dump();
  ASSERT_EQ((*own)["owners"].size(), 1u) << own->dump();
  EXPECT_EQ((*own)["owners"][0]["pid"], getpid());
  EXPECT_EQ((*own)["owners"][0]["fd"], client.fd());
  EXPECT_EQ((*own)["kill"].get<std::string>().rfind("ss -K ", 0), 0u) << own->dump();

  // The view: one group each, saying where.
  const Once table = stuck_once({"--min-age", "1s", "-f", "table", "-p", std::to_string(kPort)});
  EXPECT_EQ(table.status, 1) << table.err;
  EXPECT_NE(table.out.find("pid " + std::to_string(leak.pid) + " ("), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("  in: netns " + std::to_string(ns_inode) + " (ip netns exec " + ns.name() +
                           "), docker container " + container.id().substr(0, 12) + "\n"),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("  in: netns " + std::to_string(own_inode) + " (tcpfsm's own)"), std::string::npos)
      << table.out;

  // --netns: exactly that namespace, by path or by inode.
  for (const std::string& arg : {ns.path(), std::to_string(ns_inode)}) {
    const Once only = stuck_once({"--min-age", "1s", "-f", "json", "-p", std::to_string(kPort), "--netns", arg});
    EXPECT_EQ(only.status, 1) << only.err;
    const auto mine = stuck_records(only.out);
    ASSERT_EQ(mine.size(), 1u) << arg << ": " << only.out;
    EXPECT_EQ(mine[0]["netns"], ns_inode);
    EXPECT_EQ(mine[0]["lport"], leak.lport);
    EXPECT_EQ(mine[0]["container"], container.id());
  }
  // And the test's own alone.
  const Once home = stuck_once({"--min-age", "1s", "-f", "json", "-p", std::to_string(kPort), "--netns",
                                "/proc/self/ns/net"});
  const auto ours = stuck_records(home.out);
  ASSERT_EQ(ours.size(), 1u) << home.out;
  EXPECT_EQ(ours[0]["netns"], own_inode);
}

// Watch mode: a socket entering CLOSE_WAIT in another namespace after the
// start is timed by the tracer (joined by cookie), and its leaving is seen.
TEST(StuckNetns, WatchTimesSocketsOfOtherNamespaces) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 20952;
  TestNetns ns("stuckw");
  const std::uint64_t ns_inode = inode_of(ns.path());
  Process watch({binary(), "stuck", "--format", "json", "--interval", "200ms", "--min-age", "1s", "-p",
                 std::to_string(kPort), "--netns", ns.path()});
  ASSERT_TRUE(watch.wait_for_stderr("Watching for sockets")) << watch.err();
  EXPECT_NE(watch.err().find("in network namespace " + std::to_string(ns_inode)), std::string::npos) << watch.err();

  Process workload(leak_command(ns, kPort));
  const Leak leak = start_leak(workload);
  const auto stuck = wait_for(watch, "stuck", leak.lport);
  ASSERT_TRUE(stuck) << watch.out() << watch.err();
  EXPECT_EQ((*stuck)["netns"], ns_inode);
  EXPECT_EQ((*stuck)["age_kind"], "measured") << stuck->dump();
  EXPECT_GE((*stuck)["age_ns"].get<std::int64_t>(), 1'000'000'000);
  EXPECT_EQ((*stuck)["owners"][0]["pid"], leak.pid);

  workload.signal(SIGKILL);  // its socket closes: CLOSE_WAIT -> LAST_ACK
  workload.wait();
  const auto unstuck = wait_for(watch, "unstuck", leak.lport);
  ASSERT_TRUE(unstuck) << watch.out();
  EXPECT_EQ((*unstuck)["netns"], ns_inode);
  EXPECT_EQ((*unstuck)["stuck_kind"], "measured");
  watch.signal(SIGTERM);
  EXPECT_EQ(watch.wait(), 0) << watch.err();
}

TEST(StuckNetns, BadNetnsIsAUsageError) {
  Process p({binary(), "stuck", "--once", "--netns", "/proc/self/ns/mnt"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_NE(p.err().find("--netns: '/proc/self/ns/mnt' is not a network namespace"), std::string::npos) << p.err();
  Process q({binary(), "stuck", "--once", "--netns", "0"});
  EXPECT_EQ(q.wait(), 2);
}

}  // namespace tcpfsm::itest
