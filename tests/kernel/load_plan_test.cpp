// The loader's fallback policy on made-up kernels: what each kernel of the
// matrix offers (README "Kernels", docs/kernels.md) as Features, what the
// plan tries, and what the user is told when a load is refused.
#include "kernel/load_plan.h"

#include <gtest/gtest.h>

#include <map>

namespace tcpfsm {
namespace {

// This host's 6.18, as root, tracefs mounted: everything.
Features linux_6_18() {
  Features f;
  f.btf = f.ringbuf = f.tp_btf = f.sk_storage = true;
  f.tracefs = f.tracepoint = true;
  f.rst_received_btf = f.rst_sent_btf = f.rst_reason_arg = f.rst_reason_names = true;
  f.rst_received_tp = f.rst_sent_tp = true;
  f.task_file_iter = f.accept_hook = true;
  f.tracefs_mountable = true;
  return f;
}

// Debian 12's 6.1: tcp_send_reset has no reason (6.10+).
Features linux_6_1() {
  Features f = linux_6_18();
  f.rst_reason_arg = f.rst_reason_names = false;
  return f;
}

// Debian 11's 5.10: its features say what 6.1's do (tp_btf, the ring
// buffer, socket-local storage as a map); that its tp_btf programs may not
// read socket cookies (5.12+) is found only by loading one.
Features linux_5_10() { return linux_6_1(); }

// A fresh host: tracefs not mounted, so nothing is known of what is in it.
Features without_tracefs(Features f) {
  f.tracefs = f.tracepoint = f.rst_received_tp = f.rst_sent_tp = f.accept_hook = false;
  return f;
}

std::vector<std::string> names(const std::vector<LoadAttempt>& attempts) {
  std::vector<std::string> out;
  for (const LoadAttempt& a : attempts) out.push_back(describe(a));
  return out;
}

const std::vector<std::string> kAll = {"tp_btf with cookies", "tp_btf with keys", "tracepoint"};

// A made-up kernel's answers to loads: the error for each attempt that
// fails (by describe()), nothing for those that load; records the order.
struct FakeKernel {
  std::map<std::string, Error> refuses;
  std::vector<std::string> tried;
  LoadFn fn() {
    return [this](const LoadAttempt& a) -> std::optional<Error> {
      tried.push_back(describe(a));
      if (auto it = refuses.find(describe(a)); it != refuses.end()) return it->second;
      return std::nullopt;
    };
  }
};

// The refusals of real kernels, as the loader words them.
const Error kCookiesRefused(ExitCode::LoadFailed,
                            "the kernel refused the tp_btf/inet_sock_set_state program: Invalid argument (the kernel "
                            "said: \"unknown func bpf_get_socket_cookie#46\"; -v shows libbpf's whole log)");
const Error kVerifierRefused(ExitCode::LoadFailed,
                             "the kernel refused the tp_btf/inet_sock_set_state program: Permission denied (the "
                             "kernel said: \"math between map_value pointer and register with unbounded min value "
                             "is not allowed\"; -v shows libbpf's whole log)");
const Error kLockdown(ExitCode::NoPrivilege,
                      "the kernel refused to load the tp_btf/inet_sock_set_state program (Operation not permitted): "
                      "needs root or CAP_BPF+CAP_PERFMON, and no lockdown or seccomp policy that forbids BPF");

// What run_plan throws, as {exit status, message}.
std::pair<ExitCode, std::string> refusal(const LoadPlan& plan, FakeKernel& kernel) {
  try {
    run_plan(plan, kernel.fn());
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  ADD_FAILURE() << "nothing was refused";
  return {ExitCode::Ok, ""};
}

TEST(LoadPlan, Linux618GetsTpBtfWithCookiesAndTheRingBuffer) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_6_18());
  EXPECT_EQ(plan.wanted, AttachMode::Auto);
  EXPECT_EQ(plan.buffer, BufferMode::Ring);
  EXPECT_EQ(names(plan.attempts), kAll);
  EXPECT_EQ(plan.tp_btf_missing, "");
  EXPECT_EQ(plan.tracepoint_missing, "");
  EXPECT_FALSE(plan.mount_tracefs);
  EXPECT_FALSE(plan.refused);

