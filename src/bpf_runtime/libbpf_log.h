// libbpf's messages. libbpf has one print callback per process: this one.
// With -v every message goes to stderr as libbpf wrote it. Otherwise the
// messages are kept by the LibbpfLog that captures the load in progress (so
// a refusal can quote the verifier's or libbpf's last words) and dropped
// when no load captures them.
#pragma once

#include <string>
#include <string_view>

namespace tcpfsm {

// -v: libbpf's whole log, debug messages included, to stderr.
void set_libbpf_verbose(bool verbose);
bool libbpf_verbose();

// Captures libbpf's messages on this thread from its construction to its
// destruction: the innermost capture takes them; an enclosing one takes
// them again once it ends. Debug messages are not kept.
class LibbpfLog {
 public:
  LibbpfLog();
  ~LibbpfLog();
  LibbpfLog(const LibbpfLog&) = delete;
  LibbpfLog& operator=(const LibbpfLog&) = delete;

  // What was kept: the end of the messages, at most kKeep bytes (a verifier
  // log comes as one message, and its end says why).
  static constexpr std::size_t kKeep = 4096;
  const std::string& text() const { return text_; }
  void add(std::string_view message);
  void clear() { text_.clear(); }

  // For a refusal: ` (the kernel said: "LINE"; -v shows libbpf's whole
  // log)`, LINE being load_failure_line(text()); empty when there is none,
  // or with -v (the log is on stderr already).
  std::string hint() const;

 private:
  std::string text_;
  LibbpfLog* outer_ = nullptr;
};

// The one line of libbpf's messages (`log`) that says why a load failed: the
// verifier's last words before its statistics, else libbpf's own complaint
// (a CO-RE relocation this kernel cannot resolve), else the last line that
// is not libbpf's "failed to load"; empty when there is none.
std::string_view load_failure_line(std::string_view log);

}  // namespace tcpfsm
