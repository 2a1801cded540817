#include "bpf_runtime/tracefs.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tcpfsm {
namespace {

// What the loaders say when tracefs cannot be had (the mount itself needs
// root: tests/integration/owners_test.cpp).
TEST(Tracefs, SaysWhyItCannotBeHad) {
  EXPECT_EQ(tracefs_mount_failed(EPERM),
            "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: Operation not permitted (needs "
            "CAP_SYS_ADMIN)");
  EXPECT_EQ(tracefs_mount_failed(ENODEV),
            "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: No such device");
  EXPECT_EQ(tracefs_not_mountable(),
            "tracefs is not mounted and tcpfsm may not mount it at /sys/kernel/tracing (needs CAP_SYS_ADMIN)");
  EXPECT_EQ(tracefs_unreadable(),
            "tracefs is not readable (/sys/kernel/tracing is mode 0700): a tracepoint's id is read from it, which "
            "needs root or CAP_DAC_READ_SEARCH");
  EXPECT_FALSE(tracefs_has_event("no_such_group/no_such_event"));
}

}  // namespace
}  // namespace tcpfsm
