// The owner lookups' rules on a made-up host: a fake /proc (FakeProc) and
// what the kernel's task_file iterator would report (FakeSocketFiles).
// Listener owners are real processes (this one, a child): they are watched
// with pidfds.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/clock.h"
#include "model/states.h"
#include "pipeline/owner_lookup.h"
#include "support/fake_proc.h"
#include "support/fake_socket_files.h"
#include "support/waiting_child.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t kNetns = 4026531840;

struct Event {
  State from, to;
  std::uint32_t ino = 0;
  std::uint32_t pid = 99, tid = 99;  // the task on the CPU
  const char* comm = "bystander";
  const char* laddr = "127.0.0.1";
  std::uint16_t lport = 8080;
  std::uint32_t netns = kNetns;
  std::uint64_t ktime_ns = 0;  // 0: now
  bool kernel_task = false;    // the task on the CPU is a kernel thread
};

Transition transition(const Event& e) {
  Transition t;
  t.old_state = number(e.from);
  t.new_state = number(e.to);
  t.ino = e.ino;
  t.pid = e.pid;
  t.tid = e.tid;
  t.comm = e.comm;
  t.kernel_task = e.kernel_task;
  t.netns = e.netns;
  t.ipv6 = std::strchr(e.laddr, ':') != nullptr;
  inet_pton(t.ipv6 ? AF_INET6 : AF_INET, e.laddr, t.local.addr.data());
  t.local.port = e.lport;
  t.ktime_ns = e.ktime_ns ? e.ktime_ns : mono_now_ns();
  return t;
}

// One batch: every inode queued first, then each owner in order, as the pipeline does.
std::vector<std::optional<Owner>> batch(OwnerLookup& lookup, const std::vector<Event>& events) {
  std::vector<Transition> ts;
  for (const Event& e : events) ts.push_back(transition(e));
  for (const Transition& t : ts) lookup.want(t);
  std::vector<std::optional<Owner>> owners;
  for (Transition& t : ts) {
    owners.push_back(lookup.find(t));
    if (owners.back()) {
      t.owner_pid = owners.back()->pid;
      t.owner_comm = owners.back()->comm;
    }
    lookup.written(t);
  }
  return owners;
}

std::optional<Owner> owner_of(OwnerLookup& lookup, const Event& e) { return batch(lookup, {e}).front(); }

void expect_owner(const std::optional<Owner>& o, std::int32_t pid, const std::string& comm) {
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->pid, pid);
  EXPECT_EQ(o->comm, comm);
}

OwnerLookup on_proc(const FakeProc& proc) {
  return OwnerLookup({{proc.root(), std::chrono::hours(1)}, nullptr});
}

OwnerLookup on_kernel(const FakeProc& proc, std::shared_ptr<FakeSocketFiles> files) {
  return OwnerLookup({{proc.root(), std::chrono::hours(1)}, std::move(files)});
}

const std::uint32_t kSelf = static_cast<std::uint32_t>(getpid());

}  // namespace

// connect() and listen() run in the context of a process holding the socket:
// no /proc, and right even when the process is gone by the time the event
// is read.
TEST(OwnerLookupClaims, ConnectAndListenNameTheirCallerWithoutProc) {
  FakeProc proc;  // empty: the caller is gone already
  OwnerLookup lookup = on_proc(proc);
  const auto owners = batch(lookup, {{State::Close, State::SynSent, 10, 500, 500, "client"},
                                     {State::Close, State::Listen, 11, 500, 500, "client"},
                                     // the same socket, in softirq context: from the first
                                     {State::SynSent, State::Established, 10, 99, 99, "bystander"}});
  expect_owner(owners[0], 500, "client");
  expect_owner(owners[1], 500, "client");
  expect_owner(owners[2], 500, "client");
  EXPECT_EQ(lookup.counts().claimed, 2u);
  EXPECT_EQ(lookup.stats().process_scans, 0u);
  EXPECT_EQ(lookup.stats().walks, 0u);
}

// The process's name is its main thread's: another thread's call reads it
// from /proc, and takes the thread's when the process is gone.
TEST(OwnerLookupClaims, AnotherThreadsCallIsNamedAfterItsProcess) {
  FakeProc proc;
  proc.process(600, "server", "server");
  OwnerLookup lookup = on_proc(proc);
  expect_owner(owner_of(lookup, {State::Close, State::SynSent, 20, 600, 601, "worker-3"}), 600, "server");
  expect_owner(owner_of(lookup, {State::Close, State::SynSent, 21, 700, 701, "worker-9"}), 700, "worker-9");
}

