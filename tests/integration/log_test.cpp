// tcpfsm trace -o FILE: self-describing, rotating, lossless-or-says-so logs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"
#include "kernel_count.h"
#include "sockets.h"
#include "support/temp_dir.h"

namespace tcpfsm::itest {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A temporary directory that the full-disk test mounts a tmpfs on: unmounted
// before it is removed.
struct TempDir : tcpfsm::TempDir {
  ~TempDir() { umount2(path.c_str(), MNT_DETACH); }
};

// Whole lines parsed; a last line without newline is returned in torn.
std::vector<json> parse_lines(const std::string& text, std::string* torn = nullptr) {
  std::vector<json> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      if (torn) *torn = text.substr(pos);
      else ADD_FAILURE() << "torn last line: " << text.substr(pos);
      break;
    }
    out.push_back(json::parse(text.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  return out;
}

// The whole records of a log tcpfsm is still writing: a read can catch a
// write half done, so a last line without its newline is not one yet.
std::vector<json> live_records(const fs::path& p) {
  std::string partial;
  return parse_lines(slurp(p), &partial);
}

std::size_t count_type(const std::vector<json>& records, std::string_view type) {
  std::size_t n = 0;
  for (const auto& r : records) n += r["type"] == type;
  return n;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::vector<std::string> trace_to(const fs::path& file, std::uint16_t port, std::vector<std::string> more = {},
                                  const std::string& flush_interval = "50ms") {
  std::vector<std::string> args{"-o", file.string(), "-p", std::to_string(port), "--flush-interval", flush_interval};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

void expect_schema_valid(const std::vector<fs::path>& files) {
  std::vector<std::string> argv{"/usr/bin/python3", TCPFSM_SOURCE_DIR "/tests/integration/validate_log.py",
                                TCPFSM_SOURCE_DIR "/docs/tcpfsm-log.schema.json"};
  for (const auto& f : files) argv.push_back(f.string());
  Process v(argv);
  EXPECT_EQ(v.wait(), 0) << v.out() << v.err();
}

TEST(Log, RotationKeepsEveryRecordExactlyOnce) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  constexpr int kConnections = 150;
  TraceRun run(trace_to(log, 21001, {"--rotate-size", "16K", "--rotate-keep", "1000", "--stats-interval", "100ms"}));
  run_connections(Family::V4, 21001, kConnections);
  const std::size_t expected = 2 + 10 * kConnections;
  // Reported losses leave it short: the accounting below tells.
  wait_until([&] {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir.path)) n += count_type(live_records(e.path()), "transition");
    return n >= expected;
  });
  ASSERT_EQ(run.stop(), 0) << run.process().err();

  // Oldest first: t.json.N ... t.json.1, t.json.
  std::vector<fs::path> files;
  for (int i = 1; fs::exists(log.string() + "." + std::to_string(i)); ++i)
    files.insert(files.begin(), log.string() + "." + std::to_string(i));
  files.push_back(log);
  ASSERT_GE(files.size(), 10u) << "expected many rotations at 16K";

  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;  // (cookie, ktime_ns)
  std::size_t transitions = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto records = parse_lines(slurp(files[i]));
    ASSERT_FALSE(records.empty()) << files[i];
    EXPECT_EQ(records.front()["type"], "start") << files[i];
    EXPECT_EQ(records.front()["cause"], i == 0 ? "run" : "rotate") << files[i];
    if (i + 1 < files.size()) {
      EXPECT_EQ(count_type(records, "end"), 0u) << files[i];
      EXPECT_LE(fs::file_size(files[i]), 16u * 1024) << files[i];
    }
    for (const auto& r : records) {
      if (r["type"] != "transition") continue;
      ++transitions;
      const bool fresh = seen.emplace(r["cookie"].get<std::uint64_t>(), r["ktime_ns"].get<std::uint64_t>()).second;
      EXPECT_TRUE(fresh) << "duplicate " << r.dump();
    }
  }
  const auto last = parse_lines(slurp(log));
  EXPECT_EQ(last.back()["type"], "end");
  EXPECT_EQ(last.back()["transitions"], transitions);
  // Nothing lost silently: every expected transition is written or counted
  // lost (recursion misses are counted before the port filter, so they may
  // also belong to other traffic on this host).
  const auto lost = last.back()["lost"]["ringbuf"].get<std::size_t>() + last.back()["lost"]["recursion"].get<std::size_t>();
  EXPECT_LE(transitions, expected);
  EXPECT_GE(transitions + lost, expected) << last.back().dump();
  if (lost == 0) {
    EXPECT_EQ(transitions, expected);
  }
  expect_schema_valid(files);

