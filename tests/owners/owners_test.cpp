// The owner cache against a fake /proc: directories, files and fd symlinks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "owners/owners.h"
#include "support/fake_proc.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

OwnerCache cache_on(const FakeProc& proc, std::chrono::milliseconds retry = std::chrono::hours(1)) {
  return OwnerCache(OwnerCache::Options{proc.root(), retry});
}

}  // namespace

TEST(OwnerLinks, SocketInodeOfLink) {
  EXPECT_EQ(socket_inode_of_link("socket:[12345]"), 12345u);
  EXPECT_EQ(socket_inode_of_link("socket:[4294967295]"), 4294967295u);
  EXPECT_FALSE(socket_inode_of_link("socket:[]"));
  EXPECT_FALSE(socket_inode_of_link("socket:[12a]"));
  EXPECT_FALSE(socket_inode_of_link("socket:[12"));
  EXPECT_FALSE(socket_inode_of_link("pipe:[12345]"));
  EXPECT_FALSE(socket_inode_of_link("/dev/null"));
  EXPECT_FALSE(socket_inode_of_link("anon_inode:[eventpoll]"));
}

TEST(OwnerLinks, ShortCmdline) {
  using namespace std::string_literals;
  EXPECT_EQ(short_cmdline("java\0-jar\0server.jar\0"s), "java -jar server.jar");
  EXPECT_EQ(short_cmdline("nginx: worker process\0\0\0"s), "nginx: worker process");
  EXPECT_EQ(short_cmdline(""), "");
  EXPECT_EQ(short_cmdline("abcdefghijklmnop", 10), "abcdefg...");
  // A cut never splits a UTF-8 sequence: "é" is 2 bytes at 6..7.
  EXPECT_EQ(short_cmdline("abcdef\xc3\xa9zzzz", 10), "abcdef...");
}

// Kept whole up to kCmdlineMax bytes: the script or the jar comes last.
TEST(OwnerLinks, CmdlineIsWholeUpTo4096Bytes) {
  using namespace std::string_literals;
  EXPECT_EQ(kCmdlineMax, 4096u);
  const std::string options(200, 'x');
  EXPECT_EQ(short_cmdline("java\0-D"s + options + "\0-jar\0/opt/app/server.jar\0"s),
            "java -D" + options + " -jar /opt/app/server.jar");
  EXPECT_EQ(short_cmdline(std::string(4096, 'a')), std::string(4096, 'a'));
  EXPECT_EQ(short_cmdline(std::string(4097, 'a')), std::string(4093, 'a') + "...");
}

// The command line read from /proc: whole, past the 60 characters a text
// view shows, and cut (with "...") only past kCmdlineMax.
TEST(OwnerCache, KeepsTheWholeCommandLine) {
  FakeProc proc;
  const std::string flags(100, 'v');
  const std::string python = std::string("python3\0-W\0", 11) + flags + std::string("\0/srv/app/leaky_worker.py\0", 26);
  proc.process(100, "python3", python);
  proc.fd(100, 12, "socket:[5001]");
  proc.process(200, "java", std::string(5000, 'j'));
  proc.fd(200, 12, "socket:[5002]");
  OwnerCache cache = cache_on(proc);
  cache.lookup(5001);
  cache.lookup(5002);
  cache.resolve_pending();
  ASSERT_NE(cache.lookup(5001), nullptr);
  ASSERT_EQ(cache.lookup(5001)->size(), 1u);
  EXPECT_EQ(cache.lookup(5001)->front().cmdline, "python3 -W " + flags + " /srv/app/leaky_worker.py");
  ASSERT_NE(cache.lookup(5002), nullptr);
  ASSERT_EQ(cache.lookup(5002)->size(), 1u);
  EXPECT_EQ(cache.lookup(5002)->front().cmdline, std::string(4093, 'j') + "...");
}

TEST(OwnerCache, FindsEveryHolderOnOneWalk) {
  FakeProc proc;
  proc.process(100, "java", std::string("java\0-jar\0app.jar", 17));
  proc.fd(100, 0, "/dev/null");
  proc.fd(100, 12, "socket:[5001]");
  proc.fd(100, 13, "socket:[5002]");
  proc.process(200, "java", std::string("java\0-jar\0app.jar", 17));
  proc.fd(200, 12, "socket:[5001]");  // shared after fork
  proc.process(300, "kworker/0:1", "");
  OwnerCache cache = cache_on(proc);

  EXPECT_EQ(cache.lookup(5001), nullptr);  // unknown: queued
  EXPECT_EQ(cache.lookup(5002), nullptr);
  EXPECT_EQ(cache.lookup(6000), nullptr);
  cache.resolve_pending();
  EXPECT_EQ(cache.stats().walks, 1u);
  EXPECT_EQ(cache.stats().links_read, 4u);

  const auto* shared = cache.lookup(5001);
  ASSERT_NE(shared, nullptr);
  ASSERT_EQ(shared->size(), 2u);
  std::vector<std::pair<int, int>> pid_fd;
  for (const auto& h : *shared) pid_fd.emplace_back(h.pid, h.fd);
  std::sort(pid_fd.begin(), pid_fd.end());
  EXPECT_EQ(pid_fd, (std::vector<std::pair<int, int>>{{100, 12}, {200, 12}}));
  EXPECT_EQ((*shared)[0].comm, "java");
  EXPECT_EQ((*shared)[0].cmdline, "java -jar app.jar");

  ASSERT_NE(cache.lookup(5002), nullptr);
  EXPECT_EQ(cache.lookup(5002)->size(), 1u);
  ASSERT_NE(cache.lookup(6000), nullptr);  // nobody holds it: known, empty
  EXPECT_TRUE(cache.lookup(6000)->empty());
  ASSERT_NE(cache.lookup(0), nullptr);  // no file at all
  EXPECT_TRUE(cache.lookup(0)->empty());
}

