#include "kernel/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/errors.h"
#include "common/text.h"

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

}  // namespace

std::optional<std::uint32_t> netns_of_argument(const std::string& arg, std::string& why) {
  if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
    unsigned long long n = 0;
    if (arg.size() <= 10 && (n = std::stoull(arg)) > 0 && n <= UINT32_MAX) return static_cast<std::uint32_t>(n);
    why = "'" + arg + "' is not a namespace inode (1 to 4294967295)";
    return std::nullopt;
  }
  const int fd = open(arg.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    why = "cannot open '" + escaped(arg) + "': " + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st{};
  const int type = ioctl(fd, NS_GET_NSTYPE);
  const bool ok = type == CLONE_NEWNET && fstat(fd, &st) == 0;
  close(fd);
  if (!ok) {
    why = "'" + escaped(arg) + "' is not a network namespace (try /var/run/netns/NAME or /proc/PID/ns/net)";
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(st.st_ino);
}

std::uint32_t own_netns() {
  struct stat st{};
  return stat("/proc/thread-self/ns/net", &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

NetnsDiag sock_diag_in(std::uint32_t inode, std::span<const std::int32_t> pids) {
  NetnsDiag r;
  bool denied = false;
  const int target = find_way_in(inode, pids, denied);
  if (target < 0) {
    r.no_way_in = !denied;
    r.why = denied ? "not allowed to open the namespace files that lead into network namespace " +
                         std::to_string(inode) + " (needs root)"
                   : "no process or /var/run/netns name leads into network namespace " + std::to_string(inode);
    return r;
  }
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
  // Everything else this thread does belongs in its own namespace.
  const bool back = setns(home, CLONE_NEWNET) == 0;
  const int err = errno;
  close(home);
  if (!back)
    throw Error(ExitCode::Failure, std::string("cannot return to tcpfsm's own network namespace: ") +
                                       std::strerror(err));
  return r;
}

}  // namespace tcpfsm
