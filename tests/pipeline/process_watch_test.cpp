// Watching real processes for their exit: this one and children.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "pipeline/process_watch.h"
#include "support/waiting_child.h"

using namespace tcpfsm;

TEST(ProcessWatch, AnExitIsSeenOnceAndEndsTheWatch) {
  WaitingChild child;
  const pid_t pid = child.pid();
  ProcessWatch w;
  ASSERT_TRUE(w.watch(pid));
  ASSERT_TRUE(w.watch(pid));  // a second watcher: one descriptor
  ASSERT_TRUE(w.watch(getpid()));
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.exited().empty());
  child.exit();
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
  std::vector<std::unique_ptr<WaitingChild>> children;
  for (std::size_t i = 0; i < ProcessWatch::kMax + 1; ++i) children.push_back(std::make_unique<WaitingChild>());
  ProcessWatch w;
  std::size_t watched = 0;
  for (const auto& c : children) watched += w.watch(c->pid());
  EXPECT_EQ(watched, ProcessWatch::kMax);
  EXPECT_EQ(w.size(), ProcessWatch::kMax);
  for (auto& c : children) c->exit();
  EXPECT_EQ(w.exited().size(), ProcessWatch::kMax);
}
