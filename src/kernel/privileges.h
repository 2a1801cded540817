// Capabilities: what loading needs, and dropping them once loaded.
#pragma once

#include <cstdint>
#include <string>

namespace tcpfsm {

// Throws Error(NoPrivilege) naming the missing capability unless the process
// may load and attach tracing programs (CAP_SYS_ADMIN, or CAP_BPF+CAP_PERFMON).
void require_bpf_privileges();

// The effective capability set, as a bit mask (bit N = capability N).
std::uint64_t effective_capabilities();

// Becomes `user` (its uid, its primary gid, no supplementary groups) and keeps
// no capability, except CAP_BPF on kernels older than 6.5, which still demand
// it for bpf() on already-open maps (the loss counters). Throws Error on failure.
void drop_to_user(const std::string& user);

// Why a load may have been refused for memory, as a sentence for the user:
// before Linux 5.11 the kernel counts BPF maps against RLIMIT_MEMLOCK, and
// libbpf can raise that limit only with CAP_SYS_RESOURCE. Empty on newer
// kernels (they count maps in the memory cgroup) or an unlimited limit.
std::string memlock_hint();

// Whether `user` names an account; "" if so, else a message for the user.
std::string check_user(const std::string& user);

}  // namespace tcpfsm
