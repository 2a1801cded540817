// The trace pipeline on events made by hand: lifecycle ids, old_ns, the one
// socket table, its bound, and stale sockets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "kernel/rst_reasons.h"
#include "model/states.h"
#include "pipeline/crosscheck.h"
#include "pipeline/pipeline.h"
#include "support/fake_proc.h"
#include "support/fake_socket_files.h"
#include "support/json_lines_sink.h"
#include "support/kernel_records.h"

using namespace tcpfsm;
using nlohmann::json;

namespace {

constexpr int kClose = 7, kSynSent = 2, kEstablished = 1, kFinWait1 = 4, kFinWait2 = 5, kListen = 10,
              kSynRecv = 3, kCloseWait = 8, kLastAck = 9;

tcpfsm_event event(std::uint64_t cookie, int old_state, int new_state, std::uint64_t ktime_ns,
                   std::uint16_t lport = 40000, std::uint32_t ino = 0, std::uint32_t pid = 0,
                   const char* comm = "client") {
  tcpfsm_event e = test::transition_record(ktime_ns, cookie);
  e.ino = ino;
  e.pid = e.tid = pid;
  e.family = 2;
  e.lport = lport;
  e.rport = 8080;
  e.old_state = static_cast<std::uint8_t>(old_state);
  e.new_state = static_cast<std::uint8_t>(new_state);
  e.laddr[0] = e.raddr[0] = 127;
  e.laddr[3] = e.raddr[3] = 1;
  std::strncpy(e.comm, comm, sizeof e.comm - 1);
  return e;
}

tcpfsm_cause reset(std::uint64_t cookie, std::uint8_t kind, int state, std::uint64_t ktime_ns,
                   std::uint32_t reason = TCPFSM_RST_REASON_NONE) {
  tcpfsm_cause c = test::cause_record(ktime_ns, cookie);
  c.kind = kind;
  c.state = static_cast<std::uint8_t>(state);
  c.rst_reason = reason;
  return c;
}

const RstReasons kReasons({{2, "SK_RST_REASON_TCP_ABORT_ON_DATA"}, {11, "SK_RST_REASON_TCP_ABORT_ON_CLOSE"}});

struct Feed {
  explicit Feed(bool keys, std::size_t max_sockets = 1000, const std::string& proc_root = "",
                std::shared_ptr<SocketFiles> files = nullptr) {
    PipelineOptions o;
    o.owners = !proc_root.empty();
    o.owner_cache.proc_root = proc_root;
    o.socket_files = std::move(files);
    o.table = {max_sockets, keys};
    o.rst_reasons = &kReasons;
    pipeline.emplace(o, sink);
  }
  // The records written for these events, as JSON (last: none held back).
  std::vector<json> feed(const std::vector<tcpfsm_event>& events, bool last = false) {
    for (const auto& e : events) pipeline->on_event(e);
    pipeline->write_batch(last);
    std::vector<json> records;
    std::istringstream lines(sink.out);
    sink.out.clear();
    for (std::string line; std::getline(lines, line);) records.push_back(json::parse(line));
    return records;
  }
  test::JsonLinesSink sink;
  std::optional<Pipeline> pipeline;
};

}  // namespace

TEST(Pipeline, OldNsFromConsecutiveEventsOfASocket) {
  Feed run(false);
  auto r = run.feed({event(1, kClose, kSynSent, 1000), event(2, kClose, kListen, 1100),
                     event(1, kSynSent, kEstablished, 1500), event(1, kEstablished, kFinWait1, 1600),
                     event(2, kListen, kClose, 9100)});
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(r[0]["old_ns"].is_null());  // first seen
  EXPECT_TRUE(r[1]["old_ns"].is_null());
  EXPECT_EQ(r[2]["old_ns"], 500);  // SYN_SENT lasted 500 ns
  EXPECT_EQ(r[3]["old_ns"], 100);
  EXPECT_EQ(r[4]["old_ns"], 8000);
  EXPECT_EQ(run.pipeline->totals().sockets.tracked, 1u);  // -> CLOSE removed socket 2
  // Socket 2 starts over (listen again): a new lifecycle, no time in CLOSE.
  r = run.feed({event(2, kClose, kListen, 9200)});
  EXPECT_TRUE(r[0]["old_ns"].is_null());
  EXPECT_EQ(r[0]["cookie"], 2);  // a socket cookie is the lifecycle's id as it is
}

