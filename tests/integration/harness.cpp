#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace tcpfsm::itest {

std::string binary() { return TCPFSM_BINARY; }

std::string bpf_skip_reason() {
  if (geteuid() != 0) return "needs root to load BPF programs and create network namespaces";
  return "";
}

bool must_not_skip() { return std::getenv("CI") != nullptr; }

Process::Process(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

bool Process::pump(std::chrono::milliseconds timeout) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  const int nfds = 2;
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  if (poll(fds, nfds, static_cast<int>(timeout.count())) <= 0) return true;
  std::string* sinks[2] = {&out_, &err_};
  int* fdp[2] = {&out_fd_, &err_fd_};
  for (int i = 0; i < nfds; ++i) {
    if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[65536];
    const ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, static_cast<std::size_t>(n));
    } else {
      close(*fdp[i]);
      *fdp[i] = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool kernel_before(int major, int minor) {
  utsname u{};
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma < major || (ma == major && mi < minor);
}

bool trace_uses_socket_keys() {
  static const bool keys = [] {
    Process p({binary(), "features"});
    p.wait();
    return p.out().find("trace -p PORT loads: tp_btf, sockets by key") != std::string::npos ||
           p.out().find("trace -p PORT loads: tracepoint") != std::string::npos;
  }();
  return keys;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds timeout) {
  static const long scale = [] {
    const char* v = std::getenv("TCPFSM_TEST_TIMEOUT_SCALE");
    const long n = v ? std::strtol(v, nullptr, 10) : 1;
    return n >= 1 ? n : 1;
  }();
  return timeout * scale;
}

bool Process::wait_for_stderr(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (err_.find(needle) == std::string::npos) {
    if (std::chrono::steady_clock::now() > end || !pump(50ms)) return err_.find(needle) != std::string::npos;
  }
  return true;
}

bool Process::wait_for_stdout(const std::function<bool(const std::string&)>& pred,
                              std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred(out_)) {
    if (std::chrono::steady_clock::now() > end || !pump(50ms)) return pred(out_);
  }
  return true;
}

void Process::signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

int Process::wait(std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + scaled(timeout);
  while (pump(50ms) && std::chrono::steady_clock::now() < end) {
  }
  if (!exited_) {
    if (out_fd_ >= 0 || err_fd_ >= 0) kill(pid_, SIGKILL);  // hung: timed out
    waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

HoldingChild::HoldingChild(const char* name, const std::function<void()>& in_child) {
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_NAME, name);
    close(hold[1]);
    try {
      if (in_child) in_child();
    } catch (...) {
      _exit(1);  // never into the test's own code: the parent sees no start
    }
    char c = 'r';
    (void)!write(ready[1], &c, 1);
    for (;;) {  // until the parent lets go (EOF), then exit without cleanup
      const ssize_t n = read(hold[0], &c, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) _exit(0);
    }
  }
  close(ready[1]);
  close(hold[0]);
  hold_ = hold[1];
  pollfd p{ready[0], POLLIN, 0};
  char c;
  const bool up = poll(&p, 1, 5000) == 1 && read(ready[0], &c, 1) == 1;
  close(ready[0]);
  if (!up) throw std::runtime_error("the holding child did not start");
}

HoldingChild::~HoldingChild() {
  close(hold_);
  for (int i = 0; i < 100; ++i)  // at most 2 s
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    else std::this_thread::sleep_for(20ms);
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

TraceRun::TraceRun(std::vector<std::string> extra_args, std::vector<std::string> prefix)
    : proc_([&] {
        std::vector<std::string> argv = prefix;
        argv.insert(argv.end(), {binary(), "trace", "--format", "json"});
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        return argv;
      }()) {
  if (!proc_.wait_for_stderr("Tracing TCP state transitions"))
    throw std::runtime_error("tcpfsm trace did not start: " + proc_.err());
}

static std::size_t count_transitions(const std::string& out) {
  std::size_t n = 0;
  for (std::size_t pos = 0; (pos = out.find("\"type\":\"transition\"", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

::testing::AssertionResult TraceRun::wait_for_transitions(std::size_t n, std::chrono::milliseconds timeout) {
  if (proc_.wait_for_stdout([n](const std::string& out) { return count_transitions(out) >= n; }, timeout))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << count_transitions(proc_.out()) << " of " << n << " transitions after "
                                       << timeout.count() << " ms\n--- stdout:\n"
                                       << proc_.out() << "--- stderr:\n"
                                       << proc_.err();
}

int TraceRun::stop() {
  proc_.signal(SIGTERM);
  return proc_.wait();
}

std::vector<nlohmann::json> TraceRun::records() const {
  std::vector<nlohmann::json> r;
  std::size_t start = 0;
  const std::string& out = proc_.out();
  while (start < out.size()) {
    const std::size_t nl = out.find('\n', start);
    if (nl == std::string::npos) throw std::runtime_error("torn last line: " + out.substr(start));
    r.push_back(nlohmann::json::parse(out.substr(start, nl - start)));
    start = nl + 1;
  }
  return r;
}

std::vector<nlohmann::json> TraceRun::transitions() const {
  std::vector<nlohmann::json> t;
  for (auto& r : records())
    if (r["type"] == "transition") t.push_back(r);
  return t;
}

std::map<std::uint64_t, std::vector<std::string>> edges_by_cookie(const std::vector<nlohmann::json>& t) {
  std::map<std::uint64_t, std::vector<std::string>> m;
  for (const auto& r : t)
    m[r["cookie"].get<std::uint64_t>()].push_back(r["old"].get<std::string>() + "->" +
                                                  r["new"].get<std::string>());
  return m;
}

std::uint64_t cookie_starting_with(const std::vector<nlohmann::json>& t, std::string_view first_edge) {
  for (const auto& [cookie, edges] : edges_by_cookie(t))
    if (!edges.empty() && edges.front() == first_edge) return cookie;
  return 0;
}

}  // namespace tcpfsm::itest