// What runs in softirq context, from a socket's backlog, or at close() (the
// last reference may be a /proc reader's) is never the task's.
TEST(OwnerLookupClaims, NeverTheTaskForWhatOtherTasksCanRun) {
  FakeProc proc;
  proc.process(800, "closer", "closer");
  proc.fd(800, 7, "socket:[31]");
  OwnerLookup lookup = on_proc(proc);
  const auto owners = batch(lookup, {{State::Established, State::FinWait1, 30, 800, 800, "closer"},
                                     {State::Established, State::CloseWait, 30, 801, 801, "other"},
                                     {State::CloseWait, State::LastAck, 31, 800, 800, "closer"},
                                     {State::Close, State::SynSent, 0, 800, 800, "closer"}});  // a kernel socket
  EXPECT_FALSE(owners[0]);
  EXPECT_FALSE(owners[1]);
  expect_owner(owners[2], 800, "closer");  // found in its fds: a fact, not a guess
  EXPECT_FALSE(owners[3]);
  EXPECT_EQ(lookup.counts().claimed, 0u);
}

// Before Linux 5.12 io_uring ran connect() in kernel threads of its own:
// the BPF program flags a kernel thread (PF_KTHREAD), which owns nothing; a
// process is the owner even once it is gone (it called connect()).
TEST(OwnerLookupClaims, AKernelThreadIsNoOwnerAProcessIsEvenGone) {
  FakeProc proc;
  proc.process(901, "client", "client");
  OwnerLookup lookup = on_proc(proc);
  Event worker{State::Close, State::SynSent, 40, 900, 900, "io_wqe_worker-0"};
  worker.kernel_task = true;
  EXPECT_FALSE(owner_of(lookup, worker));
  expect_owner(owner_of(lookup, {State::Close, State::SynSent, 41, 901, 901, "client"}), 901, "client");
  expect_owner(owner_of(lookup, {State::Close, State::SynSent, 42, 902, 902, "gone"}), 902, "gone");
}

// One pass of the iterator for all of a batch's unknown inodes; what it does
// not find is held by nobody, and not asked about again at once.
TEST(OwnerLookupKernel, OnePassFindsEveryUnknownInodeOfABatch) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->hold(50, 1000, 5, "srv");
  files->hold(51, 1000, 6, "srv");
  files->hold(51, 1001, 6, "srv-child");
  OwnerLookup lookup = on_kernel(proc, files);
  const auto owners = batch(lookup, {{State::Established, State::CloseWait, 50},
                                     {State::Established, State::CloseWait, 51},
                                     {State::Established, State::CloseWait, 52},
                                     {State::Close, State::SynSent, 53, 1002, 1002, "client"},
                                     {State::CloseWait, State::LastAck, 52}});
  expect_owner(owners[0], 1000, "srv");
  expect_owner(owners[1], 1000, "srv");  // the first holder
  EXPECT_FALSE(owners[2]);
  expect_owner(owners[3], 1002, "client");
  EXPECT_FALSE(owners[4]);
  EXPECT_EQ(files->holding_calls, 1);
  EXPECT_EQ(files->asked, (std::vector<std::uint32_t>{50, 51, 52}));  // connect() told its own
  EXPECT_EQ(lookup.stats().process_scans + lookup.stats().walks, 0u);  // no /proc
}

// accept() returns in the acceptor's context: an accepted socket closed
// before its first record is read still has its owner, without a pass.
TEST(OwnerLookupKernel, AnAcceptedSocketIsItsAcceptors) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->accept(56, 1003, 4, "acceptor");
  files->accept(57, 1004, 5, "elsewhere");  // another port's: kept for its own records
  OwnerLookup lookup = on_kernel(proc, files);
  const auto owners = batch(lookup, {{State::CloseWait, State::LastAck, 56, 1003, 1003, "acceptor"},
                                     {State::LastAck, State::Close, 0}});
  expect_owner(owners[0], 1003, "acceptor");
  EXPECT_FALSE(owners[1]);  // orphaned
  EXPECT_EQ(files->holding_calls, 0);
  EXPECT_EQ(lookup.counts().accepted, 1u);
  expect_owner(owner_of(lookup, {State::Established, State::FinWait1, 57}), 1004, "elsewhere");
  EXPECT_EQ(files->holding_calls, 0);
}

