#include "kernel/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "bpf_runtime/refusal.h"
#include "common/errors.h"
#include "common/text.h"

namespace tcpfsm {
namespace {

constexpr int kCapPerfmon = 38, kCapBpf = 39;

void set_capabilities(std::uint64_t caps) {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  data[0].effective = data[0].permitted = static_cast<std::uint32_t>(caps);
  data[1].effective = data[1].permitted = static_cast<std::uint32_t>(caps >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0)
    throw Error(ExitCode::Failure, std::string("cannot set capabilities: ") + std::strerror(errno));
}

// Before 6.5, bpf() refused every command without CAP_BPF when
// kernel.unprivileged_bpf_disabled is set, even on maps we already hold.
bool kernel_needs_cap_bpf_for_map_reads() { return kernel_before(6, 5); }

}  // namespace

std::uint64_t effective_capabilities() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return 0;
  return data[0].effective | (static_cast<std::uint64_t>(data[1].effective) << 32);
}

bool has_bpf_privileges() {
  const std::uint64_t caps = effective_capabilities();
  auto has = [caps](int cap) { return (caps >> cap) & 1U; };
  return has(CAP_SYS_ADMIN) || (has(kCapBpf) && has(kCapPerfmon));
}

void require_bpf_privileges() {
  if (has_bpf_privileges()) return;
  const std::uint64_t caps = effective_capabilities();
  auto has = [caps](int cap) { return (caps >> cap) & 1U; };
  std::string missing = has(kCapBpf) ? "" : "CAP_BPF";
  if (!has(kCapPerfmon)) missing += missing.empty() ? "CAP_PERFMON" : ", CAP_PERFMON";
  throw Error(ExitCode::NoPrivilege,
              "needs root or CAP_BPF+CAP_PERFMON to load the BPF program (missing: " + missing +
                  "); run with sudo, or grant them: setcap cap_bpf,cap_perfmon+ep tcpfsm");
}

std::optional<Account> find_account(const std::string& user) {
  if (const passwd* pw = getpwnam(user.c_str())) return Account{pw->pw_uid, pw->pw_gid};
  // (uid_t)-1 is no id: setresuid() takes it for "leave this one as it is".
  std::uint32_t id = 0;
  const auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), id);
  if (user.empty() || ec != std::errc() || end != user.data() + user.size() || id == UINT32_MAX) return std::nullopt;
  if (const passwd* pw = getpwuid(id)) return Account{pw->pw_uid, pw->pw_gid};
  return Account{id, id};
}

std::string check_user(const std::string& user) {
  return find_account(user) ? "" : "no such user '" + user + "' (a name, or a numeric id below 4294967295)";
}

void drop_to_user(const std::string& user) {
  const auto account = find_account(user);
  if (!account) throw Error(ExitCode::Usage, "--user: " + escaped(check_user(user)));
  const uid_t uid = account->uid;
  const gid_t gid = account->gid;
  const bool keep_bpf = kernel_needs_cap_bpf_for_map_reads();
  auto fail = [&](const char* what) {
    throw Error(ExitCode::NoPrivilege, "cannot drop privileges to " + escaped(user) + ": " + what + ": " +
                                           std::strerror(errno) + " (needs CAP_SETUID and CAP_SETGID)");
  };
  if (setgroups(0, nullptr) != 0) fail("setgroups");
  if (setresgid(gid, gid, gid) != 0) fail("setresgid");
  if (keep_bpf && prctl(PR_SET_KEEPCAPS, 1) != 0) fail("PR_SET_KEEPCAPS");
  if (setresuid(uid, uid, uid) != 0) fail("setresuid");
  set_capabilities(keep_bpf ? (1ULL << kCapBpf) : 0);
  prctl(PR_SET_KEEPCAPS, 0);
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);  // nothing we exec could gain them back
}

}  // namespace tcpfsm
