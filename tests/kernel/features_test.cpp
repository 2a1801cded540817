#include "kernel/features.h"

#include <gtest/gtest.h>

namespace tcpfsm {
namespace {

TEST(Features, MissingCauseSourcesSayWhatCannotBeTold) {
  EXPECT_TRUE(missing_cause_sources(true, true, true).empty());
  const auto none = missing_cause_sources(false, false, false);
  ASSERT_EQ(none.size(), 2u);
  EXPECT_NE(none[0].find("cause rst_received"), std::string::npos) << none[0];
  EXPECT_NE(none[1].find("cause rst_sent"), std::string::npos) << none[1];
  const auto old = missing_cause_sources(true, true, false);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_NE(old[0].find("before Linux 6.10: rst_reason is left out"), std::string::npos) << old[0];
}

TEST(Features, DescribeListsTheCauseSources) {
  Features f;
  f.rst_received_btf = f.rst_sent_btf = f.rst_reason_arg = f.rst_reason_names = true;
  f.tp_btf = true;
  const std::string d = describe(f);
  EXPECT_NE(d.find("  tp_btf/tcp_receive_reset (resets received): yes\n"), std::string::npos) << d;
  EXPECT_NE(d.find("  tracepoint tcp/tcp_send_reset in tracefs: unknown (tracefs not mounted)\n"), std::string::npos) << d;
  EXPECT_EQ(d.find("missing:"), std::string::npos) << d;
  f.rst_sent_btf = false;
  EXPECT_NE(describe(f).find("  missing: no tcp_send_reset tracepoint"), std::string::npos);
}

// Without privilege a probe that gets no answer is no "no".
TEST(Features, DescribeSaysWhatItCouldNotTellWithoutPrivilege) {
  Features f;
  f.btf = f.tp_btf = true;
  f.bpf_denied = f.tracefs_denied = true;
  const std::string d = describe(f);
  const std::string bpf = "cannot tell without privilege (needs root or CAP_BPF+CAP_PERFMON)\n";
  const std::string tracefs = "cannot tell without privilege (needs root or CAP_DAC_READ_SEARCH to read tracefs)\n";
  for (const std::string& line : {"BPF ring buffer: " + bpf, "event buffer (--buffer auto): " + bpf,
                                  "socket-local storage: " + bpf, "tracefs mounted: " + tracefs,
                                  "tracepoint sock/inet_sock_set_state in tracefs: " + tracefs,
                                  "  tracepoint tcp/tcp_send_reset in tracefs: " + tracefs})
    EXPECT_NE(d.find("\n" + line), std::string::npos) << line << d;
  EXPECT_NE(d.find("kernel BTF (/sys/kernel/btf/vmlinux): yes\n"), std::string::npos) << d;
  // What a probe found stands.
  f.ringbuf = true;
  EXPECT_NE(describe(f).find("\nBPF ring buffer: yes\n"), std::string::npos);
}

}  // namespace
}  // namespace tcpfsm
