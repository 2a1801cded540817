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
#include "stuck/refresher.h"

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
  q.ports = {port};
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
  q.netns = {own_netns(), 1};  // 1: no namespace at all
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
