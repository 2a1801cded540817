// Where trace records go: standard output, or a log file that is appended
// to, rotated between records, reopened on SIGHUP, and never left with a
// torn line by a write error. When the next file cannot be opened (rotation,
// SIGHUP), the open one is written to meanwhile: counted and retried, never
// a lost file or an ended run. A file that ends mid-line (a run killed while
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
    // How long after a failed open of the next file (rotation, SIGHUP) it is
    // tried again.
    std::chrono::nanoseconds retry_every = std::chrono::seconds(10);
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
  // Times the next file (rotation) or the file again (reopen) could not be
  // opened: the file already open was written to meanwhile.
  std::uint64_t open_failures() const { return open_failures_; }

 private:
  // The first open: a FIFO with no reader is waited for (as Options say).
  void open_file();
  void end_torn_line();
  void write_preamble(std::string_view cause);
  // counted: data is write()'s, and counts in written_.
  bool write_raw(std::string_view data, bool counted);
  // False when the next file cannot be opened yet (the current one is kept).
  bool rotate();
  // A descriptor for path, or -1 (counted, said once, retried later).
  int open_next(const std::string& path, std::string_view what);
  // Closes the current file and writes to fd from now on.
  void switch_to(int fd);

  Options opts_;
  Preamble preamble_;
  std::string name_;
  int fd_ = -1;
  std::uint64_t size_ = 0;           // bytes in the current file
  std::uint64_t preamble_end_ = 0;   // size_ right after the preamble
  std::uint64_t open_failures_ = 0;
  std::uint64_t failing_ = 0;  // failed tries in a row
  bool reopen_due_ = false;    // a reopen (SIGHUP) failed and is to be tried again
  std::chrono::steady_clock::time_point retry_at_{};
  std::size_t written_ = 0;
};

}  // namespace tcpfsm
