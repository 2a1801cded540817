// Cgroup v2 ids -> cgroup paths. The BPF program reads each socket's cgroup
// id (sk->sk_cgrp_data.cgroup->kn->id: the cgroup of the task that created
// the socket, or of the listener for an accepted one); this turns it into
// the path a person (and common/container.h) can read. (Before 5.15, on a
// hybrid host where net_cls or net_prio v1 was ever configured, the kernel
// stopped recording v2 cgroups in new sockets, which then all show the root.)
//
// A cgroup's id is its kernfs node id, and kernfs makes that the inode number
// of the cgroup's directory (kernfs_ino(): the whole 64-bit id wherever ino_t
// is 64 bits, i.e. on every 64-bit kernel; only its low 32 bits on a 32-bit
// kernel, which this does not support). Checked on 6.18: st_ino of a new
// child cgroup equals the id name_to_handle_at() returns for it (FILEID_KERNFS)
// and bpf_get_current_cgroup_id() of a task inside it; the root's is 1.
// So the paths come from walking the cgroup2 tree and reading inode numbers.
// open_by_handle_at() with that id as a FILEID_KERNFS handle would open the
// cgroup directly, but it needs CAP_DAC_READ_SEARCH (EPERM otherwise, checked
// on 6.18), which tcpfsm no longer has once it drops privileges after
// loading (kernel/privileges.h); the tree is world-readable.
//
// The mount point is read from /proc/self/mountinfo, never assumed:
// /sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones
// (where /sys/fs/cgroup is a tmpfs holding the v1 controllers). Paths are
// relative to the mount, which is the whole tree only when the mount's root
// is the hierarchy's: inside a container with its own cgroup namespace,
// /sys/fs/cgroup shows the container's subtree alone, and the host's tree
// must be mounted (e.g. a hostPath of the host's /sys/fs/cgroup) and named.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tcpfsm {

// The mount point of the first cgroup2 file system in /proc/PID/mountinfo
// text, with the kernel's octal escapes undone ("\040" is a space), or
// nullopt when none is mounted.
std::optional<std::string> find_cgroup2_mount(std::string_view mountinfo_text);
// The same for this process's /proc/self/mountinfo.
std::optional<std::string> cgroup2_mount();

// The inode number of a directory: its cgroup id when it is a cgroup2
// directory. Nothing when it cannot be stat()ed or is no directory.
std::optional<std::uint64_t> cgroup_id_of(const std::string& absolute_dir);

// The cgroup a --cgroup argument names: a path below the cgroup2 mount
// ("/system.slice/docker-<id>.scope"), or the same with the mount in front.
struct NamedCgroup {
  std::uint64_t id = 0;
  std::uint32_t level = 0;  // components below the mount: the root is level 0
  std::string path;         // relative to the mount
};
// Nothing, with `why` set, for "", when there is no cgroup2 mount, or when
// the path is not a cgroup2 directory.
std::optional<NamedCgroup> cgroup_of_argument(const std::string& arg, std::string& why);

// Cgroup id -> path relative to the cgroup2 mount: "/" for the root,
// "/system.slice/docker-<id>.scope" below it. Known ids are answered from a
// cache; an unknown one makes it walk the whole tree and rebuild the cache
// (so removed cgroups leave it), but at most once per min_walk_interval: a
// flood of ids that name nothing (cgroups already removed, whose sockets
// outlive them) costs one walk per interval, not one per event. The walk
// reads directories only, does not cross into other file systems, and stops
// at max_depth and max_entries. A cgroup removed before the first walk after
// its creation is never known.
// Not thread-safe: one owner per instance.
class CgroupPaths {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    std::chrono::milliseconds min_walk_interval{1000};
    int max_depth = 32;                 // below the root
    std::size_t max_entries = 100'000;  // cgroups remembered per walk
    Clock clock = std::chrono::steady_clock::now;
  };

  // root: the cgroup2 mount (or any directory tree, for tests); nullopt when
  // there is none, and then no id has a path.
  explicit CgroupPaths(std::optional<std::string> root) : CgroupPaths(std::move(root), Options{}) {}
  CgroupPaths(std::optional<std::string> root, Options options);

  // The path of cgroup `id`, or nullopt when the tree (as last walked) has
  // no such cgroup.
  std::optional<std::string> path_of(std::uint64_t id);

  struct Stats {
    std::uint64_t walks = 0;          // walks of the tree
    std::uint64_t walks_skipped = 0;  // misses that found a walk too recent
    std::uint64_t cached = 0;         // cgroups known after the last walk
    bool truncated = false;           // the last walk stopped at max_depth or max_entries
  };
  const Stats& stats() const { return stats_; }

 private:
  void walk();
  void walk_dir(int dirfd, std::uint64_t dev, std::string& path, int depth);

  std::optional<std::string> root_;
  Options options_;
  std::optional<std::chrono::steady_clock::time_point> last_walk_;
  std::unordered_map<std::uint64_t, std::string> paths_;
  Stats stats_;
};

}  // namespace tcpfsm