// A connection's end as the kernel writes it without per-socket state:
// counters, no birth, no role.
tcpfsm_close end_of(std::uint64_t cookie, int old_state, std::uint64_t ktime_ns, std::uint64_t rx, std::uint64_t tx) {
  tcpfsm_close c = test::close_record(ktime_ns, cookie);
  c.event = event(cookie, old_state, kClose, ktime_ns);
  c.event.record = TCPFSM_RECORD_CLOSE;
  c.life.rx_bytes = rx;
  c.life.tx_bytes = tx;
  return c;
}

TEST(Pipeline, ALifesDurationAndRoleComeFromTheStartThisRunSaw) {
  Feed run(false);
  run.feed({event(1, kClose, kSynSent, 1000), event(1, kSynSent, kEstablished, 1500),
            event(1, kEstablished, kFinWait1, 1600), event(1, kFinWait1, kFinWait2, 1700),
            event(2, kListen, kSynRecv, 2000), event(2, kSynRecv, kEstablished, 2100),
            event(2, kEstablished, kCloseWait, 2200), event(2, kCloseWait, kLastAck, 2300)});
  const tcpfsm_close client = end_of(1, kFinWait2, 9000, 300, 1000), server = end_of(2, kLastAck, 9500, 1000, 300);
  // A socket this run first saw established: its start is not known.
  const tcpfsm_close earlier = end_of(3, kLastAck, 9600, 5, 6);
  run.pipeline->on_event(event(3, kCloseWait, kLastAck, 9550));
  run.pipeline->on_event(client.event, &client.life);
  run.pipeline->on_event(server.event, &server.life);
  run.pipeline->on_event(earlier.event, &earlier.life);
  const auto r = run.feed({}, /*last=*/true);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[1]["life"]["role"], "client");
  EXPECT_EQ(r[1]["life"]["duration_ns"], 8000);  // from connect()
  EXPECT_EQ(r[1]["life"]["rx_bytes"], 300);
  EXPECT_EQ(r[1]["life"]["tx_bytes"], 1000);
  EXPECT_EQ(r[2]["life"]["role"], "server");
  EXPECT_EQ(r[2]["life"]["duration_ns"], 7500);  // from the SYN that made the child
  EXPECT_EQ(r[3]["life"]["role"], "unknown");
  EXPECT_TRUE(r[3]["life"]["duration_ns"].is_null());
  EXPECT_EQ(r[3]["life"]["tx_bytes"], 6);
  EXPECT_FALSE(r[0].contains("life"));  // not an end
}

TEST(PipelineCauses, AResetBeforeItsTransitionAndTheSocketsErrorExplainIt) {
  Feed run(false);
  run.feed({event(1, kClose, kSynSent, 1000), event(1, kSynSent, kEstablished, 1100)});
  run.pipeline->on_cause(reset(1, TCPFSM_CAUSE_RST_RECEIVED, kEstablished, 2000));
  tcpfsm_event end = event(1, kEstablished, kClose, 2100);
  end.error = ECONNRESET;
  const auto r = run.feed({end});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["cause"], "rst_received");
  EXPECT_EQ(r[0]["error"], "ECONNRESET");
  EXPECT_FALSE(r[0].contains("rst_reason"));
}

