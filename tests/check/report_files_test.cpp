// Where check writes --dot and --html: never over an input or a log, and
// nothing truncated before all input was read. Real files, in-process.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "check/check.h"
#include "support/temp_dir.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

const std::string kLog = R"({"type":"start","ts":"2026-11-21T07:00:00.000000000Z","schema":1,"cause":"run"})" "\n"
                         R"({"type":"end","ts":"x","transitions":0})" "\n";

struct Result {
  int status = -1;
  std::string out, err;
};

Result check(CheckOptions o, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  Result r;
  o.in_fd = -1;
  r.status = run_check(o, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

// The names in dir: a report written through a temporary file leaves none behind.
std::vector<std::string> names(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST(ReportFiles, ALogNamedAsTheReportIsNotOverwritten) {
  // `tcpfsm check --dot v.json`: v.json was meant as the input; standard input is read.
  TempDir dir;
  const fs::path log = dir.path / "v.json";
  std::ofstream(log, std::ios::binary) << kLog;
  CheckOptions o;
  o.dot_path = log.string();
  const Result r = check(o);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tcpfsm check: --dot " + log.string() +
                       " holds a tcpfsm log (its first line is a start record): refusing to write over it (to "
                       "check it: tcpfsm check " + log.string() + ")\n");
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(slurp(log), kLog);
}

TEST(ReportFiles, AnInputIsNeverAReportByAnyPath) {
  TempDir dir;
  const fs::path in = dir.path / "x";
  const std::string text = "not a log, but the input\n";
  std::ofstream(in, std::ios::binary) << text;
  fs::create_hard_link(in, dir.path / "hard");
  fs::create_symlink(in, dir.path / "soft");
  for (const fs::path& report : {in, dir.path / "hard", dir.path / "soft", dir.path / "." / "x"}) {
    CheckOptions o;
    o.files = {in.string()};
    o.html_path = report.string();
    const Result r = check(o);
    EXPECT_EQ(r.status, 2) << report;
    const std::string what = report == in ? " is also an input" : " is the same file as the input " + in.string();
    EXPECT_EQ(r.err, "tcpfsm check: --html " + report.string() + what +
                         ": refusing to write over the log being checked\n");
    EXPECT_EQ(slurp(in), text);
  }
}

TEST(ReportFiles, StandardInputFromAFileIsAnInput) {
  TempDir dir;
  const fs::path in = dir.path / "x";
  std::ofstream(in, std::ios::binary) << "garbage\n";
  const int fd = open(in.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  CheckOptions o;
  o.dot_path = in.string();
  std::istringstream input;
  std::ostringstream out, err;
  o.in_fd = fd;
  EXPECT_EQ(run_check(o, input, out, err), 2);
  close(fd);
  EXPECT_EQ(err.str(), "tcpfsm check: --dot " + in.string() +
                           " is the same file as the input standard input: refusing to write over the log being "
                           "checked\n");
  EXPECT_EQ(slurp(in), "garbage\n");
}

TEST(ReportFiles, TheTwoReportsAreTwoFiles) {
  TempDir dir;
  CheckOptions o;
  o.dot_path = (dir.path / "r").string();
  o.html_path = (dir.path / "." / "r").string();
  const Result r = check(o, kLog);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "tcpfsm check: --dot and --html name the same file, " + o.html_path + "\n");
  EXPECT_EQ(names(dir.path), std::vector<std::string>{});
}

TEST(ReportFiles, AReportIsReplacedOnlyAfterTheInputWasRead) {
  TempDir dir;
  const fs::path dot = dir.path / "g.dot";
  std::ofstream(dot) << "the last report\n";
  fs::permissions(dot, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  // What g.dot held while the input was being read.
  struct Input : std::streambuf {
    fs::path dot;
    std::string seen;
    std::string text = kLog;
    bool given = false;
    int_type underflow() override {
      seen = slurp(dot);
      if (given) return traits_type::eof();
      given = true;
      setg(text.data(), text.data(), text.data() + text.size());
      return traits_type::to_int_type(text[0]);
    }
  } device;
  device.dot = dot;
  std::istream in(&device);
  std::ostringstream out, err;
  CheckOptions o;
  o.in_fd = -1;
  o.dot_path = dot.string();
  EXPECT_EQ(run_check(o, in, out, err), 0) << err.str();
  EXPECT_EQ(device.seen, "the last report\n");
  EXPECT_NE(slurp(dot).find("digraph tcpfsm {"), std::string::npos);
  EXPECT_EQ(fs::status(dot).permissions(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  EXPECT_EQ(names(dir.path), std::vector<std::string>{"g.dot"});
}

TEST(ReportFiles, AReportIsWrittenThroughItsLinkAndIntoAFifo) {
  TempDir dir;
  fs::create_directory(dir.path / "www");
  std::ofstream(dir.path / "www" / "r.dot") << "old\n";
  fs::create_symlink("www/r.dot", dir.path / "r.dot");
  ASSERT_EQ(mkfifo((dir.path / "fifo").c_str(), 0600), 0);
  const int reader = open((dir.path / "fifo").c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_GT(fcntl(reader, F_SETPIPE_SZ, 1 << 20), 0);  // the whole page fits: nothing reads it meanwhile
  CheckOptions o;
  o.dot_path = (dir.path / "r.dot").string();
  o.html_path = (dir.path / "fifo").string();
  o.dot_program = "/nonexistent";  // no layout: no Graphviz run
  const Result r = check(o, kLog);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::is_symlink(dir.path / "r.dot"));
  EXPECT_NE(slurp(dir.path / "www" / "r.dot").find("digraph tcpfsm {"), std::string::npos);
  EXPECT_TRUE(fs::is_fifo(dir.path / "fifo"));
  char head[15] = {};
  EXPECT_EQ(read(reader, head, sizeof head - 1), 14);
  EXPECT_STREQ(head, "<!DOCTYPE html");
  close(reader);
}
