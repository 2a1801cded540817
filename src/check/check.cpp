#include "check/check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "check/report.h"
#include "check/report_files.h"
#include "check/report_html.h"
#include "model/checker.h"
#include "common/errors.h"
#include "common/json_text.h"
#include "common/text.h"
#include "check/line_reader.h"
#include "check/log_record.h"

namespace tcpfsm {
namespace {

constexpr std::string_view kStdin = "-";

// Why `path` cannot be read, or nothing if it can.
std::optional<std::string> unreadable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  struct stat st{};
  const bool dir = ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
  ::close(fd);
  if (dir) return std::string("is a directory");
  return std::nullopt;
}

// Feeds records to the checker and fills the report. A trace run (from a
// `start` record with cause "run" to its `end`) is checked on its own: sockets
// changed state unseen while no tracer ran.
class Session {
  // What the log said of a socket whose lifecycle is open.
  struct Sock {
    std::optional<std::uint32_t> owner_pid;
    // Cut at TopCounter::kMaxField bytes: what is kept of a socket is bounded.
    std::string owner_comm, container, raddr;
    bool ipv6 = false;
    std::uint16_t lport = 0, rport = 0;
    int state = 0;
    std::optional<std::uint64_t> since_ns;  // the ts of its move into `state`
  };

 public:
  Session(const CheckOptions& o, std::ostream& err) : report_(o.model, o.show), checker_(o.model), err_(err) {
    report_.stuck_age_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(o.stuck_age.count(), 0));
  }

  void read(std::string name, std::istream& in) {
    report_.files.push_back({std::move(name)});
    at_.file = report_.files.size() - 1;
    InputFile& file = report_.files.back();
    LineReader reader(in);
    LineReader::Line line;
    bool crlf_noted = false;
    while (reader.next(line)) {
      at_.line = line.number;
      ++file.lines;
      if (line.crlf) {
        ++file.crlf_lines;
        if (!crlf_noted)
          err_ << report_.where(at_) << ": note: CRLF line ending, read as LF (not noted again for this file)\n";
        crlf_noted = true;
      }
      if (line.too_long)
        problem(InputError::TooLong, "line is " + std::to_string(line.length) + " bytes, over the " +
                                         std::to_string(LineReader::kMaxLine >> 20) + " MiB limit");
      else if (line.text.empty())
        problem(InputError::EmptyLine, "empty line");
      else if (const auto nul = line.text.find('\0'); nul != std::string_view::npos)
        // A crash can leave a block of NUL bytes in a file.
        problem(InputError::InvalidJson, "invalid JSON at column " + std::to_string(nul + 1) + ": NUL byte");
      else if (auto bad = parse_record(line.text, rec_))
        bad_line(line, std::move(*bad));
      else
        handle();
    }
    if (reader.read_failed()) {
      err_ << "tcpfsm check: error reading " << escaped(file.name) << " after line " << file.lines << '\n';
      report_.read_failed = true;
    } else if (file.lines == 0) {
      at_.line = 0;
      problem(InputError::EmptyFile, "empty file");
    }
  }

  // A file that could be opened when checked, but not when its turn came.
  void unreadable(std::string name) {
    err_ << "tcpfsm check: cannot read " << escaped(name) << ": " << std::strerror(errno) << '\n';
    report_.files.push_back({std::move(name)});
    report_.read_failed = true;
  }

  CheckReport finish() {
    if (run_open_) unfinished();
    end_run();
    report_.stuck.earlier_run = stuck_before_last_run_ != 0;
    if (suppressed_)
      err_ << "tcpfsm check: " << suppressed_ << " more input errors not listed (--show 0 lists all)\n";
    return std::move(report_);
  }

 private:
  void bad_line(const LineReader::Line& line, ParseError bad) {
    if (line.unterminated)
      problem(InputError::TornLine,
              "last line is cut short, with no newline (the writer stopped mid-line): " + bad.message);
    else
      problem(bad.kind, std::move(bad.message));
  }