  FakeKernel kernel;
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(kernel.tried, std::vector<std::string>{"tp_btf with cookies"});
  EXPECT_EQ(out.loaded, (LoadAttempt{AttachMode::TpBtf, true}));
  EXPECT_EQ(out.fallback_reason, "");
  EXPECT_EQ(out.keys_reason, "");

  const CauseSources btf = cause_sources(AttachMode::TpBtf, linux_6_18());
  EXPECT_TRUE(btf.received);
  EXPECT_TRUE(btf.sent);
  EXPECT_EQ(btf.missing, std::vector<std::string>{});
}

TEST(LoadPlan, Linux61IsPlannedAs618AndMissesOnlyResetReasons) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_6_1());
  EXPECT_EQ(plan.buffer, BufferMode::Ring);
  EXPECT_EQ(names(plan.attempts), kAll);
  EXPECT_FALSE(plan.refused);
  const std::vector<std::string> missing = {
      "tcp_send_reset gives no reason before Linux 6.10: rst_reason is left out"};
  EXPECT_EQ(cause_sources(AttachMode::TpBtf, linux_6_1()).missing, missing);
  EXPECT_EQ(cause_sources(AttachMode::Tracepoint, linux_6_1()).missing, missing);
}

// 5.10's verifier refuses bpf_get_socket_cookie in a tp_btf program: the
// same program with keys loads, and the user is told why.
TEST(LoadPlan, Linux510FallsBackToTpBtfWithKeysAndSaysWhy) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_5_10());
  EXPECT_EQ(names(plan.attempts), kAll);
  FakeKernel kernel;
  kernel.refuses.emplace("tp_btf with cookies", kCookiesRefused);
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(kernel.tried, (std::vector<std::string>{"tp_btf with cookies", "tp_btf with keys"}));
  EXPECT_EQ(out.loaded, (LoadAttempt{AttachMode::TpBtf, false}));
  EXPECT_EQ(out.keys_reason, kCookiesRefused.what());
  EXPECT_EQ(out.fallback_reason, "");
}

// 6.1's verifier once refused the port filter in both tp_btf flavours: the
// classic tracepoint, with the last refusal as the reason.
TEST(LoadPlan, TpBtfRefusedBothWaysFallsBackToTheTracepoint) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_6_1());
  FakeKernel kernel;
  kernel.refuses.emplace("tp_btf with cookies", kCookiesRefused);
  kernel.refuses.emplace("tp_btf with keys", kVerifierRefused);
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(kernel.tried, kAll);
  EXPECT_EQ(out.loaded, (LoadAttempt{AttachMode::Tracepoint, false}));
  EXPECT_EQ(out.fallback_reason, kVerifierRefused.what());
  EXPECT_EQ(out.keys_reason, "");

  // And when the tracepoint is refused too, both reasons.
  kernel.tried.clear();
  kernel.refuses.emplace("tracepoint", Error(ExitCode::LoadFailed, "the kernel refused the tracepoint/inet_sock_set_state program: Invalid argument"));
  EXPECT_EQ(refusal(plan, kernel),
            std::make_pair(ExitCode::LoadFailed,
                           "tp_btf: " + std::string(kVerifierRefused.what()) +
                               "\ntracepoint: the kernel refused the tracepoint/inet_sock_set_state program: Invalid "
                               "argument"));
}

// A tp_btf program that loads but cannot be attached is not tried with
// keys (keys would not attach either): the tracepoint is.
TEST(LoadPlan, TpBtfThatCannotAttachGoesStraightToTheTracepoint) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_6_18());
  FakeKernel kernel;
  const Error attach(ExitCode::NoTracepoint, "cannot attach the tp_btf/inet_sock_set_state program: No such device");
  kernel.refuses.emplace("tp_btf with cookies", attach);
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(kernel.tried, (std::vector<std::string>{"tp_btf with cookies", "tracepoint"}));
  EXPECT_EQ(out.loaded.mode, AttachMode::Tracepoint);
  EXPECT_EQ(out.fallback_reason, attach.what());
}

