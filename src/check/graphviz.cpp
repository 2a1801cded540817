#include "check/graphviz.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/text.h"

extern char** environ;

namespace tcpfsm {
namespace {

constexpr auto kTimeLimit = std::chrono::seconds(10);
constexpr std::size_t kMaxSvg = 16u << 20;

// Closes the fd it holds when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A memory file holding `text`, at offset 0: the child's stdin, without a
// pipe that could fill up while we wait on its output.
bool memory_file(Fd& f, const char* name, std::string_view text) {
  f.fd = ::memfd_create(name, MFD_CLOEXEC);
  if (f.fd < 0) return false;
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(f.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return ::lseek(f.fd, 0, SEEK_SET) == 0;
}

// The first line of what the child wrote to its stderr, escaped.
std::string first_error_line(int fd) {
  char buf[512];
  const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0) return "";
  std::string_view s(buf, static_cast<std::size_t>(n));
  return escaped(s.substr(0, s.find('\n')));
}

// Reads `fd` to its end into `out`, until `deadline`; false on timeout or too much.
bool read_all(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
  char buf[65536];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > kMaxSvg) return false;
  }
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }) != hay.end();
}

}  // namespace

std::optional<std::string> inline_svg(std::string_view doc) {
  const auto begin = doc.find("<svg");
  const auto end = doc.rfind("</svg>");
  if (begin == std::string_view::npos || end == std::string_view::npos || end < begin) return std::nullopt;
  std::string svg(doc.substr(begin, end + 6 - begin));

  for (std::size_t at; (at = svg.find("<!--")) != std::string::npos;) {
    const auto close = svg.find("-->", at + 4);
    if (close == std::string::npos) return std::nullopt;
    svg.erase(at, close + 3 - at);
  }
  // xmlns and xmlns:xlink (in the <svg> tag): the namespace URLs, which an
  // inline <svg> does not need.
  for (std::size_t at; (at = svg.find(" xmlns")) != std::string::npos;) {
    const auto open = svg.find('"', at);
    const auto close = open == std::string::npos ? open : svg.find('"', open + 1);
    if (close == std::string::npos) return std::nullopt;
    svg.erase(at, close + 1 - at);
  }
  // Anything that could reach outside the page, run, or hide markup. dot
  // writes none of these for the graphs tcpfsm gives it.
  constexpr std::array kRefused{"http:",   "https:",      "href",  "<script", "<image", "<foreignobject",
                                "<iframe", "<use",        "url(",  "@import", "<style", "<!",
                                "<?",      "javascript:", "data:", "<a ",     "<a>"};
  for (std::string_view bad : kRefused)
    if (contains_nocase(svg, bad)) return std::nullopt;
  if (svg.find("<svg", 1) != std::string::npos) return std::nullopt;
  return svg;
}

GraphLayout layout_svg(const std::string& dot_text, const std::string& program) {
  Fd in, err, out_r, out_w;
  int pipe_fds[2];
  if (!memory_file(in, "tcpfsm-dot-in", dot_text) || !memory_file(err, "tcpfsm-dot-err", "") ||
      ::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return {"", "the graph could not be laid out: " + std::string(std::strerror(errno))};
  out_r.fd = pipe_fds[0];
  out_w.fd = pipe_fds[1];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd, STDERR_FILENO);
  std::string arg0 = program, arg1 = "-Tsvg";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT)
    return {"", "Graphviz's " + escaped(program) +
                    (program.find('/') == std::string::npos ? " is not on PATH" : " is not there") +
                    " (Debian package graphviz)"};
  if (spawned != 0) return {"", "Graphviz's " + escaped(program) + " could not be run: " + std::strerror(spawned)};
  ::close(out_w.fd);
  out_w.fd = -1;

  std::string svg;
  const bool read = read_all(out_r.fd, svg, std::chrono::steady_clock::now() + kTimeLimit);
  if (!read) ::kill(pid, SIGKILL);  // our own child, stopped at the time or size limit
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!read) return {"", "Graphviz's " + escaped(program) + " took over 10 s or wrote over 16 MiB: stopped"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string why = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                              : "signal " + std::to_string(WTERMSIG(status));
    const std::string said = first_error_line(err.fd);
    return {"", "Graphviz's " + escaped(program) + " failed (" + why + ")" + (said.empty() ? "" : ": " + said)};
  }
  if (auto clean = inline_svg(svg)) return {std::move(*clean), ""};
  return {"", "Graphviz's SVG was not inlined: it is not one plain <svg> element"};
}

}  // namespace tcpfsm
