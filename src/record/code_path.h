// Where in a program's code a socket was opened: the user stack of the thread
// that called connect(), listen() or accept(), captured in the kernel at that
// call (bpf/tcpfsm.bpf.c) and named in userspace (src/stacks/) while the
// process lived. What `stuck` shows and groups stuck sockets by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpfsm {

// The call that gave the socket its file: connect() for a client's socket,
// accept() for a server's connection, listen() for a listener.
enum class OriginKind : std::uint8_t { Connect = 1, Listen = 2, Accept = 3 };

// "connected at", "listening at", "accepted at".
std::string_view origin_phrase(OriginKind k);
// "connect", "listen", "accept" (JSON).
std::string_view origin_name(OriginKind k);

// The module of a frame named from a runtime's perf map (JIT code).
inline constexpr std::string_view kPerfMapModule = "[perf-map]";

// One frame of a stack, innermost first. Every field but addr may be empty:
// a frame nothing is known of keeps its module and offset, or its address.
struct Frame {
  std::uint64_t addr = 0;     // the instruction address in the process
  std::string module;         // the mapped file (its path as the process sees it), "[perf-map]" for JIT code
  std::string build_id;       // hex, when the module has one
  // addr less the module's load bias: the address in the ELF file's own
  // terms, what `addr2line -e MODULE`, nm and objdump take (for a PIE or a
  // shared library the offset from where it was loaded, for a non-PIE
  // executable addr itself). When the module's ELF could not be read, addr
  // less the start of its first mapping. 0 for JIT code.
  std::uint64_t module_offset = 0;
  std::string symbol;         // function name (demangled), empty if unknown
  std::uint64_t symbol_offset = 0;  // addr - the symbol's start
  std::string file;           // source file (DWARF line info), empty if unknown
  int line = 0;               // 0 if unknown

  bool operator==(const Frame&) const = default;
};

// "name+0x1a (file.c:42)", "name+0x1a (libfoo.so)" without line info,
// "name (JIT)" from a perf map, "[unknown] (libfoo.so+0x1234)",
// "[unknown] 0x7f...": file and module by their last component; raw text:
// the caller escapes it for a terminal.
std::string frame_text(const Frame& f);

struct CodePath {
  OriginKind kind = OriginKind::Connect;
  std::vector<Frame> frames;  // innermost first (the syscall wrapper is dropped when its caller is known)
  // Why the stack is short or missing, when it is: "no user stack", a
  // runtime's hint ("Python before 3.12 shows the interpreter's frames")...
  std::string note;

  bool operator==(const CodePath&) const = default;
};

}  // namespace tcpfsm
