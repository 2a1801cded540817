#include "output/log_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <deque>
#include <string_view>
#include <utility>

namespace tcpfsm {
namespace {

constexpr int kMaxLinks = 40;  // the kernel's own limit (MAXSYMLINKS)

// A descriptor, closed when replaced or destroyed.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(-1); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int release() { return std::exchange(fd_, -1); }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Puts the names in path ("a//b" -> a, b) before those still to walk.
void walk_first(std::deque<std::string>& unwalked, std::string_view path) {
  std::deque<std::string> names;
  for (std::size_t i = 0; i < path.size();) {
    const std::size_t end = std::min(path.find('/', i), path.size());
    if (end > i) names.emplace_back(path.substr(i, end - i));
    i = end + 1;
  }
  unwalked.insert(unwalked.begin(), names.begin(), names.end());
}

// The directory reached from `walked` by name, as a path: "" is /, "." the
// working directory. For messages only.
std::string step(const std::string& walked, const std::string& name) {
  if (name == ".") return walked;
  if (name != "..") return walked + "/" + name;
  if (walked.empty()) return walked;  // /.. is /
  const std::size_t slash = walked.rfind('/');
  if (walked.substr(slash == std::string::npos ? 0 : slash + 1) == ".." || walked == ".") return walked + "/..";
  return walked.substr(0, slash);
}

std::string shown(const std::string& walked) {
  if (walked.empty()) return "/";
  return walked.starts_with("./") ? walked.substr(2) : walked;
}

bool ours(uid_t owner) { return owner == 0 || owner == ::geteuid(); }
bool others_may_replace(const struct stat& dir) { return (dir.st_mode & S_IWOTH) && !(dir.st_mode & S_ISVTX); }

int fail(int err) {
  errno = err;
  return -1;
}

}  // namespace

int open_log_path(const std::string& path, int flags, mode_t mode, std::string& refused) {
  refused.clear();
  if (path.empty()) return fail(ENOENT);
  if (path.back() == '/') return fail(EISDIR);  // names a directory, as open(2) says
  const bool absolute = path.front() == '/';
  std::string walked = absolute ? "" : ".";
  Fd dir(::open(absolute ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return -1;
  std::deque<std::string> unwalked;
  walk_first(unwalked, path);
  for (int links = 0;;) {
    struct stat d{};
    if (::fstat(dir.get(), &d) != 0) return -1;
    if (others_may_replace(d)) {
      refused = "directory " + shown(walked) + " may be written to by every user and is not sticky: anyone could "
                "replace what it holds";
      return fail(EPERM);
    }
    if (unwalked.empty()) return fail(EISDIR);  // ended in "." or ".."
    const std::string name = std::move(unwalked.front());
    unwalked.pop_front();
    if (unwalked.empty() && name != "." && name != "..")
      return ::openat(dir.get(), name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);

    Fd next(::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return -1;
    struct stat st{};
    if (::fstat(next.get(), &st) != 0) return -1;
    if (S_ISLNK(st.st_mode)) {
      const std::string link = shown(step(walked, name));
      if (!ours(st.st_uid) || !ours(d.st_uid)) {
        refused = link + " is a symbolic link that another user could have planted (the link is owned by uid " +
                  std::to_string(st.st_uid) + ", its directory by uid " + std::to_string(d.st_uid) + ")";
        return fail(EPERM);
      }
      if (++links > kMaxLinks) {
        refused = "more than " + std::to_string(kMaxLinks) + " symbolic links on the way to it";
        return fail(ELOOP);
      }
      char target[PATH_MAX];
      const ssize_t n = ::readlinkat(next.get(), "", target, sizeof target);
      if (n < 0) return -1;
      if (static_cast<std::size_t>(n) == sizeof target) return fail(ENAMETOOLONG);
      const std::string_view to(target, static_cast<std::size_t>(n));
      if (to.starts_with('/')) {
        dir.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (dir.get() < 0) return -1;
        walked.clear();
      }
      walk_first(unwalked, to);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR);
    walked = step(walked, name);
    dir.reset(next.release());
  }
}

}  // namespace tcpfsm
