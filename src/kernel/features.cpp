#include "kernel/features.h"

#include <bpf/libbpf.h>
#include <linux/capability.h>

#include <string>

#include "bpf_runtime/tracefs.h"
#include "kernel/kernel_btf.h"
#include "kernel/load_plan.h"
#include "kernel/privileges.h"
#include "kernel/rst_reasons.h"

namespace tcpfsm {

Features with_tracefs_now(Features f) {
  f.tracefs = tracefs_mounted();
  f.tracepoint = tracefs_has_event("sock/inet_sock_set_state");
  f.rst_received_tp = tracefs_has_event("tcp/tcp_receive_reset");
  f.rst_sent_tp = tracefs_has_event("tcp/tcp_send_reset");
  f.accept_hook = tracefs_has_event("syscalls/sys_exit_accept4");
  f.tracefs_denied = tracefs_denied();
  return f;
}

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

Features probe() {
  Features f;
  f.btf = exists(kBtfPath);
  f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  f.sk_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, nullptr) == 1;
  // The kernel's own BTF: libbpf may find a vmlinux file elsewhere, but the
  // kernel attaches tp_btf programs by the BTF it has itself.
  const KernelBtf none;
  const KernelBtf& k = f.btf ? kernel_btf() : none;
  f.tp_btf = k.set_state_args >= 0;
  f.rst_received_btf = k.receive_reset_args >= 0;
  f.rst_sent_btf = k.send_reset_args >= 0;
  f.rst_reason_arg = k.send_reset_args >= 3;
  f.rst_reason_names = !RstReasons::kernel().empty();
  f.task_file_iter = k.task_file_iter;
  f.life_missing = k.tcp_sock_missing;
  // A kernel may let anyone create these maps: then their "yes" stands.
  f.bpf_denied = !has_bpf_privileges();
  f.tracefs_mountable = (effective_capabilities() >> CAP_SYS_ADMIN) & 1U;
  return with_tracefs_now(f);
}

}  // namespace

const Features& features() {
  static const Features f = probe();
  return f;
}

std::string describe(const Features& f) {
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  // A map probe's answer; tracefs's, and what is in it when it is there.
  auto map = [&](bool b) { return b || !f.bpf_denied ? yn(b) : kNeedsBpfPrivilege; };
  const char* tracefs_unknown = f.tracefs_denied
                                    ? "cannot tell without privilege (needs root or CAP_DAC_READ_SEARCH to read tracefs)"
                                    : "unknown (tracefs not mounted)";
  auto in_tracefs = [&](bool b) { return f.tracefs ? yn(b) : tracefs_unknown; };
  std::string s;
  s += std::string("kernel BTF (/sys/kernel/btf/vmlinux): ") + yn(f.btf) + "\n";
  s += std::string("BPF ring buffer: ") + map(f.ringbuf) + "\n";
  s += std::string("event buffer (--buffer auto): ") +
       (f.ringbuf      ? "ring (the BPF ring buffer)"
        : f.bpf_denied ? kNeedsBpfPrivilege
                       : "perf (a perf buffer per CPU: no ring buffer here)") +
       "\n";
  s += std::string("tp_btf/inet_sock_set_state: ") + yn(f.tp_btf) + "\n";
  s += std::string("socket-local storage: ") + map(f.sk_storage) + "\n";
  s += std::string("tracefs mounted: ") + (f.tracefs || !f.tracefs_denied ? yn(f.tracefs) : tracefs_unknown) + "\n";
  s += std::string("tracepoint sock/inet_sock_set_state in tracefs: ") + in_tracefs(f.tracepoint) + "\n";
  s += "causes of abnormal ends:\n";
  s += std::string("  tp_btf/tcp_receive_reset (resets received): ") + yn(f.rst_received_btf) + "\n";
  s += std::string("  tp_btf/tcp_send_reset (resets sent): ") + yn(f.rst_sent_btf) + "\n";
  s += std::string("  reset reasons (tcp_send_reset argument, Linux 6.10+): ") + yn(f.rst_reason_arg) + "\n";
  s += std::string("  reset reason names (enum sk_rst_reason in BTF): ") + yn(f.rst_reason_names) + "\n";
  s += std::string("  tracepoint tcp/tcp_receive_reset in tracefs: ") + in_tracefs(f.rst_received_tp) + "\n";
  s += std::string("  tracepoint tcp/tcp_send_reset in tracefs: ") + in_tracefs(f.rst_sent_tp) + "\n";
  s += "  socket errors (sk_err at the transition into CLOSE): yes\n";
  // As the mode trace loads where nothing is refused: tp_btf where there is one.
  for (const std::string& m : cause_sources(f.tp_btf ? AttachMode::TpBtf : AttachMode::Tracepoint, f).missing)
    s += "  missing: " + m + "\n";
  s += "connection lives (tcp_sock counters at each end): ";
  if (!f.btf)
    s += "cannot tell without kernel BTF\n";
  else if (f.life_missing.empty())
    s += "yes\n";
  else {
    s += "partly: no";
    for (const std::string& m : f.life_missing) s += " " + m;
    s += " (null in the life)\n";
  }
  s += std::string("BPF task_file iterator (socket owners without /proc): ") +
       (f.task_file_iter ? "yes" : "no (owners are looked up in /proc)") + "\n";
  s += std::string("tracepoint syscalls/sys_exit_accept4 (owners of accepted sockets closed before they are "
                   "looked up): ") +
       in_tracefs(f.accept_hook) + "\n";
  return s;
}

std::vector<std::string> missing_cause_sources(bool received, bool sent, bool reason) {
  std::vector<std::string> out;
  if (!received)
    out.emplace_back("no tcp_receive_reset tracepoint: resets from the peer are not told apart "
                     "(cause rst_received); errors such as ECONNRESET still are");
  if (!sent)
    out.emplace_back("no tcp_send_reset tracepoint: resets this host sends (SO_LINGER 0, close() "
                     "with unread data) are not reported (cause rst_sent)");
  else if (!reason)
    out.emplace_back("tcp_send_reset gives no reason before Linux 6.10: rst_reason is left out");
  return out;
}

}  // namespace tcpfsm
