// The records of a run besides its transitions: its start, losses, periodic
// stats and end, and the running totals they carry. What every consumer of a
// run (the log, the metrics, top) receives; see record/sink.h.
#pragma once

#include <cstdint>
#include <span>
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
constexpr int kSchemaVersion = 4;

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
  // Records the systemd journal (trace --journal) did not get, as far as
  // known: no journald, its queue full, not taken by the end.
  std::uint64_t journal_not_sent = 0;
};

// How the metrics (docs/metrics.md) expose a counter of Totals: its family,
// and the label that tells it from the other rows of its family. The rows of
// a family are adjacent: it is written once, with one HELP and TYPE.
enum class MetricType { Counter, Gauge };
struct MetricRow {
  std::string_view family;  // "tcpfsm_lost_events_total"; empty: not exposed
  MetricType type = MetricType::Counter;
  std::string_view label, label_value;  // reason="ringbuf"; empty: the family's one row
  // The family's HELP when it has several rows (on its first): else the row's help.
  std::string_view family_help;
};
// A family of one row.
constexpr MetricRow metric_row(std::string_view family, MetricType type = MetricType::Counter) {
  return {family, type, {}, {}, {}};
}
// A row of a family of several, told apart by label="value"; the first says the family's help.
constexpr MetricRow metric_row(std::string_view family, std::string_view label, std::string_view value,
                               std::string_view family_help = {}) {
  return {family, MetricType::Counter, label, value, family_help};
}

// Every counter of Totals, described once, in the order the stats and end
// records carry them. What each consumer needs of it:
// - name: its name in the stats and end records as a path ("lost.ringbuf":
//   the key ringbuf of the object lost; the journal's LOST_RINGBUF);
// - value: how to read it;
// - help: what it counts, one sentence (the metric's HELP, the docs');
// - metric: how --metrics exposes it, if it does;
// - words: how the summary (stderr, the table's stats line) says it, "{}"
//   the number; empty: its key, '_' as a space, then the number. A row of an
//   object is said after the object's name ("lost: ring buffer full 0, ...");
// - always: said in the summary when 0 too, else only when not.
// The JSON writer, the journal, the metrics and the summary iterate it; a new
// counter is one more row (and its docs: json-schema.md, metrics.md).
struct TotalsCounter {
  std::string_view name;
  std::uint64_t (*value)(const Totals&);
  std::string_view help;
  MetricRow metric;
  std::string_view words;
  bool always = false;

  // "lost" of "lost.ringbuf"; "" for a top-level counter.
  constexpr std::string_view group() const {
    const auto dot = name.find('.');
    return dot == std::string_view::npos ? std::string_view() : name.substr(0, dot);
  }
  // "ringbuf" of "lost.ringbuf"; the name itself for a top-level counter.
  constexpr std::string_view key() const {
    const auto dot = name.find('.');
    return dot == std::string_view::npos ? name : name.substr(dot + 1);
  }
};

