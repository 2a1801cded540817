#include "owners/owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>

namespace tcpfsm {
namespace {

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Up to max bytes of a small /proc file; empty if it cannot be read.
std::string read_small_file(const std::string& path, std::size_t max) {
  std::string s(max, '\0');
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::size_t got = 0;
  while (got < max) {
    const ssize_t n = read(fd, s.data() + got, max - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  s.resize(got);
  return s;
}

// readlinkat into buf; the link text, or empty when it cannot be read.
std::string_view read_link(int dirfd, const char* name, char (&buf)[64]) {
  const ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return {};
  return {buf, static_cast<std::size_t>(n)};
}

}  // namespace

std::optional<std::uint32_t> socket_inode_of_link(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link.starts_with(kPrefix) || !link.ends_with(']')) return std::nullopt;
  return parse_number<std::uint32_t>(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1));
}

std::string read_comm(const std::string& proc_root, std::int32_t pid) {
  std::string comm = read_small_file(proc_root + "/" + std::to_string(pid) + "/comm", 64);
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

OwnerCache::OwnerCache(Options options) : options_(std::move(options)) {}

const std::vector<Holder>* OwnerCache::lookup(std::uint32_t ino) {
  static const std::vector<Holder> kNobody;
  if (ino == 0) return &kNobody;
  Entry& e = entries_[ino];  // queues an unknown inode
  return e.resolved ? &e.holders : nullptr;
}

void OwnerCache::set(std::uint32_t ino, std::vector<Holder> holders) {
  Entry& e = entries_[ino];
  e.holders = std::move(holders);
  e.resolved = true;
  e.resolved_at = std::chrono::steady_clock::now();
}

void OwnerCache::forget(std::uint32_t ino) { entries_.erase(ino); }

bool OwnerCache::walk_needed() const {
  for (const auto& [ino, e] : entries_)
    if (wanted(e)) return true;
  return false;
}

bool OwnerCache::resolve_pending() {
  if (!walk_needed()) return false;
  walk();
  return true;
}

void OwnerCache::scan_process(std::int32_t pid, const char* name, Found& found) {
  const std::string fd_dir = options_.proc_root + "/" + name + "/fd";
  const int dirfd = open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    if (errno == EACCES || errno == EPERM) ++stats_.pids_unreadable;
    return;  // ENOENT: it exited meanwhile
  }
  DIR* fds = fdopendir(dirfd);
  if (!fds) {
    close(dirfd);
    return;
  }
  while (const dirent* f = readdir(fds)) {
    const auto fd = parse_number<int>(f->d_name);
    if (!fd) continue;
    char buf[64];
    ++stats_.links_read;
    const auto ino = socket_inode_of_link(read_link(dirfd, f->d_name, buf));
    if (ino && entries_.contains(*ino)) found[*ino].push_back(Holder{pid, *fd, {}, {}});
  }
  closedir(fds);
}

void OwnerCache::walk() {
  ++stats_.walks;
  stats_.pids_unreadable = 0;
  Found found;
  DIR* proc = opendir(options_.proc_root.c_str());
  if (!proc) return;  // no /proc: every tracked inode stays without holders
  while (const dirent* d = readdir(proc))
    if (const auto pid = parse_number<std::int32_t>(d->d_name)) scan_process(*pid, d->d_name, found);
  closedir(proc);
  record(found, /*only_found=*/false);
}

bool OwnerCache::resolve_in(std::int32_t pid) {
  ++stats_.process_scans;
  Found found;
  scan_process(pid, std::to_string(pid).c_str(), found);
  // Only what was found is recorded: the rest waits for a full walk.
  record(found, /*only_found=*/true);
  return !found.empty();
}

void OwnerCache::record(Found& found, bool only_found) {
  const auto now = std::chrono::steady_clock::now();
  std::map<std::int32_t, Holder> described;  // one read of comm and cmdline per process
  auto fill = [&](Entry& e, std::vector<Holder> holders) {
    e.holders = std::move(holders);
    for (Holder& h : e.holders) {
      auto [d, fresh] = described.try_emplace(h.pid, Holder{h.pid, -1, {}, {}});
      if (fresh) describe(d->second);
      h.comm = d->second.comm;
      h.cmdline = d->second.cmdline;
    }
    e.resolved = true;
    e.resolved_at = now;
  };
  if (only_found) {
    for (auto& [ino, holders] : found) fill(entries_[ino], std::move(holders));
    return;
  }
  for (auto& [ino, e] : entries_) {
    auto it = found.find(ino);
    fill(e, it == found.end() ? std::vector<Holder>{} : std::move(it->second));
  }
}

std::string read_cmdline(const std::string& proc_root, std::int32_t pid, const std::string& comm) {
  // One byte past the bound: a longer command line is then cut, and says so.
  std::string line =
      short_cmdline(read_small_file(proc_root + "/" + std::to_string(pid) + "/cmdline", kCmdlineMax + 1));
  return line.empty() ? "[" + comm + "]" : line;
}

void OwnerCache::describe(Holder& h) {
  h.comm = read_comm(options_.proc_root, h.pid);
  h.cmdline = read_cmdline(options_.proc_root, h.pid, h.comm);
}

void OwnerCache::revalidate() {
  // Process by process, so each /proc/PID/fd is looked up once.
  struct Check {
    std::int32_t pid;
    int fd;
    std::uint32_t ino;
  };
  std::vector<Check> checks;
  for (const auto& [ino, e] : entries_)
    if (e.resolved)
      for (const Holder& h : e.holders) checks.push_back({h.pid, h.fd, ino});
  std::sort(checks.begin(), checks.end(), [](const Check& a, const Check& b) { return a.pid < b.pid; });

  std::vector<Check> gone;
  int dirfd = -1;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const Check& c = checks[i];
    if (i == 0 || checks[i - 1].pid != c.pid) {
      if (dirfd >= 0) close(dirfd);
      const std::string dir = options_.proc_root + "/" + std::to_string(c.pid) + "/fd";
      dirfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    char buf[64];
    ++stats_.links_read;
    const std::string name = std::to_string(c.fd);
    if (dirfd < 0 || socket_inode_of_link(read_link(dirfd, name.c_str(), buf)) != c.ino) gone.push_back(c);
  }
  if (dirfd >= 0) close(dirfd);

  for (const Check& c : gone) {
    Entry& e = entries_[c.ino];
    std::erase_if(e.holders, [&](const Holder& h) { return h.pid == c.pid && h.fd == c.fd; });
    e.resolved = false;  // lost a holder: walk for the rest on the next resolve_pending()
  }
}

}  // namespace tcpfsm
