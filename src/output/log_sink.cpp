#include "output/log_sink.h"

#include "common/clock.h"
#include "common/errors.h"

namespace tcpfsm {
namespace {

constexpr std::size_t kSpillBytes = 64 * 1024;  // text is handed on in pieces this large

}  // namespace

LogSink::LogSink(std::unique_ptr<Formatter> formatter, LogWriter::Options writer)
    : formatter_(std::move(formatter)),
      writer_(std::move(writer), [this](std::string& out, std::string_view cause) {
        if (!start_) return;
        StartInfo s = *start_;
        s.cause = cause;
        s.wall_ns = wall_now_ns();
        s.mono_to_wall_ns = ClockMap::now().mono_to_wall_ns;
        formatter_->start(out, s);
      }) {}

void LogSink::start(const StartInfo& s) {
  start_ = s;
  writer_.begin();
}

void LogSink::transition(const Transition& t, const Verdict& v) {
  formatter_->transition(buf_, t, v);
  marks_.push_back({buf_.size(), v.kind});
  spill_if_full();
}

void LogSink::lost(std::uint64_t wall_ns, const Losses& l) {
  formatter_->lost(buf_, wall_ns, l);
  spill_if_full();
}

void LogSink::stats(const StatsInfo& s) { formatter_->stats(buf_, s); }

void LogSink::end(const EndInfo& e) {
  formatter_->end(buf_, e);
  flush();
  if (!reader_gone_) writer_.sync();
}

void LogSink::flush() {
  if (!reader_gone_ && !buf_.empty()) {
    try {
      reader_gone_ = !writer_.write(buf_);
    } catch (const Error&) {
      handed_on(writer_.written());
      buf_.clear();
      throw;
    }
  }
  handed_on(buf_.size());
  buf_.clear();
}

void LogSink::reopen() {
  flush();
  writer_.reopen();
}

void LogSink::spill_if_full() {
  if (buf_.size() >= kSpillBytes) flush();
}

void LogSink::handed_on(std::size_t bytes) {
  for (const Mark& m : marks_) {
    if (m.end <= bytes) continue;
    ++not_written_.transitions;
    if (m.verdict == VerdictKind::Illegal) ++not_written_.illegal;
    else if (m.verdict == VerdictKind::Gap) ++not_written_.gaps;
    else if (m.verdict == VerdictKind::UnknownState) ++not_written_.unknown_states;
  }
  marks_.clear();
}

}  // namespace tcpfsm