  // Copied elsewhere and checked in rotation order, the files tell the same story.
  TempDir copy;
  std::vector<std::string> argv{binary(), "check", "--format", "json"};
  for (const auto& f : files) {
    fs::copy_file(f, copy.path / f.filename());
    argv.push_back((copy.path / f.filename()).string());
  }
  Process check(argv);
  EXPECT_EQ(check.wait(), 0) << check.out() << check.err();
  const json report = json::parse(check.out());
  EXPECT_EQ(report["transitions"]["total"], transitions);
  EXPECT_EQ(report["transitions"]["ok"], transitions);
  EXPECT_EQ(report["records"]["start"], files.size());
  EXPECT_EQ(report["records"]["end"], 1);
  EXPECT_EQ(report["input_errors"]["total"], 0);
  EXPECT_EQ(report["lifecycles"]["completed"], 2 * kConnections + 1) << report["lifecycles"].dump();
}

TEST(Log, SigtermDuringTrafficLeavesWholeLinesAndAnEndRecord) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  TraceRun run(trace_to(log, 21002, {}, "10ms"));
  std::thread churn([] { run_connections(Family::V4, 21002, 300); });
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 100; }));
  EXPECT_EQ(run.stop(), 0) << run.process().err();
  churn.join();
  const auto records = parse_lines(slurp(log));  // fails on a torn line
  EXPECT_EQ(records.front()["type"], "start");
  EXPECT_EQ(records.back()["type"], "end");
  EXPECT_EQ(records.back()["reason"], "signal");
  EXPECT_EQ(records.back()["transitions"], count_type(records, "transition"));
  expect_schema_valid({log});
}

TEST(Log, SigkillLeavesAtMostOneTornLine) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  TraceRun run(trace_to(log, 21003, {}, "1ms"));
  std::thread churn([] { run_connections(Family::V4, 21003, 300); });
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 100; }));
  run.process().signal(SIGKILL);
  EXPECT_EQ(run.process().wait(), 128 + SIGKILL);
  churn.join();
  std::string torn;
  const auto records = parse_lines(slurp(log), &torn);  // every line but the last must parse
  EXPECT_GE(count_type(records, "transition"), 100u);
  EXPECT_EQ(count_type(records, "end"), 0u);

  // tcpfsm check reads it: at most the one torn line is an input error, and
  // the run is unfinished (exit status 9 when that is all).
  Process check({binary(), "check", "--format", "json", log.string()});
  const int status = check.wait();
  const json report = json::parse(check.out());
  EXPECT_EQ(report["input_errors"]["total"], torn.empty() ? 0 : 1) << check.err();
  EXPECT_EQ(report["input_errors"]["torn_line"], torn.empty() ? 0 : 1);
  EXPECT_EQ(report["unfinished_runs"].size(), 1u);
  EXPECT_EQ(status, torn.empty() ? 9 : 1);
  EXPECT_EQ(report["transitions"]["illegal"], 0);
}

