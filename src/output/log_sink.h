// The log as a Sink: each record formatted as text (table or JSON lines) and
// handed to the LogWriter (standard output, or a file rotated and reopened).
// The start record is kept and written again at the top of every new file.
// When a write stops partway (the disk filled: the writer keeps the whole
// records that fitted) the transitions formatted after them are counted in
// not_written(), so that the summary counts only what is on disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "output/formatter.h"
#include "output/log_writer.h"
#include "record/sink.h"

namespace tcpfsm {

class LogSink final : public Sink {
 public:
  // Opens the output now (see LogWriter): a bad path fails before tracing.
  LogSink(std::unique_ptr<Formatter> formatter, LogWriter::Options writer);

  // Writes the first start record; kept for every file after it.
  void start(const StartInfo& s) override;
  void transition(const Transition& t, const Verdict& v) override;
  void lost(std::uint64_t wall_ns, const Losses& l) override;
  void stats(const StatsInfo& s) override;
  // Written, flushed and synced.
  void end(const EndInfo& e) override;

  // Hands the text formatted so far to the writer (it spills on its own at
  // 64 KiB). Throws Error(OutputError) as LogWriter::write does; once the
  // reader of standard output has gone, drops the text.
  void flush();
  // SIGHUP: closes and reopens the file (after logrotate moved it).
  void reopen();

  bool is_file() const { return writer_.is_file(); }
  bool reader_gone() const { return reader_gone_; }
  const std::string& name() const { return writer_.name(); }
  std::uint64_t open_failures() const { return writer_.open_failures(); }
  // Transitions formatted but not in the log, by verdict.
  const Totals& not_written() const { return not_written_; }

 private:
  void spill_if_full();
  // The text was handed on: only its first `bytes` reached the log.
  void handed_on(std::size_t bytes);

  struct Mark {
    std::size_t end;  // in the text, after the record
    VerdictKind verdict;
  };
  std::unique_ptr<Formatter> formatter_;
  std::optional<StartInfo> start_;  // for the top of each new file
  std::string buf_;
  std::vector<Mark> marks_;
  Totals not_written_;
  bool reader_gone_ = false;
  LogWriter writer_;  // last: its preamble callback uses the members above
};

}  // namespace tcpfsm
