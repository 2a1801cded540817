// Where trace records go: standard output, or a log file that is appended
// to, rotated between records, reopened on SIGHUP, and never left with a
// torn line by a write error. A file that ends mid-line (a run killed while
// writing) gets a newline first, so the new run's records are lines of their
// own; a FIFO is waited for until a reader opens it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tcpfsm {

class LogWriter {
 public:
  struct Options {
    std::string path;               // empty: standard output
    std::uint64_t rotate_size = 0;  // 0: never rotate
    unsigned rotate_keep = 5;       // FILE.1 ... FILE.N are kept
    // How long a FIFO with no reader is waited for (--duration); none: until
    // SIGINT or SIGTERM (install_run_signals() first).
    std::optional<std::chrono::nanoseconds> reader_wait;
  };
  // Writes the records that begin every file; cause is "run", "rotate" or "reopen".
  using Preamble = std::function<void(std::string& out, std::string_view cause)>;

  // Opens the output now, so a bad path fails before tracing starts (the
  // path is resolved as output/log_path.h says). Throws Error(OutputError)
  // with a message naming the file.
  LogWriter(Options options, Preamble preamble);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Writes the preamble for cause "run" (once the run's facts are known).
  void begin();
  // data holds whole records. Returns false once standard output's reader
  // has gone (EPIPE). On any other failure, trims a partly written record
  // and throws Error(OutputError).
  bool write(std::string_view data);
  // How many bytes of the last write()'s data are in the file: all of them,
  // unless it threw (then its whole records that fitted, a disk filling up).
  std::size_t written() const { return written_; }
  // Closes and reopens the file (after an external logrotate moved it).
  void reopen();
  // fsync, for files.
  void sync();

  const std::string& name() const { return name_; }
  bool is_file() const { return !opts_.path.empty(); }
  std::uint64_t rotations() const { return rotations_; }

 private:
  // wait_for_reader: a FIFO with no reader is waited for (as Options say),
  // else refused.
  void open_file(bool wait_for_reader);
  void end_torn_line();
  void write_preamble(std::string_view cause);
  // counted: data is write()'s, and counts in written_.
  bool write_raw(std::string_view data, bool counted);
  void rotate();

  Options opts_;
  Preamble preamble_;
  std::string name_;
  int fd_ = -1;
  std::uint64_t size_ = 0;           // bytes in the current file
  std::uint64_t preamble_end_ = 0;   // size_ right after the preamble
  std::uint64_t rotations_ = 0;
  std::size_t written_ = 0;
};

}  // namespace tcpfsm