TEST(Log, FullDiskStopsWithWholeLinesAndExitStatus8) {
  REQUIRE_BPF();
  TempDir dir;
  ASSERT_EQ(mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k"), 0) << std::strerror(errno);
  const fs::path log = dir.path / "t.json";
  TraceRun run(trace_to(log, 21004));
  run_connections(Family::V4, 21004, 100);  // ~330 KB of records
  EXPECT_EQ(run.process().wait(), 8) << run.process().err();
  const std::string& err = run.process().err();
  EXPECT_NE(err.find("writing " + log.string() + " failed: No space left on device"), std::string::npos) << err;
  const std::string text = slurp(log);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto records = parse_lines(text);
  EXPECT_EQ(records.front()["type"], "start");
  const std::size_t on_disk = count_type(records, "transition");
  EXPECT_GT(on_disk, 50u);
  // The summary counts what is on disk, and says how many more were traced.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(tcpfsm: output error after [^:]+: (\d+) transitions)"))) << err;
  EXPECT_EQ(std::stoull(m[1].str()), on_disk) << err;
  ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(tcpfsm: (\d+) more transitions were traced but are not in )")))
      << err;
  EXPECT_GT(std::stoull(m[1].str()), 0u);

  // No end record: check says the run is unfinished (exit status 9).
  Process check({binary(), "check", "--format", "json", log.string()});
  EXPECT_EQ(check.wait(), 9) << check.out() << check.err();
  const json report = json::parse(check.out());
  EXPECT_EQ(report["unfinished_runs"].size(), 1u);
  EXPECT_EQ(report["unfinished_runs"][0]["last_line"], records.size());
}

TEST(Log, AfterATornLineTheNextRunStartsOnALineOfItsOwn) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  {
    TraceRun killed(trace_to(log, 21014, {}, "1ms"));
    run_connections(Family::V4, 21014, 1);
    ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 12; }));
    killed.process().signal(SIGKILL);
    EXPECT_EQ(killed.process().wait(), 128 + SIGKILL);
  }
  // Torn as kill -9 can leave it mid-write: the last record cut short.
  const std::uintmax_t whole = fs::file_size(log);
  fs::resize_file(log, whole - 20);
  TraceRun next(trace_to(log, 21014));
  EXPECT_NE(next.process().err().find("tcpfsm: " + log.string() +
                                      " ends mid-line (a run stopped while writing it): ending that line first\n"),
            std::string::npos)
      << next.process().err();
  run_connections(Family::V4, 21014, 1);
  // The lines that are records: all but the torn one.
  const auto records = [&] {
    std::vector<json> v;
    std::istringstream text(slurp(log));
    for (std::string line; std::getline(text, line);)
      if (json::accept(line)) v.push_back(json::parse(line));
    return v;
  };
  ASSERT_TRUE(wait_until([&] { return count_type(records(), "transition") >= 11 + 12; }));
  ASSERT_EQ(next.stop(), 0);

  std::vector<std::string> lines;
  std::istringstream text(slurp(log));
  for (std::string line; std::getline(text, line);) lines.push_back(line);
  const std::size_t torn = 1 + 12;  // the start, then the 12th transition (1-based)
  ASSERT_GT(lines.size(), torn);
  EXPECT_FALSE(json::accept(lines[torn - 1])) << lines[torn - 1];
  const json start = json::parse(lines[torn]);
  EXPECT_EQ(start["type"], "start");
  EXPECT_EQ(start["cause"], "run");

  // check: the torn line is one input error at its file:line, the killed run
  // is unfinished, the next one whole: no gap, no count mismatch.
  Process check({binary(), "check", "--format", "json", log.string()});
  EXPECT_EQ(check.wait(), 1);
  EXPECT_EQ(check.err().rfind(log.string() + ":" + std::to_string(torn) + ": invalid_json: ", 0), 0u) << check.err();
  const json report = json::parse(check.out());
  EXPECT_EQ(report["input_errors"]["total"], 1);
  EXPECT_EQ(report["transitions"]["gap"], 0);
  EXPECT_EQ(report["transitions"]["illegal"], 0);
  EXPECT_EQ(report["runs_counted"], 1);
  EXPECT_EQ(report["unfinished_runs"],
            json::parse(R"([{"file":")" + log.string() + R"(","line":1,"last_file":")" + log.string() +
                        R"(","last_line":)" + std::to_string(torn - 1) + "}]"));
}

TEST(Log, StraySignalsDoNotEndTheRunAndSigusr1WritesStats) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  TraceRun run(trace_to(log, 21015));
  // By default each of these ends a process: a run with no end record.
  run.process().signal(SIGUSR2);
  run.process().signal(SIGALRM);
  run_connections(Family::V4, 21015, 1);
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 12; }));
  EXPECT_EQ(count_type(live_records(log), "stats"), 0u);
  run.process().signal(SIGUSR1);
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "stats") == 1; }));
  ASSERT_EQ(run.stop(), 0) << run.process().err();
  const auto records = parse_lines(slurp(log));
  const auto stats = std::find_if(records.begin(), records.end(), [](const json& r) { return r["type"] == "stats"; });
  EXPECT_EQ((*stats)["transitions"], 12);
  EXPECT_EQ(records.back()["type"], "end");
  EXPECT_EQ(records.back()["transitions"], 12);
  expect_schema_valid({log});
}