// A refusal for want of privilege (lockdown, seccomp) would refuse every
// other way too: it is the user's answer, nothing else is tried.
TEST(LoadPlan, RefusalForPrivilegeEndsThePlan) {
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, linux_6_18());
  FakeKernel kernel;
  kernel.refuses.emplace("tp_btf with cookies", kLockdown);
  EXPECT_EQ(refusal(plan, kernel), std::make_pair(ExitCode::NoPrivilege, std::string(kLockdown.what())));
  EXPECT_EQ(kernel.tried, std::vector<std::string>{"tp_btf with cookies"});
}

TEST(LoadPlan, NoRingBufferGetsPerfBuffersAndRefusesARingBufferAskedFor) {
  Features f = linux_5_10();
  f.ringbuf = false;
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  EXPECT_EQ(plan.buffer, BufferMode::Perf);
  EXPECT_EQ(names(plan.attempts), kAll);
  EXPECT_FALSE(plan.refused);

  const LoadPlan ring = plan_load(AttachMode::Auto, BufferMode::Ring, f);
  ASSERT_TRUE(ring.refused);
  EXPECT_EQ(ring.refused->code(), ExitCode::NoRingbuf);
  EXPECT_STREQ(ring.refused->what(),
               "kernel has no BPF ring buffer (needs Linux 5.8 or newer): use --buffer perf (or auto)");
  EXPECT_EQ(ring.attempts.size(), 0u);
  FakeKernel kernel;
  EXPECT_EQ(refusal(ring, kernel).first, ExitCode::NoRingbuf);
  EXPECT_EQ(kernel.tried.size(), 0u);

  // Asked for where there is a ring buffer: perf buffers all the same.
  EXPECT_EQ(plan_load(AttachMode::Auto, BufferMode::Perf, linux_6_18()).buffer, BufferMode::Perf);
}

TEST(LoadPlan, NoBtfIsRefusedBeforeAnythingIsLoaded) {
  Features f = linux_6_18();
  f.btf = f.tp_btf = false;
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  ASSERT_TRUE(plan.refused);
  EXPECT_EQ(plan.refused->code(), ExitCode::NoBtf);
  EXPECT_STREQ(plan.refused->what(),
               "kernel has no BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y, Linux 5.4+): tcpfsm's "
               "CO-RE program cannot be relocated without it");
  EXPECT_EQ(plan.attempts.size(), 0u);
}

// As root on a fresh host: the tracepoint stays in the plan, its attach
// mounts tracefs; what tracefs holds is not known yet.
TEST(LoadPlan, FreshHostMountsTracefsForTheTracepoint) {
  const Features f = without_tracefs(linux_6_18());
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  EXPECT_EQ(names(plan.attempts), kAll);
  EXPECT_EQ(plan.tracepoint_missing, "");
  EXPECT_TRUE(plan.mount_tracefs);
  EXPECT_EQ(names(plan_load(AttachMode::Tracepoint, BufferMode::Auto, f).attempts),
            std::vector<std::string>{"tracepoint"});
}

