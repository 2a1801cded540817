// Integration tests run in a private network namespace (when root).
#include <gtest/gtest.h>
#include <unistd.h>

#include "sockets.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (geteuid() == 0) tcpfsm::itest::enter_private_netns();
  return RUN_ALL_TESTS();
}
