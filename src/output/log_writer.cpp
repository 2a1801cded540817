#include "output/log_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/errors.h"
#include "common/signals.h"
#include "common/text.h"
#include "common/units.h"
#include "output/log_path.h"

namespace tcpfsm {
namespace {

// How often a FIFO is looked at again for a reader.
constexpr auto kReaderPoll = std::chrono::milliseconds(100);

bool is_fifo(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

[[noreturn]] void open_failed(const std::string& path, int err, const std::string& refused) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!refused.empty())
    throw Error(ExitCode::OutputError, "refusing to write to " + escaped(path) + ": " + escaped(refused));
  switch (err) {
    case ELOOP:
      throw Error(ExitCode::OutputError, "refusing to write to " + escaped(path) + ": it is a symbolic link");
    case ENOENT:
      throw Error(ExitCode::OutputError, "cannot create " + escaped(path) + ": directory " +
                                             escaped(dir.empty() ? "." : dir) + " does not exist");
    case EISDIR:
      throw Error(ExitCode::OutputError, "cannot write to " + escaped(path) + ": it is a directory");
    case ENXIO:
      if (is_fifo(path))
        throw Error(ExitCode::OutputError, "cannot write to the FIFO " + escaped(path) + ": no process reads it");
      [[fallthrough]];
    default:
      throw Error(ExitCode::OutputError,
                  "cannot open " + escaped(path) + " for appending: " + std::strerror(err));
  }
}

}  // namespace

LogWriter::LogWriter(Options options, Preamble preamble)
    : opts_(std::move(options)), preamble_(std::move(preamble)) {
  if (is_file()) {
    name_ = opts_.path;
    open_file();
  } else {
    name_ = "standard output";
    fd_ = STDOUT_FILENO;
  }
}

LogWriter::~LogWriter() {
  if (is_file() && fd_ >= 0) ::close(fd_);
}

void LogWriter::open_file() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point since = Clock::now();
  std::string refused;
  int err = 0;
  int fd = -1;
  for (bool said = false;; said = true) {
    // O_NONBLOCK: a FIFO with no reader fails (ENXIO) rather than blocking
    // past --duration and Ctrl-C.
    fd = open_log_path(opts_.path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0640, refused);
    err = errno;
    if (fd >= 0 || err != ENXIO || !is_fifo(opts_.path)) break;
    if (!said) std::fprintf(stderr, "tcpfsm: waiting for a reader to open the FIFO %s\n", escaped(name_).c_str());
    if (stop_signal())
      throw Error(ExitCode::OutputError, "interrupted while waiting for a reader of " + escaped(name_) +
                                             ": nothing was traced");
    if (opts_.reader_wait && Clock::now() - since >= *opts_.reader_wait)
      throw Error(ExitCode::OutputError, "no reader opened " + escaped(name_) + " within " +
                                             format_duration(*opts_.reader_wait) + " (--duration): nothing was traced");
    std::this_thread::sleep_for(kReaderPoll);
  }
  if (fd < 0) open_failed(opts_.path, err, refused);
  switch_to(fd);
}

