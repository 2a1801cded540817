// trace's run loop (run_trace) on a replay of records made by hand, without
// privilege: the same Session, pipeline and sinks as on the BPF program's
// events. Every run ends by its count, its duration or its view, never by a
// signal.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/netns.h"
#include "metrics/exposition.h"
#include "support/json_lines_sink.h"
#include "support/kernel_records.h"
#include "support/replay_source.h"
#include "support/temp_dir.h"
#include "top/view_model.h"
#include "trace/trace.h"
#include "trace/trace_metrics.h"

using namespace tcpfsm;
using namespace tcpfsm::test;
using json = nlohmann::ordered_json;

namespace {

constexpr int kEstablished = 1, kSynSent = 2, kSynRecv = 3, kFinWait2 = 5, kClose = 7, kCloseWait = 8,
              kListen = 10;
constexpr std::uint64_t kStart = 1'000'000'000;  // 1 s after boot: any machine has been up that long
constexpr std::uint32_t kNetns = 4026531840;      // a made-up namespace no cross-check could reach
constexpr std::uint64_t kClient = 0x7f00000000000001, kChild = 0x7f00000000000002, kOdd = 0x7f00000000000003,
                        kRefused = 0x7f00000000000004;

tcpfsm_event event(std::uint64_t cookie, int old_state, int new_state, std::uint64_t at_us, std::uint16_t lport,
                   std::uint16_t rport, std::uint32_t netns = kNetns, std::uint8_t error = 0) {
  tcpfsm_event e = transition_record(kStart + at_us * 1000, cookie);
  e.pid = e.tid = 4242;
  e.cpu = 1;
  e.family = 2;
  e.lport = lport;
  e.rport = rport;
  e.old_state = static_cast<std::uint8_t>(old_state);
  e.new_state = static_cast<std::uint8_t>(new_state);
  e.error = error;
  e.netns = netns;
  e.laddr[0] = e.raddr[0] = 127;
  e.laddr[3] = e.raddr[3] = 1;
  std::strncpy(e.comm, "client", sizeof e.comm - 1);
  return e;
}

tcpfsm_cause rst_received(std::uint64_t cookie, int state, std::uint64_t at_us) {
  tcpfsm_cause c = cause_record(kStart + at_us * 1000, cookie);
  c.kind = TCPFSM_CAUSE_RST_RECEIVED;
  c.state = static_cast<std::uint8_t>(state);
  c.rst_reason = TCPFSM_RST_REASON_NONE;
  return c;
}

// A connection to 127.0.0.1:8080 and its accepted child, a socket first
// seen on an edge no model has, a refused connect with its reset; then, after
// two events lost to a full ring buffer, the client's end (a gap: its
// FIN_WAIT1 and FIN_WAIT2 were among them) and the child's CLOSE_WAIT.
ReplayScript known_script(std::uint32_t netns = kNetns) {
  ReplayScript s;
  ReplayBatch connect;
  connect.records = {
      event(kClient, kClose, kSynSent, 0, 0, 8080, netns),
      event(kClient, kSynSent, kEstablished, 60, 40000, 8080, netns),
      event(kChild, kListen, kSynRecv, 70, 8080, 40000, netns),
      event(kChild, kSynRecv, kEstablished, 75, 8080, 40000, netns),
      event(kOdd, kSynSent, kListen, 100, 40001, 8080, netns),
      event(kRefused, kClose, kSynSent, 200, 0, 8081, netns),
      rst_received(kRefused, kSynSent, 250),
      event(kRefused, kSynSent, kClose, 251, 40002, 8081, netns, 111 /* ECONNREFUSED */),
  };
  ReplayBatch after_loss;
  after_loss.records = {
      event(kClient, kFinWait2, kClose, 20'000, 40000, 8080, netns),
      event(kChild, kEstablished, kCloseWait, 20'010, 8080, 40000, netns),
  };
  after_loss.counted.ringbuf_full = 2;
  s.batches = {connect, after_loss};
  return s;
}
constexpr std::uint64_t kConnectEvents = 7, kAfterLossEvents = 2;

TraceOptions options(const TempDir& dir) {
  TraceOptions o;
  o.output_path = (dir.path / "trace.json").string();
  o.format = Format::Json;
  o.owners = false;  // no owner lookups: the replay's sockets belong to no one
  o.poll_interval = std::chrono::milliseconds(10);
  o.duration = std::chrono::milliseconds(150);
  return o;
}

std::vector<json> records(const std::string& text) {
  std::vector<json> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) out.push_back(json::parse(line));
  return out;
}

// The records, each with what differs from run to run (the wall clock, the
// host, the run's length) as "*".
std::vector<std::string> stable(const std::string& text) {
  std::vector<std::string> out;
  for (json r : records(text)) {
    r["ts"] = "*";
    if (r["type"] == "start") {
      for (const char* k : {"tcpfsm", "host", "kernel", "boot_id"}) r[k] = "*";
      r["clock"]["mono_to_wall_ns"] = "*";
    }
    if (r["type"] == "end") r["duration_ns"] = "*";
    out.push_back(r.dump());
  }
  return out;
}

json end_of(const std::string& text) {
  const auto r = records(text);
  return r.empty() ? json() : r.back();
}

std::size_t count_type(const std::string& text, const std::string& type) {
  std::size_t n = 0;
  for (const json& r : records(text)) n += r["type"] == type;
  return n;
}

// Whether two sinks took the same records: the same text, but for the start
// record's stamp (the log stamps it when its file begins: at the run's start,
// and again at each rotation or reopen).
void expect_same_records(const std::string& got, const std::string& log) {
  const auto cut = [](const std::string& t) { return t.substr(std::min(t.find('\n'), t.size())); };
  EXPECT_EQ(cut(got), cut(log));
  EXPECT_EQ(stable(got).at(0), stable(log).at(0));
}

TEST(RunLoop, WritesTheExactLogOfAReplay) {
  TempDir dir;
  ReplayProgress progress;
  ASSERT_EQ(run_trace(options(dir), replay(known_script(), &progress)), 0);
  EXPECT_EQ(progress.batches_out, 2u);
  EXPECT_TRUE(progress.detached);
  EXPECT_TRUE(progress.refused.empty()) << progress.refused.front();

  // Each transition checked (an edge Linux does not make is illegal; the
  // client's end after the loss is a gap the loss explains), its cause joined
  // (the reset report, before its -> CLOSE) or read off the edge; the lost
  // record before the events drained after the loss; the end with the
  // kernel's count: 9 read + 2 lost.
  const std::vector<std::string> want = {
      R"j({"type":"start","ts":"*","schema":4,"cause":"run","tcpfsm":"*","host":"*","kernel":"*","boot_id":"*","attach":"tp_btf","buffer":"ring","model":"linux","filters":{"family":"any","ports":[],"lports":[],"rports":[],"states":[],"netns":[],"cgroups":[],"pid":null},"ringbuf_bytes":8388608,"clock":{"source":"CLOCK_MONOTONIC","mono_to_wall_ns":"*"}})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000000000,"cpu":1,"cookie":9151314442816847873,"family":"ipv4","laddr":"127.0.0.1","lport":0,"raddr":"127.0.0.1","rport":8080,"old":"CLOSE","new":"SYN_SENT","old_ns":null,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"ok"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000060000,"cpu":1,"cookie":9151314442816847873,"family":"ipv4","laddr":"127.0.0.1","lport":40000,"raddr":"127.0.0.1","rport":8080,"old":"SYN_SENT","new":"ESTABLISHED","old_ns":60000,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"ok"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000070000,"cpu":1,"cookie":9151314442816847874,"family":"ipv4","laddr":"127.0.0.1","lport":8080,"raddr":"127.0.0.1","rport":40000,"old":"LISTEN","new":"SYN_RECV","old_ns":null,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"ok"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000075000,"cpu":1,"cookie":9151314442816847874,"family":"ipv4","laddr":"127.0.0.1","lport":8080,"raddr":"127.0.0.1","rport":40000,"old":"SYN_RECV","new":"ESTABLISHED","old_ns":5000,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"ok"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000100000,"cpu":1,"cookie":9151314442816847875,"family":"ipv4","laddr":"127.0.0.1","lport":40001,"raddr":"127.0.0.1","rport":8080,"old":"SYN_SENT","new":"LISTEN","old_ns":null,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"illegal","reason":"SYN_SENT -> LISTEN is not a transition Linux makes"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000200000,"cpu":1,"cookie":9151314442816847876,"family":"ipv4","laddr":"127.0.0.1","lport":0,"raddr":"127.0.0.1","rport":8081,"old":"CLOSE","new":"SYN_SENT","old_ns":null,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"verdict":"ok"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1000251000,"cpu":1,"cookie":9151314442816847876,"family":"ipv4","laddr":"127.0.0.1","lport":40002,"raddr":"127.0.0.1","rport":8081,"old":"SYN_SENT","new":"CLOSE","old_ns":51000,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"cause":"rst_received","error":"ECONNREFUSED","verdict":"ok"})j",
      R"j({"type":"lost","ts":"*","ringbuf":2,"recursion":0,"skstate":0})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1020000000,"cpu":1,"cookie":9151314442816847873,"family":"ipv4","laddr":"127.0.0.1","lport":40000,"raddr":"127.0.0.1","rport":8080,"old":"FIN_WAIT2","new":"CLOSE","old_ns":null,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"cause":"time_wait","verdict":"gap","reason":"FIN_WAIT2 -> CLOSE, but the socket last entered ESTABLISHED: events lost (reported)"})j",
      R"j({"type":"transition","ts":"*","ktime_ns":1020010000,"cpu":1,"cookie":9151314442816847874,"family":"ipv4","laddr":"127.0.0.1","lport":8080,"raddr":"127.0.0.1","rport":40000,"old":"ESTABLISHED","new":"CLOSE_WAIT","old_ns":19935000,"pid":4242,"tid":4242,"comm":"client","ino":0,"netns":4026531840,"cgroup_id":0,"cause":"fin_received","verdict":"ok"})j",
      R"j({"type":"end","ts":"*","transitions":9,"lost":{"ringbuf":2,"recursion":0,"skstate":0},"violations":{"illegal":1,"gap":1,"unknown_state":0},"sockets_tracked":2,"sockets_untracked":0,"sockets_stale":0,"crosscheck_errors":0,"owners_unresolved":0,"causes_lost":0,"causes_late":0,"log_open_failures":0,"journal_not_sent":0,"kernel_matched":11,"duration_ns":"*","reason":"duration"})j",
  };
  const std::string log = slurp(dir.path / "trace.json");
  EXPECT_EQ(stable(log), want);

  const json end = end_of(log);
  EXPECT_EQ(end["kernel_matched"], kConnectEvents + kAfterLossEvents + 2);  // read + lost
  EXPECT_GE(end["duration_ns"].get<std::uint64_t>(), 150'000'000u);
}

TEST(RunLoop, EndsAtTheCountHavingReadWhatItDrained) {
  TempDir dir;
  TraceOptions o = options(dir);
  o.count = 3;
  o.duration = std::chrono::seconds(5);  // never reached: the count ends the run
  ReplayScript script = known_script();
  script.mode = AttachMode::Tracepoint;  // the start record says what the source is
  script.buffer = BufferMode::Perf;
  script.socket_keys = true;
  ReplayProgress progress;
  ASSERT_EQ(run_trace(o, replay(script, &progress)), 0);
  // The first batch had the count: the run ended after it, and the second
  // was never made readable.
  EXPECT_EQ(progress.batches_out, 1u);
  EXPECT_TRUE(progress.detached);

  const std::string log = slurp(dir.path / "trace.json");
  const auto r = records(log);
  ASSERT_EQ(r.size(), 5u) << log;  // start, 3 transitions, end
  EXPECT_EQ(r[0]["attach"], "tracepoint");
  EXPECT_EQ(r[0]["buffer"], "perf");
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(r[i]["type"], "transition");
  const json& end = r.back();
  EXPECT_EQ(end["reason"], "count");
  EXPECT_EQ(end["transitions"], 3);
  // Read exceeds written only with a count: every event drained was read.
  EXPECT_EQ(end["kernel_matched"], kConnectEvents);
  EXPECT_EQ(end["lost"]["ringbuf"], 0);
  EXPECT_LT(end["duration_ns"].get<std::uint64_t>(), 5'000'000'000u);
}

// Left open in this process's own namespace, where sock_diag answers
// without privilege: a client, its child and the odd listener, cookies no
// kernel socket has. A cross-check would find none of them.
ReplayScript left_open(bool losses) {
  ReplayScript s = known_script(own_netns());
  s.batches.resize(1);
  auto& records = s.batches[0].records;
  records.resize(5);  // up to the odd listener; the refused connect is not in the table
  if (losses) {
    ReplayBatch lost;  // nothing read, two lost
    lost.counted.ringbuf_full = 2;
    s.batches.push_back(lost);
  }
  return s;
}

// Long enough for a cross-check to come due (every 2 s after losses).
constexpr auto kPastCrossCheck = std::chrono::milliseconds(2400);

TEST(RunLoop, NoCrossCheckWithoutLosses) {
  TempDir dir;
  TraceOptions o = options(dir);
  o.duration = kPastCrossCheck;
  ASSERT_EQ(run_trace(o, replay(left_open(false))), 0);
  const json end = end_of(slurp(dir.path / "trace.json"));
  EXPECT_EQ(end["reason"], "duration");
  // Every -> CLOSE arrived: the table is exact, and the kernel is not asked.
  EXPECT_EQ(end["sockets_tracked"], 3);
  EXPECT_EQ(end["sockets_stale"], 0);
  EXPECT_EQ(end["crosscheck_errors"], 0);
}

TEST(RunLoop, CrossChecksAfterLosses) {
  TempDir dir;
  TraceOptions o = options(dir);
  o.duration = kPastCrossCheck;
  ASSERT_EQ(run_trace(o, replay(left_open(true))), 0);
  const std::string log = slurp(dir.path / "trace.json");
  const json end = end_of(log);
  EXPECT_EQ(end["reason"], "duration");
  EXPECT_EQ(count_type(log, "lost"), 1u);
  EXPECT_EQ(end["lost"]["ringbuf"], 2);
  ASSERT_EQ(end["crosscheck_errors"], 0) << "sock_diag did not answer in this namespace";
  // The kernel has none of them: each one's CLOSE may have been lost.
  EXPECT_EQ(end["sockets_stale"], 3);
  EXPECT_EQ(end["sockets_tracked"], 0);
}

// top's view on the run: its sink takes the records the log takes.
class RecordingView final : public TraceView {
 public:
  explicit RecordingView(int quit_at = 0) : quit_at_(quit_at) {
    sinks_.add(json_);
    sinks_.add(model_);
  }
  Sink& sink() override { return sinks_; }
  void begin(bool socket_keys, std::shared_ptr<SocketFiles>) override {
    began = true;
    keys = socket_keys;
  }
  bool poll() override { return ++polls != quit_at_; }

  JsonLinesSink json_;
  top::TopModel model_{10};
  bool began = false, keys = true;
  int polls = 0;

 private:
  int quit_at_;
  Tee sinks_;
};

TEST(RunLoop, TheViewTakesTheRecordsTheLogTakes) {
  TempDir dir;
  RecordingView view;
  ReplayProgress progress;
  ASSERT_EQ(run_trace(options(dir), replay(known_script(), &progress), &view), 0);
  EXPECT_TRUE(view.began);
  EXPECT_FALSE(view.keys);
  EXPECT_EQ(static_cast<std::size_t>(view.polls), progress.waits);  // once per poll

  // top -o FILE: the view takes the records the log takes.
  const std::string log = slurp(dir.path / "trace.json");
  expect_same_records(view.json_.out, log);
  EXPECT_EQ(count_type(log, "transition"), 9u);

  view.model_.close_interval(std::chrono::seconds(1));
  EXPECT_EQ(view.model_.attach(), "tp_btf");
  EXPECT_EQ(view.model_.edges().total(), 9u);
  EXPECT_EQ(view.model_.verdicts().total(VerdictKind::Ok), 7u);
  EXPECT_EQ(view.model_.verdicts().total(VerdictKind::Illegal), 1u);
  EXPECT_EQ(view.model_.verdicts().total(VerdictKind::Gap), 1u);
  EXPECT_EQ(view.model_.losses().total(top::LossKind::Ringbuf), 2u);
}

TEST(RunLoop, TheViewQuittingEndsTheRunCleanly) {
  TempDir dir;
  TraceOptions o = options(dir);
  o.duration = std::chrono::seconds(5);  // never reached: the view quits first
  RecordingView view(/*quit_at=*/1);
  ReplayProgress progress;
  ASSERT_EQ(run_trace(o, replay(known_script(), &progress), &view), 0);
  EXPECT_EQ(view.polls, 1);
  EXPECT_EQ(progress.batches_out, 1u);
  EXPECT_TRUE(progress.detached);
  const std::string log = slurp(dir.path / "trace.json");
  const json end = end_of(log);
  EXPECT_EQ(end["reason"], "quit");
  EXPECT_EQ(end["transitions"], kConnectEvents);
  EXPECT_EQ(end["kernel_matched"], kConnectEvents);
  expect_same_records(view.json_.out, log);
}

// A sink made for a run (TraceOptions::sinks) that hands each record on to
// one the test keeps past the run.
class Forward final : public Sink {
 public:
  explicit Forward(Sink& to) : to_(to) {}
  void start(const StartInfo& s) override { to_.start(s); }
  void transition(const Transition& t, const Verdict& v) override { to_.transition(t, v); }
  void lost(std::uint64_t wall_ns, const Losses& l) override { to_.lost(wall_ns, l); }
  void stats(const StatsInfo& s) override { to_.stats(s); }
  void end(const EndInfo& e) override { to_.end(e); }

 private:
  Sink& to_;
};

// The sinks registered in TraceOptions::sinks (as --journal is): the
// records the log takes, in the same order; the metrics' counts from them.
TEST(RunLoop, MoreSinksTakeTheSameRecords) {
  TempDir dir;
  TraceOptions o = options(dir);
  JsonLinesSink more;
  TraceMetrics metrics(socket_gauges_options(o, false, nullptr));
  o.sinks.push_back([&more] { return std::make_unique<Forward>(more); });
  o.sinks.push_back([&metrics] { return std::make_unique<Forward>(metrics); });
  ASSERT_EQ(run_trace(o, replay(known_script())), 0);
  expect_same_records(more.out, slurp(dir.path / "trace.json"));

  metrics.publish({});
  const std::string text = metrics.render(ExpositionFormat::Prometheus, {});
  for (const char* line : {R"(tcpfsm_transitions_total{old="CLOSE",new="SYN_SENT"} 2)",
                           R"(tcpfsm_transitions_total{old="SYN_SENT",new="LISTEN"} 1)",
                           R"(tcpfsm_transitions_total{old="FIN_WAIT2",new="CLOSE"} 1)",
                           R"(tcpfsm_transitions_total{old="ESTABLISHED",new="CLOSE_WAIT"} 1)"})
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
}

// A sink that delivers nothing it is handed, as --journal without journald.
class Undelivered final : public Sink {
 public:
  void start(const StartInfo&) override { ++handed_; }
  void transition(const Transition&, const Verdict&) override { ++handed_; }
  void lost(std::uint64_t, const Losses&) override { ++handed_; }
  void stats(const StatsInfo&) override { ++handed_; }
  void end(const EndInfo&) override { ++handed_; }
  std::uint64_t not_sent() const override { return handed_; }

 private:
  std::uint64_t handed_ = 0;
};

// What a sink of TraceOptions::sinks could not deliver is in the run's
// totals (journal_not_sent): the end record counts the records before it.
TEST(RunLoop, TheEndCountsTheRecordsASinkDidNotDeliver) {
  TempDir dir;
  TraceOptions o = options(dir);
  o.sinks.push_back([] { return std::make_unique<Undelivered>(); });
  ASSERT_EQ(run_trace(o, replay(known_script())), 0);
  const json end = end_of(slurp(dir.path / "trace.json"));
  EXPECT_EQ(end["journal_not_sent"], 1 + kConnectEvents + 1 + kAfterLossEvents) << end.dump();  // start, lost
}

}  // namespace