// A FIFO nobody reads: waited for, said once, within --duration and Ctrl-C.
TEST(Log, AFifoIsWaitedForWithinTheDurationAndSigterm) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path fifo = dir.path / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string waiting = "tcpfsm: waiting for a reader to open the FIFO " + fifo.string() + "\n";

  const auto start = std::chrono::steady_clock::now();
  Process timed({binary(), "trace", "-o", fifo.string(), "-d", "1"});
  EXPECT_EQ(timed.wait(), 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, scaled(5s));
  EXPECT_EQ(timed.err(), waiting + "tcpfsm: no reader opened " + fifo.string() +
                             " within 1.0s (--duration): nothing was traced\n");

  Process stopped({binary(), "trace", "-o", fifo.string()});
  ASSERT_TRUE(stopped.wait_for_stderr(waiting));
  stopped.signal(SIGTERM);
  EXPECT_EQ(stopped.wait(5s), 8);
  EXPECT_EQ(stopped.err(), waiting + "tcpfsm: interrupted while waiting for a reader of " + fifo.string() +
                               ": nothing was traced\n");
}

TEST(Log, AFifoGetsTheRunOnceItsReaderComes) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path fifo = dir.path / "fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  Process trace({binary(), "trace", "-o", fifo.string(), "-p", "21016"});
  ASSERT_TRUE(trace.wait_for_stderr("waiting for a reader"));
  std::this_thread::sleep_for(300ms);  // more than one look for a reader
  const int reader = open(fifo.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(trace.wait_for_stderr("Tracing TCP state transitions"));
  run_connections(Family::V4, 21016, 1);
  std::this_thread::sleep_for(1500ms);  // the default flush interval is 1 s
  trace.signal(SIGTERM);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(reader, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  close(reader);
  EXPECT_EQ(trace.wait(), 0) << trace.err();
  // Said once, however many looks it took (older kernels add notes of their own).
  std::size_t said = 0;
  for (std::size_t at = 0; (at = trace.err().find("waiting for a reader", at)) != std::string::npos; ++at) ++said;
  EXPECT_EQ(said, 1u) << trace.err();
  const auto records = parse_lines(text);
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records.front()["type"], "start");
  EXPECT_EQ(count_type(records, "transition"), 12u);
  EXPECT_EQ(records.back()["type"], "end");
}

