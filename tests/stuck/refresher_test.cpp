// The refresher against the real kernel, in the test's own network
// namespace (no privilege needed): every socket says which namespace it was
// dumped in and its cgroup, and a namespace that cannot be read is skipped
// and said, never fatal.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "kernel/cgroup.h"
#include "kernel/netns.h"
#include "stuck_scan/refresher.h"
#include "support/fake_socket_files.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

// A loopback connection whose peer closed: `client` is in CLOSE_WAIT.
struct CloseWait {
  int listener = -1, client = -1;
  std::uint16_t port = 0;
  CloseWait() {
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("listener");
    port = ntohs(a.sin_port);
    client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    close(accept(listener, nullptr, nullptr));  // the FIN moves the client to CLOSE_WAIT
    usleep(50'000);
  }
  ~CloseWait() {
    close(client);
    close(listener);
  }
};

// The cgroup v2 id of this process's cgroup: the inode of its directory.
std::uint64_t own_cgroup_id() {
  const auto mount = cgroup2_mount();
  if (!mount) return 0;
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return cgroup_id_of(*mount + line.substr(3)).value_or(0);
  return 0;
}

StuckQuery query_for(std::uint16_t port) {
  StuckQuery q;
  q.min_age = 0s;
  q.filters.ports.either = {port};
  return q;
}

}  // namespace

TEST(NetnsList, OwnFirstEachOnce) {
  const auto all = list_netns();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().inode, own_netns());
  std::set<std::uint32_t> inodes;
  for (const NetnsRef& r : all) {
    EXPECT_TRUE(inodes.insert(r.inode).second) << "listed twice: " << r.inode;
    EXPECT_TRUE(r.pid > 0 || !r.name.empty()) << "no way in: " << r.inode;
  }
  // This process is in its own namespace: the first has a pid.
  EXPECT_GT(all.front().pid, 0);
}

TEST(NetnsList, NothingLeadsIntoANamespaceThatIsNot) {
  // Inode 1 is no namespace; a name that is not there and no process either.
  const NetnsDiag in = sock_diag_in(NetnsRef{1, 0, "tcpfsm-test-not-there"});
  EXPECT_FALSE(in.diag);
  EXPECT_TRUE(in.no_way_in) << in.why;
}

TEST(StuckRefresher, SocketsSayTheirNamespaceAndCgroup) {
  CloseWait cw;
  StuckRefresher refresher(query_for(cw.port));
  const auto& sockets = refresher.dump();
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].netns, own_netns());
  EXPECT_EQ(refresher.netns_read(), 1u);
  EXPECT_TRUE(refresher.netns_skipped().empty());
  // INET_DIAG_CGROUP_ID, from the real kernel (5.7+): the cgroup this process
  // created the socket in.
  if (sockets[0].cgroup_id == 0) GTEST_SKIP() << "this kernel sends no INET_DIAG_CGROUP_ID";
  const std::uint64_t expected = own_cgroup_id();
  if (expected) {
    EXPECT_EQ(sockets[0].cgroup_id, expected);
  }

  // The place of a stuck socket: tcpfsm's own namespace, commands as they are.
  StuckTracker tracker(refresher.tracker_options(false), 1);
  auto r = tracker.refresh(sockets, 1, 2);
  refresher.attach_owners(r.stuck);
  ASSERT_EQ(r.stuck.size(), 1u);
  EXPECT_TRUE(r.stuck[0].place.own_netns);
  if (expected) {
    EXPECT_FALSE(r.stuck[0].place.cgroup.empty());
  }
}

TEST(StuckRefresher, AnUnreadableNamespaceIsSkippedAndSaid) {
  CloseWait cw;
  StuckQuery q = query_for(cw.port);
  q.filters.netns = {own_netns(), 1};  // 1: no namespace at all
  StuckRefresher refresher(q);
  const auto& sockets = refresher.dump();
  ASSERT_EQ(sockets.size(), 1u);  // the own namespace's all the same
  EXPECT_EQ(refresher.netns_read(), 1u);
  const NetnsSkipped& skipped = refresher.netns_skipped();
  // Gone, or refused where some namespace file refuses this user: either way skipped.
  std::vector<std::uint32_t> all = skipped.gone;
  all.insert(all.end(), skipped.unreadable.begin(), skipped.unreadable.end());
  EXPECT_EQ(all, std::vector<std::uint32_t>{1});
  StuckTracker tracker(refresher.tracker_options(false), 1);
  auto r = tracker.refresh(sockets, 1, 2);
  EXPECT_EQ(refresher.view(r).netns_skipped.gone, skipped.gone);
}

TEST(StuckRefresher, EveryNamespaceIncludesTheOwn) {
  CloseWait cw;
  StuckQuery q = query_for(cw.port);
  q.all_netns = true;
  StuckRefresher refresher(q);
  const auto& sockets = refresher.dump();
  ASSERT_EQ(std::count_if(sockets.begin(), sockets.end(),
                          [&](const DiagSocket& s) { return s.netns == own_netns() && s.remote.port == cw.port; }),
            1);
  EXPECT_GE(refresher.netns_read(), 1u);
}

