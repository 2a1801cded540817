// Watching real processes for their exit: this one and children.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "pipeline/process_watch.h"

using namespace tcpfsm;

namespace {

// A child that exits when told (or at once).
pid_t child(int* release) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(fds[1]);
    (void)!read(fds[0], &c, 1);
    _exit(0);
  }
  close(fds[0]);
  *release = fds[1];
  return pid;
}

}  // namespace

TEST(ProcessWatch, AnExitIsSeenOnceAndEndsTheWatch) {
  int release;
  const pid_t pid = child(&release);
  ASSERT_GT(pid, 0);
  ProcessWatch w;
  ASSERT_TRUE(w.watch(pid));
  ASSERT_TRUE(w.watch(pid));  // a second watcher: one descriptor
  ASSERT_TRUE(w.watch(getpid()));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.exited().empty());
  close(release);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(w.exited(), std::vector<std::int32_t>{pid});
  EXPECT_TRUE(w.exited().empty());
  EXPECT_EQ(w.size(), 1u);
  EXPECT_FALSE(w.watch(pid));  // gone
  EXPECT_FALSE(w.watch(0));
}

TEST(ProcessWatch, TheLastWatcherEndsTheWatch) {
  ProcessWatch w;
  ASSERT_TRUE(w.watch(getpid()));
  ASSERT_TRUE(w.watch(getpid()));
  w.unwatch(getpid());
  EXPECT_EQ(w.size(), 1u);
  w.unwatch(getpid());
  EXPECT_EQ(w.size(), 0u);
  w.unwatch(getpid());  // not watched: nothing
  EXPECT_EQ(w.size(), 0u);
}

TEST(ProcessWatch, AtMostKMaxProcesses) {
  ProcessWatch w;
  std::vector<pid_t> pids;
  std::vector<int> releases;
  for (std::size_t i = 0; i < ProcessWatch::kMax + 1; ++i) {
    int r;
    pids.push_back(child(&r));
    releases.push_back(r);
  }
  std::size_t watched = 0;
  for (pid_t p : pids) watched += w.watch(p);
  EXPECT_EQ(watched, ProcessWatch::kMax);
  EXPECT_EQ(w.size(), ProcessWatch::kMax);
  for (int r : releases) close(r);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  EXPECT_EQ(w.exited().size(), ProcessWatch::kMax);
}