// A run killed mid-write (kill -9, the OOM killer) leaves its last line torn:
// this run's first record would join it and be lost to a reader. Read through
// /proc/self/fd, as the descriptor is open for writing only.
void LogWriter::end_torn_line() {
  const int fd = ::open(("/proc/self/fd/" + std::to_string(fd_)).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char last = '\n';
  const bool read = ::pread(fd, &last, 1, static_cast<off_t>(size_ - 1)) == 1;
  ::close(fd);
  if (!read || last == '\n') return;
  std::fprintf(stderr, "tcpfsm: %s ends mid-line (a run stopped while writing it): ending that line first\n",
               escaped(name_).c_str());
  write_raw("\n", false);
  preamble_end_ = size_;
}

void LogWriter::begin() { write_preamble("run"); }

void LogWriter::write_preamble(std::string_view cause) {
  std::string out;
  preamble_(out, cause);
  write_raw(out, false);
  preamble_end_ = size_;
}

bool LogWriter::write(std::string_view data) {
  written_ = 0;
  if (reopen_due_ && std::chrono::steady_clock::now() >= retry_at_) reopen();
  while (opts_.rotate_size && size_ + data.size() > opts_.rotate_size &&
         std::chrono::steady_clock::now() >= retry_at_) {
    // Fill the file with the records that fit, then rotate between records.
    const std::uint64_t room = opts_.rotate_size > size_ ? opts_.rotate_size - size_ : 0;
    std::size_t cut = room ? data.rfind('\n', room - 1) : std::string_view::npos;
    if (cut == std::string_view::npos && size_ == preamble_end_)
      cut = data.find('\n');  // a record larger than a whole file goes alone
    if (cut != std::string_view::npos) {
      if (!write_raw(data.substr(0, cut + 1), true)) return false;
      data.remove_prefix(cut + 1);
    }
    if (data.empty()) return true;
    if (!rotate()) break;  // kept growing this file: the rest goes here too
  }
  return write_raw(data, true);
}

// The next file is opened before anything is renamed or closed, so that
// when it cannot be (no descriptor, no inode or space, the directory gone
// or made read-only) the current one is kept and written to: counted, said,
// and tried again Options::retry_every later. The run goes on; no file is lost.
int LogWriter::open_next(const std::string& path, std::string_view what) {
  std::string refused;
  const int fd = open_log_path(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK, 0640, refused);
  if (fd >= 0) {
    if (failing_)
      std::fprintf(stderr, "tcpfsm: %s %s again after %llu failed tries\n", std::string(what).c_str(),
                   escaped(name_).c_str(), static_cast<unsigned long long>(failing_));
    failing_ = 0;
    return fd;
  }
  const int err = errno;
  ++open_failures_;
  if (failing_++ == 0)
    std::fprintf(stderr, "tcpfsm: cannot open %s to %s it: %s; writing on to the file already open, trying again "
                         "every %s (log_open_failures)\n",
                 escaped(path).c_str(), std::string(what).c_str(),
                 refused.empty() ? std::strerror(err) : escaped(refused).c_str(),
                 format_duration(opts_.retry_every).c_str());
  retry_at_ = std::chrono::steady_clock::now() + opts_.retry_every;
  return -1;
}

void LogWriter::switch_to(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  // Writes block again: a slow reader of a FIFO slows the writer, as a pipe's does.
  if (const int fl = ::fcntl(fd_, F_GETFL); fl >= 0) ::fcntl(fd_, F_SETFL, fl & ~O_NONBLOCK);
  struct stat st{};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  preamble_end_ = size_;
  if (S_ISREG(st.st_mode) && size_ > 0) end_torn_line();
}

bool LogWriter::write_raw(std::string_view data, bool counted) {
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n >= 0) {
      size_ += static_cast<std::uint64_t>(n);
      rest.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE && !is_file()) return false;
    const int err = errno;
    // Keep only whole records: cut back to the last newline written.
    const std::size_t sent = data.size() - rest.size();
    std::size_t kept = sent;
    if (is_file()) {
      const std::size_t keep = sent ? data.rfind('\n', sent - 1) + 1 : 0;  // npos+1 == 0
      const std::uint64_t whole = size_ - sent + keep;
      if (ftruncate(fd_, static_cast<off_t>(whole)) == 0) {
        size_ = whole;
        kept = keep;
      }
    }
    if (counted) written_ += kept;
    throw Error(ExitCode::OutputError, "writing " + escaped(name_) + " failed: " + std::strerror(err));
  }
  if (counted) written_ += data.size();
  return true;
}

bool LogWriter::rotate() {
  // Made beside the log under a name of its own, then renamed into place
  // once the older files have moved up.
  const std::string& p = opts_.path;
  const std::string next = p + ".next";
  ::unlink(next.c_str());  // a leftover of a run stopped mid-rotation
  const int fd = open_next(next, "rotate");
  if (fd < 0) return false;
  for (unsigned i = opts_.rotate_keep; i > 1; --i)
    std::rename((p + "." + std::to_string(i - 1)).c_str(), (p + "." + std::to_string(i)).c_str());
  if (std::rename(p.c_str(), (p + ".1").c_str()) != 0 || std::rename(next.c_str(), p.c_str()) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(next.c_str());
    throw Error(ExitCode::OutputError, "cannot rotate " + escaped(p) + ": " + std::strerror(err));
  }
  switch_to(fd);
  write_preamble("rotate");
  return true;
}

void LogWriter::reopen() {
  if (!is_file()) return;
  reopen_due_ = false;
  const int fd = open_next(opts_.path, "reopen");
  if (fd < 0) {
    reopen_due_ = true;  // the moved file is written to until then
    return;
  }
  switch_to(fd);
  write_preamble("reopen");
}

void LogWriter::sync() {
  // EINVAL, EROFS: a file with nothing to sync to (-o /dev/null, a FIFO).
  if (is_file() && ::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS)
    throw Error(ExitCode::OutputError, "syncing " + escaped(name_) + " failed: " + std::strerror(errno));
}

}  // namespace tcpfsm
