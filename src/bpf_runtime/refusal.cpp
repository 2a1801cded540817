#include "bpf_runtime/refusal.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>

namespace tcpfsm {

Error bpf_refusal(BpfStep step, int err, std::string_view what, const LibbpfLog& log, std::string_view needs) {
  const std::string w(what);
  const std::string why = std::strerror(err);
  switch (step) {
    case BpfStep::Open:
      return Error(ExitCode::LoadFailed, "cannot open the BPF object of " + w + ": " + why);
    case BpfStep::Load:
      if (refused_for_privilege(err))
        return Error(ExitCode::NoPrivilege, "the kernel refused to load " + w + " (" + why +
                                                "): needs root or CAP_BPF+CAP_PERFMON, and no lockdown or seccomp "
                                                "policy that forbids BPF" +
                                                memlock_hint() + log.hint());
      return Error(ExitCode::LoadFailed, "the kernel refused " + w +
                                             (needs.empty() ? "" : " (needs " + std::string(needs) + ")") + ": " +
                                             why + log.hint());
    case BpfStep::Attach:
      break;
  }
  return Error(ExitCode::NoTracepoint, "cannot attach " + w + ": " + why + log.hint());
}

bool kernel_before(int major, int minor) {
  utsname u{};
  int ma = 0, mi = 0;
  if (uname(&u) != 0 || std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return true;
  return ma < major || (ma == major && mi < minor);
}

std::string memlock_hint() {
  rlimit r{};
  if (!kernel_before(5, 11) || getrlimit(RLIMIT_MEMLOCK, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return "";
  return "; this kernel (before 5.11) counts BPF maps against the locked-memory limit, " +
         std::to_string(r.rlim_cur / 1024) +
         " KiB here: raise it (systemd: LimitMEMLOCK=infinity, as the packaged unit does; a shell: "
         "ulimit -l unlimited) or grant CAP_SYS_RESOURCE";
}

}  // namespace tcpfsm