TEST(PipelineCauses, AYoungCloseWaitsForAResetReportedAfterIt) {
  Feed run(false);
  const std::uint64_t now = mono_now_ns();
  // The close and the record after it wait: the reset may still come.
  auto r = run.feed({event(1, kClose, kSynSent, now), event(1, kSynSent, kEstablished, now + 10),
                     event(1, kEstablished, kClose, now + 20), event(2, kClose, kSynSent, now + 30)});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1]["new"], "ESTABLISHED");
  EXPECT_FALSE(r[1].contains("cause"));
  run.pipeline->on_cause(reset(1, TCPFSM_CAUSE_RST_SENT, kClose, now + 25, 11));
  r = run.feed({}, true);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["new"], "CLOSE");
  EXPECT_EQ(r[0]["cause"], "rst_sent");
  EXPECT_EQ(r[0]["rst_reason"], "TCP_ABORT_ON_CLOSE");
  EXPECT_EQ(r[1]["cookie"], 2);
  EXPECT_EQ(run.pipeline->totals().causes_late, 0u);
}

// Data after close(): the kernel reports a reset received (tcp_reset() on
// the local abort) before the CLOSE and the reset it sends after it. The one
// sent is the cause, with its reason where the kernel gives one (6.10+).
TEST(PipelineCauses, AnAbortOnDataIsTheResetSentThoughOneWasReportedReceived) {
  for (const std::uint32_t reason : {2u, TCPFSM_RST_REASON_NONE}) {
    SCOPED_TRACE(reason);
    Feed run(false);
    const std::uint64_t now = mono_now_ns();
    run.feed({event(1, kClose, kSynSent, now), event(1, kSynSent, kEstablished, now + 10),
              event(1, kEstablished, kFinWait1, now + 20)});
    run.pipeline->on_cause(reset(1, TCPFSM_CAUSE_RST_RECEIVED, kFinWait1, now + 30));
    tcpfsm_event end = event(1, kFinWait1, kClose, now + 31);
    end.error = ECONNRESET;
    run.feed({end});
    run.pipeline->on_cause(reset(1, TCPFSM_CAUSE_RST_SENT, kClose, now + 32, reason));
    const auto r = run.feed({}, true);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0]["cause"], "rst_sent");
    EXPECT_EQ(r[0]["error"], "ECONNRESET");
    EXPECT_EQ(r[0].value("rst_reason", ""), reason == 2 ? "TCP_ABORT_ON_DATA" : "");
  }
}

TEST(PipelineCauses, AnOldCloseGoesAtOnceAndAResetTooLateForItIsCounted) {
  Feed run(false);
  auto r = run.feed({event(1, kClose, kSynSent, 1000), event(1, kSynSent, kEstablished, 1100),
                     event(1, kEstablished, kClose, 1200)});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_FALSE(r[2].contains("cause"));  // ESTABLISHED -> CLOSE with nothing reported
  run.pipeline->on_cause(reset(1, TCPFSM_CAUSE_RST_SENT, kClose, 1300));
  EXPECT_EQ(run.pipeline->totals().causes_late, 1u);
}

TEST(Pipeline, AGapMakesTheTimeUnknownThenItRunsAgain) {
  Feed run(false);
  auto r = run.feed({event(1, kClose, kSynSent, 1000), event(1, kEstablished, kFinWait1, 5000),
                     event(1, kFinWait1, kFinWait2, 5200)});
  EXPECT_EQ(r[1]["verdict"], "gap");
  EXPECT_TRUE(r[1]["old_ns"].is_null());
  EXPECT_EQ(r[2]["old_ns"], 200);
}

TEST(Pipeline, SocketKeysBecomeSmallLifecycleIds) {
  Feed run(true);
  const std::uint64_t key_a = 0xffff8881'2345'6780ULL, key_b = 0xffff8881'2345'6f00ULL;
  auto r = run.feed({event(key_a, kClose, kSynSent, 1000), event(key_b, kClose, kListen, 1100),
                     event(key_a, kSynSent, kEstablished, 1200), event(key_a, kEstablished, kClose, 1300),
                     // key_a's address is reused by a new socket: a new lifecycle
                     event(key_a, kClose, kSynSent, 1400)});
  std::vector<std::uint64_t> ids;
  for (const auto& rec : r) ids.push_back(rec["cookie"]);
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{1, 2, 1, 1, 3}));
  for (const auto& rec : r) EXPECT_EQ(rec["verdict"], "ok");
}

