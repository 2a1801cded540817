// Least privilege: CAP_BPF+CAP_PERFMON suffice, and --user drops everything.
#include <gtest/gtest.h>
#include <pwd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

// "Uid", "CapEff", ... from /proc/PID/status.
std::map<std::string, std::string> proc_status(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::map<std::string, std::string> m;
  for (std::string line; std::getline(f, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    m[line.substr(0, colon)] = value;
  }
  return m;
}

void expect_one_connection_traced(TraceRun& run, std::uint16_t port) {
  run_connections(Family::V4, port, 1);
  ASSERT_TRUE(run.wait_for_transitions(12)) << run.process().out() << run.process().err();
  EXPECT_EQ(run.stop(), 0) << run.process().err();
  EXPECT_EQ(run.transitions().size(), 12u);
  EXPECT_EQ(run.records().back()["type"], "end");
  EXPECT_EQ(run.records().back()["lost"]["ringbuf"], 0);
  EXPECT_EQ(run.process().err().find("warning"), std::string::npos) << run.process().err();
}

TEST(Privilege, CapBpfAndCapPerfmonAreEnoughWithoutRoot) {
  REQUIRE_BPF();
  std::vector<std::string> as_nobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                        "--inh-caps=+bpf,+perfmon", "--ambient-caps=+bpf,+perfmon", "--"};
  // Before 5.11 the kernel counts BPF maps against the locked-memory limit,
  // which nobody cannot raise: the packaged unit sets LimitMEMLOCK=infinity.
  if (kernel_before(5, 11))
    as_nobody.insert(as_nobody.begin(), {"prlimit", "--memlock=unlimited:unlimited", "--"});
  TraceRun run({"-p", "22001"}, as_nobody);
  const auto status = proc_status(run.process().pid());
  EXPECT_EQ(status.at("Uid"), "65534\t65534\t65534\t65534");
  expect_one_connection_traced(run, 22001);
}

TEST(Privilege, MissingCapPerfmonIsNamed) {
  REQUIRE_BPF();
  Process p({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=+bpf",
             "--ambient-caps=+bpf", "--", binary(), "trace", "-d", "1"});
  EXPECT_EQ(p.wait(), 3);
  EXPECT_EQ(p.err(),
            "tcpfsm: needs root or CAP_BPF+CAP_PERFMON to load the BPF program (missing: CAP_PERFMON); "
            "run with sudo, or grant them: setcap cap_bpf,cap_perfmon+ep tcpfsm\n");
}

TEST(Privilege, UserDropsRootAndEveryCapabilityAndKeepsTracing) {
  REQUIRE_BPF();
  TraceRun run({"-p", "22002", "--user", "nobody"});
  const auto status = proc_status(run.process().pid());
  EXPECT_EQ(status.at("Uid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status.at("Gid"), "65534\t65534\t65534\t65534");
  EXPECT_EQ(status.at("Groups"), "");
  // Before 6.5 bpf() refuses even the maps it holds without CAP_BPF when
  // kernel.unprivileged_bpf_disabled is set: tcpfsm keeps CAP_BPF (bit 39)
  // there, and nothing else.
  const char* kept = kernel_before(6, 5) ? "0000008000000000" : "0000000000000000";
  EXPECT_EQ(status.at("CapEff"), kept);
  EXPECT_EQ(status.at("CapPrm"), kept);
  EXPECT_EQ(status.at("NoNewPrivs"), "1");
  expect_one_connection_traced(run, 22002);
}

// A container's user is often an id the host has no account for: taken as
// it is, with the group of the same number.
TEST(Privilege, UserMayBeANumericIdWithOrWithoutAnAccount) {
  REQUIRE_BPF();
  constexpr std::uint32_t kUnlisted = 3999999;
  ASSERT_EQ(getpwuid(kUnlisted), nullptr) << "uid " << kUnlisted << " has an account here";
  for (const auto& [user, port] : {std::pair{std::string("65534"), 22003}, {std::to_string(kUnlisted), 22004}}) {
    TraceRun run({"-p", std::to_string(port), "--user", user});
    const auto status = proc_status(run.process().pid());
    EXPECT_EQ(status.at("Uid"), user + "\t" + user + "\t" + user + "\t" + user);
    EXPECT_EQ(status.at("Gid"), user + "\t" + user + "\t" + user + "\t" + user);
    EXPECT_EQ(status.at("Groups"), "");
    expect_one_connection_traced(run, static_cast<std::uint16_t>(port));
  }
}

// As nobody with no capability, features says what it cannot tell instead
// of "no": bpf() and tracefs (mode 0700) refuse it, and the kernel has them.
TEST(Privilege, FeaturesWithoutPrivilegeSaysWhatItCannotTell) {
  REQUIRE_BPF();
  // tracefs mounted in a mount namespace of its own, gone with it (where it
  // is not mounted already: the kernel matrix's guests have it).
  const auto features = [](std::vector<std::string> as) {
    std::vector<std::string> argv = {
        "unshare", "--mount", "--propagation", "private", "sh", "-c",
        "{ grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts || mount -t tracefs tracefs /sys/kernel/tracing; } "
        "&& exec \"$@\"",
        "sh"};
    argv.insert(argv.end(), as.begin(), as.end());
    argv.insert(argv.end(), {binary(), "features"});
    Process p(argv);
    EXPECT_EQ(p.wait(), 0) << p.err();
    return p.out();
  };
  const std::string root = features({});
  const std::string nobody =
      features({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--"});
  EXPECT_NE(root.find("\ntracefs mounted: yes\n"), std::string::npos) << root;
  const std::string bpf = "cannot tell without privilege (needs root or CAP_BPF+CAP_PERFMON)\n";
  const std::string tracefs = "cannot tell without privilege (needs root or CAP_DAC_READ_SEARCH to read tracefs)\n";
  for (const auto& line :
       {"BPF ring buffer: " + bpf, "event buffer (--buffer auto): " + bpf, "socket-local storage: " + bpf,
        "tracefs mounted: " + tracefs, "tracepoint sock/inet_sock_set_state in tracefs: " + tracefs,
        "  tracepoint tcp/tcp_send_reset in tracefs: " + tracefs, "trace loads: " + bpf, "trace -p PORT loads: " + bpf})
    EXPECT_NE(("\n" + nobody).find("\n" + line), std::string::npos) << line << nobody;
  // What needs no privilege reads the same.
  for (const char* same : {"kernel BTF (/sys/kernel/btf/vmlinux): ", "tp_btf/inet_sock_set_state: ",
                           "BPF task_file iterator"}) {
    const auto line = [&](const std::string& out) {
      const auto at = out.find(same);
      return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
    };
    EXPECT_EQ(line(nobody), line(root)) << same;
  }
}

TEST(Privilege, UnknownUserIsAUsageError) {
  Process p({binary(), "trace", "--user", "no-such-user-tcpfsm"});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_NE(p.err().find("--user: no such user 'no-such-user-tcpfsm'"), std::string::npos) << p.err();
}

}  // namespace
}  // namespace tcpfsm::itest