TEST(OwnerCache, WalksOnlyForInodesNotYetKnown) {
  FakeProc proc;
  proc.process(100, "srv", "srv");
  proc.fd(100, 3, "socket:[1]");
  proc.fd(100, 4, "socket:[2]");
  OwnerCache cache = cache_on(proc);
  cache.lookup(1);
  cache.resolve_pending();
  cache.lookup(1);
  cache.resolve_pending();  // nothing new: no walk
  EXPECT_EQ(cache.stats().walks, 1u);
  EXPECT_EQ(cache.lookup(2), nullptr);
  cache.resolve_pending();
  EXPECT_EQ(cache.stats().walks, 2u);
  EXPECT_EQ(cache.lookup(2)->front().fd, 4);
}

TEST(OwnerCache, UnresolvedInodesAreRetriedAfterTheirTime) {
  FakeProc proc;
  proc.process(100, "srv", "srv");
  OwnerCache cache = cache_on(proc, std::chrono::milliseconds(0));
  cache.lookup(7);
  cache.resolve_pending();
  EXPECT_TRUE(cache.lookup(7)->empty());
  proc.fd(100, 9, "socket:[7]");  // e.g. the fd was installed just after the walk
  cache.resolve_pending();
  EXPECT_EQ(cache.stats().walks, 2u);
  ASSERT_EQ(cache.lookup(7)->size(), 1u);
  EXPECT_EQ(cache.lookup(7)->front().fd, 9);
}

TEST(OwnerCache, RevalidateDropsHoldersThatLetGo) {
  FakeProc proc;
  proc.process(100, "parent", "parent");
  proc.fd(100, 5, "socket:[42]");
  proc.process(200, "child", "child");
  proc.fd(200, 5, "socket:[42]");
  OwnerCache cache = cache_on(proc);
  cache.lookup(42);
  cache.resolve_pending();
  ASSERT_EQ(cache.lookup(42)->size(), 2u);

  cache.revalidate();  // nothing changed: still known
  ASSERT_NE(cache.lookup(42), nullptr);
  EXPECT_EQ(cache.stats().walks, 1u);

  proc.exit(200);
  proc.close_fd(100, 5);
  proc.fd(100, 5, "socket:[43]");  // fd number reused for another socket
  cache.revalidate();
  EXPECT_EQ(cache.lookup(42), nullptr);  // lost holders: walked for again
  cache.resolve_pending();
  EXPECT_TRUE(cache.lookup(42)->empty());
}

TEST(OwnerCache, ForgetStopsTracking) {
  FakeProc proc;
  proc.process(100, "srv", "srv");
  proc.fd(100, 3, "socket:[1]");
  OwnerCache cache = cache_on(proc);
  cache.lookup(1);
  cache.resolve_pending();
  cache.forget(1);
  EXPECT_EQ(cache.lookup(1), nullptr);
}

TEST(OwnerCache, KernelThreadShowsItsCommInBrackets) {
  FakeProc proc;
  proc.process(300, "kworker/0:1", "");
  proc.fd(300, 1, "socket:[77]");
  OwnerCache cache = cache_on(proc);
  cache.lookup(77);
  cache.resolve_pending();
  EXPECT_EQ(cache.lookup(77)->front().cmdline, "[kworker/0:1]");
}

TEST(OwnerProcess, NameFromProc) {
  FakeProc proc;
  proc.process(300, "kworker/0:1", "");
  proc.process(400, "a) S 1 (b", "x");  // a name made to confuse a parser
  EXPECT_EQ(read_comm(proc.root(), 300), "kworker/0:1");
  EXPECT_EQ(read_comm(proc.root(), 400), "a) S 1 (b");
  EXPECT_EQ(read_comm(proc.root(), 500), "");  // gone
}

TEST(OwnerCache, HoldersFoundElsewhereAreTakenAsTheyAre) {
  FakeProc proc;  // empty: nothing is read from it
  OwnerCache cache = cache_on(proc, std::chrono::milliseconds(0));
  cache.lookup(5);
  EXPECT_TRUE(cache.wanted(5));
  cache.set(5, {Holder{77, 3, "srv", {}}});
  EXPECT_FALSE(cache.wanted(5));
  ASSERT_EQ(cache.lookup(5)->size(), 1u);
  EXPECT_EQ(cache.lookup(5)->front().comm, "srv");
  // Nobody holds 6: believed for retry_unresolved (0 here), then wanted again.
  cache.set(6, {});
  EXPECT_TRUE(cache.lookup(6)->empty());
  EXPECT_TRUE(cache.wanted(6));
  EXPECT_FALSE(cache.wanted(7));  // not tracked
  EXPECT_EQ(cache.stats().walks + cache.stats().links_read, 0u);
}
