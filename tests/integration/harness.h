// Integration-test harness: run the real tcpfsm binary, drive real sockets.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tcpfsm::itest {

using namespace std::chrono_literals;

// Path of the tcpfsm binary under test.
std::string binary();

// Why tests that load BPF cannot run here ("" when they can: root).
std::string bpf_skip_reason();
// In CI a test that cannot run fails instead of skipping.
bool must_not_skip();

#define REQUIRE_BPF()                                                              \
  if (auto why = ::tcpfsm::itest::bpf_skip_reason(); !why.empty()) {               \
    if (::tcpfsm::itest::must_not_skip()) FAIL() << "CI must run this test: " << why; \
    GTEST_SKIP() << "SKIPPED: " << why;                                            \
  }

// A wait's limit times TCPFSM_TEST_TIMEOUT_SCALE (default 1): the kernel
// matrix's guests run under software emulation, several times slower (a
// python3 schema check of a log takes 22-34 s there, 2 s on the host).
// Process::wait applies it (a helper's exit); wait_for_stdout/stderr do not,
// as they also bound negative checks ("nothing within 600 ms").
std::chrono::milliseconds scaled(std::chrono::milliseconds timeout);

// Whether `trace` (default attach, with a port filter) tells sockets apart by
// keys rather than cookies here: tp_btf before Linux 5.12, or the tracepoint
// (`tcpfsm features`' "trace -p PORT loads:" line).
bool trace_uses_socket_keys();

// Whether the running kernel is older than major.minor (uname's release).
bool kernel_before(int major, int minor);

// A child process with its stdout and stderr captured.
class Process {
 public:
  explicit Process(const std::vector<std::string>& argv);
  ~Process();  // SIGKILL and reap if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Pumps output until stderr contains needle; false on timeout or exit.
  bool wait_for_stderr(std::string_view needle, std::chrono::milliseconds timeout = 10s);
  // Pumps output until pred(stdout) holds; false on timeout or exit.
  bool wait_for_stdout(const std::function<bool(const std::string&)>& pred,
                       std::chrono::milliseconds timeout = 10s);
  void signal(int sig);
  // Reads everything until exit; returns the exit status (128+N if killed by N).
  int wait(std::chrono::milliseconds timeout = 20s);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  pid_t pid() const { return pid_; }

 private:
  bool pump(std::chrono::milliseconds timeout);  // false when both pipes hit EOF
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool exited_ = false;
  int status_ = -1;
  std::string out_, err_;
};

// A forked child named `name` (its comm, as prctl(PR_SET_NAME) sets it) that
// runs in_child, if given, and then holds every fd it has until it is
// destroyed. in_child runs in the child: what it assigns stays in the child.
class HoldingChild {
 public:
  explicit HoldingChild(const char* name, const std::function<void()>& in_child = {});
  ~HoldingChild();  // lets go, waits up to 2 s, then SIGKILL
  HoldingChild(const HoldingChild&) = delete;
  HoldingChild& operator=(const HoldingChild&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int hold_ = -1;
};

// `tcpfsm trace --format json` with extra arguments, started and attached.
class TraceRun {
 public:
  // prefix runs before the binary, e.g. {"setpriv", ..., "--"}.
  explicit TraceRun(std::vector<std::string> extra_args, std::vector<std::string> prefix = {});
  // Waits until n transition records have arrived on stdout.
  // On failure the result carries what the tracer wrote on both streams
  // (its stderr names losses), so a rare miss says why.
  ::testing::AssertionResult wait_for_transitions(std::size_t n, std::chrono::milliseconds timeout = 10s);
  // SIGTERM, then waits; returns the exit status.
  int stop();
  // Every stdout line parsed; a line that does not parse fails the test.
  std::vector<nlohmann::json> records() const;
  std::vector<nlohmann::json> transitions() const;
  Process& process() { return proc_; }

 private:
  Process proc_;
};

// Transitions grouped by socket cookie, in order: "OLD->NEW".
std::map<std::uint64_t, std::vector<std::string>> edges_by_cookie(const std::vector<nlohmann::json>& t);

// The cookie whose first transition is first_edge ("CLOSE->SYN_SENT"); 0 if none.
std::uint64_t cookie_starting_with(const std::vector<nlohmann::json>& t, std::string_view first_edge);

}  // namespace tcpfsm::itest
