// Output formats for trace: each turns records into text appended to a
// string, so tests compare exact strings and the caller owns all I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/checker.h"
#include "kernel/port_filter.h"
#include "kernel/transition.h"

namespace tcpfsm {

enum class Format { Table, Json, None };  // None: no records (a metrics-only agent)

// Losses over some span of time, by kind.
struct Losses {
  std::uint64_t ringbuf = 0;    // events dropped: the event buffer (ring, or perf: StartInfo::buffer) full
  std::uint64_t recursion = 0;  // events skipped: another BPF program was running
  std::uint64_t skstate = 0;    // per-socket state not stored: old_ns unknown later
  std::uint64_t events() const { return ringbuf + recursion; }
  bool any() const { return ringbuf || recursion || skstate; }
};

// Version of the JSON record layout (docs/json-schema.md); bump on any change.
constexpr int kSchemaVersion = 3;

// What a log needs to explain itself without the host it came from.
struct StartInfo {
  std::uint64_t wall_ns = 0;
  std::string_view cause;  // "run" (tracing began), "rotate", "reopen" (SIGHUP)
  std::string_view version, host, kernel, boot_id, attach, model;
  std::string_view buffer;  // "ring", "perf"; empty: not written
  int family = 0;          // 0 (both), 4 or 6
  const PortFilter* ports = nullptr;
  std::uint32_t states = 0;              // bit 1 << state; 0: all
  std::vector<std::uint32_t> netns;      // network namespace inodes; empty: all
  std::vector<std::string> cgroups;      // cgroup paths below the cgroup2 mount; empty: all
  std::int32_t pid = 0;                  // 0: all
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

class Formatter {
 public:
  virtual ~Formatter() = default;
  // At the top of every file (and of standard output): what produced it.
  virtual void start(std::string& out, const StartInfo& s) = 0;
  virtual void transition(std::string& out, const Transition& t, const Verdict& v) = 0;
  // Losses noticed at wall_ns, counted since the previous lost record.
  virtual void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) = 0;
  virtual void stats(std::string& out, const StatsInfo& s) = 0;
  virtual void end(std::string& out, const EndInfo& e) = 0;
};

// wide: the table adds NETNS, CGROUP (container) and TASK (the task on the
// CPU, where the owner is shown) columns.
// owners: whether transitions carry their socket's owner (not --no-owners):
// the table's PID and OWNER columns then name the owner, and -w adds the
// task that was on the CPU; without, they name that task (PID, COMM).
std::unique_ptr<Formatter> make_formatter(Format f, bool wide = false, bool owners = true);

// "12 transitions, lost 0 events (...); 0 illegal, 0 gaps, 0 unknown states;
// 3 sockets tracked" and what the socket table could not do, if anything.
std::string describe(const Totals& t);

}  // namespace tcpfsm