// CAP_BPF+CAP_PERFMON without CAP_SYS_ADMIN on a fresh host: tracefs cannot
// be mounted, so there is no tracepoint to fall back to, and the user is
// told both reasons when tp_btf is refused.
TEST(LoadPlan, NoTracefsAndNoMountLeavesOnlyTpBtf) {
  Features f = without_tracefs(linux_6_18());
  f.tracefs_mountable = false;
  const std::string no_mount =
      "tracefs is not mounted and tcpfsm may not mount it at /sys/kernel/tracing (needs CAP_SYS_ADMIN)";
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  EXPECT_EQ(names(plan.attempts), (std::vector<std::string>{"tp_btf with cookies", "tp_btf with keys"}));
  EXPECT_EQ(plan.tracepoint_missing, no_mount);
  EXPECT_FALSE(plan.mount_tracefs);
  EXPECT_FALSE(plan.refused);

  FakeKernel kernel;
  EXPECT_EQ(run_plan(plan, kernel.fn()).loaded, (LoadAttempt{AttachMode::TpBtf, true}));
  kernel.refuses.emplace("tp_btf with cookies", kCookiesRefused);
  kernel.refuses.emplace("tp_btf with keys", kVerifierRefused);
  EXPECT_EQ(refusal(plan, kernel),
            std::make_pair(ExitCode::NoTracepoint,
                           "tp_btf: " + std::string(kVerifierRefused.what()) + "\ntracepoint: " + no_mount));

  // Without tp_btf as well: refused before anything is loaded.
  f.tp_btf = false;
  const LoadPlan none = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  ASSERT_TRUE(none.refused);
  EXPECT_EQ(none.refused->code(), ExitCode::NoTracepoint);
  EXPECT_EQ(none.refused->what(),
            "tp_btf: kernel BTF has no inet_sock_set_state raw tracepoint\ntracepoint: " + no_mount);
}

// tracefs mounted but mode 0700, and no CAP_DAC_READ_SEARCH: a tracepoint's
// id cannot be read, and mounting again would not help.
TEST(LoadPlan, UnreadableTracefsIsSaid) {
  Features f = without_tracefs(linux_6_18());
  f.tracefs_denied = true;
  f.tracefs_mountable = false;
  const LoadPlan plan = plan_load(AttachMode::Tracepoint, BufferMode::Auto, f);
  ASSERT_TRUE(plan.refused);
  EXPECT_EQ(plan.refused->code(), ExitCode::NoTracepoint);
  EXPECT_STREQ(plan.refused->what(),
               "tracefs is not readable (/sys/kernel/tracing is mode 0700): a tracepoint's id is read from it, which "
               "needs root or CAP_DAC_READ_SEARCH");
}

// A kernel whose BTF lacks the raw tracepoint: the classic one, and the
// start says why.
TEST(LoadPlan, NoTpBtfFallsBackToTheTracepointWithTheReason) {
  Features f = linux_6_18();
  f.tp_btf = f.rst_received_btf = f.rst_sent_btf = f.rst_reason_arg = false;
  const LoadPlan plan = plan_load(AttachMode::Auto, BufferMode::Auto, f);
  EXPECT_EQ(names(plan.attempts), std::vector<std::string>{"tracepoint"});
  EXPECT_EQ(plan.tp_btf_missing, "kernel BTF has no inet_sock_set_state raw tracepoint");
  FakeKernel kernel;
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(out.loaded.mode, AttachMode::Tracepoint);
  EXPECT_EQ(out.fallback_reason, "kernel BTF has no inet_sock_set_state raw tracepoint");
  EXPECT_EQ(cause_sources(AttachMode::Tracepoint, f).missing,
            std::vector<std::string>{"tcp_send_reset gives no reason before Linux 6.10: rst_reason is left out"});

  kernel.refuses.emplace("tracepoint", Error(ExitCode::NoTracepoint, "tracefs is not mounted and mounting it at "
                                                                      "/sys/kernel/tracing failed: Operation not "
                                                                      "permitted (needs CAP_SYS_ADMIN)"));
  EXPECT_EQ(refusal(plan, kernel),
            std::make_pair(ExitCode::NoTracepoint,
                           std::string("tp_btf: kernel BTF has no inet_sock_set_state raw tracepoint\ntracepoint: "
                                       "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: "
                                       "Operation not permitted (needs CAP_SYS_ADMIN)")));
}

