// The records of a run besides its transitions: its start, losses, periodic
// stats and end, and the running totals they carry. What every consumer of a
// run (the log, the metrics, top) receives; see record/sink.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "record/filters.h"

namespace tcpfsm {

// Losses over some span of time, by kind.
struct Losses {
  std::uint64_t ringbuf = 0;    // events dropped: the event buffer (ring, or perf: StartInfo::buffer) full
  std::uint64_t recursion = 0;  // events skipped: another BPF program was running
  std::uint64_t skstate = 0;    // per-socket state not stored: old_ns unknown later
  std::uint64_t events() const { return ringbuf + recursion; }
  bool any() const { return ringbuf || recursion || skstate; }
  bool operator==(const Losses&) const = default;
};

// Version of the JSON record layout (docs/json-schema.md); bump on any change.
constexpr int kSchemaVersion = 3;

// What a log needs to explain itself without the host it came from.
struct StartInfo {
  std::uint64_t wall_ns = 0;
  std::string_view cause;  // "run" (tracing began), "rotate", "reopen" (SIGHUP)
  std::string version, host, kernel, boot_id, attach, model;
  std::string buffer;  // "ring", "perf"; empty: not written
  Filters filters;
  std::uint64_t ringbuf_bytes = 0;
  std::int64_t mono_to_wall_ns = 0;  // wall = ktime_ns + this
};

// The trace pipeline's socket table (pipeline/socket_table.h) and owners.
struct TableCounts {
  std::uint64_t tracked = 0;            // sockets in the table now
  std::uint64_t untracked = 0;          // events of sockets not tracked: the table was full
  std::uint64_t stale = 0;              // sockets dropped: the kernel no longer had them (CLOSE lost)
  std::uint64_t crosscheck_errors = 0;  // cross-checks with the kernel that failed
  std::uint64_t owners_unresolved = 0;  // transitions of a socket with a file, written without its owner
};

// Running totals of a trace run.
struct Totals {
  std::uint64_t transitions = 0;  // written
  Losses lost;
  std::uint64_t illegal = 0, gaps = 0, unknown_states = 0;
  TableCounts sockets;
  // Reset reports (the causes rst_received, rst_sent): lost in the kernel
  // (ring buffer full, program skipped), and come after their transition
  // into CLOSE had been written (it then says less than it could).
  std::uint64_t causes_lost = 0, causes_late = 0;
  // Times the log's next file (rotation) or the log again (SIGHUP) could not
  // be opened; the file open was written to meanwhile.
  std::uint64_t log_open_failures = 0;
};

// Every counter of Totals, described once, in the order the stats and end
// records carry them: its name there as a path ("lost.ringbuf": the key
// ringbuf of the object lost) and how to read it. The JSON writer and the
// journal iterate it; a new counter is one more row (and its docs).
struct TotalsCounter {
  std::string_view name;
  std::uint64_t (*value)(const Totals&);
};
inline constexpr TotalsCounter kTotalsCounters[] = {
    {"transitions", [](const Totals& t) { return t.transitions; }},
    {"lost.ringbuf", [](const Totals& t) { return t.lost.ringbuf; }},
    {"lost.recursion", [](const Totals& t) { return t.lost.recursion; }},
    {"lost.skstate", [](const Totals& t) { return t.lost.skstate; }},
    {"violations.illegal", [](const Totals& t) { return t.illegal; }},
    {"violations.gap", [](const Totals& t) { return t.gaps; }},
    {"violations.unknown_state", [](const Totals& t) { return t.unknown_states; }},
    {"sockets_tracked", [](const Totals& t) { return t.sockets.tracked; }},
    {"sockets_untracked", [](const Totals& t) { return t.sockets.untracked; }},
    {"sockets_stale", [](const Totals& t) { return t.sockets.stale; }},
    {"crosscheck_errors", [](const Totals& t) { return t.sockets.crosscheck_errors; }},
    {"owners_unresolved", [](const Totals& t) { return t.sockets.owners_unresolved; }},
    {"causes_lost", [](const Totals& t) { return t.causes_lost; }},
    {"causes_late", [](const Totals& t) { return t.causes_late; }},
    {"log_open_failures", [](const Totals& t) { return t.log_open_failures; }},
};

struct StatsInfo {
  std::uint64_t wall_ns = 0;
  Totals totals;
  std::uint64_t interval_ns = 0;  // since the previous stats record (or the start)
  double transitions_per_s = 0;   // over that interval
};

struct EndInfo {
  std::uint64_t wall_ns = 0;
  Totals totals;
  // The BPF program's own count of transitions that passed the filters:
  // equals transitions read + lost.ringbuf (read exceeds written only with --count).
  std::uint64_t kernel_matched = 0;
  std::uint64_t duration_ns = 0;
  std::string_view reason;  // "signal", "duration", "count", "output_closed", "error"
  std::string_view signal;  // "SIGINT"/"SIGTERM" when reason is "signal"
};

}  // namespace tcpfsm
