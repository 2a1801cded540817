// Kernel features tcpfsm depends on: probed once, cached, reportable.
#pragma once

#include <string>
#include <vector>

namespace tcpfsm {

struct Features {
  bool btf = false;         // /sys/kernel/btf/vmlinux
  bool ringbuf = false;     // BPF_MAP_TYPE_RINGBUF (5.8+)
  bool tp_btf = false;      // BTF for the inet_sock_set_state raw tracepoint
  bool sk_storage = false;  // BPF_MAP_TYPE_SK_STORAGE
  bool tracefs = false;     // tracefs mounted (classic tracepoint fallback)
  bool tracepoint = false;  // sock/inet_sock_set_state in tracefs (needs tracefs)
  // Sources of the causes of abnormal ends (resets): the raw tracepoints in
  // BTF, and the classic ones in tracefs (known only when it is mounted).
  bool rst_received_btf = false;  // tp_btf/tcp_receive_reset
  bool rst_sent_btf = false;      // tp_btf/tcp_send_reset
  bool rst_reason_arg = false;    // tcp_send_reset passes enum sk_rst_reason (6.10+)
  bool rst_reason_names = false;  // enum sk_rst_reason in BTF: reasons get names
  bool rst_received_tp = false;   // tcp/tcp_receive_reset in tracefs
  bool rst_sent_tp = false;       // tcp/tcp_send_reset in tracefs
  bool task_file_iter = false;  // BPF task_file iterator (5.8+, BTF): socket owners without /proc
  bool accept_hook = false;     // syscalls:sys_exit_accept4 in tracefs: the owners of accepted sockets
  // The tcp_sock counters a connection's life reads that this kernel lacks
  // (known with BTF only).
  std::vector<std::string> life_missing;
  // Without privilege some probes get no answer, and their "no" above means
  // "cannot tell": describe() says so.
  bool bpf_denied = false;      // bpf() needs privilege here: ringbuf, sk_storage
  bool tracefs_denied = false;  // tracefs may not be searched (mode 0700): what is in it
  // This process may mount tracefs where it is not mounted (CAP_SYS_ADMIN),
  // for the classic tracepoint's attach.
  bool tracefs_mountable = false;
};

// What describe() says of a map probe bpf() refused for want of privilege.
inline constexpr const char* kNeedsBpfPrivilege = "cannot tell without privilege (needs root or CAP_BPF+CAP_PERFMON)";

// Probes on first call; later calls return the cached result.
const Features& features();

// One line per feature: "ringbuf: yes".
std::string describe(const Features& f);

// What tcpfsm cannot tell about why sockets end without these sources, one
// sentence each; empty when every source is there.
std::vector<std::string> missing_cause_sources(bool rst_received, bool rst_sent, bool rst_reason);

// f with what is known from tracefs read again (tracefs, the tracepoints in
// it, tracefs_denied): tracefs may have been mounted since f was probed.
Features with_tracefs_now(Features f);

}  // namespace tcpfsm
