// What `tcpfsm check` found in a log, and its text, JSON and Graphviz forms.
// Its size is bounded: counts, fixed histograms, and at most `show` details.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/causes.h"
#include "model/checker.h"
#include "record/run_records.h"
#include "record/stuck_settings.h"
#include "check/histogram.h"
#include "check/lives.h"
#include "check/location.h"
#include "check/log_record.h"
#include "check/timeline.h"
#include "check/top_counter.h"

namespace tcpfsm {

struct InputFile {
  std::string name;  // as given; "<stdin>" for "-"
  std::uint64_t lines = 0;
  std::uint64_t crlf_lines = 0;
};

// A violation, and those like it: the same verdict, edge and reason. The
// socket and ts are the first one's.
struct Violation {
  Location at;    // the first
  Location last;  // the last like it
  std::uint64_t count = 1;
  VerdictKind kind = VerdictKind::Ok;
  std::string reason;
  int old_state = 0, new_state = 0;
  std::uint64_t cookie = 0;
  std::string ts, family, laddr, raddr;
  std::uint16_t lport = 0, rport = 0;
};

// A trace run with a start record and no end record after it: the tracer
// was killed, or its disk filled, or it is still writing. first: its first
// start record in the input; last: its last record.
struct UnfinishedRun {
  Location first, last;
};

struct InputProblem {
  Location at;
  InputError kind = InputError::InvalidJson;
  std::string message;
};

// What happened to sockets, by who held them and where: each kind's events
// counted by the socket's owner, container, local port and peer, for the
// largest of each (TopCounter: bounded).
enum class WhoKind : std::uint8_t { Resets, Timeouts, Refusals, Violations, OpenAtEnd };
inline constexpr std::array kWhoKinds{WhoKind::Resets, WhoKind::Timeouts, WhoKind::Refusals, WhoKind::Violations,
                                      WhoKind::OpenAtEnd};
// "resets", "timeouts", "refusals", "violations", "open_at_end".
std::string_view who_kind_name(WhoKind k);
inline constexpr std::size_t kWhoTop = 10;  // rows shown of each table

// A socket's labels. owner: "nginx[812]" (owner_comm[owner_pid]), "-" when the
// log does not say; container: its id, or "host"; lport: "8080"; peer:
// "10.0.0.2:443", "[::1]:443", the address alone when the port is 0 (a
// listener's), "?" when the log has none. As the log has them: not escaped.
struct SocketLabels {
  std::string owner = "-", container = "host", lport = "0", peer = "?";
};
std::string owner_label(const std::optional<std::uint32_t>& pid, std::string_view comm);
std::string peer_label(bool ipv6, std::string_view raddr, std::uint16_t rport);
// A container id as shown: the first 12 of 64 hex digits, as `docker ps`
// shows it; any other label as it is.
std::string_view shown_container(std::string_view key);

struct WhoTable {
  std::uint64_t count = 0;
  TopCounter owner, container, lport, peer;
  void add(const SocketLabels& s) {
    ++count;
    owner.add(s.owner);
    container.add(s.container);
    lport.add(s.lport);
    peer.add(s.peer);
  }
};

// Sockets in CLOSE_WAIT for stuck_age or longer when the log ended: by the
// log's own clock, from the ts of their move into it to the last ts read.
struct StuckAtEnd {
  std::uint64_t sockets = 0;
  std::uint64_t oldest_ns = 0;
  bool earlier_run = false;  // some when a trace run ended before the log did
  TopCounter owners;
};

struct CheckReport {
  explicit CheckReport(Model m, std::size_t show_max) : model(m), show(show_max) {}

  Model model;
  std::size_t show;  // details kept per list; 0 keeps all
  std::vector<InputFile> files;

  std::array<std::uint64_t, 5> records{};         // by RecordType; Unknown ones are input errors
  std::array<std::uint64_t, 4> verdicts{};        // transitions by VerdictKind
  std::uint64_t gaps_explained = 0;               // gaps a reported loss accounts for
  std::array<std::uint64_t, kLifecycleClasses> lifecycles{};  // by LifecycleClass
  std::uint64_t listeners = 0;                    // lifecycles of listening sockets
  std::map<int, std::uint64_t> open_at_end;       // still-open lifecycles by state, when a run ended
  std::uint64_t lost_records = 0;
  Losses lost;                                    // summed over the lost records
  std::uint64_t runs_counted = 0;                 // runs whose end total was compared
  std::uint64_t unfinished = 0;                   // runs with no end record
  std::array<std::uint64_t, kInputErrorKinds> input_errors{};
  std::map<std::pair<int, int>, std::uint64_t> edges;  // observed old -> new counts
  // Causes per edge, for edges with any: by Cause (index 0, None, unused:
  // records without a cause are the edge's count less these), and last, a
  // word this tcpfsm does not know (a newer writer's).
  using CauseCounts = std::array<std::uint64_t, kCauseCount + 1>;
  static constexpr std::size_t kOtherCause = kCauseCount;
  std::map<std::pair<int, int>, CauseCounts> edge_causes;
  std::map<int, Histogram> time_in_state;         // old_ns by the state left (known states)
  Timeline timeline;                              // transitions, violations and losses by ts
  // What connections did, from the life on the record of their end, by how
  // they ended; the longest lives and the most retransmissions.
  std::array<ClassLives, kLifecycleClasses> lives{};  // by LifecycleClass
  LifeTop longest;       // by duration
  LifeTop most_retrans;  // by segments retransmitted, 1 or more

