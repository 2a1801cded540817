// The systemd journal as a Sink (trace --journal): one journal entry per
// record (start, transition, lost, stats, end), its fields named as the JSON
// log names its keys, upper-cased (OLD, NEW, COOKIE, LADDR, LPORT, COMM,
// OWNER_PID, VERDICT, ...; nested keys joined with '_': LOST_RINGBUF,
// FILTERS_PORTS), TCPFSM_TYPE the record's type, a MESSAGE for people
// (escaped for a terminal), SYSLOG_IDENTIFIER=tcpfsm, and PRIORITY from the
// verdict: ok info (6), gap notice (5), illegal and unknown state warning
// (4); lost records warning, the others info.
//
// Sent with libsystemd's sd_journal_sendv, each field with its length: a
// process name or cgroup path keeps its bytes (a newline in it splits
// nothing). libsystemd's socket blocks while journald's queue is full, and
// says nothing when there is no journald: so the entries go to journald from
// a thread of the sink's own through a bounded queue, and the trace never
// waits for the journal. What cannot be sent (no journald, the queue full,
// journald still not taking them 2 s after the end record) is counted,
// each reason said once on standard error when it first happens, and the
// count at the end; the run's totals carry it (journal_not_sent, in the
// stats and end records of the log, the journal and the metrics).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model/checker.h"
#include "record/run_records.h"
#include "record/sink.h"
#include "record/transition.h"

namespace tcpfsm {

// One journal entry: its fields, "NAME=value" each, in order, the value any
// bytes. A name may come more than once (a list: FILTERS_PORTS=80,
// FILTERS_PORTS=443), as the journal allows.
class JournalEntry {
 public:
  void add(std::string_view name, std::string_view value);
  void add(std::string_view name, std::uint64_t value);
  std::size_t size() const { return ends_.size(); }
  // "NAME=value"
  std::string_view field(std::size_t i) const;
  // The value of the first field called name.
  std::optional<std::string_view> get(std::string_view name) const;

 private:
  std::string bytes_;
  std::vector<std::size_t> ends_;  // in bytes_, after each field
};

// Syslog priorities by verdict: 6 (info), 5 (notice) for a gap, 4 (warning)
// for an illegal edge or an unknown state.
int journal_priority(VerdictKind k);

// The entries the sink sends, each with MESSAGE, PRIORITY and
// SYSLOG_IDENTIFIER. The stats and end entries carry the totals, among them
// JOURNAL_NOT_SENT: the records before it that the journal did not get, as
// far as the run knew when it made the record (JournalSink::not_sent()).
JournalEntry journal_start_entry(const StartInfo& s);
JournalEntry journal_transition_entry(const Transition& t, const Verdict& v);
JournalEntry journal_lost_entry(std::uint64_t wall_ns, const Losses& l);
JournalEntry journal_stats_entry(const StatsInfo& s);
JournalEntry journal_end_entry(const EndInfo& e);

class JournalSink final : public Sink {
 public:
  // Where journald listens, as libsystemd sends.
  static constexpr const char* kSocket = "/run/systemd/journal/socket";

  JournalSink();
  ~JournalSink() override;
  JournalSink(const JournalSink&) = delete;
  JournalSink& operator=(const JournalSink&) = delete;

  // Starts the sending thread: after the run dropped its privileges
  // (capabilities are per thread), none are kept in it.
  void start(const StartInfo& s) override;
  void transition(const Transition& t, const Verdict& v) override;
  void lost(std::uint64_t wall_ns, const Losses& l) override;
  void stats(const StatsInfo& s) override;
  // Queues the end entry, waits up to 2 s for journald to take everything,
  // and says on standard error how many records it did not get, if any.
  void end(const EndInfo& e) override;

  // Records queued so far that the journal did not get (or may not have:
  // those still queued when the sink gave up on them). The run counts them
  // in Totals::journal_not_sent.
  std::uint64_t not_sent() const override;

  struct Shared;  // the queue and the counts, shared with the thread

 private:
  void push(JournalEntry e);
  // Waits up to `wait` for the queue to empty, then stops the thread;
  // what it did not send by then is counted.
  void close(std::chrono::milliseconds wait);

  std::shared_ptr<Shared> shared_;
  std::thread sender_;
};

}  // namespace tcpfsm