  void handle() {
    if (rec_.type == RecordType::Unknown) {
      problem(InputError::UnknownType, "unknown record type " + quote(rec_.type_name));
      return;
    }
    ++report_.records[static_cast<std::size_t>(rec_.type)];
    ts_ = json::parse_rfc3339(rec_.ts);
    if (ts_) last_ts_ = std::max(last_ts_.value_or(0), *ts_);
    switch (rec_.type) {
      case RecordType::Transition: transition(); break;
      case RecordType::Lost:
        ++report_.lost_records;
        report_.lost.ringbuf += rec_.lost.ringbuf;
        report_.lost.recursion += rec_.lost.recursion;
        report_.lost.skstate += rec_.lost.skstate;
        checker_.note_loss(rec_.lost.events());
        if (auto* b = bucket()) b->lost += rec_.lost.events();
        break;
      case RecordType::Start:
        // Rotation and reopening continue a run (one begun before the input
        // did, if none is open); anything else begins one.
        if (rec_.cause == "rotate" || rec_.cause == "reopen") {
          if (!run_open_) run_open_ = at_;
          break;
        }
        if (run_open_) unfinished();
        run_open_ = at_;
        end_run();
        run_start_ = at_;
        break;
      case RecordType::Stats: break;
      case RecordType::End:
        run_open_.reset();
        if (run_start_ && rec_.transitions) {
          ++report_.runs_counted;
          if (*rec_.transitions != run_transitions_)
            problem(InputError::CountMismatch,
                    "end record counts " + std::to_string(*rec_.transitions) + " transitions in its run, but " +
                        std::to_string(run_transitions_) + " were read since its start at " +
                        report_.where(*run_start_));
        }
        end_run();
        break;
      case RecordType::Unknown: break;  // handled above
    }
    last_record_ = at_;
  }

  // The open run ended with no end record: at its last record.
  void unfinished() {
    ++report_.unfinished;
    if (report_.keeps_more(report_.unfinished_runs.size()))
      report_.unfinished_runs.push_back({*run_open_, last_record_});
    run_open_.reset();
  }

  void transition() {
    ++run_transitions_;
    run_has_transitions_ = true;
    // rec_.cause on a transition is its cause (on a start record, why the run began).
    const std::optional<Cause> cause = cause_from_name(rec_.cause);
    const Checker::Result r = checker_.observe(rec_.cookie, rec_.old_state, rec_.new_state, cause.value_or(Cause::None));
    ++report_.verdicts[static_cast<std::size_t>(r.verdict.kind)];
    ++report_.edges[{rec_.old_state, rec_.new_state}];
    count_cause(cause);
    if (rec_.old_ns && find_state(rec_.old_state)) report_.time_in_state[rec_.old_state].add(*rec_.old_ns);
    if (r.ended) lifecycle(*r.ended);
    if (auto* b = bucket()) {
      ++b->transitions;
      if (r.verdict.kind != VerdictKind::Ok) ++b->violations;
    }
    if (r.verdict.kind != VerdictKind::Ok) violation(r.verdict);
    who(cause, r.verdict.kind, r.ended);
  }

  // A violation like one listed (the same verdict, edge and reason) adds to
  // its count; the first `show` kinds are listed.
  void violation(const Verdict& v) {
    auto key = std::make_tuple(v.kind, rec_.old_state, rec_.new_state, v.reason);
    if (const auto it = listed_.find(key); it != listed_.end()) {
      Violation& listed = report_.violations[it->second];
      ++listed.count;
      listed.last = at_;
      return;
    }
    if (!report_.keeps_more(report_.violations.size())) return;
    listed_.emplace(std::move(key), report_.violations.size());
    report_.violations.push_back({at_, at_, 1, v.kind, v.reason, rec_.old_state, rec_.new_state, rec_.cookie,
                                  rec_.ts, rec_.family, rec_.laddr, rec_.raddr, rec_.lport, rec_.rport});
  }

  // Counts the transition's socket by who and where, and remembers what the
  // log said of it: a later record may not say who held it (a socket closed
  // before its owner was looked up has none). A connection's end, with what
  // its life was, is counted with who held it.
  void who(const std::optional<Cause>& cause, VerdictKind verdict, const std::optional<Lifecycle>& ended) {
    const int close = number(State::Close);
    if (rec_.new_state == close) {
      // The lifecycle ended: its socket is not kept, but this record is counted.
      const auto it = socks_.find(rec_.cookie);
      Sock s = it == socks_.end() ? Sock{} : std::move(it->second);
      if (it != socks_.end()) socks_.erase(it);
      remember(s, true);
      count_events(cause, verdict, s);
      if (ended && rec_.life) lived(ended->cls, s);
      return;
    }
    auto [it, fresh] = socks_.try_emplace(rec_.cookie);
    remember(it->second, fresh);
    count_events(cause, verdict, it->second);
  }

