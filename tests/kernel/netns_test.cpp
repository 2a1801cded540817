// --netns arguments: an inode, a name as `ip netns` gives it, or a path.
// Names are looked up in a directory of the test's own (a symlink to
// /proc/self/ns/net stands for what `ip netns add` bind-mounts), so no
// privilege is needed; tests/integration/filters_test.cpp uses a real one.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kernel/netns.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

class NamedDir : public testing::Test {
 protected:
  NamedDir() {
    char tmpl[] = "/tmp/tcpfsm-netns-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_symlink("/proc/self/ns/net", dir_ / "nc1");
    fs::create_symlink("/proc/self/ns/mnt", dir_ / "mnt");
    std::ofstream(dir_ / "leftover") << "not a namespace\n";
  }
  ~NamedDir() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

std::uint32_t inode_of(const std::string& path) {
  struct stat st{};
  return stat(path.c_str(), &st) == 0 ? static_cast<std::uint32_t>(st.st_ino) : 0;
}

}  // namespace

TEST_F(NamedDir, ANameIsTheNamespaceOfThatNameInTheDirectory) {
  std::string why;
  const auto ns = netns_of_argument("nc1", why, dir());
  ASSERT_TRUE(ns) << why;
  EXPECT_EQ(*ns, own_netns());
  EXPECT_EQ(*ns, inode_of("/proc/self/ns/net"));
}

TEST_F(NamedDir, PathsAndInodesStillWork) {
  std::string why;
  EXPECT_EQ(netns_of_argument(dir() + "/nc1", why, dir()), own_netns()) << why;
  EXPECT_EQ(netns_of_argument("/proc/self/ns/net", why, dir()), own_netns()) << why;
  EXPECT_EQ(netns_of_argument("4026531840", why, dir()), 4026531840u) << why;
}

TEST_F(NamedDir, AMissingNameSaysWhereItWasLookedFor) {
  std::string why;
  EXPECT_FALSE(netns_of_argument("nc2", why, dir()));
  EXPECT_EQ(why, "no network namespace named 'nc2' (no " + dir() + "/nc2; ip netns list shows the names)");
}

TEST_F(NamedDir, ANameThatIsNoNetworkNamespaceIsRefused) {
  std::string why;
  EXPECT_FALSE(netns_of_argument("mnt", why, dir()));
  EXPECT_EQ(why, "'" + dir() +
                     "/mnt' is not a network namespace (try NAME as ip netns names it, /var/run/netns/NAME or "
                     "/proc/PID/ns/net)");
  EXPECT_FALSE(netns_of_argument("leftover", why, dir()));
  EXPECT_EQ(why, "'" + dir() +
                     "/leftover' is not a network namespace (try NAME as ip netns names it, /var/run/netns/NAME or "
                     "/proc/PID/ns/net)");
}

TEST_F(NamedDir, DotsAndEmptyAreNoNames) {
  std::string why;
  EXPECT_FALSE(netns_of_argument("..", why, dir()));
  EXPECT_EQ(why, "'..' is not a network namespace name, inode or path");
  EXPECT_FALSE(netns_of_argument("", why, dir()));
  EXPECT_EQ(why, "'' is not a network namespace name, inode or path");
}

TEST(NetnsArgument, AMissingPathIsNotLookedUpAsAName) {
  std::string why;
  EXPECT_FALSE(netns_of_argument("/nonexistent/nc1", why));
  EXPECT_EQ(why, "cannot open '/nonexistent/nc1': No such file or directory");
  EXPECT_FALSE(netns_of_argument("0", why));
  EXPECT_EQ(why, "'0' is not a namespace inode (1 to 4294967295)");
}
