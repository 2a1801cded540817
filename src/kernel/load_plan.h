// How the tracer loads on a kernel: which attach mode and event buffer it
// tries, in which order, and what it says of what the kernel lacks. Decided
// from the kernel's features alone (passed in, never read from the
// process-wide probe), and from the errors of the loads tried: no BPF here,
// so the tests give it made-up kernels.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"
#include "kernel/features.h"

namespace tcpfsm {

enum class AttachMode { Auto, TpBtf, Tracepoint };
std::string_view attach_mode_name(AttachMode m);  // "auto", "tp_btf", "tracepoint"

// How events reach userspace: the BPF ring buffer (Linux 5.8+), or a perf
// buffer per CPU (any kernel tcpfsm runs on). Auto: the ring buffer where
// the kernel has it.
enum class BufferMode { Auto, Ring, Perf };
std::string_view buffer_mode_name(BufferMode m);  // "auto", "ring", "perf"
// What Auto picks on a kernel with these features.
BufferMode auto_buffer_mode(const Features& f);

// The messages of what a kernel lacks, as the plan and the loader say them.
inline constexpr const char* kNoBtf =
    "kernel has no BTF at /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF=y, "
    "Linux 5.4+): tcpfsm's CO-RE program cannot be relocated without it";
inline constexpr const char* kNoRingbuf =
    "kernel has no BPF ring buffer (needs Linux 5.8 or newer): use --buffer perf (or auto)";
inline constexpr const char* kNoTpBtf = "kernel BTF has no inet_sock_set_state raw tracepoint";
inline constexpr const char* kNoSetStateTracepoint =
    "the kernel has no sock:inet_sock_set_state tracepoint (needs Linux 4.16 or newer)";

// One way of loading the program.
struct LoadAttempt {
  AttachMode mode = AttachMode::TpBtf;  // TpBtf or Tracepoint
  // tp_btf: sockets told apart by their cookies (Linux 5.12+ lets a
  // tracing program read them), else by keys as the tracepoint does.
  bool cookies = false;
  bool operator==(const LoadAttempt&) const = default;
};
// "tp_btf with cookies", "tp_btf with keys", "tracepoint".
std::string describe(const LoadAttempt& a);

struct LoadPlan {
  AttachMode wanted = AttachMode::Auto;  // --attach
  BufferMode buffer = BufferMode::Ring;  // Ring or Perf
  // The loads to try, in this order, until one loads (run_plan says which
  // failures move on to the next). Empty when refused.
  std::vector<LoadAttempt> attempts;
  // Why the kernel cannot have tp_btf, and the classic tracepoint, as its
  // features tell; empty: it may (a load may still be refused).
  std::string tp_btf_missing;
  std::string tracepoint_missing;
  // tracefs is not mounted: the tracepoint's attach mounts it (and it is
  // taken away again once attached).
  bool mount_tracefs = false;
  // Nothing can be loaded (no BTF, no ring buffer where one is asked for,
  // neither attach mode): the error for the user.
  std::optional<Error> refused;
};

// The plan for --attach `wanted` and --buffer `buffer` on a kernel with
// features f: tp_btf with cookies, tp_btf with keys, then the classic
// tracepoint, less what the kernel lacks or `wanted` leaves out.
LoadPlan plan_load(AttachMode wanted, BufferMode buffer, const Features& f);

// What loaded, and why it is not the best there is.
struct LoadOutcome {
  LoadAttempt loaded;
  std::string fallback_reason;  // why not tp_btf, when the tracepoint loaded under --attach auto
  std::string keys_reason;      // why not cookies, when tp_btf loaded with keys
};

// Tries the plan's loads in order with `load` (nothing: it loaded; else the
// error for the user) and returns the first that loads. tp_btf with keys is
// tried only after the kernel refused tp_btf with cookies (LoadFailed); the
// tracepoint only under --attach auto or tracepoint, and never after a
// refusal for want of privilege. Throws the error for the user when nothing
// loads: under --attach auto, both modes' reasons ("tp_btf: ...\ntracepoint:
// ...").
using LoadFn = std::function<std::optional<Error>(const LoadAttempt&)>;
LoadOutcome run_plan(const LoadPlan& plan, const LoadFn& load);

// The reset programs a load in `mode` (TpBtf or Tracepoint) gets on a
// kernel with features f (for the tracepoint, read with tracefs mounted),
// and one sentence for each thing tcpfsm then cannot tell about the causes.
struct CauseSources {
  bool received = false;  // tcp_receive_reset
  bool sent = false;      // tcp_send_reset
  std::vector<std::string> missing;
};
CauseSources cause_sources(AttachMode mode, const Features& f);

}  // namespace tcpfsm