  void count_events(const std::optional<Cause>& cause, VerdictKind verdict, const Sock& s) {
    const bool refusal = rec_.old_state == number(State::SynSent) && rec_.new_state == number(State::Close) &&
                         (cause == Cause::RstReceived || rec_.error == "ECONNREFUSED");
    std::optional<SocketLabels> labels;
    const auto add = [&](WhoKind k) {
      if (!labels) labels = labels_of(s);
      report_.who[static_cast<std::size_t>(k)].add(*labels);
    };
    if (refusal)
      add(WhoKind::Refusals);
    else if (cause == Cause::RstReceived || cause == Cause::RstSent)
      add(WhoKind::Resets);
    if (cause == Cause::Timeout) add(WhoKind::Timeouts);
    if (verdict != VerdictKind::Ok) add(WhoKind::Violations);
  }

  // A connection's life, by how it ended; listed when it lasted long or
  // retransmitted much.
  void lived(LifecycleClass cls, const Sock& s) {
    const ConnectionLife& l = *rec_.life;
    report_.lives[static_cast<std::size_t>(cls)].add(l);
    const auto row = [&] {
      return ListedLife{at_,         cls,        owner_label(s.owner_pid, s.owner_comm),
                        rec_.family, rec_.laddr, rec_.raddr,
                        rec_.lport,  rec_.rport, rec_.cause,
                        rec_.error,  l};
    };
    if (l.duration_ns && report_.longest.takes(*l.duration_ns)) report_.longest.add(*l.duration_ns, row());
    if (l.retrans.value_or(0) && report_.most_retrans.takes(*l.retrans)) report_.most_retrans.add(*l.retrans, row());
  }

  // What the record says of its socket over what was known of it.
  void remember(Sock& s, bool fresh) {
    const auto cut = [](std::string_view v) { return cut_at(v, TopCounter::kMaxField); };
    if (rec_.owner_pid) {
      s.owner_pid = rec_.owner_pid;
      s.owner_comm = cut(rec_.owner_comm_bytes.empty() ? rec_.owner_comm : rec_.owner_comm_bytes);
    }
    if (!rec_.container.empty()) s.container = cut(rec_.container);
    s.ipv6 = rec_.family == "ipv6";
    s.raddr = cut(rec_.raddr);
    s.lport = rec_.lport;
    s.rport = rec_.rport;
    // FIN_WAIT1 -> FIN_WAIT1 (close after shutdown) stays in its state.
    if (fresh || rec_.old_state != rec_.new_state || s.state != rec_.new_state) s.since_ns = ts_;
    s.state = rec_.new_state;
  }

  static SocketLabels labels_of(const Sock& s) {
    return {owner_label(s.owner_pid, s.owner_comm), s.container.empty() ? "host" : s.container,
            std::to_string(s.lport), peer_label(s.ipv6, s.raddr, s.rport)};
  }

  // Records without a cause are not counted: the report tells them from
  // the edge's total.
  void count_cause(const std::optional<Cause>& cause) {
    if (rec_.cause.empty()) return;
    const std::size_t i = cause ? static_cast<std::size_t>(*cause) : CheckReport::kOtherCause;
    ++report_.edge_causes[{rec_.old_state, rec_.new_state}][i];
  }

  // The timeline's bucket for this record's ts; none when the ts cannot be read.
  Timeline::Bucket* bucket() {
    if (ts_) return &report_.timeline.at(*ts_);
    ++report_.timeline.untimed;
    return nullptr;
  }

  void lifecycle(const Lifecycle& l) {
    ++report_.lifecycles[static_cast<std::size_t>(l.cls)];
    if (l.listener) ++report_.listeners;
  }

