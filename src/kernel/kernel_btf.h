// What tcpfsm asks the running kernel's BTF at run time (tracepoint
// arguments, enum names) rather than hard-coding it: read once, at the first
// question.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tcpfsm {

struct KernelBtf {
  bool read = false;  // /sys/kernel/btf/vmlinux was there and parsed
  // Each raw tracepoint's arguments (from its btf_trace_<name> typedef), -1
  // when the kernel has no such tracepoint.
  int set_state_args = -1;      // inet_sock_set_state
  int receive_reset_args = -1;  // tcp_receive_reset
  int send_reset_args = -1;     // tcp_send_reset: 3 from 6.10 (enum sk_rst_reason)
  bool task_file_iter = false;  // the task_file BPF iterator (bpf_iter_task_file)
  // Where struct cgroup keeps its ancestors, for the --cgroup filter: byte
  // offset of `ancestors` (pointers, Linux 6.1+) or `ancestor_ids` (ids,
  // before); -1 when neither is there. The program reads them at this offset
  // rather than through a CO-RE relocation, which libbpf cannot resolve for
  // the member a kernel lacks.
  int cgroup_ancestors_offset = -1;
  bool cgroup_ancestor_ids = false;
  // The tcp_sock counters a connection's life reads (bpf/tcpfsm.bpf.c
  // read_life) that this kernel lacks: the life says null for them.
  std::vector<std::string> tcp_sock_missing;
  // enum sk_rst_reason: value, name.
  std::vector<std::pair<std::uint32_t, std::string>> rst_reasons;
};

// The answers, all taken in one reading. The parsed BTF itself (over 10 MB
// for 5.5 MB of BTF) is freed before this returns: kept, it sat beside
// libbpf's own copy while the programs load, a third of the tracer's peak
// memory.
const KernelBtf& kernel_btf();

}  // namespace tcpfsm
