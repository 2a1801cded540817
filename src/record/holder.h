// Who holds a socket: a process and its descriptor, as the owners layer
// finds them (/proc/PID/fd, the kernel's task_file iterator) and every view
// of a socket (trace's owner fields, stuck, top) shows them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcpfsm {

// The longest command line a Holder keeps (bytes, as JSON writes it whole):
// /proc/PID/cmdline past it is cut, and ends with "...".
constexpr std::size_t kCmdlineMax = 4096;
// How much of it a text view's line shows (short_cmdline(cmdline, kCmdlineShown)).
constexpr std::size_t kCmdlineShown = 60;

struct Holder {
  std::int32_t pid = 0;
  int fd = -1;
  std::string comm;     // /proc/PID/comm
  std::string cmdline;  // the command line, at most kCmdlineMax bytes; "[comm]" for a kernel thread
};

// NUL-separated /proc/PID/cmdline as one line of at most max_bytes: NULs,
// newlines and tabs as spaces; when cut, "..." ends it (never in the middle
// of a UTF-8 sequence). Also shortens a line for a text view.
std::string short_cmdline(std::string_view raw, std::size_t max_bytes = kCmdlineMax);

}  // namespace tcpfsm
