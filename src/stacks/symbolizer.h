// Names the frames of a user stack the kernel captured (a code path: see
// record/code_path.h), with elfutils' libdwfl: ELF symbols and DWARF line
// info of the process's own mappings (PIE, shared libraries), read through
// /proc/PID/root so a container's files are found where the host has none;
// JIT code through the perf map the runtime writes (/tmp/perf-PID.map in the
// process's mount namespace). Names are resolved while the process lives and
// kept: a stack stays named after its process exits. One caller at a time:
// nothing in it is locked.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "record/code_path.h"

namespace tcpfsm {

class Symbolizer {
 public:
  struct Options {
    std::string proc = "/proc";  // where the processes are (tests point it elsewhere)
  };
  // Two constructors, not a default argument: GCC 12 cannot take
  // Options{} before the enclosing class is complete.
  Symbolizer();
  explicit Symbolizer(Options options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // The stack of a thread of `pid` at a syscall, as the kernel walked it:
  // ips innermost first (ips[0] the pc in the syscall's libc wrapper, which
  // keeps no frame pointer, so the kernel's walk skips the wrapper's caller),
  // and the user stack pointer with the stack words from it up. The caller
  // of ips[0] is found from the module's call frame information and those
  // words, and put after it (frames[1]) unless ips[1] is it already. Every
  // frame is named as well as can be, none is dropped (the zeros a stack
  // map pads a short stack with end it); `note` says why a stack is short
  // or unnamed, when it is (appended to, "; " between). Reads /proc/PID's
  // maps, status, root/ and map_files/: the same user, or CAP_SYS_PTRACE
  // (and CAP_DAC_READ_SEARCH for files the tracer's user may not read).
  std::vector<Frame> symbolize(std::uint32_t pid, std::span<const std::uint64_t> ips, std::uint64_t sp,
                               std::span<const std::uint64_t> words, std::string* note = nullptr);

  // The process has exited: what is cached of its mappings goes (a module's
  // names stay, by build id or device and inode).
  void forget(std::uint32_t pid);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tcpfsm
