// Errors that reach the user, each with its own exit status (listed in README).
#pragma once

#include <stdexcept>
#include <string>

namespace tcpfsm {

enum class ExitCode : int {
  Ok = 0,
  Failure = 1,       // trace: runtime failure; check: violations, gaps or bad lines
  Usage = 2,         // bad command line, unreadable input file
  NoPrivilege = 3,   // not root and missing CAP_BPF/CAP_PERFMON
  NoBtf = 4,         // kernel has no BTF
  NoTracepoint = 5,  // sock:inet_sock_set_state missing or not attachable
  NoRingbuf = 6,     // kernel lacks BPF ring buffers
  LoadFailed = 7,    // the verifier or the kernel refused the program
  OutputError = 8,   // the output could not be written
  Unfinished = 9,    // check: a trace run in the log has no end record (killed, disk full, still running)
};

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

}  // namespace tcpfsm
