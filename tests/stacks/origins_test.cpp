// The origins a watch keeps: named as they come, by socket inode, forgotten
// at close or past the bound, and a path its opener could not name named
// with a holder's mappings. Stacks of this test process itself.
#include "stacks/origins.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "support/kernel_records.h"

using namespace tcpfsm;

namespace {

__attribute__((noinline)) std::uint64_t here() { return reinterpret_cast<std::uint64_t>(__builtin_return_address(0)); }

// An origin of socket `ino`: a stack of one return address into this test.
tcpfsm_origin origin(std::uint32_t ino, std::uint32_t pid, std::uint8_t kind = TCPFSM_ORIGIN_CONNECT) {
  tcpfsm_origin o = test::origin_record(1, 0);
  o.kind = kind;
  o.pid = pid;
  o.tid = pid;
  o.ino = ino;
  o.frames = 2;
  o.ips[0] = here();
  o.ips[1] = here();
  return o;
}

bool names_this_test(const CodePath& p) {
  for (const Frame& f : p.frames)
    if (f.file.ends_with("origins_test.cpp")) return true;
  return false;
}

}  // namespace

TEST(OriginTable, KeepsANamedPathPerSocketUntilItCloses) {
  OriginTable t;
  t.add(origin(101, static_cast<std::uint32_t>(getpid()), TCPFSM_ORIGIN_ACCEPT));
  t.add(origin(102, static_cast<std::uint32_t>(getpid()), TCPFSM_ORIGIN_ACCEPT));
  const auto a = t.find(101), b = t.find(102);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->kind, OriginKind::Accept);
  EXPECT_TRUE(names_this_test(*a)) << frame_text(a->frames.front());
  EXPECT_EQ(a, b);  // one stack in one process: named once, shared
  EXPECT_EQ(t.named(), 1u);
  t.closed(101);
  EXPECT_FALSE(t.find(101));
  EXPECT_TRUE(t.find(102));
  EXPECT_FALSE(t.find(103));
}

TEST(OriginTable, TheOldestGoPastTheBound) {
  OriginTable t(2);
  for (std::uint32_t ino = 1; ino <= 3; ++ino) t.add(origin(ino, static_cast<std::uint32_t>(getpid())));
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.find(1));
  EXPECT_TRUE(t.find(2) && t.find(3));
}

TEST(OriginTable, NoFramesSaySo) {
  OriginTable t;
  tcpfsm_origin o = origin(7, static_cast<std::uint32_t>(getpid()));
  o.frames = 0;
  o.stack_error = -14;
  t.add(o);
  ASSERT_TRUE(t.find(7));
  EXPECT_TRUE(t.find(7)->frames.empty());
  EXPECT_EQ(t.find(7)->note, "no user stack (the kernel could not read it)");
}

// A child forked from this process opened the socket and exited before its
// stack was named: the path is named with a holder's mappings (this
// process's, which the child had), and says so.
TEST(OriginTable, AnExitedOpenerIsNamedWithAHoldersMappings) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  OriginTable t;
  t.add(origin(9, static_cast<std::uint32_t>(child)));
  const auto unnamed = t.find(9);
  ASSERT_TRUE(unnamed);
  EXPECT_FALSE(names_this_test(*unnamed));
  const std::int32_t holders[] = {getpid()};
  const auto named = t.find(9, holders);
  ASSERT_TRUE(named);
  EXPECT_TRUE(names_this_test(*named));
  EXPECT_NE(named->note.find("named with the mappings of pid " + std::to_string(getpid()) + ", which holds it: pid " +
                             std::to_string(child) + ", which opened it, had exited"),
            std::string::npos)
      << named->note;
  EXPECT_EQ(t.find(9), named);  // named once
}
