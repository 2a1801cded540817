#include "check/report_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "check/log_record.h"
#include "common/text.h"

namespace tcpfsm {
namespace {

namespace fs = std::filesystem;

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// The record type of the file's first line, if that line is a tcpfsm record.
std::optional<std::string> first_record_type(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::string head(64 * 1024, '\0');  // a start record is under 1 KiB
  const ssize_t n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n <= 0) return std::nullopt;
  head.resize(static_cast<std::size_t>(n));
  std::string_view line(head);
  if (const std::size_t nl = line.find('\n'); nl != std::string_view::npos) line = line.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  LogRecord rec;
  if (line.find('\0') != std::string_view::npos || parse_record(line, rec) || rec.type == RecordType::Unknown)
    return std::nullopt;
  return std::string(record_type_name(rec.type));
}

std::string cannot_write(const std::string& path, int err) {
  return "cannot write " + escaped(path) + ": " + std::strerror(err);
}

// Whether a file can be made in (or renamed into) the directory of path.
int directory_error(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  return ::faccessat(AT_FDCWD, dir.empty() ? "." : dir.c_str(), W_OK | X_OK, AT_EACCESS) == 0 ? 0 : errno;
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::optional<Refusal> check_report_files(const std::vector<ReportFile>& reports,
                                          const std::vector<std::string>& inputs, int in_fd) {
  // The inputs that are regular files: a FIFO or a device is not destroyed by a write.
  std::vector<std::pair<std::string, struct stat>> files;
  for (const auto& f : inputs) {
    struct stat st{};
    if (f == "-") {
      if (in_fd >= 0 && ::fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode)) files.emplace_back("standard input", st);
    } else if (::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      files.emplace_back(escaped(f), st);
    }
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const ReportFile& r = reports[i];
    const std::string name = std::string(r.option) + " " + escaped(r.path);
    struct stat st{};
    const bool exists = ::stat(r.path.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) return Refusal{ExitCode::OutputError, cannot_write(r.path, errno)};
    for (std::size_t j = 0; j < i; ++j) {
      struct stat other{};
      std::error_code ec;
      const bool same = exists ? ::stat(reports[j].path.c_str(), &other) == 0 && same_file(st, other)
                               : fs::weakly_canonical(r.path, ec) == fs::weakly_canonical(reports[j].path, ec);
      if (same)
        return Refusal{ExitCode::Usage, std::string(reports[j].option) + " and " + std::string(r.option) +
                                            " name the same file, " + escaped(r.path)};
    }
    if (!exists) {
      if (const int err = directory_error(r.path)) return Refusal{ExitCode::OutputError, cannot_write(r.path, err)};
      continue;
    }
    if (S_ISDIR(st.st_mode))
      return Refusal{ExitCode::OutputError, "cannot write " + escaped(r.path) + ": is a directory"};
    if (::faccessat(AT_FDCWD, r.path.c_str(), W_OK, AT_EACCESS) != 0)
      return Refusal{ExitCode::OutputError, cannot_write(r.path, errno)};
    if (!S_ISREG(st.st_mode)) continue;  // written in place: a FIFO, /dev/null
    for (const auto& [input, in] : files)
      if (same_file(st, in))
        return Refusal{ExitCode::Usage, name + (input == escaped(r.path) ? " is also an input"
                                                                          : " is the same file as the input " + input) +
                                            ": refusing to write over the log being checked"};
    if (const auto type = first_record_type(r.path))
      return Refusal{ExitCode::Usage, name + " holds a tcpfsm log (its first line is a " + *type +
                                          " record): refusing to write over it (to check it: tcpfsm check " +
                                          escaped(r.path) + ")"};
    std::error_code ec;
    if (const int err = directory_error(fs::canonical(r.path, ec).string()))
      return Refusal{ExitCode::OutputError, cannot_write(r.path, err)};
  }
  return std::nullopt;
}

std::optional<std::string> write_report_file(const std::string& path, std::string_view text) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    const bool ok = fd >= 0 && write_all(fd, text);
    const int err = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) return cannot_write(path, err);
    return std::nullopt;
  }
  // Beside what it replaces (through a symbolic link), so that rename() is one step.
  std::error_code ec;
  fs::path target = fs::canonical(path, ec);
  mode_t mode = st.st_mode & 07777;
  if (ec) {
    target = path;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tcpfsm-XXXXXX")).string();
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return cannot_write(path, errno);
  bool ok = write_all(fd, text) && ::fchmod(fd, mode) == 0;
  int err = ok ? 0 : errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(tmp.c_str(), target.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (ok) return std::nullopt;
  ::unlink(tmp.c_str());
  return cannot_write(path, err);
}

}  // namespace tcpfsm
