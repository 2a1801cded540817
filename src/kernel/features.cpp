#include "kernel/features.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace tcpfsm {

bool exists(const char* path) { return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0; }

namespace {

constexpr const char* kBtfPath = "/sys/kernel/btf/vmlinux";


bool has_tracepoint_dir() {
  return exists("/sys/kernel/tracing/events/sock/inet_sock_set_state") ||
         exists("/sys/kernel/debug/tracing/events/sock/inet_sock_set_state");
}

// Whether the running kernel is older than major.minor (uname's release).
bool kernel_older_than(int major, int minor) {
  utsname u{};
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma < major || (ma == major && mi < minor);
}

Features probe() {
  Features f;
  f.btf = exists(kBtfPath);
  f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  f.sk_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, nullptr) == 1;
  f.tp_btf = f.btf && libbpf_find_vmlinux_btf_id("inet_sock_set_state", BPF_TRACE_RAW_TP) > 0;
  f.tracefs = exists("/sys/kernel/tracing/events") || exists("/sys/kernel/debug/tracing/events");
  f.tracepoint = has_tracepoint_dir();
  // libbpf looks iterator targets up as "bpf_iter_<target>" functions.
  f.task_file_iter = f.btf && libbpf_find_vmlinux_btf_id("task_file", BPF_TRACE_ITER) > 0;
  f.accept_hook = exists("/sys/kernel/tracing/events/syscalls/sys_exit_accept4") ||
                  exists("/sys/kernel/debug/tracing/events/syscalls/sys_exit_accept4");
  f.io_kernel_threads = kernel_older_than(5, 12);
  return f;
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
  s += std::string("BPF task_file iterator (socket owners without /proc): ") +
       (f.task_file_iter ? "yes" : "no (owners are looked up in /proc)") + "\n";
  s += std::string("tracepoint syscalls/sys_exit_accept4 (owners of accepted sockets closed before they are "
                   "looked up): ") +
       (f.tracefs ? yn(f.accept_hook) : "unknown (tracefs not mounted)") + "\n";
  return s;
}

}  // namespace tcpfsm