TEST(Pipeline, ALifecycleStartAtAKnownKeyReplacesTheStaleSocket) {
  Feed run(true);
  const std::uint64_t key = 0xffff8881'0000'1000ULL;
  // The first socket's -> CLOSE was lost; a new socket at its address connects.
  auto r = run.feed({event(key, kClose, kSynSent, 1000), event(key, kSynSent, kEstablished, 1100),
                     event(key, kClose, kSynSent, 5000), event(key, kSynSent, kEstablished, 5300)});
  EXPECT_EQ(r[2]["cookie"], 2);
  EXPECT_EQ(r[2]["verdict"], "ok");  // another socket: no gap
  EXPECT_TRUE(r[2]["old_ns"].is_null());  // and not the old socket's time
  EXPECT_EQ(r[3]["old_ns"], 300);
  const auto t = run.pipeline->totals();
  EXPECT_EQ(t.sockets.stale, 1u);
  EXPECT_EQ(t.sockets.tracked, 1u);
}

TEST(Pipeline, AFullTableCountsWhatItCannotTrack) {
  Feed run(true, 2);
  auto r = run.feed({event(10, kClose, kSynSent, 1000), event(20, kClose, kSynSent, 1100),
                     event(30, kClose, kSynSent, 1200), event(30, kSynSent, kEstablished, 1300),
                     event(10, kSynSent, kEstablished, 1400)});
  ASSERT_EQ(r.size(), 5u);  // every transition is written
  // Socket 30 is not tracked: each of its events is a lifecycle of its own.
  EXPECT_EQ(r[2]["cookie"], 3);
  EXPECT_EQ(r[3]["cookie"], 4);
  EXPECT_EQ(r[4]["cookie"], 1);
  EXPECT_EQ(r[4]["old_ns"], 400);
  const auto t = run.pipeline->totals();
  EXPECT_EQ(t.sockets.tracked, 2u);
  EXPECT_EQ(t.sockets.untracked, 2u);
}

TEST(Pipeline, AnAbortsRepeatedCloseLeavesNothingBehind) {
  Feed run(false);
  run.feed({event(5, kClose, kListen, 1000), event(5, kListen, kClose, 1100), event(5, kClose, kClose, 1200)});
  EXPECT_EQ(run.pipeline->totals().sockets.tracked, 0u);
}

TEST(Pipeline, ChildSocketsOfAListenerAreLifecyclesOfTheirOwn) {
  Feed run(true);
  auto r = run.feed({event(100, kClose, kListen, 1000, 8080), event(200, kListen, kSynRecv, 2000, 8080),
                     event(200, kSynRecv, kEstablished, 2100, 8080), event(200, kEstablished, kCloseWait, 2500, 8080)});
  EXPECT_EQ(r[1]["cookie"], 2);
  EXPECT_EQ(r[3]["old_ns"], 400);
  EXPECT_EQ(run.pipeline->totals().sockets.tracked, 2u);
}

TEST(Pipeline, CountWritesThatManyTransitions) {
  test::JsonLinesSink sink;
  const std::string& out = sink.out;
  PipelineOptions o;
  o.owners = false;
  o.count = 2;
  Pipeline p(o, sink);
  for (int i = 0; i < 5; ++i) p.on_event(event(1 + i, kClose, kSynSent, 1000));
  EXPECT_FALSE(p.full());
  p.write_batch();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_TRUE(p.full());
  p.on_event(event(9, kClose, kSynSent, 2000));  // read and dropped
  p.write_batch();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_EQ(p.totals().transitions, 2u);
}

