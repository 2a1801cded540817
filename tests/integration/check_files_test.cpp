// tcpfsm check's --dot and --html on the real binary: a log is never
// overwritten, and a check interrupted while reading leaves the old report
// whole. Needs no BPF.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.h"
#include "support/temp_dir.h"

namespace tcpfsm::itest {
namespace {

namespace fs = std::filesystem;

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

const std::string kLog = R"({"type":"start","ts":"2026-11-21T07:00:00.000000000Z","schema":3,"cause":"run"})" "\n"
                         R"({"type":"end","ts":"2026-11-21T07:00:01.000000000Z","transitions":0})" "\n";

TEST(CheckFiles, TheLogMeantAsInputIsNotOverwritten) {
  // `tcpfsm check --dot v.json`, standard input not a terminal.
  TempDir dir;
  const fs::path log = dir.path / "v.json";
  std::ofstream(log, std::ios::binary) << kLog;
  Process p({"/bin/sh", "-c", "exec \"$0\" check --dot \"$1\" </dev/null", binary(), log.string()});
  EXPECT_EQ(p.wait(), 2);
  EXPECT_EQ(p.err(), "tcpfsm check: --dot " + log.string() +
                         " holds a tcpfsm log (its first line is a start record): refusing to write over it (to "
                         "check it: tcpfsm check " + log.string() + ")\n");
  EXPECT_EQ(slurp(log), kLog);

  Process same({binary(), "check", "--html", log.string(), log.string()});
  EXPECT_EQ(same.wait(), 2);
  EXPECT_EQ(same.err(), "tcpfsm check: --html " + log.string() +
                            " is also an input: refusing to write over the log being checked\n");
  EXPECT_EQ(slurp(log), kLog);
}

TEST(CheckFiles, AnInterruptedCheckLeavesTheReportWhole) {
  TempDir dir;
  const fs::path fifo = dir.path / "in", html = dir.path / "report.html";
  std::ofstream(html) << "yesterday's report\n";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A writer that never ends: check reads until it is stopped.
  const int writer = open(fifo.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(write(writer, kLog.data(), kLog.size()), static_cast<ssize_t>(kLog.size()));
  Process p({binary(), "check", "--html", html.string(), fifo.string()});
  std::this_thread::sleep_for(500ms);
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(), 128 + SIGTERM);
  close(writer);
  EXPECT_EQ(slurp(html), "yesterday's report\n");
  EXPECT_EQ(entries(dir.path), 2u);  // no temporary file left

  // Once it has read its input, it replaces the report.
  const fs::path log = dir.path / "t.json";
  std::ofstream(log, std::ios::binary) << kLog;
  Process done({binary(), "check", "--html", html.string(), log.string()});
  EXPECT_EQ(done.wait(), 0) << done.err();
  EXPECT_EQ(slurp(html).rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(entries(dir.path), 3u);
}

}  // namespace
}  // namespace tcpfsm::itest