TEST(Log, ALinkAnotherUserPlantedOnThePathIsNotFollowed) {
  REQUIRE_BPF();
  TempDir dir;
  // /tmp as it is (sticky, anyone writes), and a link another user put there.
  fs::create_directory(dir.path / "etc");
  fs::create_directory(dir.path / "tmp");
  fs::permissions(dir.path / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::create_directory_symlink(dir.path / "etc", dir.path / "tmp" / "logs");
  ASSERT_EQ(lchown((dir.path / "tmp" / "logs").c_str(), 65534, 65534), 0);
  const fs::path out = dir.path / "tmp" / "logs" / "t.json";
  Process p({binary(), "trace", "-o", out.string(), "-d", "1"});
  EXPECT_EQ(p.wait(), 8);
  EXPECT_EQ(p.err(), "tcpfsm: refusing to write to " + out.string() + ": " + (dir.path / "tmp" / "logs").string() +
                         " is a symbolic link that another user could have planted (the link is owned by uid 65534, "
                         "its directory by uid 0)\n");
  EXPECT_FALSE(fs::exists(dir.path / "etc" / "t.json"));
}

TEST(Log, SymlinkAndMissingDirectoryAreRefusedBeforeTracing) {
  REQUIRE_BPF();
  TempDir dir;
  fs::create_symlink(dir.path / "target", dir.path / "link");
  Process link({binary(), "trace", "-o", (dir.path / "link").string(), "-d", "1"});
  EXPECT_EQ(link.wait(), 8);
  EXPECT_EQ(link.err(), "tcpfsm: refusing to write to " + (dir.path / "link").string() + ": it is a symbolic link\n");
  EXPECT_FALSE(fs::exists(dir.path / "target"));

  Process missing({binary(), "trace", "-o", (dir.path / "nope/t.json").string(), "-d", "1"});
  EXPECT_EQ(missing.wait(), 8);
  EXPECT_EQ(missing.err(), "tcpfsm: cannot create " + (dir.path / "nope/t.json").string() + ": directory " +
                               (dir.path / "nope").string() + " does not exist\n");
}

TEST(Log, DevNullIsAnOutputWithNothingToSync) {
  REQUIRE_BPF();
  // fsync() on /dev/null fails with EINVAL: the end of the run is no error.
  Process p({binary(), "trace", "-o", "/dev/null", "-d", "0.5"});
  EXPECT_EQ(p.wait(), 0) << p.err();
  EXPECT_EQ(p.err().find("failed"), std::string::npos) << p.err();
}

TEST(Log, ExistingLogIsAppendedToNotTruncated) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  for (int run_no = 0; run_no < 2; ++run_no) {
    TraceRun run(trace_to(log, 21005));
    run_connections(Family::V4, 21005, 1);
    ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 12u * (run_no + 1); }));
    ASSERT_EQ(run.stop(), 0);
  }
  const auto records = parse_lines(slurp(log));
  EXPECT_EQ(count_type(records, "start"), 2u);
  EXPECT_EQ(count_type(records, "end"), 2u);
  EXPECT_EQ(count_type(records, "transition"), 24u);
  EXPECT_EQ(fs::status(log).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
}

TEST(Log, SighupReopensTheFileForLogrotate) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json", moved = dir.path / "t.json.moved";
  TraceRun run(trace_to(log, 21006));
  run_connections(Family::V4, 21006, 1);
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 12; }));
  fs::rename(log, moved);
  run.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return fs::exists(log) && count_type(live_records(log), "start") == 1; }));
  run_connections(Family::V4, 21006, 1);
  ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 12; }));
  ASSERT_EQ(run.stop(), 0);

  const auto before = parse_lines(slurp(moved)), after = parse_lines(slurp(log));
  EXPECT_EQ(before.front()["cause"], "run");
  EXPECT_EQ(count_type(before, "transition"), 12u);
  EXPECT_EQ(count_type(before, "end"), 0u);
  EXPECT_EQ(after.front()["cause"], "reopen");
  EXPECT_EQ(count_type(after, "transition"), 12u);
  EXPECT_EQ(after.back()["transitions"], 24);
  expect_schema_valid({moved, log});
}

TEST(Log, StatsRecordsCountTheRun) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  TraceRun run(trace_to(log, 21007, {"--stats-interval", "100ms"}));
  run_connections(Family::V4, 21007, 5);
  ASSERT_TRUE(wait_until([&] {
    const auto r = live_records(log);
    return count_type(r, "transition") >= 52 && !r.empty() && r.back()["type"] == "stats" &&
           r.back()["transitions"] == 52;
  }));
  ASSERT_EQ(run.stop(), 0);
  const auto records = parse_lines(slurp(log));
  std::uint64_t previous = 0;
  for (const auto& r : records) {
    if (r["type"] != "stats") continue;
    EXPECT_GE(r["transitions"].get<std::uint64_t>(), previous);
    previous = r["transitions"];
    EXPECT_GE(r["interval_ns"].get<std::uint64_t>(), 100'000'000u);
  }
  EXPECT_EQ(previous, 52u);
  expect_schema_valid({log});
}