inline constexpr TotalsCounter kTotalsCounters[] = {
    {.name = "transitions",
     .value = [](const Totals& t) { return t.transitions; },
     .help = "Transitions written.",
     .metric = {},  // exposed by edge: tcpfsm_transitions_total
     .words = "{} transitions",
     .always = true},
    {.name = "lost.ringbuf",
     .value = [](const Totals& t) { return t.lost.ringbuf; },
     .help = "Transitions the kernel dropped because the event buffer (the ring buffer, or a perf buffer) was full.",
     .metric = metric_row("tcpfsm_lost_events_total", "reason", "ringbuf",
                          "Transitions the kernel could not deliver (ringbuf, recursion), and per-socket state it "
                          "could not store (skstate: old_ns unknown later, not a lost transition)."),
     .words = "ring buffer full {}",
     .always = true},
    {.name = "lost.recursion",
     .value = [](const Totals& t) { return t.lost.recursion; },
     .help = "Tracepoint hits the kernel skipped because a BPF program was already running on the CPU.",
     .metric = metric_row("tcpfsm_lost_events_total", "reason", "recursion"),
     .words = {},
     .always = true},
    {.name = "lost.skstate",
     .value = [](const Totals& t) { return t.lost.skstate; },
     .help = "Transitions whose socket's state the kernel could not store (its next old_ns is unknown), not lost "
             "transitions.",
     .metric = metric_row("tcpfsm_lost_events_total", "reason", "skstate"),
     .words = "per-socket state not stored {}",
     .always = true},
    {.name = "violations.illegal",
     .value = [](const Totals& t) { return t.illegal; },
     .help = "Transitions written along an edge the model does not have.",
     .metric = {},  // the violations are exposed by verdict: tcpfsm_verdicts_total
     .words = {},
     .always = true},
    {.name = "violations.gap",
     .value = [](const Totals& t) { return t.gaps; },
     .help = "Transitions written whose old state is not their socket's last new one (transitions were lost "
             "between).",
     .metric = {},
     .words = "gaps {}",
     .always = true},
    {.name = "violations.unknown_state",
     .value = [](const Totals& t) { return t.unknown_states; },
     .help = "Transitions written from or to a state the model does not know.",
     .metric = {},
     .words = "unknown states {}",
     .always = true},
    {.name = "sockets_tracked",
     .value = [](const Totals& t) { return t.sockets.tracked; },
     .help = "Sockets in tcpfsm's socket table now.",
     .metric = metric_row("tcpfsm_sockets_tracked", MetricType::Gauge),
     .words = "{} sockets tracked",
     .always = true},
    {.name = "sockets_untracked",
     .value = [](const Totals& t) { return t.sockets.untracked; },
     .help = "Transitions of sockets the table had no room for (--max-sockets).",
     .metric = metric_row("tcpfsm_untracked_transitions_total"),
     .words = "{} transitions of untracked sockets (--max-sockets)"},
    {.name = "sockets_stale",
     .value = [](const Totals& t) { return t.sockets.stale; },
     .help = "Sockets dropped from the table because the kernel no longer had them (their CLOSE was lost).",
     .metric = metric_row("tcpfsm_sockets_stale_total"),
     .words = "{} sockets dropped as gone from the kernel"},
    {.name = "crosscheck_errors",
     .value = [](const Totals& t) { return t.sockets.crosscheck_errors; },
     .help = "Cross-checks of the socket table with the kernel that failed (a namespace out of reach, sock_diag).",
     .metric = metric_row("tcpfsm_crosscheck_errors_total"),
     .words = "{} cross-checks failed"},
    {.name = "owners_unresolved",
     .value = [](const Totals& t) { return t.sockets.owners_unresolved; },
     .help = "Transitions of a socket with a file written without its owner (not found in /proc).",
     .metric = metric_row("tcpfsm_owners_unresolved_total"),
     .words = "{} transitions without a known owner"},
    {.name = "causes_lost",
     .value = [](const Totals& t) { return t.causes_lost; },
     .help = "Reports of resets the kernel could not deliver (ring buffer full, program skipped): the transitions "
             "they explain lack the cause rst_received or rst_sent.",
     .metric = metric_row("tcpfsm_reset_reports_lost_total"),
     .words = "{} reset reports lost"},
    {.name = "causes_late",
     .value = [](const Totals& t) { return t.causes_late; },
     .help = "Reports of resets that came after their transition into CLOSE had been written (more than 20 ms "
             "late): it lacks the cause rst_received or rst_sent.",
     .metric = metric_row("tcpfsm_reset_reports_late_total"),
     .words = "{} reset reports too late for their record"},
    {.name = "log_open_failures",
     .value = [](const Totals& t) { return t.log_open_failures; },
     .help = "Times the log's next file (--rotate-size) or the log again (SIGHUP) could not be opened: the file "
             "already open was written to meanwhile.",
     .metric = metric_row("tcpfsm_log_open_failures_total"),
     .words = "the log's next file could not be opened {} times"},
    {.name = "journal_not_sent",
     .value = [](const Totals& t) { return t.journal_not_sent; },
     .help = "Records that did not reach the systemd journal (--journal): no journald, more than 8192 waiting, or "
             "not taken within 2 s of the end.",
     .metric = metric_row("tcpfsm_journal_records_not_sent_total"),
     .words = "{} records not sent to the journal"},
};

// The rows whose `of` is `value`: adjacent in kTotalsCounters (checked below).
template <typename Of>
constexpr std::span<const TotalsCounter> totals_counters_where(Of of, std::string_view value) {
  const std::span<const TotalsCounter> all(kTotalsCounters);
  std::size_t first = 0;
  while (first < all.size() && of(all[first]) != value) ++first;
  std::size_t last = first;
  while (last < all.size() && of(all[last]) == value) ++last;
  return all.subspan(first, last - first);
}

namespace totals_check {
// Each object's rows, and each family's, are adjacent; a family of several
// rows tells them by a label and says its own help on its first row.
template <typename Of>
consteval bool adjacent(Of of) {
  for (const TotalsCounter& c : kTotalsCounters)
    if (!of(c).empty()) {
      std::size_t n = 0;
      for (const TotalsCounter& d : kTotalsCounters) n += of(d) == of(c);
      if (totals_counters_where(of, of(c)).size() != n) return false;
    }
  return true;
}
consteval bool families_labelled() {
  for (const TotalsCounter& c : kTotalsCounters) {
    if (c.metric.family.empty()) continue;
    const auto rows = totals_counters_where([](const TotalsCounter& d) { return d.metric.family; }, c.metric.family);
    if (rows.size() > 1 && (c.metric.label.empty() || rows.front().metric.family_help.empty())) return false;
    if (&c != &rows.front() && !c.metric.family_help.empty()) return false;
  }
  return true;
}
static_assert(adjacent([](const TotalsCounter& c) { return c.group(); }));
static_assert(adjacent([](const TotalsCounter& c) { return c.metric.family; }));
static_assert(families_labelled());
}  // namespace totals_check

// The lost record's members: the rows of the object lost, read from a
// Losses through totals_of.
inline constexpr std::span<const TotalsCounter> kLossCounters =
    totals_counters_where([](const TotalsCounter& c) { return c.group(); }, "lost");
inline Totals totals_of(const Losses& l) {
  Totals t;
  t.lost = l;
  return t;
}

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
