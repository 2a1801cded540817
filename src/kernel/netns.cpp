#include "kernel/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "common/errors.h"

namespace tcpfsm {
namespace {

// An fd of the namespace file at `path` when it is namespace `inode`, else
// -1; `denied` is set when the file could not be opened for lack of privilege.
int open_if(const std::string& path, std::uint32_t inode, bool& denied) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EACCES || errno == EPERM) denied = true;
    return -1;
  }
  struct stat st{};
  if (fstat(fd, &st) == 0 && st.st_ino == inode) return fd;
  close(fd);
  return -1;
}

// The first `dir/NAME + suffix` that is namespace `inode`.
int search_dir(const char* dir, bool pids_only, const char* suffix, std::uint32_t inode, bool& denied) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  int fd = -1;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.' || (pids_only && (e->d_name[0] < '1' || e->d_name[0] > '9'))) continue;
    if ((fd = open_if(std::string(dir) + "/" + e->d_name + suffix, inode, denied)) >= 0) break;
  }
  closedir(d);
  return fd;
}

int find_way_in(std::uint32_t inode, std::span<const std::int32_t> pids, bool& denied) {
  for (std::int32_t pid : pids)
    if (pid > 0)
      if (int fd = open_if("/proc/" + std::to_string(pid) + "/ns/net", inode, denied); fd >= 0) return fd;
  if (int fd = search_dir("/proc", true, "/ns/net", inode, denied); fd >= 0) return fd;
  return search_dir("/var/run/netns", false, "", inode, denied);
}

// Enters the namespace `target` (an open fd of it, closed here), opens a
// sock_diag socket there, runs `inside`, and returns to this thread's own.
NetnsDiag open_inside(int target, std::uint32_t inode, const std::function<void()>& inside) {
  NetnsDiag r;
  const int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0 || setns(target, CLONE_NEWNET) != 0) {
    r.why = "cannot enter network namespace " + std::to_string(inode) + ": " + std::strerror(errno) +
            " (needs CAP_SYS_ADMIN)";
    close(target);
    if (home >= 0) close(home);
    return r;
  }
  close(target);
  try {
    r.diag = std::make_unique<SockDiag>();
  } catch (const Error& e) {
    r.why = e.what();
  }
  if (r.diag && inside) inside();
  // Everything else this thread does belongs in its own namespace.
  const bool back = setns(home, CLONE_NEWNET) == 0;
  const int err = errno;
  close(home);
  if (!back)
    throw Error(ExitCode::Failure, std::string("cannot return to tcpfsm's own network namespace: ") +
                                       std::strerror(err));
  return r;
}

NetnsDiag no_way_in(std::uint32_t inode, bool denied) {
  NetnsDiag r;
  r.no_way_in = !denied;
  r.why = denied ? "not allowed to open the namespace files that lead into network namespace " +
                       std::to_string(inode) + " (needs root)"
                 : "no process or /var/run/netns name leads into network namespace " + std::to_string(inode);
  return r;
}

constexpr const char* kNamedDir = "/var/run/netns";  // as netns.h's default

}  // namespace

std::vector<NetnsRef> list_netns() {
  std::vector<NetnsRef> out;
  std::unordered_map<std::uint32_t, std::size_t> seen;  // inode -> index in out
  // Every namespace file is an inode of the one nsfs: a file under
  // /var/run/netns on another device is a leftover, not a namespace.
  struct stat own{};
  if (stat("/proc/thread-self/ns/net", &own) != 0) return out;
  auto add = [&](const struct stat& st, std::int32_t pid, const char* name) {
    if (st.st_dev != own.st_dev) return;
    const auto inode = static_cast<std::uint32_t>(st.st_ino);
    auto [it, fresh] = seen.try_emplace(inode, out.size());
    if (fresh) out.push_back(NetnsRef{inode, 0, {}});
    NetnsRef& ref = out[it->second];
    if (pid > 0 && ref.pid == 0) ref.pid = pid;
    if (name && ref.name.empty()) ref.name = name;
  };
  add(own, 0, nullptr);
  if (DIR* d = opendir("/proc")) {
    std::string path;
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      path.assign("/proc/").append(e->d_name).append("/ns/net");
      struct stat st{};
      if (stat(path.c_str(), &st) != 0) continue;  // exited meanwhile, or not ours to see
      add(st, static_cast<std::int32_t>(std::strtol(e->d_name, nullptr, 10)), nullptr);
    }
    closedir(d);
  }
  if (DIR* d = opendir(kNamedDir)) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      struct stat st{};
      if (stat((std::string(kNamedDir) + "/" + e->d_name).c_str(), &st) == 0) add(st, 0, e->d_name);
    }
    closedir(d);
  }
  return out;
}

std::optional<std::uint32_t> netns_of_argument(const std::string& arg, std::string& why,
                                               const std::string& named_dir) {
  if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
    unsigned long long n = 0;
    if (arg.size() <= 10 && (n = std::stoull(arg)) > 0 && n <= UINT32_MAX) return static_cast<std::uint32_t>(n);
    why = "'" + arg + "' is not a namespace inode (1 to 4294967295)";
    return std::nullopt;
  }
  // A name as `ip netns` gives it never holds a '/' (nor is "." or ".."):
  // anything else is a path.
  const bool named = arg.find('/') == std::string::npos;
  if (named && (arg.empty() || arg == "." || arg == "..")) {
    why = "'" + arg + "' is not a network namespace name, inode or path";
    return std::nullopt;
  }
  const std::string path = named ? named_dir + "/" + arg : arg;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (named && errno == ENOENT)
      why = "no network namespace named '" + arg + "' (no " + path + "; ip netns list shows the names)";
    else
      why = "cannot open '" + path + "': " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st{};
  const int type = ioctl(fd, NS_GET_NSTYPE);
  const bool ok = type == CLONE_NEWNET && fstat(fd, &st) == 0;
  close(fd);
  if (!ok) {
    why = "'" + path + "' is not a network namespace (try NAME as ip netns names it, /var/run/netns/NAME or "
          "/proc/PID/ns/net)";
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(st.st_ino);
}

std::uint32_t own_netns() {
  struct stat st{};
  return stat("/proc/thread-self/ns/net", &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

NetnsDiag sock_diag_in(std::uint32_t inode, std::span<const std::int32_t> pids) {
  bool denied = false;
  const int target = find_way_in(inode, pids, denied);
  if (target < 0) return no_way_in(inode, denied);
  return open_inside(target, inode, {});
}

NetnsDiag sock_diag_in(const NetnsRef& ref, const std::function<void()>& inside) {
  bool denied = false;
  int target = -1;
  if (ref.pid > 0) target = open_if("/proc/" + std::to_string(ref.pid) + "/ns/net", ref.inode, denied);
  if (target < 0 && !ref.name.empty() && ref.name.find('/') == std::string::npos)
    target = open_if(std::string(kNamedDir) + "/" + ref.name, ref.inode, denied);
  if (target < 0) {
    // The process exited, or the name was deleted: any other way in will do.
    // A file that refuses this user there may lead anywhere (even root may
    // not open some, e.g. a sandbox's init): for a namespace that was
    // listed through a way this user could see, only its own ways count.
    bool search_denied = false;
    target = find_way_in(ref.inode, {}, search_denied);
    if (ref.pid <= 0 && ref.name.empty()) denied = denied || search_denied;
  }
  if (target < 0) return no_way_in(ref.inode, denied);
  return open_inside(target, ref.inode, inside);
}

}  // namespace tcpfsm