// A 4K event buffer (ring, or with --buffer perf a page per CPU) under two
// churning threads: it overflows, and every loss is counted.
void tiny_buffer_loses_only_what_it_counts(const std::string& buffer, std::uint16_t port4, std::uint16_t port6) {
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  constexpr int kConnections = 400;
  // The kernel's own count of the churn's transitions, and of those made in
  // PID 1's context (which some kernels run no BPF program for; docs/benchmarks.md).
  const std::string p4 = std::to_string(port4), p6 = std::to_string(port6);
  const std::string ours = "sport == " + p4 + " || dport == " + p4 + " || sport == " + p6 + " || dport == " + p6;
  KernelEventCount kernel(ours), in_pid1(ours, KernelEventCount::Context::Pid1);
  TraceRun run({"-o", log.string(), "-p", p4, "-p", p6, "--ringbuf-size", "4K", "--buffer", buffer});
  std::thread a([port4] { run_connections(Family::V4, port4, kConnections); });
  std::thread b([port6] { run_connections(Family::V6, port6, kConnections); });
  a.join();
  b.join();
  ASSERT_EQ(run.stop(), 0) << run.process().err();
  const std::uint64_t fired = kernel.stop(), in_pid1_events = in_pid1.stop();

  const auto records = parse_lines(slurp(log));
  const json& end = records.back();
  ASSERT_EQ(end["type"], "end");
  std::uint64_t ringbuf = 0, recursion = 0;
  for (const auto& r : records) {
    if (r["type"] != "lost") continue;
    ringbuf += r["ringbuf"].get<std::uint64_t>();
    recursion += r["recursion"].get<std::uint64_t>();
  }
  const std::uint64_t written = count_type(records, "transition");
  std::uint64_t written_in_pid1 = 0;  // where the kernel does run programs for PID 1
  for (const auto& r : records) written_in_pid1 += r["type"] == "transition" && r["pid"] == 1;
  const std::uint64_t hidden = in_pid1_events - written_in_pid1;
  // The lost records add up to the run's totals...
  EXPECT_EQ(end["lost"]["ringbuf"], ringbuf);
  EXPECT_EQ(end["lost"]["recursion"], recursion);
  EXPECT_GT(ringbuf, 0u) << "a 4K " << buffer << " buffer should overflow under two churning threads";
  EXPECT_EQ(records.front()["buffer"], buffer);
  // ...the BPF program's own count is exactly what was read plus what it dropped...
  EXPECT_EQ(end["kernel_matched"], written + ringbuf);
  // ...and every transition the churn made, as the kernel counted them, is
  // written, counted lost, or was made where the kernel ran no program. The
  // recursion count is the whole host's, so it only bounds ours; without any,
  // the sum is exact.
  const std::uint64_t expected = 2 * (2 + 10 * kConnections);
  EXPECT_EQ(fired, expected);
  EXPECT_LE(written + ringbuf + hidden, fired);
  EXPECT_GE(written + ringbuf + hidden + recursion, fired);
  if (recursion == 0) {
    EXPECT_EQ(written + ringbuf + hidden, fired);
  }
  EXPECT_EQ(run.process().err().find("neither read nor counted lost"), std::string::npos) << run.process().err();
  if (buffer == "perf") {
    const std::string& err = run.process().err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(err, m, std::regex(R"(perf buffer full: (\d+) transitions and (\d+) reset reports )"
                                                     R"(lost \((\d+) records reported lost by the perf buffers\))")))
        << err;
    EXPECT_EQ(std::stoull(m[1].str()), ringbuf);
    EXPECT_GT(std::stoull(m[3].str()), 0u) << err;
    EXPECT_LE(std::stoull(m[3].str()), std::stoull(m[1].str()) + std::stoull(m[2].str())) << err;
  }
  // A loss may cut lifecycles short (gaps), never make an edge illegal (nor
  // may perf's per-CPU buffers, read one after the other, reorder a socket's).
  EXPECT_EQ(end["violations"]["illegal"], 0);
}

TEST(Log, TinyRingBufferLosesOnlyWhatItCounts) {
  REQUIRE_BPF();
  tiny_buffer_loses_only_what_it_counts("ring", 21010, 21011);
}

// The perf buffers' losses: counted by the program when
// bpf_perf_event_output() fails, and reported by the buffers themselves
// (PERF_RECORD_LOST) with their next record: at most as many, and some.
TEST(Log, TinyPerfBufferLosesOnlyWhatItCounts) {
  REQUIRE_BPF();
  tiny_buffer_loses_only_what_it_counts("perf", 21012, 21013);
}