TEST(CrossCheck, RemovesOnlyOldRecordsTheKernelDoesNotHave) {
  SocketTable table({100, false}, nullptr);
  for (std::uint64_t cookie : {1, 2, 3}) {
    SocketRecord* r = table.find_or_add(cookie, true);
    r->netns = 7;
    r->last_ktime_ns = cookie == 3 ? 5000 : 1000;
  }
  table.find_or_add(4, true)->netns = 8;  // a namespace that could not be asked
  CrossCheck check;
  CrossCheck::Snapshot snap;
  snap.ktime_ns = 2000;
  snap.live[7] = {1};  // 2 is gone; 3 is newer than the snapshot
  EXPECT_EQ(check.apply(snap, table), 1u);
  EXPECT_EQ(table.find(2), nullptr);
  EXPECT_NE(table.find(1), nullptr);
  EXPECT_NE(table.find(3), nullptr);
  EXPECT_NE(table.find(4), nullptr);
  EXPECT_EQ(table.stats().stale, 1u);
}

TEST(CrossCheck, ANamespacePresumedGoneTakesItsIdleSocketsWithIt) {
  SocketTable table({100, false}, nullptr);
  const std::uint64_t now = 10 * CrossCheck::kGoneAfterNs;
  table.find_or_add(1, true)->last_ktime_ns = now - CrossCheck::kGoneAfterNs - 1;
  table.find_or_add(2, true)->last_ktime_ns = now - 1000;  // an event since: it was reachable then
  for (std::uint64_t c : {1, 2}) table.find(c)->netns = 9;
  CrossCheck::Snapshot snap;
  snap.ktime_ns = now;
  snap.gone = {9};
  EXPECT_EQ(CrossCheck().apply(snap, table), 1u);
  EXPECT_EQ(table.find(1), nullptr);
  EXPECT_NE(table.find(2), nullptr);
}

// Without the iterator: owners are found after the drain, from listen()'s
// caller, or in /proc in the task on the CPU or the owner of the listener on
// the local port, once per socket: later records take the owner from the
// socket's record without another scan.
TEST(PipelineOwners, FoundOncePerSocketFromTheTaskOrTheListenersOwner) {
  FakeProc proc;
  proc.process(4242, "server", std::string("server\0--port\0" "8080", 19));
  proc.fd(4242, 3, "socket:[777]");  // the listener
  proc.fd(4242, 4, "socket:[888]");  // an accepted connection
  proc.process(99, "bystander", "bystander");
  Feed run(false, 1000, proc.root());
  auto r = run.feed({event(1, kClose, kListen, 1000, 8080, 777, 4242, "server"),
                     // the child, in softirq context: the task on the CPU is someone else
                     event(2, kListen, kSynRecv, 2000, 8080, 0, 99), event(2, kSynRecv, kEstablished, 2100, 8080, 0, 99),
                     event(2, kEstablished, kCloseWait, 3000, 8080, 888, 99)});
  EXPECT_EQ(r[0]["owner_pid"], 4242);
  EXPECT_EQ(r[0]["owner_comm"], "server");
  EXPECT_FALSE(r[1].contains("owner_pid"));  // not accepted: named only with the iterator
  EXPECT_EQ(r[3]["owner_pid"], 4242);       // found through the listener's owner
  const auto scans = run.pipeline->owners().stats().process_scans;
  r = run.feed({event(2, kCloseWait, kLastAck, 4000, 8080, 888, 4242, "server"),
                event(1, kListen, kClose, 5000, 8080, 777, 4242, "server")});
  EXPECT_EQ(r[0]["owner_pid"], 4242);
  EXPECT_EQ(r[1]["owner_pid"], 4242);
  EXPECT_EQ(run.pipeline->owners().stats().process_scans, scans);  // known: no scan
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 0u);
}

TEST(PipelineOwners, ASocketNobodyHoldsIsCountedUnresolved) {
  FakeProc proc;
  proc.process(4242, "client", "client");
  Feed run(false, 1000, proc.root());
  auto r = run.feed({event(1, kSynSent, kEstablished, 1000, 0, 555, 4242)});
  EXPECT_FALSE(r[0].contains("owner_pid"));
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 1u);
}

