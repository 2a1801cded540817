// Resolving -o's path: symbolic links followed only where no other user
// could have planted them, on real directories.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "output/log_path.h"
#include "support/temp_dir.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kNobody = 65534;

struct Opened {
  int fd = -1;
  int err = 0;
  std::string refused;
  ~Opened() {
    if (fd >= 0) close(fd);
  }
};

void open_log(Opened& o, const fs::path& path) {
  o.fd = open_log_path(path.string(), O_WRONLY | O_APPEND | O_CREAT, 0640, o.refused);
  o.err = o.fd < 0 ? errno : 0;
}

}  // namespace

TEST(LogPath, PlainPathsOpenAsOpenDoes) {
  TempDir dir;
  fs::create_directory(dir.path / "d");
  Opened a, b, c;
  open_log(a, dir.path / "d" / "t.json");
  EXPECT_GE(a.fd, 0) << std::strerror(a.err);
  open_log(b, dir.path / "d" / ".." / "d" / "." / "u.json");
  EXPECT_GE(b.fd, 0) << std::strerror(b.err);
  EXPECT_TRUE(fs::exists(dir.path / "d" / "u.json"));
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path);
  open_log(c, "d//v.json");
  fs::current_path(cwd);
  EXPECT_GE(c.fd, 0) << std::strerror(c.err);
  EXPECT_TRUE(fs::exists(dir.path / "d" / "v.json"));
}

TEST(LogPath, ErrorsAreOpensOwn) {
  TempDir dir;
  Opened missing, slash, file_as_dir;
  open_log(missing, dir.path / "nope" / "t.json");
  EXPECT_EQ(missing.err, ENOENT);
  open_log(slash, dir.path.string() + "/");
  EXPECT_EQ(slash.err, EISDIR);
  std::ofstream(dir.path / "f");
  open_log(file_as_dir, dir.path / "f" / "t.json");
  EXPECT_EQ(file_as_dir.err, ENOTDIR);
  EXPECT_EQ(missing.refused + slash.refused + file_as_dir.refused, "");
}

TEST(LogPath, TheLogItselfIsNeverALink) {
  TempDir dir;
  fs::create_symlink(dir.path / "target", dir.path / "link");
  Opened o;
  open_log(o, dir.path / "link");
  EXPECT_EQ(o.err, ELOOP);
  EXPECT_EQ(o.refused, "");
  EXPECT_FALSE(fs::exists(dir.path / "target"));
}

TEST(LogPath, OurOwnLinkInOurOwnDirectoryIsFollowed) {
  // As systemd's LogsDirectory= with DynamicUser=: /var/log/tcpfsm -> private/tcpfsm.
  TempDir dir;
  fs::create_directories(dir.path / "private" / "tcpfsm");
  fs::create_directory_symlink("private/tcpfsm", dir.path / "tcpfsm");
  Opened o;
  open_log(o, dir.path / "tcpfsm" / "t.json");
  EXPECT_GE(o.fd, 0) << o.refused << std::strerror(o.err);
  EXPECT_TRUE(fs::exists(dir.path / "private" / "tcpfsm" / "t.json"));
  // Also in a sticky directory anyone may write to, as /tmp.
  fs::permissions(dir.path, fs::perms::all | fs::perms::sticky_bit);
  Opened sticky;
  open_log(sticky, dir.path / "tcpfsm" / "u.json");
  EXPECT_GE(sticky.fd, 0) << sticky.refused << std::strerror(sticky.err);
}

TEST(LogPath, ADirectoryAnyoneMayWriteToIsRefusedUnlessSticky) {
  TempDir dir;
  fs::create_directory(dir.path / "open");
  fs::permissions(dir.path / "open", fs::perms::all);
  Opened o;
  open_log(o, dir.path / "open" / "t.json");
  EXPECT_EQ(o.err, EPERM);
  EXPECT_EQ(o.refused, "directory " + (dir.path / "open").string() +
                           " may be written to by every user and is not sticky: anyone could replace what it holds");
  EXPECT_FALSE(fs::exists(dir.path / "open" / "t.json"));
}

TEST(LogPath, ALinkAnotherUserCouldHavePlantedIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: making a link another user owns needs root";
  TempDir dir;
  fs::create_directory(dir.path / "etc");
  // Another user's link in a sticky directory, as one planted in /tmp.
  fs::create_directory(dir.path / "tmp");
  fs::permissions(dir.path / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::create_directory_symlink(dir.path / "etc", dir.path / "tmp" / "logs");
  ASSERT_EQ(lchown((dir.path / "tmp" / "logs").c_str(), kNobody, kNobody), 0);
  Opened planted;
  open_log(planted, dir.path / "tmp" / "logs" / "passwd");
  EXPECT_EQ(planted.err, EPERM);
  EXPECT_EQ(planted.refused, (dir.path / "tmp" / "logs").string() +
                                 " is a symbolic link that another user could have planted (the link is owned by "
                                 "uid 65534, its directory by uid 0)");
  // Root's own link, but in a directory of another user's (who could put it there).
  fs::create_directory(dir.path / "home");
  fs::create_directory_symlink(dir.path / "etc", dir.path / "home" / "logs");
  ASSERT_EQ(chown((dir.path / "home").c_str(), kNobody, kNobody), 0);
  Opened theirs;
  open_log(theirs, dir.path / "home" / "logs" / "passwd");
  EXPECT_EQ(theirs.err, EPERM);
  EXPECT_NE(theirs.refused.find("its directory by uid 65534"), std::string::npos) << theirs.refused;
  EXPECT_FALSE(fs::exists(dir.path / "etc" / "passwd"));
}
