// Loads the BPF program, attaches it, and drains its event buffer (the BPF
// ring buffer, or per-CPU perf buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/event_source.h"
#include "kernel/load_plan.h"
#include "record/filters.h"

namespace tcpfsm {

struct LoadOptions {
  AttachMode mode = AttachMode::Auto;
  // What the program passes: family, ports, states and namespaces from here
  // (not the pid: the pipeline's), the cgroups as resolved below.
  Filters filters;
  struct Cgroup {
    std::uint64_t id;
    std::uint32_t level;  // depth below the cgroup2 root
  };
  std::vector<Cgroup> cgroups;          // filters.cgroups by id: sockets of these cgroups and below; empty: all
  BufferMode buffer = BufferMode::Auto;
  // The event buffer's size, a power of two, at least a page: the ring
  // buffer's, or the perf buffers' together (split over the CPUs, at least
  // a page each).
  std::uint32_t ringbuf_bytes = 8u << 20;
  std::uint32_t socket_map_entries = 65536;  // tracepoint fallback only
  bool verbose = false;                 // libbpf's own messages to stderr
  // The user stack of every connect(), listen() and accept() on a socket
  // that passes the filters (tcpfsm_origin records, EventHandler::on_origin).
  bool stacks = false;

  // Whether the kernel keeps per-socket time (old_ns): only under a port or
  // state filter, which can hide some of a socket's events. Otherwise
  // userspace sees every event of a socket it sees at all and computes it,
  // which saves a socket-storage allocation per socket.
  bool kernel_state() const { return filters.ports.active() || filters.states != 0; }
};

// What a Tracer with these options loads on this kernel (Tracer::probe).
struct LoadProbe {
  AttachMode mode = AttachMode::Auto;
  bool socket_keys = false;     // events carry socket keys, not cookies
  std::string fallback_reason;  // why not tp_btf, when mode is Tracepoint
  std::string keys_reason;      // why keys, when mode is TpBtf and socket_keys
};

// The BPF program as an event source: loaded, attached, its event buffer
// drained into the handler it was made with.
class Tracer final : public EventSource {
 public:
  // Loads and attaches as plan_load() plans it for this kernel's features();
  // throws Error with a message for the user.
  Tracer(const LoadOptions& options, EventHandler& handler);
  // Loads what the constructor would, the same way, and attaches nothing
  // (so it needs no tracefs): `tcpfsm features` says what `trace` gets.
  // Throws Error as the constructor does.
  static LoadProbe probe(const LoadOptions& options);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  AttachMode mode() const override;
  // Events carry socket keys (TCPFSM_F_SOCKET_KEY), not cookies: the
  // tracepoint fallback, or tp_btf on a kernel before 5.12.
  bool socket_keys() const override;
  // The event buffer in use: Ring or Perf.
  BufferMode buffer() const override;
  // Why tp_btf was not used, when the tracepoint fallback is active.
  const std::string& fallback_reason() const override;
  // Why the tp_btf program identifies sockets by keys; empty when it does not.
  const std::string& keys_reason() const override;
  // What tcpfsm cannot tell about the causes of ends on this kernel (a
  // missing tracepoint, a program the kernel refused); empty: nothing.
  const std::vector<std::string>& causes_missing() const override;
  // With stacks: what tcpfsm cannot capture (accept()'s tracepoints need
  // tracefs); empty: nothing.
  const std::vector<std::string>& stacks_missing() const;

  // Waits up to timeout_ms for the kernel's wakeup (it wakes us only once
  // enough data waits) or a signal; reads nothing.
  void wait(int timeout_ms) override;
  // Hands waiting events to the handler (after detach: the rest), at most
  // limit of them: true when it stopped there, and more may wait.
  bool drain(std::size_t limit = SIZE_MAX) override;
  // wait() then drain(), for callers that do not place losses in a stream.
  bool poll(int timeout_ms);
  // Stops new events; what is already in the buffer stays readable.
  void detach() override;

  KernelCounters counters() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What Tracer::probe found, for `tcpfsm features`: the attach mode, the
// socket identity, and why each fallback was taken.
std::string describe(const LoadProbe& probe);

}  // namespace tcpfsm
