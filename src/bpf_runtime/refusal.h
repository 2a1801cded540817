// What a failed open, load or attach of a BPF object means to the user: one
// wording for every loader, with the exit status it ends tcpfsm with.
#pragma once

#include <cerrno>
#include <string>
#include <string_view>

#include "bpf_runtime/libbpf_log.h"
#include "common/errors.h"

namespace tcpfsm {

enum class BpfStep { Open, Load, Attach };

// The error for `step` of `what` (a noun: "the tp_btf/inet_sock_set_state
// program", "the task_file iterator") failing with errno `err`, quoting what
// `log` captured of libbpf's messages (LibbpfLog::hint):
// - Open: "cannot open the BPF object of WHAT: ERR" (LoadFailed);
// - Load refused for want of privilege (EPERM, EACCES): "the kernel refused
//   to load WHAT (ERR): needs root or CAP_BPF+CAP_PERFMON, and no lockdown or
//   seccomp policy that forbids BPF", and memlock_hint() (NoPrivilege);
// - Load refused otherwise: "the kernel refused WHAT (needs NEEDS): ERR"
//   (LoadFailed; without the parentheses when `needs` is empty);
// - Attach: "cannot attach WHAT: ERR" (NoTracepoint).
Error bpf_refusal(BpfStep step, int err, std::string_view what, const LibbpfLog& log, std::string_view needs = {});

// Whether a load that failed with errno `err` was refused for want of
// privilege (then no other way of loading is worth trying).
constexpr bool refused_for_privilege(int err) { return err == EPERM || err == EACCES; }

// Whether the running kernel is older than major.minor (uname's release;
// true when it cannot be read: the cautious answer).
bool kernel_before(int major, int minor);

// Why a load may have been refused for memory, as a sentence for the user:
// before Linux 5.11 the kernel counts BPF maps against RLIMIT_MEMLOCK, and
// libbpf can raise that limit only with CAP_SYS_RESOURCE. Empty on newer
// kernels (they count maps in the memory cgroup) or an unlimited limit.
std::string memlock_hint();

}  // namespace tcpfsm