TEST(Log, FullSocketMapIsCountedAndLosesNoTransition) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  constexpr int kConnections = 40;  // 81 sockets alive at once, in a map of 16
  TraceRun run({"-o", log.string(), "-p", "21012", "--attach", "tracepoint", "--socket-map-size", "16"});
  {
    Socket listener = listen_on(Family::V4, 21012);
    std::vector<Socket> clients, servers;
    for (int i = 0; i < kConnections; ++i) {
      clients.push_back(connect_to(Family::V4, 21012));
      servers.push_back(accept_from(listener));
    }
    for (int i = 0; i < kConnections; ++i) {
      clients[i].close();
      servers[i].wait_eof();
      servers[i].close();
    }
  }
  const std::size_t expected = 2 + 10 * kConnections;
  wait_until([&] { return count_type(live_records(log), "transition") >= expected; });
  ASSERT_EQ(run.stop(), 0) << run.process().err();

  const auto records = parse_lines(slurp(log));
  const json& end = records.back();
  ASSERT_EQ(end["type"], "end");
  std::uint64_t skstate = 0, first_seen = 0;
  for (const auto& r : records) {
    if (r["type"] == "lost") skstate += r["skstate"].get<std::uint64_t>();
    if (r["type"] == "transition" && r["old_ns"].is_null()) ++first_seen;
  }
  EXPECT_EQ(end["lost"]["skstate"], skstate);
  EXPECT_GT(skstate, 0u) << "81 live sockets should overflow a 16-entry map";
  // A socket without state still has every transition written, only its old_ns is unknown.
  EXPECT_EQ(count_type(records, "transition"), expected);
  EXPECT_EQ(end["kernel_matched"], expected);
  EXPECT_EQ(end["lost"]["ringbuf"], 0);
  // Beyond each of the 81 sockets' first event, ours without state show a null old_ns
  // (skstate itself counts before the port filter, so other traffic adds to it).
  EXPECT_GT(first_seen, 2u * kConnections + 1);
  EXPECT_EQ(end["violations"]["illegal"], 0);
}

// A process may name itself bytes that are not UTF-8 (prctl(PR_SET_NAME)):
// the log keeps them exactly, beside the JSON string, and check names the
// owner by them.
TEST(Log, CommThatIsNotUtf8KeepsItsBytes) {
  REQUIRE_BPF();
  TempDir dir;
  const fs::path log = dir.path / "t.json";
  constexpr std::uint16_t kPort = 21014;  // nothing listens: the connect is refused
  TraceRun run(trace_to(log, kPort));
  const char kName[] = "\xff" "bad" "\xc3";
  pid_t child_pid = 0;
  {
    HoldingChild child(kName, [] { connect_to(Family::V4, kPort); });
    child_pid = child.pid();
    ASSERT_TRUE(wait_until([&] { return count_type(live_records(log), "transition") >= 2; }));
  }
  ASSERT_EQ(run.stop(), 0) << run.process().err();
  const auto records = parse_lines(slurp(log));
  const auto connect = std::find_if(records.begin(), records.end(), [](const json& r) {
    return r["type"] == "transition" && r["old"] == "CLOSE" && r["new"] == "SYN_SENT";
  });
  ASSERT_NE(connect, records.end()) << slurp(log);
  const json& r = *connect;
  EXPECT_EQ(r["pid"], child_pid);
  EXPECT_EQ(r["comm"], "\xef\xbf\xbd" "bad" "\xef\xbf\xbd");  // U+FFFD for each byte that is not UTF-8
  EXPECT_EQ(r["comm_bytes"], "ff626164c3");
  EXPECT_EQ(r["owner_pid"], child_pid);
  EXPECT_EQ(r["owner_comm_bytes"], "ff626164c3");
  expect_schema_valid({log});

  Process check({binary(), "check", log.string()});
  EXPECT_EQ(check.wait(), 0) << check.err();
  EXPECT_NE(check.out().find("  refusals 1\n    owner      \\xffbad\\xc3[" + std::to_string(child_pid) + "] 1\n"),
            std::string::npos)
      << check.out();
}

}  // namespace
}  // namespace tcpfsm::itest