TEST(OwnerLookupKernel, AFailedPassLeavesInodesUnknownNotUnheld) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->fail = true;
  files->hold(60, 1000, 5, "srv");
  OwnerLookup lookup = on_kernel(proc, files);
  const Event e{State::Established, State::CloseWait, 60};
  EXPECT_FALSE(owner_of(lookup, e));
  EXPECT_EQ(files->holding_calls, 1);
  files->fail = false;
  // Asked again once the time budget allows another pass.
  std::optional<Owner> o;
  for (int i = 0; i < 300 && !o; ++i) {
    std::this_thread::sleep_for(10ms);
    o = owner_of(lookup, e);
  }
  expect_owner(o, 1000, "srv");
  EXPECT_EQ(files->holding_calls, 2);
}

// A child not accepted yet has no file: it belongs to its listener's owner,
// whatever task its softirq work ran in. Once orphaned, to nobody.
TEST(OwnerLookupChildren, AChildNotAcceptedYetBelongsToItsListenersOwner) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->listen(70, kSelf, 3, "server", kNetns, "0.0.0.0", 8080);
  const std::uint64_t before_pass = mono_now_ns();
  OwnerLookup lookup = on_kernel(proc, files);
  const auto owners = batch(lookup, {{State::Listen, State::SynRecv},
                                     {State::SynRecv, State::Established},
                                     {State::Established, State::CloseWait},
                                     {State::Established, State::Close}});
  for (const auto& o : owners) expect_owner(o, static_cast<std::int32_t>(kSelf), "server");
  EXPECT_EQ(lookup.counts().children, 4u);

  Event orphan{State::FinWait2, State::Close};
  EXPECT_FALSE(owner_of(lookup, orphan));
  orphan = {State::LastAck, State::Close};
  EXPECT_FALSE(owner_of(lookup, orphan));
  Event e{State::Listen, State::SynRecv};
  e.netns = kNetns + 1;  // another namespace's port 8080
  EXPECT_FALSE(owner_of(lookup, e));
  e = {State::Listen, State::SynRecv};
  e.lport = 8081;
  EXPECT_FALSE(owner_of(lookup, e));
  e.lport = 8080;
  e.laddr = "::1";  // an IPv4 listener has no IPv6 children
  EXPECT_FALSE(owner_of(lookup, e));
  e.laddr = "127.0.0.1";
  e.ktime_ns = before_pass;  // before the registry was complete
  EXPECT_FALSE(owner_of(lookup, e));
  EXPECT_EQ(lookup.counts().children, 4u);
}

// SO_REUSEPORT groups and a specific address beside the wildcard: named only
// when every listener the child can belong to has the same owner.
TEST(OwnerLookupChildren, OnlyWhenEveryListenerItCanBelongToHasOneOwner) {
  FakeProc proc;
  WaitingChild other;
  auto files = std::make_shared<FakeSocketFiles>();
  files->listen(80, kSelf, 3, "server", kNetns, "0.0.0.0", 9090);
  files->listen(81, static_cast<std::uint32_t>(other.pid()), 3, "other", kNetns, "0.0.0.0", 9090);
  files->listen(82, kSelf, 4, "server", kNetns, "127.0.0.2", 9091);
  files->listen(83, static_cast<std::uint32_t>(other.pid()), 4, "other", kNetns, "0.0.0.0", 9091);
  files->listen(84, kSelf, 5, "server", kNetns, "::", 9092);
  files->listen(85, kSelf, 6, "server", kNetns, "::", 9092);
  OwnerLookup lookup = on_kernel(proc, files);
  Event e{State::Listen, State::SynRecv};
  e.lport = 9090;
  EXPECT_FALSE(owner_of(lookup, e));
  e.lport = 9091;
  e.laddr = "127.0.0.3";  // the wildcard's only
  expect_owner(owner_of(lookup, e), static_cast<std::int32_t>(static_cast<std::uint32_t>(other.pid())), "other");
  e.laddr = "127.0.0.2";  // either
  EXPECT_FALSE(owner_of(lookup, e));
  e.lport = 9092;
  e.laddr = "::ffff:127.0.0.1";  // an IPv4 peer of a dual-stack group
  expect_owner(owner_of(lookup, e), static_cast<std::int32_t>(kSelf), "server");
}

