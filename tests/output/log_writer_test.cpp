// The log writer on real files: a torn last line, a write that fills the
// file size limit partway, a FIFO nobody reads.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/errors.h"
#include "output/log_writer.h"
#include "support/temp_dir.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

const std::string kStart = R"({"type":"start","cause":"run"})" "\n";

LogWriter::Options file(const fs::path& path) {
  LogWriter::Options o;
  o.path = path.string();
  return o;
}

LogWriter::Preamble start_record() {
  return [](std::string& out, std::string_view) { out += kStart; };
}

}  // namespace

TEST(LogWriter, AppendingToATornLastLineEndsItFirst) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  const std::string torn = R"({"type":"transition","cookie":9,"old":"CLO)";
  std::ofstream(log, std::ios::binary) << kStart << torn;
  {
    LogWriter w(file(log), start_record());
    w.begin();
    EXPECT_TRUE(w.write("{\"type\":\"end\"}\n"));
  }
  EXPECT_EQ(slurp(log), kStart + torn + "\n" + kStart + "{\"type\":\"end\"}\n");
}

TEST(LogWriter, AppendingToWholeLinesAddsNothing) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  std::ofstream(log, std::ios::binary) << kStart;
  {
    LogWriter w(file(log), start_record());
    w.begin();
  }
  EXPECT_EQ(slurp(log), kStart + kStart);
}

TEST(LogWriter, AFailedWriteSaysHowMuchOfItIsInTheFile) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  LogWriter w(file(log), start_record());
  w.begin();
  const std::string a = "{\"n\":1}\n", b = "{\"n\":22}\n", c = "{\"n\":333}\n";
  // The file may grow by a and half of b: writes past it fail with EFBIG,
  // as they would with ENOSPC on a full disk.
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto saved = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = kStart.size() + a.size() + b.size() / 2;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  bool threw = false;
  try {
    w.write(a + b + c);
  } catch (const Error& e) {
    threw = true;
    EXPECT_EQ(e.code(), ExitCode::OutputError);
    EXPECT_EQ(std::string(e.what()), "writing " + log.string() + " failed: File too large");
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, saved);
  EXPECT_TRUE(threw);
  EXPECT_EQ(w.written(), a.size());
  EXPECT_EQ(slurp(log), kStart + a);
}

TEST(LogWriter, AFifoWithNoReaderIsWaitedForNoLongerThanAsked) {
  TempDir dir;
  const fs::path fifo = dir.path / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  LogWriter::Options o = file(fifo);
  o.reader_wait = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  testing::internal::CaptureStderr();
  try {
    LogWriter w(o, start_record());
    ADD_FAILURE() << "opened a FIFO nobody reads";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no reader opened " + fifo.string() + " within 300ms (--duration): nothing was traced");
  }
  const std::string err = testing::internal::GetCapturedStderr();
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_EQ(err, "tcpfsm: waiting for a reader to open the FIFO " + fifo.string() + "\n");
}

namespace {

// Lets no descriptor be opened while it lives: RLIMIT_NOFILE's soft limit
// at the lowest free descriptor (the EMFILE a process at its limit gets).
class NoFreeDescriptor {
 public:
  NoFreeDescriptor() {
    getrlimit(RLIMIT_NOFILE, &saved_);
    const int lowest = dup(0);
    close(lowest);
    rlimit r = saved_;
    r.rlim_cur = static_cast<rlim_t>(lowest);
    setrlimit(RLIMIT_NOFILE, &r);
  }
  ~NoFreeDescriptor() { setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace

// The next file cannot be opened at rotation (no descriptor): the current
// file takes the records meanwhile, nothing is renamed, the failure is
// counted, and a later rotation, once it can, keeps every record.
TEST(LogWriter, ARotationThatCannotOpenTheNextFileKeepsTheCurrentOneAndTriesAgain) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  LogWriter::Options o = file(log);
  o.rotate_size = 100;
  o.retry_every = std::chrono::nanoseconds(0);
  const std::string record = R"({"type":"transition","n":1234567890123456789012345})" "\n";  // 52 bytes
  LogWriter w(o, start_record());
  w.begin();
  ASSERT_TRUE(w.write(record));
  {
    NoFreeDescriptor none;
    EXPECT_TRUE(w.write(record + record));  // past 100 bytes: a rotation due, and refused
  }
  EXPECT_EQ(w.open_failures(), 1u);
  EXPECT_FALSE(fs::exists(dir.path / "t.json.1"));
  EXPECT_FALSE(fs::exists(dir.path / "t.json.next"));
  EXPECT_EQ(slurp(log), kStart + record + record + record);

  ASSERT_TRUE(w.write(record));  // the next try opens it
  EXPECT_EQ(w.open_failures(), 1u);
  EXPECT_EQ(slurp(dir.path / "t.json.1"), kStart + record + record + record);
  EXPECT_EQ(slurp(log), kStart + record);
}

// SIGHUP's reopen after logrotate moved the file: while it cannot open the
// file again, the moved one takes the records; the next write tries again.
TEST(LogWriter, AReopenThatFailsWritesOnToTheMovedFileAndTriesAgain) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  LogWriter::Options o = file(log);
  o.retry_every = std::chrono::nanoseconds(0);
  const std::string record = "{\"type\":\"transition\"}\n";
  LogWriter w(o, start_record());
  w.begin();
  ASSERT_TRUE(w.write(record));
  fs::rename(log, dir.path / "t.json.1");  // logrotate
  {
    NoFreeDescriptor none;
    w.reopen();
    EXPECT_TRUE(w.write(record));  // tried again first (retry_every 0), and refused again
  }
  EXPECT_EQ(w.open_failures(), 2u);
  EXPECT_FALSE(fs::exists(log));
  ASSERT_TRUE(w.write(record));  // reopened now, before this record
  EXPECT_EQ(slurp(dir.path / "t.json.1"), kStart + record + record);
  EXPECT_EQ(slurp(log), kStart + record);
}
