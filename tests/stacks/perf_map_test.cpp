// Perf maps as runtimes write them, and the lines a workload may get wrong.
#include "stacks/perf_map.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace tcpfsm;

TEST(PerfMap, ParsesHexWithOrWithout0xAndNamesWithSpaces) {
  const auto entries = parse_perf_map(
      "7f00a000 40 LazyCompile:~listen node:net:1\n"
      "0x7f00b000 0x20 py::charge:/srv/app.py\r\n"
      "7f00c000 10 last line without a newline");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].start, 0x7f00a000u);
  EXPECT_EQ(entries[0].size, 0x40u);
  EXPECT_EQ(entries[0].name, "LazyCompile:~listen node:net:1");
  EXPECT_EQ(entries[1].start, 0x7f00b000u);
  EXPECT_EQ(entries[1].name, "py::charge:/srv/app.py");
  EXPECT_EQ(entries[2].name, "last line without a newline");
}

TEST(PerfMap, SkipsBadLinesAndTheLaterOfTwoAtOneStartWins) {
  const auto entries = parse_perf_map(
      "\n"
      "zz 10 not hex\n"
      "1000 0 empty\n"
      "2000 10\n"
      "3000\n"
      "4000 10 old\n"
      "4000 20 new\n");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].start, 0x4000u);
  EXPECT_EQ(entries[0].size, 0x20u);
  EXPECT_EQ(entries[0].name, "new");
}

TEST(PerfMap, FindsTheFunctionHoldingAnAddress) {
  const std::string path = "/tmp/stacks-perfmap-" + std::to_string(getpid()) + ".map";
  std::ofstream(path) << "1000 100 a\n2000 10 b\n";
  PerfMap map;
  map.refresh(path);
  ASSERT_NE(map.find(0x1000), nullptr);
  EXPECT_EQ(map.find(0x10ff)->name, "a");
  EXPECT_EQ(map.find(0x1100), nullptr);
  EXPECT_EQ(map.find(0xfff), nullptr);
  EXPECT_EQ(map.find(0x200f)->name, "b");

  // Appended to, a line at a time and half a line at the end.
  std::ofstream(path, std::ios::app) << "3000 10 c\n4000 10 d";
  map.refresh(path);
  EXPECT_EQ(map.find(0x3000)->name, "c");
  EXPECT_EQ(map.find(0x4000), nullptr);  // still being written
  std::ofstream(path, std::ios::app) << "-later\n";
  map.refresh(path);
  EXPECT_EQ(map.find(0x4000)->name, "d-later");

  // Written anew: what the old file said is gone.
  std::filesystem::remove(path);
  std::ofstream(path) << "5000 10 e\n";
  map.refresh(path);
  EXPECT_EQ(map.find(0x1000), nullptr);
  EXPECT_EQ(map.find(0x5000)->name, "e");
  std::filesystem::remove(path);
  map.refresh(path);
  EXPECT_EQ(map.find(0x5000), nullptr);
}

TEST(PerfMap, TheNamespacePidIsTheLastOfNSpid) {
  EXPECT_EQ(nspid_of_status("Name:\tnode\nNSpid:\t31337\t12\t1\nNSpgid:\t1\n"), 1u);
  EXPECT_EQ(nspid_of_status("NSpid:\t4242\n"), 4242u);
  EXPECT_EQ(nspid_of_status("Name:\tnode\nPid:\t4242\n"), 0u);
  EXPECT_EQ(nspid_of_status("NSpid:\tx\n"), 0u);
}
