// Finding the cgroup2 mount in real mountinfo text, and cgroup ids -> paths
// on a fake tree whose "ids" are its directories' inode numbers, as they are
// on cgroup2; then once on the real cgroup2 tree (root only).
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernel/cgroup.h"

using namespace tcpfsm;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A hybrid host (systemd's "hybrid" layout; this is the machine the tests
// were written on): v1 controllers on a tmpfs at /sys/fs/cgroup, cgroup2 at
// /sys/fs/cgroup/unified.
constexpr std::string_view kHybrid =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "23 22 0:5 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "42 22 0:39 / /proc rw,relatime - proc proc rw\n";

// Debian 12 and most current distributions: cgroup2 alone at /sys/fs/cgroup.
constexpr std::string_view kUnified =
    "21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "29 21 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "30 21 0:27 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:5 - pstore pstore rw\n";

// The private directory tree CgroupPaths walks in a test, removed with it.
class FakeTree {
 public:
  FakeTree() {
    char tmpl[] = "/tmp/tcpfsm-cgroup-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeTree() { fs::remove_all(root_); }
  // A cgroup directory (and its parents) with the files a cgroup has; its id.
  std::uint64_t dir(const std::string& rel) {
    const fs::path p = fs::path(root_) / rel.substr(1);
    fs::create_directories(p);
    std::ofstream(p / "cgroup.procs") << "";
    std::ofstream(p / "memory.max") << "max\n";
    return id(rel);
  }
  std::uint64_t id(const std::string& rel) const { return *cgroup_id_of(abs(rel)); }
  std::string abs(const std::string& rel) const { return rel == "/" ? root_ : root_ + rel; }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// A clock the test moves by hand.
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  CgroupPaths::Clock fn() {
    return [this] { return now; };
  }
};

CgroupPaths paths_on(const FakeTree& tree, FakeClock& clock, CgroupPaths::Options o = {}) {
  o.clock = clock.fn();
  return CgroupPaths(tree.root(), std::move(o));
}

}  // namespace

TEST(Cgroup2Mount, HybridLayout) { EXPECT_EQ(find_cgroup2_mount(kHybrid), "/sys/fs/cgroup/unified"); }

TEST(Cgroup2Mount, UnifiedLayout) { EXPECT_EQ(find_cgroup2_mount(kUnified), "/sys/fs/cgroup"); }

TEST(Cgroup2Mount, CgroupV1OnlyHasNone) {
  EXPECT_EQ(find_cgroup2_mount("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
                               "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"),
            std::nullopt);
  EXPECT_EQ(find_cgroup2_mount(""), std::nullopt);
}

TEST(Cgroup2Mount, EscapedMountPoint) {
  // The kernel writes space, tab, newline and backslash as octal escapes.
  EXPECT_EQ(find_cgroup2_mount("41 31 0:38 / /mnt/cgroup\\040v2 rw,relatime - cgroup2 none rw\n"),
            "/mnt/cgroup v2");
  EXPECT_EQ(find_cgroup2_mount("41 31 0:38 / /mnt/a\\011b\\012c\\134d rw - cgroup2 none rw"),
            "/mnt/a\tb\nc\\d");
  // A backslash not followed by three octal digits stays.
  EXPECT_EQ(find_cgroup2_mount("41 31 0:38 / /mnt/x\\09 rw - cgroup2 none rw"), "/mnt/x\\09");
}

TEST(Cgroup2Mount, MatchesTheFsTypeOnly) {
  // "cgroup2" as a mount point, an option or a source is not the file system.
  EXPECT_EQ(find_cgroup2_mount("50 22 0:40 / /run/cgroup2 rw,relatime - tmpfs cgroup2 rw\n"), std::nullopt);
  EXPECT_EQ(find_cgroup2_mount("50 22 0:40 / /mnt rw,cgroup2 shared:3 - tmpfs tmpfs rw,cgroup2\n"), std::nullopt);
  // Optional fields (several) before the separator.
  EXPECT_EQ(find_cgroup2_mount("60 21 0:26 / /sys/fs/cgroup rw shared:4 master:1 propagate_from:2 - cgroup2 "
                               "cgroup2 rw\n"),
            "/sys/fs/cgroup");
}

TEST(Cgroup2Mount, FirstOfSeveral) {
  // Inside a Kubernetes pod: the container's own (namespaced) mount, then a
  // hostPath of the host's.
  EXPECT_EQ(find_cgroup2_mount("1210 1200 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 "
                               "cgroup rw\n"
                               "1220 1200 0:27 /../../.. /host/sys/fs/cgroup ro - cgroup2 cgroup2 rw\n"),
            "/sys/fs/cgroup");
}

TEST(Cgroup2Mount, ShortOrBrokenLinesAreSkipped) {
  EXPECT_EQ(find_cgroup2_mount("garbage\n- cgroup2\n41 31 0:38 / /a - cgroup2\n\n"
                               "41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw"),
            "/sys/fs/cgroup");
}

TEST(Cgroup2Mount, ThisHostsMountIsCgroup2) {
  const auto mount = cgroup2_mount();
  if (!mount) GTEST_SKIP() << "no cgroup2 mounted here";
  struct statfs st {};
  ASSERT_EQ(statfs(mount->c_str(), &st), 0) << *mount;
  EXPECT_EQ(st.f_type, CGROUP2_SUPER_MAGIC) << *mount;
}

TEST(CgroupIdOf, DirectoriesOnly) {
  FakeTree tree;
  const std::uint64_t id = tree.dir("/a");
  struct stat st {};
  ASSERT_EQ(stat(tree.abs("/a").c_str(), &st), 0);
  EXPECT_EQ(id, st.st_ino);
  EXPECT_EQ(cgroup_id_of(tree.abs("/a/cgroup.procs")), std::nullopt);
  EXPECT_EQ(cgroup_id_of(tree.abs("/missing")), std::nullopt);
}

TEST(CgroupPaths, MapsEveryDirectoryAfterOneWalk) {
  FakeTree tree;
  const std::string docker =
      "/system.slice/docker-63f9f8a891f98d7765b44a6ec7adacb2baffcbcc5ddd7f4f2b956c5ff3617b82.scope";
  const std::uint64_t docker_id = tree.dir(docker);
  const std::uint64_t nginx_id = tree.dir("/system.slice/nginx.service");
  const std::uint64_t session_id = tree.dir("/user.slice/user-1000.slice/session-3.scope");
  const std::uint64_t odd_id = tree.dir("/machine.slice/machine-a b\\x2dc.scope");
  FakeClock clock;
  CgroupPaths paths = paths_on(tree, clock);

  EXPECT_EQ(paths.path_of(tree.id("/")), "/");
  EXPECT_EQ(paths.path_of(docker_id), docker);
  EXPECT_EQ(paths.path_of(nginx_id), "/system.slice/nginx.service");
  EXPECT_EQ(paths.path_of(tree.id("/system.slice")), "/system.slice");
  EXPECT_EQ(paths.path_of(session_id), "/user.slice/user-1000.slice/session-3.scope");
  EXPECT_EQ(paths.path_of(odd_id), "/machine.slice/machine-a b\\x2dc.scope");
  EXPECT_EQ(paths.stats().walks, 1u);
  // Root, 3 slices, user-1000.slice and 4 leaves; no files.
  EXPECT_EQ(paths.stats().cached, 9u);
  EXPECT_FALSE(paths.stats().truncated);
}

TEST(CgroupPaths, FilesAreNotCgroups) {
  FakeTree tree;
  tree.dir("/a");
  FakeClock clock;
  CgroupPaths paths = paths_on(tree, clock);
  EXPECT_EQ(paths.path_of(*cgroup_id_of(tree.abs("/a"))), "/a");
  struct stat st {};
  ASSERT_EQ(stat(tree.abs("/a/cgroup.procs").c_str(), &st), 0);
  clock.now += 1s;
  EXPECT_EQ(paths.path_of(st.st_ino), std::nullopt);
}

TEST(CgroupPaths, MissesWalkAtMostOncePerInterval) {
  FakeTree tree;
  tree.dir("/a");
  FakeClock clock;
  CgroupPaths paths = paths_on(tree, clock);
  EXPECT_EQ(paths.path_of(tree.id("/a")), "/a");
  ASSERT_EQ(paths.stats().walks, 1u);

  // A cgroup made after the walk is not known until the interval has passed,
  // however often it is asked for.
  const std::uint64_t b = tree.dir("/b");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(paths.path_of(b), std::nullopt);
  clock.now += 999ms;
  EXPECT_EQ(paths.path_of(b), std::nullopt);
  EXPECT_EQ(paths.stats().walks, 1u);
  EXPECT_EQ(paths.stats().walks_skipped, 101u);
  clock.now += 1ms;
  EXPECT_EQ(paths.path_of(b), "/b");
  EXPECT_EQ(paths.stats().walks, 2u);

  // Ids that name nothing: one walk per interval, not one per lookup.
  for (std::uint64_t junk = 1; junk <= 1000; ++junk) paths.path_of(0xdead0000 + junk);
  EXPECT_EQ(paths.stats().walks, 2u);
  clock.now += 1s;
  for (std::uint64_t junk = 1; junk <= 1000; ++junk) paths.path_of(0xdead0000 + junk);
  EXPECT_EQ(paths.stats().walks, 3u);

  // Known ids never wait for the interval, nor walk.
  EXPECT_EQ(paths.path_of(b), "/b");
  EXPECT_EQ(paths.path_of(tree.id("/a")), "/a");
  EXPECT_EQ(paths.stats().walks, 3u);
}

TEST(CgroupPaths, RemovedCgroupsLeaveOnTheNextWalk) {
  FakeTree tree;
  const std::uint64_t gone = tree.dir("/gone");
  const std::uint64_t stays = tree.dir("/stays");
  FakeClock clock;
  CgroupPaths paths = paths_on(tree, clock);
  EXPECT_EQ(paths.path_of(gone), "/gone");
  fs::remove_all(tree.abs("/gone"));
  EXPECT_EQ(paths.path_of(gone), "/gone");  // cached until the next walk
  clock.now += 1s;
  EXPECT_EQ(paths.path_of(12345678901ull), std::nullopt);  // a miss: walks
  EXPECT_EQ(paths.stats().walks, 2u);
  EXPECT_EQ(paths.path_of(gone), std::nullopt);
  EXPECT_EQ(paths.path_of(stays), "/stays");
  EXPECT_EQ(paths.stats().cached, 2u);
}

TEST(CgroupPaths, DepthIsBounded) {
  FakeTree tree;
  tree.dir("/1/2/3/4/5");
  FakeClock clock;
  CgroupPaths::Options o;
  o.max_depth = 3;
  CgroupPaths paths = paths_on(tree, clock, o);
  EXPECT_EQ(paths.path_of(tree.id("/1/2/3")), "/1/2/3");
  EXPECT_TRUE(paths.stats().truncated);
  clock.now += 1s;
  EXPECT_EQ(paths.path_of(tree.id("/1/2/3/4")), std::nullopt);
  EXPECT_EQ(paths.stats().cached, 4u);  // the root and 3 levels
}

TEST(CgroupPaths, EntriesAreBounded) {
  FakeTree tree;
  for (int i = 0; i < 10; ++i) tree.dir("/d" + std::to_string(i));
  FakeClock clock;
  CgroupPaths::Options o;
  o.max_entries = 4;
  CgroupPaths paths = paths_on(tree, clock, o);
  EXPECT_EQ(paths.path_of(tree.id("/")), "/");
  EXPECT_EQ(paths.stats().cached, 4u);
  EXPECT_TRUE(paths.stats().truncated);
  int found = 0;
  for (int i = 0; i < 10; ++i) found += paths.path_of(tree.id("/d" + std::to_string(i))).has_value();
  EXPECT_EQ(found, 3);
}

TEST(CgroupPaths, NoMountNoPaths) {
  CgroupPaths paths(std::nullopt);
  EXPECT_EQ(paths.path_of(1), std::nullopt);
  EXPECT_EQ(paths.path_of(12345), std::nullopt);
  EXPECT_EQ(paths.stats().walks, 0u);
}

TEST(CgroupPaths, UnreadableRootHasNoPaths) {
  FakeClock clock;
  CgroupPaths::Options o;
  o.clock = clock.fn();
  CgroupPaths paths("/nonexistent/tcpfsm-cgroup", o);
  EXPECT_EQ(paths.path_of(1), std::nullopt);
  EXPECT_EQ(paths.stats().walks, 1u);
  EXPECT_EQ(paths.stats().cached, 0u);
}

// The real cgroup2 tree: a child cgroup made here is found under its path,
// the one the kernel shows in /proc/PID/cgroup for a process moved into it.
TEST(CgroupPaths, RealCgroup2Tree) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create a cgroup";
  const auto mount = cgroup2_mount();
  if (!mount) GTEST_SKIP() << "no cgroup2 mounted here";
  const std::string name = "/tcpfsm-test-" + std::to_string(getpid());
  const std::string outer = *mount + name, inner = outer + "/inner";
  if (mkdir(outer.c_str(), 0755) != 0) GTEST_SKIP() << "cannot create " << outer << ": " << std::strerror(errno);
  ASSERT_EQ(mkdir(inner.c_str(), 0755), 0) << std::strerror(errno);

  // A child process, moved into the inner cgroup, reports its path.
  const pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(child, 0);
  std::ofstream(inner + "/cgroup.procs") << child << '\n';
  std::ifstream proc_cgroup("/proc/" + std::to_string(child) + "/cgroup");
  std::string line, v2_path;
  while (std::getline(proc_cgroup, line))
    if (line.starts_with("0::")) v2_path = line.substr(3);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);

  CgroupPaths paths(mount);
  const auto outer_id = cgroup_id_of(outer), inner_id = cgroup_id_of(inner);
  const auto root_path = paths.path_of(*cgroup_id_of(*mount));
  const auto outer_path = paths.path_of(*outer_id);
  const auto inner_path = paths.path_of(*inner_id);
  EXPECT_EQ(rmdir(inner.c_str()), 0) << std::strerror(errno);
  EXPECT_EQ(rmdir(outer.c_str()), 0) << std::strerror(errno);

  EXPECT_EQ(root_path, "/");
  EXPECT_EQ(outer_path, name);
  EXPECT_EQ(inner_path, name + "/inner");
  EXPECT_EQ(v2_path, name + "/inner");
  EXPECT_NE(*outer_id, *inner_id);
}
