#include "kernel/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <vector>

namespace tcpfsm {
namespace {

// A mountinfo field with the kernel's escapes undone: it writes space, tab,
// newline and backslash in a path as \ and three octal digits.
std::string unescaped(std::string_view field) {
  const auto octal = [&](std::size_t k) { return k < field.size() && field[k] >= '0' && field[k] <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> find_cgroup2_mount(std::string_view text) {
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);

    // ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    std::vector<std::string_view> fields;
    while (!line.empty()) {
      const std::size_t sp = line.find(' ');
      if (sp != 0) fields.push_back(line.substr(0, sp));
      if (sp == std::string_view::npos) break;
      line.remove_prefix(sp + 1);
    }
    for (std::size_t i = 6; i + 1 < fields.size(); ++i) {
      if (fields[i] != "-") continue;
      if (fields[i + 1] == "cgroup2") return unescaped(fields[4]);
      break;
    }
  }
  return std::nullopt;
}

std::optional<std::string> cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return std::nullopt;
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return find_cgroup2_mount(text);
}

std::optional<std::uint64_t> cgroup_id_of(const std::string& absolute_dir) {
  struct stat st {};
  if (stat(absolute_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_ino);
}

CgroupPaths::CgroupPaths(std::optional<std::string> root, Options options)
    : root_(std::move(root)), options_(std::move(options)) {}

std::optional<std::string> CgroupPaths::path_of(std::uint64_t id) {
  if (!root_) return std::nullopt;
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  const auto now = options_.clock();
  if (last_walk_ && now - *last_walk_ < options_.min_walk_interval) {
    ++stats_.walks_skipped;
    return std::nullopt;
  }
  last_walk_ = now;
  walk();
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  return std::nullopt;
}

void CgroupPaths::walk() {
  ++stats_.walks;
  paths_.clear();
  stats_.truncated = false;
  const int fd = open(root_->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && fstat(fd, &st) == 0) {
    paths_.emplace(st.st_ino, "/");
    std::string path;
    walk_dir(fd, st.st_dev, path, 0);  // takes fd
  } else if (fd >= 0) {
    close(fd);
  }
  stats_.cached = paths_.size();
}

// path: the relative path of dirfd's directory without its trailing "/"
// ("" for the root); restored before returning.
void CgroupPaths::walk_dir(int dirfd, std::uint64_t dev, std::string& path, int depth) {
  DIR* dir = fdopendir(dirfd);
  if (!dir) {
    close(dirfd);
    return;
  }
  while (const dirent* e = readdir(dir)) {
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;  // cgroup.procs & co.
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_dev) != dev)
      continue;
    if (paths_.size() >= options_.max_entries || depth >= options_.max_depth) {
      stats_.truncated = true;
      break;
    }
    const std::size_t len = path.size();
    path += '/';
    path += name;
    paths_.emplace(st.st_ino, path);
    const int child = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child >= 0) walk_dir(child, dev, path, depth + 1);
    path.resize(len);
  }
  closedir(dir);
}

std::optional<NamedCgroup> cgroup_of_argument(const std::string& arg, std::string& why) {
  // "" would read as the root, every cgroup: a filter that filters nothing,
  // most likely a variable that was never set.
  if (arg.empty()) {
    why = "empty cgroup path (the root, every cgroup, is /)";
    return std::nullopt;
  }
  const auto mount = cgroup2_mount();
  if (!mount) {
    why = "no cgroup2 file system is mounted (see /proc/self/mountinfo)";
    return std::nullopt;
  }
  std::string rel = arg;
  if (rel.starts_with(*mount) && (rel.size() == mount->size() || rel[mount->size()] == '/'))
    rel.erase(0, mount->size());
  if (rel.empty() || rel.front() != '/') rel.insert(rel.begin(), '/');
  while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
  const std::string dir = *mount + (rel == "/" ? "" : rel);
  struct statfs fs{};
  const auto id = cgroup_id_of(dir);
  if (!id || statfs(dir.c_str(), &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
    why = "'" + arg + "' is not a cgroup: no directory " + dir + " in the cgroup2 mount " + *mount;
    return std::nullopt;
  }
  NamedCgroup c{*id, 0, rel};
  for (std::size_t i = 1; i < rel.size(); ++i)
    if (rel[i - 1] == '/' && rel[i] != '/') ++c.level;
  return c;
}

}  // namespace tcpfsm
