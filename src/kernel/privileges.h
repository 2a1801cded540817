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

// Whether `user` names an account; "" if so, else a message for the user.
std::string check_user(const std::string& user);

}  // namespace tcpfsm
