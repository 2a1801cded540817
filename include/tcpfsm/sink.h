// Where trace output goes: stdout or a file opened for appending.
#pragma once

#include <string>
#include <string_view>

namespace tcpfsm {

class Sink {
 public:
  static Sink to_stdout();
  // Appends to path (created 0640); refuses a symlink. Throws Error(OutputError).
  static Sink append_to(const std::string& path);

  Sink(Sink&& other) noexcept;
  Sink& operator=(Sink&&) = delete;
  ~Sink();

  // Writes all of data. Returns false once the reader has gone (EPIPE);
  // throws Error(OutputError) naming the file on any other failure.
  bool write(std::string_view data);
  // fsync, for files; a no-op for pipes and terminals.
  void sync();
  const std::string& name() const { return name_; }

 private:
  Sink(int fd, std::string name, bool owned) : fd_(fd), name_(std::move(name)), owned_(owned) {}
  int fd_;
  std::string name_;
  bool owned_;
};

}  // namespace tcpfsm