namespace {

// What the held-socket iterator reports of a socket in CLOSE_WAIT.
tcpfsm_held_socket held_close_wait(std::uint32_t netns, std::uint32_t ino, std::uint32_t pid, const char* comm,
                                   std::uint16_t lport, std::uint16_t rport) {
  tcpfsm_held_socket h{};
  h.netns = netns;
  h.ino = ino;
  h.pid = pid;
  h.fd = 7;
  h.family = AF_INET;
  h.state = 8;  // CLOSE_WAIT
  h.lport = lport;
  h.rport = rport;
  inet_pton(AF_INET, "10.0.0.2", h.laddr);
  inet_pton(AF_INET, "10.0.0.1", h.raddr);
  h.rqueue = 1;  // the FIN, not read
  h.cgroup_id = 0;
  std::strncpy(h.comm, comm, sizeof h.comm - 1);
  return h;
}

}  // namespace

// The agent without CAP_SYS_ADMIN: a namespace it cannot enter (here one
// that does not exist, so nothing leads in) is read through the sockets
// processes hold there, and says so; their holders come from the same pass.
TEST(StuckRefresher, ANamespaceNotEnteredIsReadThroughItsHeldSockets) {
  auto files = std::make_shared<FakeSocketFiles>();
  constexpr std::uint32_t kOther = 4000000001u;  // no such namespace
  const std::uint32_t missing_pid = 0x7ffffff0;  // no such process
  files->hold_socket(held_close_wait(kOther, 90001, missing_pid, "leaky", 8080, 51234));
  files->hold_socket(held_close_wait(kOther, 90002, missing_pid, "leaky", 8080, 51236));
  // The same socket through a second descriptor (dup): one socket.
  auto dup = held_close_wait(kOther, 90002, missing_pid, "leaky", 8080, 51236);
  dup.fd = 8;
  files->hold_socket(dup);
  StuckQuery q;
  q.min_age = 0s;
  q.filters.ports.either = {8080};
  q.all_netns = true;
  StuckRefresher refresher(q, {}, files);
  const auto& sockets = refresher.dump();
  EXPECT_EQ(files->held_calls, 1);
  ASSERT_EQ(sockets.size(), 2u);
  EXPECT_EQ(sockets[0].netns, kOther);
  EXPECT_EQ(sockets[0].ino, 90001u);
  EXPECT_EQ(sockets[0].state, 8);
  EXPECT_EQ(sockets[0].local.port, 8080);
  EXPECT_EQ(sockets[0].remote.port, 51234);
  EXPECT_EQ(sockets[0].rqueue, 1u);
  EXPECT_EQ(refresher.netns_skipped().held_only, std::vector<std::uint32_t>{kOther});
  EXPECT_TRUE(refresher.netns_skipped().gone.empty());
  EXPECT_TRUE(refresher.netns_skipped().unreadable.empty());

  StuckTracker tracker(refresher.tracker_options(false, true), 1);
  auto r = tracker.refresh(sockets, 1, 2);
  refresher.attach_owners(r.stuck);
  ASSERT_EQ(r.stuck.size(), 2u);
  for (const StuckSocket& st : r.stuck) {
    ASSERT_EQ(st.holders.size(), 1u);
    EXPECT_EQ(st.holders[0].pid, static_cast<std::int32_t>(missing_pid));
    EXPECT_EQ(st.holders[0].comm, "leaky");
    EXPECT_EQ(st.holders[0].cmdline, "[leaky]");  // its /proc/PID/cmdline is not there
    EXPECT_EQ(st.owner, Ownership::Process);
    EXPECT_FALSE(st.place.own_netns);
    // The way in for the user: a holder's namespace.
    EXPECT_EQ(st.place.netns_pid, static_cast<std::int32_t>(missing_pid));
  }
  EXPECT_EQ(refresher.view(r).netns_skipped.held_only, std::vector<std::uint32_t>{kOther});

  // Its holder closed one of them: it left.
  files->close_all(90001);
  files->clear_held(90001);
  const auto& later = refresher.dump();
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].ino, 90002u);
}

// Holders of sockets in tcpfsm's own namespace come from the held pass too:
// no /proc/PID/fd is read (what CAP_SYS_PTRACE would be needed for).
TEST(StuckRefresher, HoldersComeFromTheHeldPassWhenThereIsOne) {
  CloseWait cw;
  struct stat st{};
  ASSERT_EQ(fstat(cw.client, &st), 0);
  auto files = std::make_shared<FakeSocketFiles>();
  auto h = held_close_wait(own_netns(), static_cast<std::uint32_t>(st.st_ino), 4242, "from-iterator", 0, cw.port);
  files->hold_socket(h);
  StuckRefresher refresher(query_for(cw.port), {}, files);
  const auto& sockets = refresher.dump();
  ASSERT_EQ(sockets.size(), 1u);  // sock_diag's, in the own namespace
  EXPECT_TRUE(refresher.netns_skipped().empty());
  StuckTracker tracker(refresher.tracker_options(false), 1);
  auto r = tracker.refresh(sockets, 1, 2);
  refresher.attach_owners(r.stuck);
  ASSERT_EQ(r.stuck.size(), 1u);
  ASSERT_EQ(r.stuck[0].holders.size(), 1u);
  EXPECT_EQ(r.stuck[0].holders[0].pid, 4242);
  EXPECT_EQ(r.stuck[0].holders[0].comm, "from-iterator");
  EXPECT_EQ(refresher.owner_stats().walks, 0u);
}