  // Lifecycles still open count as open (or truncated), and the checker
  // starts over. Those long in CLOSE_WAIT by the last ts read are stuck.
  void end_run() {
    const Sock unknown;
    std::uint64_t stuck = 0;
    checker_.for_each_open([&](std::uint64_t cookie, const Lifecycle& l) {
      lifecycle(l);
      ++report_.open_at_end[l.state];
      const auto it = socks_.find(cookie);
      const Sock& s = it == socks_.end() ? unknown : it->second;
      report_.who[static_cast<std::size_t>(WhoKind::OpenAtEnd)].add(labels_of(s));
      if (l.state != number(State::CloseWait) || !s.since_ns || !last_ts_ || *last_ts_ < *s.since_ns) return;
      const std::uint64_t age = *last_ts_ - *s.since_ns;
      if (age < report_.stuck_age_ns) return;
      ++stuck;
      report_.stuck.oldest_ns = std::max(report_.stuck.oldest_ns, age);
      report_.stuck.owners.add(owner_label(s.owner_pid, s.owner_comm));
    });
    report_.stuck.sockets += stuck;
    // Which run was the log's last: the last with a transition.
    if (run_has_transitions_) {
      stuck_before_last_run_ += stuck_in_last_run_;
      stuck_in_last_run_ = stuck;
    }
    run_has_transitions_ = false;
    socks_.clear();
    report_.gaps_explained += checker_.gaps_explained();
    checker_ = Checker(report_.model);
    run_start_.reset();
    run_transitions_ = 0;
  }

  void problem(InputError kind, std::string message) {
    ++report_.input_errors[static_cast<std::size_t>(kind)];
    if (!report_.keeps_more(report_.problems.size())) {
      ++suppressed_;
      return;
    }
    report_.problems.push_back({at_, kind, std::move(message)});
    err_ << problem_line(report_, report_.problems.back()) << '\n';
  }

  CheckReport report_;
  Checker checker_;
  std::unordered_map<std::uint64_t, Sock> socks_;  // by cookie, as the checker keeps lifecycles
  // The listed violations' kinds: verdict, edge, reason -> index in report_.violations.
  std::map<std::tuple<VerdictKind, int, int, std::string>, std::size_t> listed_;
  std::optional<std::uint64_t> ts_;       // the record's ts, if it can be read
  std::optional<std::uint64_t> last_ts_;  // the latest ts read
  bool run_has_transitions_ = false;
  std::uint64_t stuck_in_last_run_ = 0, stuck_before_last_run_ = 0;
  std::ostream& err_;
  LogRecord rec_;  // reused: its strings keep their capacity
  Location at_;
  std::optional<Location> run_start_;  // the `start` record of the run being read
  // The first start record (of any cause) of the run being read, until its
  // end record: a run still open when another begins or the input ends has none.
  std::optional<Location> run_open_;
  Location last_record_;  // the last line that held a record
  std::uint64_t run_transitions_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace

int run_check(const CheckOptions& o, std::istream& in, std::ostream& out, std::ostream& err) {
  const std::vector<std::string> files = o.files.empty() ? std::vector<std::string>{std::string(kStdin)} : o.files;

  // The files are one stream: check them all before reading any, as a missing
  // one would show up as gaps in the others.
  bool missing = false;
  for (const auto& f : files)
    if (f != kStdin)
      if (auto why = unreadable(f)) {
        err << "tcpfsm check: cannot read " << escaped(f) << ": " << *why << '\n';
        missing = true;
      }
  if (missing) return static_cast<int>(ExitCode::Usage);

  // The reports are looked at before reading, so that a bad path fails at
  // once, and written once everything was read.
  std::vector<ReportFile> reports;
  if (!o.dot_path.empty()) reports.push_back({"--dot", o.dot_path});
  if (!o.html_path.empty()) reports.push_back({"--html", o.html_path});
  if (const auto refused = check_report_files(reports, files, o.in_fd)) {
    err << "tcpfsm check: " << refused->message << '\n';
    return static_cast<int>(refused->code);
  }

  Session session(o, err);
  for (const auto& f : files) {
    if (f == kStdin) {
      session.read("<stdin>", in);
    } else {
      std::ifstream file(f, std::ios::in | std::ios::binary);
      if (file)
        session.read(f, file);
      else
        session.unreadable(f);
    }
  }
  const CheckReport report = session.finish();

  out << (o.format == ReportFormat::Json ? report_json(report) : report_text(report));
  for (const ReportFile& r : reports)
    if (const auto failed =
            write_report_file(r.path, r.option == "--dot" ? report_dot(report) : report_html(report, o.dot_program))) {
      err << "tcpfsm check: " << *failed << '\n';
      return static_cast<int>(ExitCode::OutputError);
    }
  return report.exit_status();
}

}  // namespace tcpfsm