// An owner that exits names no later child; the next pass finds who holds
// the listener now.
TEST(OwnerLookupChildren, AnOwnerThatExitedNamesNoLaterChild) {
  FakeProc proc;
  WaitingChild daemon_parent;
  auto files = std::make_shared<FakeSocketFiles>();
  files->listen(90, static_cast<std::uint32_t>(daemon_parent.pid()), 3, "parent", kNetns, "0.0.0.0", 9100);
  OwnerLookup lookup = on_kernel(proc, files);
  Event e{State::Listen, State::SynRecv};
  e.lport = 9100;
  expect_owner(owner_of(lookup, e), static_cast<std::int32_t>(static_cast<std::uint32_t>(daemon_parent.pid())), "parent");
  daemon_parent.exit();
  files->close_all(90);
  files->listen(90, kSelf, 3, "server", kNetns, "0.0.0.0", 9100);  // its child kept it
  EXPECT_FALSE(owner_of(lookup, e));
  const auto passes = files->listening_calls;
  lookup.tick(OwnerLookup::Clock::now() + 2s, false);  // a pass is due: a child waits for an owner
  EXPECT_EQ(files->listening_calls, passes + 1);
  expect_owner(owner_of(lookup, e), static_cast<std::int32_t>(kSelf), "server");
}

// Listeners opened after the pass come from their listen(); one closed
// stays for the rest of its batch (its queue is closed after it).
TEST(OwnerLookupChildren, ListenAndCloseFollowTheEvents) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  OwnerLookup lookup = on_kernel(proc, files);
  Event child{State::Listen, State::SynRecv};
  child.lport = 7000;
  const auto owners = batch(lookup, {{State::Close, State::Listen, 100, kSelf, kSelf, "server", "0.0.0.0", 7000},
                                     child,
                                     {State::Listen, State::Close, 100, kSelf, kSelf, "server", "0.0.0.0", 7000},
                                     {State::SynRecv, State::Close, 0, 99, 99, "bystander", "127.0.0.1", 7000}});
  for (const auto& o : owners) expect_owner(o, static_cast<std::int32_t>(kSelf), "server");
  lookup.tick(OwnerLookup::Clock::now(), false);
  EXPECT_FALSE(owner_of(lookup, child));  // gone with the batch
  // listen() without bind(): its port is not in the event. Until a pass
  // finds it, no child is named (it might be this port's).
  batch(lookup, {{State::Close, State::Listen, 101, kSelf, kSelf, "server", "0.0.0.0", 0},
                 {State::Close, State::Listen, 102, kSelf, kSelf, "server", "0.0.0.0", 7001}});
  child.lport = 7001;
  EXPECT_FALSE(owner_of(lookup, child));
  files->listen(101, kSelf, 3, "server", kNetns, "0.0.0.0", 7002);
  files->listen(102, kSelf, 4, "server", kNetns, "0.0.0.0", 7001);
  lookup.tick(OwnerLookup::Clock::now() + 2s, false);
  expect_owner(owner_of(lookup, child), static_cast<std::int32_t>(kSelf), "server");
}

TEST(OwnerLookupChildren, LostEventsStopNamingUntilTheNextPass) {
  FakeProc proc;
  auto files = std::make_shared<FakeSocketFiles>();
  files->listen(110, kSelf, 3, "server", kNetns, "0.0.0.0", 8080);
  OwnerLookup lookup = on_kernel(proc, files);
  const Event child{State::Listen, State::SynRecv};
  expect_owner(owner_of(lookup, child), static_cast<std::int32_t>(kSelf), "server");
  lookup.note_loss();  // a listen() on 8080 by someone else may be among them
  EXPECT_FALSE(owner_of(lookup, child));
  lookup.tick(OwnerLookup::Clock::now() + 2s, false);
  expect_owner(owner_of(lookup, child), static_cast<std::int32_t>(kSelf), "server");
}

// Without the iterator the listeners are not all known: no child is named.
TEST(OwnerLookupChildren, NoneWithoutTheIterator) {
  FakeProc proc;
  OwnerLookup lookup = on_proc(proc);
  const auto owners = batch(lookup, {{State::Close, State::Listen, 120, kSelf, kSelf, "server", "0.0.0.0", 8080},
                                     {State::Listen, State::SynRecv}});
  expect_owner(owners[0], static_cast<std::int32_t>(kSelf), "server");
  EXPECT_FALSE(owners[1]);
}
