// Loads the BPF program, attaches it, and drains its event buffer (the BPF
// ring buffer, or per-CPU perf buffers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tcpfsm/event.h"
#include "kernel/load_plan.h"
#include "record/port_filter.h"

namespace tcpfsm {

struct LoadOptions {
  AttachMode mode = AttachMode::Auto;
  std::uint16_t family = 0;             // AF_INET, AF_INET6, or 0 for both
  PortFilter ports;
  std::uint32_t states = 0;             // transitions into or out of these (bit 1 << state); 0: all
  std::vector<std::uint32_t> netns;     // sockets of these network namespaces (inodes); empty: all
  struct Cgroup {
    std::uint64_t id;
    std::uint32_t level;  // depth below the cgroup2 root
  };
  std::vector<Cgroup> cgroups;          // sockets of these cgroups and their descendants; empty: all
  BufferMode buffer = BufferMode::Auto;
  // The event buffer's size, a power of two, at least a page: the ring
  // buffer's, or the perf buffers' together (split over the CPUs, at least
  // a page each).
  std::uint32_t ringbuf_bytes = 8u << 20;
  std::uint32_t socket_map_entries = 65536;  // tracepoint fallback only
  bool verbose = false;                 // libbpf's own messages to stderr

  // Whether the kernel keeps per-socket time (old_ns): only under a port or
  // state filter, which can hide some of a socket's events. Otherwise
  // userspace sees every event of a socket it sees at all and computes it,
  // which saves a socket-storage allocation per socket.
  bool kernel_state() const { return ports.active() || states != 0; }
};

// Counters the kernel keeps, summed over CPUs, since load.
struct KernelCounters {
  std::uint64_t matched = 0;        // TCP transitions that passed the filters
  std::uint64_t ringbuf_full = 0;   // dropped: the event buffer (ring, or this CPU's perf buffer) was full
  // Perf buffers only: records the kernel reported lost in them
  // (PERF_RECORD_LOST), read so far. The same losses as ringbuf_full counts
  // (less those of other causes, and those not reported yet: a buffer
  // reports its losses with its next record), so not added to it.
  std::uint64_t perf_lost_reported = 0;
  std::uint64_t skstate_full = 0;   // per-socket state could not be stored
  std::uint64_t recursion = 0;      // program skipped: another BPF program ran on the CPU
  // The program's runs and time in it, counted only while
  // kernel.bpf_stats_enabled is 1 (else both stay 0).
  std::uint64_t runs = 0, run_ns = 0;
  // Reset reports (tcpfsm_cause) on matched sockets, and those not delivered:
  // ring buffer full, or their program skipped (recursion).
  std::uint64_t causes = 0, causes_lost = 0;
  std::uint64_t causes_full = 0;  // of causes_lost: the event buffer was full
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(const tcpfsm_event& e) = 0;
  virtual void on_cause(const tcpfsm_cause& c) = 0;
};

// What a Tracer with these options loads on this kernel (Tracer::probe).
struct LoadProbe {
  AttachMode mode = AttachMode::Auto;
  bool socket_keys = false;     // events carry socket keys, not cookies
  std::string fallback_reason;  // why not tp_btf, when mode is Tracepoint
  std::string keys_reason;      // why keys, when mode is TpBtf and socket_keys
};

class Tracer {
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

  AttachMode mode() const;
  // Events carry socket keys (TCPFSM_F_SOCKET_KEY), not cookies: the
  // tracepoint fallback, or tp_btf on a kernel before 5.12.
  bool socket_keys() const;
  // The event buffer in use: Ring or Perf.
  BufferMode buffer() const;
  // Why tp_btf was not used, when the tracepoint fallback is active.
  const std::string& fallback_reason() const;
  // Why the tp_btf program identifies sockets by keys; empty when it does not.
  const std::string& keys_reason() const;
  // What tcpfsm cannot tell about the causes of ends on this kernel (a
  // missing tracepoint, a program the kernel refused); empty: nothing.
  const std::vector<std::string>& causes_missing() const;

  // Waits up to timeout_ms for the kernel's wakeup (it wakes us only once
  // enough data waits) or a signal; reads nothing.
  void wait(int timeout_ms);
  // Hands waiting events to the handler (after detach: the rest), at most
  // limit of them: true when it stopped there, and more may wait.
  bool drain(std::size_t limit = SIZE_MAX);
  // wait() then drain(), for callers that do not place losses in a stream.
  bool poll(int timeout_ms);
  // Stops new events; what is already in the buffer stays readable.
  void detach();

  KernelCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One line on stderr for each way the loaded program falls short of the
// best this tool has (the classic tracepoint; socket keys for cookies).
void report_load(const Tracer& tracer);

// What Tracer::probe found, for `tcpfsm features`: the attach mode, the
// socket identity, and why each fallback was taken.
std::string describe(const LoadProbe& probe);

}  // namespace tcpfsm
