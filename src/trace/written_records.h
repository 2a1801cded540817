// Which transitions of the text waiting to be written reached the log. A
// Formatter that passes every record on and notes where each transition ends
// in the text, with its verdict, so that when a write stops partway (the
// disk filled: the writer keeps the whole records that fitted) the summary
// counts only the transitions on disk, not those formatted after them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "output/formatter.h"

namespace tcpfsm {

class WrittenRecords final : public Formatter {
 public:
  explicit WrittenRecords(Formatter& f) : f_(f) {}

  void start(std::string& out, const StartInfo& s) override { f_.start(out, s); }
  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    f_.transition(out, t, v);
    marks_.push_back({out.size(), v.kind});
  }
  void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) override { f_.lost(out, wall_ns, l); }
  void stats(std::string& out, const StatsInfo& s) override { f_.stats(out, s); }
  void end(std::string& out, const EndInfo& e) override { f_.end(out, e); }

  // The text was handed to the writer and cleared: only its first `bytes`
  // reached the log (all of it, unless the write failed). The transitions
  // after them are counted in not_written().
  void handed_on(std::size_t bytes) {
    for (const Mark& m : marks_) {
      if (m.end <= bytes) continue;
      ++not_written_.transitions;
      if (m.verdict == VerdictKind::Illegal) ++not_written_.illegal;
      else if (m.verdict == VerdictKind::Gap) ++not_written_.gaps;
      else if (m.verdict == VerdictKind::UnknownState) ++not_written_.unknown_states;
    }
    marks_.clear();
  }
  // Transitions formatted but not in the log, by verdict.
  const Totals& not_written() const { return not_written_; }

 private:
  struct Mark {
    std::size_t end;  // in the text, after the record
    VerdictKind verdict;
  };
  Formatter& f_;
  std::vector<Mark> marks_;
  Totals not_written_;
};

}  // namespace tcpfsm