  std::array<WhoTable, kWhoKinds.size()> who;     // by WhoKind
  std::uint64_t stuck_age_ns = static_cast<std::uint64_t>(StuckSettings{}.age.count());  // --stuck-age
  StuckAtEnd stuck;

  std::vector<Violation> violations;        // the first `show` kinds (all if 0), each with its count
  std::vector<InputProblem> problems;       // the first `show` (all if 0)
  std::vector<UnfinishedRun> unfinished_runs;  // the first `show` (all if 0)

  bool read_failed = false;  // a file could not be read to its end

  std::uint64_t lines() const;
  std::uint64_t transitions() const;
  std::uint64_t violation_count() const;    // illegal + gap + unknown_state
  std::uint64_t violations_listed() const;  // those of the kinds listed
  std::uint64_t input_error_count() const;
  std::uint64_t lives_total() const;
  bool keeps_more(std::size_t listed) const { return show == 0 || listed < show; }

  // 0 clean; 1 violations, gaps or input errors; 2 a file could not be read;
  // 9 a trace run has no end record. The first of 2, 1, 9 that applies.
  // Warnings do not change it.
  int exit_status() const;
  bool has_warnings() const { return stuck.sockets != 0; }
  const WhoTable& who_of(WhoKind k) const { return who[static_cast<std::size_t>(k)]; }
  const ClassLives& lives_of(LifecycleClass c) const { return lives[static_cast<std::size_t>(c)]; }

  // "t.json:12" (the file alone for line 0), the name escaped for a terminal
  // (common/text.h): a file name is any bytes its creator chose.
  std::string where(const Location& at) const;
};

// The kinds each count array of the report is indexed by, in the order the
// report's forms list them.
inline constexpr std::array kRecordTypes{RecordType::Transition, RecordType::Lost, RecordType::Start,
                                         RecordType::Stats, RecordType::End};
inline constexpr std::array kVerdicts{VerdictKind::Ok, VerdictKind::Illegal, VerdictKind::Gap,
                                      VerdictKind::UnknownState};
inline constexpr std::array kClasses{LifecycleClass::Completed,     LifecycleClass::Refused, LifecycleClass::TimedOut,
                                     LifecycleClass::Unreachable,   LifecycleClass::Reset,   LifecycleClass::Killed,
                                     LifecycleClass::FailedConnect, LifecycleClass::Aborted, LifecycleClass::Truncated,
                                     LifecycleClass::Open};
static_assert(kClasses.size() == kLifecycleClasses);

// counts[e], for a count array indexed by an enum.
template <class A, class E>
std::uint64_t at(const A& counts, E e) {
  return counts[static_cast<std::size_t>(e)];
}

// An edge's causes as f(name, count): known ones in the cause table's order,
// then "other" (words this tcpfsm does not know), then "none" (the edge's
// records without a cause).
template <class F>
void for_each_cause(const CheckReport::CauseCounts& c, std::uint64_t edge_total, F&& f) {
  std::uint64_t with_cause = 0;
  for (const CauseInfo& i : all_causes())
    if (const std::uint64_t n = c[static_cast<std::size_t>(i.cause)]) {
      f(i.name, n);
      with_cause += n;
    }
  if (const std::uint64_t n = c[CheckReport::kOtherCause]) {
    f("other", n);
    with_cause += n;
  }
  if (edge_total > with_cause) f("none", edge_total - with_cause);
}

// The observed edges in the order of the edge table (a lifecycle's order),
// then edges the table does not have.
std::vector<std::pair<std::pair<int, int>, std::uint64_t>> edges_in_table_order(const CheckReport& r);
// "10.0.0.1:40000", "[::1]:8080", or "?" when the log did not say. The
// address is text from the log, escaped like anything else quoted from it.
std::string logged_endpoint(const std::string& family, const std::string& addr, std::uint16_t port);
// Why a trace run has no end record, as the reports say it.
inline constexpr std::string_view kUnfinishedWhy =
    "the tracer was killed or its disk filled, or it is still writing, or the files after a rotated one are "
    "missing";
// The warning for sockets long in CLOSE_WAIT at the end, or "" for none:
// "2 sockets in CLOSE_WAIT for 30s or more at the end of the log (the oldest
// for 38.0s), held by nginx[100] 1, - 1". Labels from the log not escaped.
std::string stuck_warning(const CheckReport& r);
// What the model says of an edge: its label, or why it is not allowed.
std::string edge_note(Model m, int from, int to);

std::string report_text(const CheckReport& r);
std::string report_json(const CheckReport& r);
// Observed transitions with their counts; edges the model does not allow in red.
std::string report_dot(const CheckReport& r);

// "t.json:12: <message>", as written to the error stream.
std::string problem_line(const CheckReport& r, const InputProblem& p);

}  // namespace tcpfsm