// --attach tp_btf: never the tracepoint; refused with tp_btf's own reason.
TEST(LoadPlan, ForcedTpBtfIsRefusedWithItsReason) {
  const LoadPlan plan = plan_load(AttachMode::TpBtf, BufferMode::Auto, linux_6_18());
  EXPECT_EQ(names(plan.attempts), (std::vector<std::string>{"tp_btf with cookies", "tp_btf with keys"}));
  FakeKernel kernel;
  kernel.refuses.emplace("tp_btf with cookies", kCookiesRefused);
  kernel.refuses.emplace("tp_btf with keys", kVerifierRefused);
  EXPECT_EQ(refusal(plan, kernel), std::make_pair(ExitCode::LoadFailed, std::string(kVerifierRefused.what())));
  EXPECT_EQ(kernel.tried, (std::vector<std::string>{"tp_btf with cookies", "tp_btf with keys"}));

  Features f = linux_6_18();
  f.tp_btf = false;
  const LoadPlan none = plan_load(AttachMode::TpBtf, BufferMode::Auto, f);
  ASSERT_TRUE(none.refused);
  EXPECT_EQ(none.refused->code(), ExitCode::NoTracepoint);
  EXPECT_STREQ(none.refused->what(), "kernel BTF has no inet_sock_set_state raw tracepoint");
}

// --attach tracepoint: never tp_btf; refused with the tracepoint's reason,
// with no "tp_btf:" part.
TEST(LoadPlan, ForcedTracepointIsRefusedWithItsReason) {
  const LoadPlan plan = plan_load(AttachMode::Tracepoint, BufferMode::Auto, linux_6_18());
  EXPECT_EQ(names(plan.attempts), std::vector<std::string>{"tracepoint"});
  FakeKernel kernel;
  const LoadOutcome out = run_plan(plan, kernel.fn());
  EXPECT_EQ(out.loaded.mode, AttachMode::Tracepoint);
  EXPECT_EQ(out.fallback_reason, "");
  const Error refused(ExitCode::LoadFailed, "the kernel refused the tracepoint/inet_sock_set_state program: E2BIG");
  kernel.refuses.emplace("tracepoint", refused);
  EXPECT_EQ(refusal(plan, kernel), std::make_pair(ExitCode::LoadFailed, std::string(refused.what())));

  // tracefs mounted without the event (before 4.16).
  Features old = linux_6_18();
  old.tracepoint = false;
  const LoadPlan none = plan_load(AttachMode::Tracepoint, BufferMode::Auto, old);
  ASSERT_TRUE(none.refused);
  EXPECT_EQ(none.refused->code(), ExitCode::NoTracepoint);
  EXPECT_STREQ(none.refused->what(),
               "the kernel has no sock:inet_sock_set_state tracepoint (needs Linux 4.16 or newer)");

  Features no_mount = without_tracefs(linux_6_18());
  no_mount.tracefs_mountable = false;
  const LoadPlan unmounted = plan_load(AttachMode::Tracepoint, BufferMode::Auto, no_mount);
  ASSERT_TRUE(unmounted.refused);
  EXPECT_STREQ(unmounted.refused->what(),
               "tracefs is not mounted and tcpfsm may not mount it at /sys/kernel/tracing (needs CAP_SYS_ADMIN)");
}

TEST(LoadPlan, CauseSourcesFollowTheAttachMode) {
  Features f = linux_6_18();
  f.rst_received_tp = false;  // the classic flavour's event missing
  const CauseSources tp = cause_sources(AttachMode::Tracepoint, f);
  EXPECT_FALSE(tp.received);
  EXPECT_TRUE(tp.sent);
  EXPECT_EQ(tp.missing, std::vector<std::string>{
                            "no tcp_receive_reset tracepoint: resets from the peer are not told apart (cause "
                            "rst_received); errors such as ECONNRESET still are"});
  const CauseSources btf = cause_sources(AttachMode::TpBtf, f);
  EXPECT_TRUE(btf.received);
  EXPECT_EQ(btf.missing.size(), 0u);
}

}  // namespace
}  // namespace tcpfsm
