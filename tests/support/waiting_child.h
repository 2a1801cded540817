// A forked child process that exits when told to (or when destroyed).
#pragma once

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace tcpfsm {

class WaitingChild {
 public:
  WaitingChild() {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      // A byte, not EOF: children forked later hold copies of the write end.
      char c;
      close(fds[1]);
      (void)!read(fds[0], &c, 1);
      _exit(0);
    }
    close(fds[0]);
    release_ = fds[1];
  }
  ~WaitingChild() { exit(); }
  WaitingChild(const WaitingChild&) = delete;
  WaitingChild& operator=(const WaitingChild&) = delete;
  // Makes it exit; returns once it has (reaped).
  void exit() {
    if (pid_ <= 0) return;
    (void)!write(release_, "x", 1);
    close(release_);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

}  // namespace tcpfsm