// A short connection of a process gone before its events are read: every
// record with a file has the owner that called connect(), without /proc.
TEST(PipelineOwners, AShortConnectionsRecordsWithAFileAllHaveTheOwnerThatConnected) {
  FakeProc proc;  // empty: the process is gone
  Feed run(false, 1000, proc.root());
  auto r = run.feed({event(1, kClose, kSynSent, 1000, 0, 51, 4242), event(1, kSynSent, kEstablished, 1100, 40000, 51, 99),
                     event(1, kEstablished, kFinWait1, 1200, 40000, 51, 4242)});
  r.push_back(run.feed({event(1, kFinWait1, kFinWait2, 1300, 40000, 0, 99)})[0]);  // a later batch; orphaned
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r[i]["owner_pid"], 4242) << r[i].dump();
    EXPECT_EQ(r[i]["owner_comm"], "client") << r[i].dump();
  }
  EXPECT_FALSE(r[3].contains("owner_pid"));  // orphaned by close(): nobody holds it
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 0u);
  EXPECT_EQ(run.pipeline->owners().stats().process_scans + run.pipeline->owners().stats().walks, 0u);
}

// A listener opened and closed between two polls, its close held with a
// young -> CLOSE of another socket: the owner claimed at listen() still names
// it after the next poll's tick (the process has closed it: nothing could be
// looked up by then). caps_test's short server hit this now and then.
TEST(PipelineOwners, AListenersHeldCloseKeepsTheOwnerThatListenedAcrossATick) {
  FakeProc proc;  // empty: the process is gone
  Feed run(false, 1000, proc.root());
  const std::uint64_t now = mono_now_ns();
  auto r = run.feed({event(1, kClose, kListen, now, 8080, 61, 4242, "server"),
                     event(2, kLastAck, kClose, now + 1, 40000, 0, 99),  // young: holds what follows
                     event(1, kListen, kClose, now + 2, 8080, 61, 4242, "server")});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]["owner_pid"], 4242);
  run.pipeline->tick(std::chrono::steady_clock::now());  // the next poll
  const auto held = run.feed({}, /*last=*/true);
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[1]["old"], "LISTEN");
  EXPECT_EQ(held[1].value("owner_pid", 0), 4242) << held[1].dump();
  EXPECT_EQ(held[1].value("owner_comm", ""), "server") << held[1].dump();
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 0u);
}

// A child's owner is its listener's until accept(), then its holder's (a
// worker that accepted it), found by the iterator; once orphaned, nobody.
TEST(PipelineOwners, AChildBelongsToItsListenersOwnerUntilAccepted) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  const int self = getpid();
  files->listen(700, self, 3, "server", 0, "0.0.0.0", 8080);
  files->hold(888, 5555, 4, "worker");
  Feed run(false, 1000, proc.root(), files);
  const std::uint64_t now = mono_now_ns();
  auto r = run.feed({event(2, kListen, kSynRecv, now, 8080, 0, 99), event(2, kSynRecv, kEstablished, now + 1, 8080, 0, 99),
                     event(2, kEstablished, kCloseWait, now + 2, 8080, 888, 99),
                     event(2, kCloseWait, kLastAck, now + 3, 8080, 888, 5555),
                     event(2, kLastAck, kClose, now + 4, 8080, 0, 99)},
                    /*last=*/true);  // the young -> CLOSE would wait for a reset report
  ASSERT_EQ(r.size(), 5u);
  for (int i : {0, 1}) {
    EXPECT_EQ(r[i]["owner_pid"], self) << r[i].dump();
    EXPECT_EQ(r[i]["owner_comm"], "server") << r[i].dump();
  }
  for (int i : {2, 3}) {
    EXPECT_EQ(r[i]["owner_pid"], 5555) << r[i].dump();
    EXPECT_EQ(r[i]["owner_comm"], "worker") << r[i].dump();
  }
  EXPECT_FALSE(r[4].contains("owner_pid"));
  EXPECT_EQ(files->holding_calls, 1);
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 0u);
}

