#include "bpf_runtime/libbpf_log.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <string>

namespace tcpfsm {
namespace {

// The ends of real refusals, as libbpf passed them on: Debian's 6.1 verifier
// on the port filter before its index was bounded, 5.10's on a tp_btf
// program calling bpf_get_socket_cookie, and libbpf 1.1 on a relocation
// against struct cgroup's `ancestors`, which 5.10 lacks.
TEST(LoadFailureLine, IsTheVerifiersLastWordsBeforeItsStatistics) {
  const std::string log =
      "libbpf: prog 'tcpfsm_btf': BPF program load failed: Permission denied\n"
      "libbpf: prog 'tcpfsm_btf': -- BEGIN PROG LOAD LOG --\n"
      "104: (18) r2 = 0xff651afb0067f003     ; R2_w=map_value(off=3,ks=4,vs=65833,imm=0)\n"
      "106: (0f) r2 += r0\n"
      "math between map_value pointer and register with unbounded min value is not allowed\n"
      "processed 65 insns (limit 1000000) max_states_per_insn 0 total_states 6 peak_states 6 mark_read 3\n"
      "-- END PROG LOAD LOG --\n"
      "libbpf: prog 'tcpfsm_btf': failed to load: -13\n"
      "libbpf: failed to load object 'tcpfsm_bpf'\n";
  EXPECT_EQ(load_failure_line(log),
            "math between map_value pointer and register with unbounded min value is not allowed");
  EXPECT_EQ(load_failure_line("; s = bpf_get_socket_cookie(sk)\nunknown func bpf_get_socket_cookie#46\n"
                              "processed 93 insns (limit 1000000) max_states_per_insn 0 total_states 9\n"),
            "unknown func bpf_get_socket_cookie#46");
}

TEST(LoadFailureLine, IsLibbpfsOwnComplaintWithoutAVerifierLog) {
  const std::string log =
      "libbpf: prog 'tcpfsm_btf': relo #12: <byte_off> [702] struct cgroup.ancestors (0:40 @ offset 2224)\n"
      "libbpf: prog 'tcpfsm_btf': relo #12: failed to resolve CO-RE relocation <byte_off> [702] struct "
      "cgroup.ancestors (0:40 @ offset 2224)\n"
      "libbpf: failed to load object 'tcpfsm_bpf'\n";
  EXPECT_EQ(load_failure_line(log),
            "libbpf: prog 'tcpfsm_btf': relo #12: failed to resolve CO-RE relocation <byte_off> [702] struct "
            "cgroup.ancestors (0:40 @ offset 2224)");
}

TEST(LoadFailureLine, IsTheLastOtherLineOrNothing) {
  EXPECT_EQ(load_failure_line("libbpf: map 'events': failed to create: Operation not permitted(-1)\n"
                              "libbpf: failed to load object 'tcpfsm_bpf'\n"),
            "libbpf: map 'events': failed to create: Operation not permitted(-1)");
  EXPECT_EQ(load_failure_line(""), "");
  EXPECT_EQ(load_failure_line("libbpf: failed to load object 'tcpfsm_bpf'\n"), "");
}

// libbpf's own messages reach the capture of the load in progress; the
// innermost capture takes them, and the enclosing one again once it ends.
TEST(LibbpfLog, CapturesLibbpfsMessagesForTheLoadInProgress) {
  const char junk[] = "not an ELF object";
  LibbpfLog outer;
  {
    LibbpfLog inner;
    EXPECT_EQ(bpf_object__open_mem(junk, sizeof junk, nullptr), nullptr);
    EXPECT_NE(inner.text().find("libbpf: "), std::string::npos) << inner.text();
    EXPECT_NE(inner.hint(), "");
  }
  EXPECT_EQ(outer.text(), "");
  EXPECT_EQ(bpf_object__open_mem(junk, sizeof junk, nullptr), nullptr);
  EXPECT_NE(outer.text().find("libbpf: "), std::string::npos) << outer.text();
}

TEST(LibbpfLog, KeepsTheEndOfALongLog) {
  LibbpfLog log;
  log.add(std::string(LibbpfLog::kKeep, 'x') + "\n");
  log.add("the verifier's last words\nprocessed 5 insns (limit 1000000)\n");
  EXPECT_EQ(log.text().size(), LibbpfLog::kKeep);
  EXPECT_EQ(log.hint(), " (the kernel said: \"the verifier's last words\"; -v shows libbpf's whole log)");
  log.clear();
  EXPECT_EQ(log.hint(), "");
}

}  // namespace
}  // namespace tcpfsm
