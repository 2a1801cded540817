// Capabilities: what loading needs, and dropping them once loaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tcpfsm {

// Whether the process may load and attach tracing programs (CAP_SYS_ADMIN,
// or CAP_BPF+CAP_PERFMON).
bool has_bpf_privileges();
// Throws Error(NoPrivilege) naming the missing capability unless it may.
void require_bpf_privileges();

// The effective capability set, as a bit mask (bit N = capability N).
std::uint64_t effective_capabilities();

// The ids --user names: a user name, or a numeric uid (a name first, as chown
// reads it). A uid with no passwd entry is taken as it is, with the group of
// the same number: a container's user is often an id the host does not list.
// Nothing for a name that is no account and no number.
struct Account {
  std::uint32_t uid = 0, gid = 0;
};
std::optional<Account> find_account(const std::string& user);

// Becomes `user` (find_account's uid and gid, no supplementary groups) and keeps
// no capability, except CAP_BPF on kernels older than 6.5, which still demand
// it for bpf() on already-open maps (the loss counters). Throws Error on failure.
void drop_to_user(const std::string& user);

// Whether find_account() takes `user`; "" if so, else a message for the user.
std::string check_user(const std::string& user);

}  // namespace tcpfsm