// Accepted and closed before its first record with a file is read: named
// after the process accept() returned it to.
TEST(PipelineOwners, AnAcceptedSocketClosedBeforeItIsReadIsItsAcceptors) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->listen(700, getpid(), 3, "server", 0, "0.0.0.0", 8080);
  files->accept(889, 5556, 7, "worker");
  Feed run(false, 1000, proc.root(), files);
  const std::uint64_t now = mono_now_ns();
  auto r = run.feed({event(3, kListen, kSynRecv, now, 8080, 0, 99), event(3, kSynRecv, kEstablished, now + 1, 8080, 0, 99),
                     event(3, kEstablished, kFinWait1, now + 2, 8080, 889, 5556),
                     event(3, kFinWait1, kFinWait2, now + 3, 8080, 0, 99)});
  EXPECT_EQ(r[2]["owner_pid"], 5556) << r[2].dump();
  EXPECT_EQ(r[2]["owner_comm"], "worker") << r[2].dump();
  EXPECT_FALSE(r[3].contains("owner_pid"));
  EXPECT_EQ(files->holding_calls, 0);
  EXPECT_EQ(run.pipeline->totals().sockets.owners_unresolved, 0u);
}

TEST(Pipeline, UnderAStateFilterASocketsNextVisitStartsOverWithoutAGap) {
  test::JsonLinesSink sink;
  const std::string& out = sink.out;
  PipelineOptions o;
  o.owners = false;
  o.partial_sockets = true;
  o.kernel_time = true;
  Pipeline p(o, sink);
  // --state CLOSE_WAIT: in, out; reconnected later: in again.
  p.on_event(event(1, kEstablished, kCloseWait, 1000));
  p.on_event(event(1, kCloseWait, kLastAck, 2000));
  p.on_event(event(1, kEstablished, kCloseWait, 9000));
  p.write_batch();
  EXPECT_EQ(out.find("\"gap\""), std::string::npos) << out;
  EXPECT_EQ(p.totals().gaps, 0u);
}

// --pid keeps a connection whole: once a socket is that process's, the end
// of it is written too, though no process holds it any more (it closed it:
// FIN_WAIT2 and -> CLOSE run in softirq, on whoever was on the CPU).
TEST(Pipeline, PidKeepsTheEndOfAConnectionItsProcessClosed) {
  test::JsonLinesSink sink;
  const std::string& out = sink.out;
  PipelineOptions o;
  o.owners = false;
  o.pid = 4242;
  Pipeline p(o, sink);
  p.on_event(event(1, kClose, kSynSent, 1000, 0, 51, 4242));           // connect() by 4242
  p.on_event(event(1, kSynSent, kEstablished, 1100, 40000, 51, 777));  // softirq, someone else on the CPU
  p.on_event(event(1, kEstablished, kFinWait1, 1200, 40000, 51, 4242));  // close() by 4242
  p.on_event(event(1, kFinWait1, kFinWait2, 1300, 40000, 0, 0));       // no file any more
  p.on_event(event(1, kFinWait2, kClose, 1400, 40000, 0, 0));
  p.on_event(event(2, kClose, kSynSent, 1500, 0, 52, 777));  // someone else's
  p.on_event(event(2, kSynSent, kClose, 1600, 0, 0, 0));
  p.write_batch();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
  EXPECT_EQ(p.totals().transitions, 5u);
  EXPECT_NE(out.find("\"old\":\"FIN_WAIT2\",\"new\":\"CLOSE\""), std::string::npos) << out;
}

TEST(Pipeline, PidWritesOnlyWhatThatProcessHolds) {
  test::JsonLinesSink sink;
  const std::string& out = sink.out;
  PipelineOptions o;
  o.owners = false;
  o.pid = 4242;
  Pipeline p(o, sink);
  p.on_event(event(1, kClose, kSynSent, 1000, 0, 51, 4242));  // connect() by 4242
  p.on_event(event(2, kClose, kSynSent, 1100, 0, 52, 777));   // someone else's
  p.on_event(event(3, kListen, kSynRecv, 1200, 8080, 0, 4242));  // not accepted: not 4242's
  p.write_batch();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_NE(out.find("\"pid\":4242"), std::string::npos);
  EXPECT_EQ(p.totals().transitions, 1u);
}
