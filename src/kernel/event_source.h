// Where a run's events come from: what the run loop (trace/trace.cpp) asks
// of its source, and nothing more. The BPF program (Tracer, kernel/loader.h)
// is one; a replay of records from memory (tests/support/replay_source.h)
// is another, so the run loop, its sinks and the whole pipeline behind it
// run in the unit tests without privilege, as Falco's scap_vtable puts the
// kernel, a capture file and a test input behind one table of calls.
//
// The records are the kernel's own (tcpfsm/event.h): a source hands on
// what the event buffer holds, undecoded, so that every source goes through
// the same decode, cause join, socket table and checker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kernel/load_plan.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

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
  // Stacks (LoadOptions::stacks): connect(), listen() and accept() calls
  // whose origin was written, those the event buffer had no room for, and
  // those whose user stack could not be read (sent without frames).
  std::uint64_t origins = 0, origins_full = 0, stacks_unread = 0;
};

// Takes a source's records, in the order the source hands them on.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // life: the connection's, when the record was a tcpfsm_close (a
  // transition into CLOSE that ends a connection); else nullptr.
  virtual void on_event(const tcpfsm_event& e, const tcpfsm_life* life) = 0;
  virtual void on_cause(const tcpfsm_cause& c) = 0;
  // Only when stacks are asked for (LoadOptions::stacks).
  virtual void on_origin(const tcpfsm_origin&) {}
};

// A source of events, made with the EventHandler it hands them to. The run
// loop waits, reads the counters (the losses go into the stream before the
// events drained after them), drains in batches, and at the end detaches,
// drains the rest and reads the counters once more.
class EventSource {
 public:
  virtual ~EventSource() = default;

  // How the events are had: the attach mode and the event buffer (Ring or
  // Perf), as the start record and the metrics say them.
  virtual AttachMode mode() const = 0;
  virtual BufferMode buffer() const = 0;
  // Events carry socket keys (TCPFSM_F_SOCKET_KEY), not cookies.
  virtual bool socket_keys() const = 0;
  // Why tp_btf was not used (the tracepoint fallback), and why the tp_btf
  // program identifies sockets by keys; empty: neither.
  virtual const std::string& fallback_reason() const = 0;
  virtual const std::string& keys_reason() const = 0;
  // What cannot be told about the causes of ends; empty: nothing.
  virtual const std::vector<std::string>& causes_missing() const = 0;

  // Waits up to timeout_ms for events (or a signal); reads nothing.
  virtual void wait(int timeout_ms) = 0;
  // Hands waiting records to the handler (after detach: the rest), at most
  // limit of them: true when it stopped there, and more may wait.
  virtual bool drain(std::size_t limit = SIZE_MAX) = 0;
  // Stops new events; what already waits stays readable.
  virtual void detach() = 0;
  // The counters since the source began: every event matched was either
  // handed on or counted lost (matched = read + ringbuf_full).
  virtual KernelCounters counters() const = 0;
};

// One line on stderr for each way the source falls short of the best this
// tool has (the classic tracepoint; socket keys for cookies).
void report_load(const EventSource& source);

}  // namespace tcpfsm
