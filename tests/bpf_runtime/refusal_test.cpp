#include "bpf_runtime/refusal.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace tcpfsm {
namespace {

// One wording of refusals for every loader, with its exit status.
TEST(BpfRefusal, SaysWhatTheUserCanDoAboutIt) {
  LibbpfLog log;
  log.add("libbpf: prog 'accept4_exit': BPF program load failed: Invalid argument\n"
          "unknown func bpf_get_current_task#35\nprocessed 3 insns (limit 1000000)\n");
  const std::string said = " (the kernel said: \"unknown func bpf_get_current_task#35\"; -v shows libbpf's whole log)";
  const Error open = bpf_refusal(BpfStep::Open, ENOMEM, "the task_file iterator", log);
  EXPECT_EQ(open.code(), ExitCode::LoadFailed);
  EXPECT_STREQ(open.what(), "cannot open the BPF object of the task_file iterator: Cannot allocate memory");

  const Error load = bpf_refusal(BpfStep::Load, EINVAL, "the accept() hook", log, "syscall tracepoints");
  EXPECT_EQ(load.code(), ExitCode::LoadFailed);
  EXPECT_EQ(load.what(), "the kernel refused the accept() hook (needs syscall tracepoints): Invalid argument" + said);
  EXPECT_EQ(bpf_refusal(BpfStep::Load, EINVAL, "the tp_btf/inet_sock_set_state program", log).what(),
            "the kernel refused the tp_btf/inet_sock_set_state program: Invalid argument" + said);

  const Error perm = bpf_refusal(BpfStep::Load, EPERM, "the task_file iterator", log);
  EXPECT_EQ(perm.code(), ExitCode::NoPrivilege);
  EXPECT_EQ(perm.what(), "the kernel refused to load the task_file iterator (Operation not permitted): needs root or "
                         "CAP_BPF+CAP_PERFMON, and no lockdown or seccomp policy that forbids BPF" +
                             memlock_hint() + said);
  EXPECT_EQ(bpf_refusal(BpfStep::Load, EACCES, "it", log).code(), ExitCode::NoPrivilege);

  const Error attach = bpf_refusal(BpfStep::Attach, ENOENT, "the tracepoint/inet_sock_set_state program", log);
  EXPECT_EQ(attach.code(), ExitCode::NoTracepoint);
  EXPECT_EQ(attach.what(), "cannot attach the tracepoint/inet_sock_set_state program: No such file or directory" + said);
}

}  // namespace
}  // namespace tcpfsm
