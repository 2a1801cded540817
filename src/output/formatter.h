// Output formats for trace: each turns records into text appended to a
// string, so tests compare exact strings and the caller owns all I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/checker.h"
#include "output/json_keys.h"
#include "record/run_records.h"
#include "record/transition.h"

namespace tcpfsm {

enum class Format { Table, Json, None };  // None: no records (a metrics-only agent)

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

// How trace's records are written: (wide) the table adds NETNS, CGROUP
// (container) and TASK columns (the task on the CPU, where the owner is
// shown), and its row that ends a connection what it did; (owners) whether
// transitions carry their socket's owner (not --no-owners): the table's PID
// and OWNER columns then name the owner; without, they name that task (PID,
// COMM); (lifetimes, --lifetimes) connections' ends only, the transitions
// that carry a life: the table is one line per connection, as bcc's tcplife
// (its own columns: not wide), JSON writes those transitions' records and no
// others; (names) the keys of JSON transition records, tcpfsm's or
// OpenTelemetry's (--otel-names).
struct FormatterOptions {
  bool wide = false;
  bool owners = true;
  bool lifetimes = false;
  JsonNames names = JsonNames::Tcpfsm;
};
std::unique_ptr<Formatter> make_formatter(Format f, const FormatterOptions& options = {});

// The run's totals as its summary says them (kTotalsCounters' words): "12
// transitions; lost: ring buffer full 0, recursion 0, per-socket state not
// stored 0; violations: illegal 0, gaps 0, unknown states 0; 3 sockets
// tracked", then the counters that are not always said, when not 0.
std::string describe(const Totals& t);
// A lost record's counts, as the summary says them: "lost: ring buffer full
// 3, recursion 2, per-socket state not stored 1".
std::string describe(const Losses& l);

}  // namespace tcpfsm
