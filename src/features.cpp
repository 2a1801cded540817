#include "tcpfsm/features.h"

#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tcpfsm/errors.h"

namespace tcpfsm {
namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";

bool exists(const char* path) { return access(path, F_OK) == 0; }

bool has_tracepoint_dir() {
  return exists("/sys/kernel/tracing/events/sock/inet_sock_set_state") ||
         exists("/sys/kernel/debug/tracing/events/sock/inet_sock_set_state");
}

Features probe() {
  Features f;
  f.btf = exists(kBtfPath);
  f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  f.sk_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, nullptr) == 1;
  f.tp_btf = f.btf && libbpf_find_vmlinux_btf_id("inet_sock_set_state", BPF_TRACE_RAW_TP) > 0;
  f.tracefs = exists("/sys/kernel/tracing/events") || exists("/sys/kernel/debug/tracing/events");
  f.tracepoint = has_tracepoint_dir();
  return f;
}

// Effective capability set, read with capget(2) (no libcap needed).
std::uint64_t effective_caps() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return 0;
  return data[0].effective | (static_cast<std::uint64_t>(data[1].effective) << 32);
}

}  // namespace

const Features& features() {
  static const Features f = probe();
  return f;
}

std::string describe(const Features& f) {
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  std::string s;
  s += std::string("kernel BTF (/sys/kernel/btf/vmlinux): ") + yn(f.btf) + "\n";
  s += std::string("BPF ring buffer: ") + yn(f.ringbuf) + "\n";
  s += std::string("tp_btf/inet_sock_set_state: ") + yn(f.tp_btf) + "\n";
  s += std::string("socket-local storage: ") + yn(f.sk_storage) + "\n";
  s += std::string("tracefs mounted: ") + yn(f.tracefs) + "\n";
  s += std::string("tracepoint sock/inet_sock_set_state in tracefs: ") +
       (f.tracefs ? yn(f.tracepoint) : "unknown (tracefs not mounted)") + "\n";
  return s;
}

void require_bpf_privileges() {
  constexpr int kCapPerfmon = 38, kCapBpf = 39;
  const std::uint64_t caps = effective_caps();
  auto has = [caps](int cap) { return (caps >> cap) & 1U; };
  if (has(CAP_SYS_ADMIN) || (has(kCapBpf) && has(kCapPerfmon))) return;
  std::vector<std::string> missing;
  if (!has(kCapBpf)) missing.emplace_back("CAP_BPF");
  if (!has(kCapPerfmon)) missing.emplace_back("CAP_PERFMON");
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  throw Error(ExitCode::NoPrivilege,
              "needs root or CAP_BPF+CAP_PERFMON to load the BPF program (missing: " + list +
                  "); run with sudo, or grant them: setcap cap_bpf,cap_perfmon+ep tcpfsm");
}

}  // namespace tcpfsm
