// Integration tests run in private network and mount namespaces (when root).
#include <gtest/gtest.h>
#include <unistd.h>

#include "sockets.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (geteuid() == 0) {
    tcpfsm::itest::enter_private_netns();
    tcpfsm::itest::enter_private_mountns();
  }
  return RUN_ALL_TESTS();
}
