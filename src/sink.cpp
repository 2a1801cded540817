#include "tcpfsm/sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tcpfsm/errors.h"

namespace tcpfsm {

Sink Sink::to_stdout() { return Sink(STDOUT_FILENO, "standard output", false); }

Sink Sink::append_to(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP)
      throw Error(ExitCode::OutputError, "refusing to write to " + path + ": it is a symbolic link");
    throw Error(ExitCode::OutputError, "cannot open " + path + " for appending: " + std::strerror(err));
  }
  return Sink(fd, path, true);
}

Sink::Sink(Sink&& o) noexcept : fd_(o.fd_), name_(std::move(o.name_)), owned_(o.owned_) { o.owned_ = false; }

Sink::~Sink() {
  if (owned_) ::close(fd_);
}

bool Sink::write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) return false;
      throw Error(ExitCode::OutputError, "writing " + name_ + " failed: " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Sink::sync() {
  struct stat st{};
  if (fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(fd_) != 0)
    throw Error(ExitCode::OutputError, "syncing " + name_ + " failed: " + std::strerror(errno));
}

}  // namespace tcpfsm
