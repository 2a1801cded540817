// A fake /proc for owner lookups: process directories, comm, cmdline and fd
// symlinks, in a temporary directory removed with it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tcpfsm {

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/tcpfsm-proc-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeProc() { std::filesystem::remove_all(root_); }

  void process(int pid, const std::string& comm, const std::string& cmdline) {
    std::filesystem::create_directories(dir(pid) / "fd");
    std::ofstream(dir(pid) / "comm") << comm << '\n';
    std::ofstream(dir(pid) / "cmdline") << cmdline;
  }
  // fd -> target, as the kernel shows it ("socket:[123]", "/dev/null", ...).
  void fd(int pid, int fd, const std::string& target) {
    std::filesystem::create_symlink(target, dir(pid) / "fd" / std::to_string(fd));
  }
  void close_fd(int pid, int fd) { std::filesystem::remove(dir(pid) / "fd" / std::to_string(fd)); }
  void exit(int pid) { std::filesystem::remove_all(dir(pid)); }
  const std::string& root() const { return root_; }

 private:
  std::filesystem::path dir(int pid) const { return std::filesystem::path(root_) / std::to_string(pid); }
  std::string root_;
};

}  // namespace tcpfsm
