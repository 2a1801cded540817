// tracefs, where classic tracepoints are found (libbpf reads a tracepoint's
// id from it at attach time, and nothing later): whether it is mounted,
// what is in it, and mounting it for an attach where it is not (as systemd
// does at boot; needs CAP_SYS_ADMIN).
#pragma once

#include <string>
#include <string_view>

namespace tcpfsm {

// Where tracefs is mounted, as libbpf looks for it: its own mount point,
// or under debugfs.
inline constexpr const char* kTracefs = "/sys/kernel/tracing";
inline constexpr const char* kDebugfsTracing = "/sys/kernel/debug/tracing";

// Whether path exists, as this process sees it with its effective ids and
// capabilities (access() asks with the real ids: a non-root user with
// CAP_DAC_READ_SEARCH would be told tracefs is missing).
bool exists(const char* path);

// Whether tracefs is mounted (its events can be listed).
bool tracefs_mounted();
// Whether this process cannot tell: a directory on the way may not be
// searched (tracefs is mode 0700, debugfs too).
bool tracefs_denied();
// Whether tracefs (mounted now) has the event "group/name".
bool tracefs_has_event(std::string_view event);

// Why tracefs cannot be had, for the user: it may not be read; mounting it
// failed with errno `err`; the process may not mount it (said before
// trying, from its capabilities).
std::string tracefs_unreadable();
std::string tracefs_mount_failed(int err);
std::string tracefs_not_mountable();

// tracefs for the attach in progress: mounted by ensure() where it is not,
// and unmounted again when this ends (what is attached stays attached).
class TracefsMount {
 public:
  TracefsMount() = default;
  ~TracefsMount();
  TracefsMount(const TracefsMount&) = delete;
  TracefsMount& operator=(const TracefsMount&) = delete;

  // "" when tracefs is mounted, or is now; else why it cannot be had.
  std::string ensure();
  // Whether ensure() mounted it.
  bool mounted_here() const { return mounted_; }

 private:
  bool mounted_ = false;
};

}  // namespace tcpfsm
