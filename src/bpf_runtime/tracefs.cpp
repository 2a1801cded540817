#include "bpf_runtime/tracefs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tcpfsm {
namespace {

std::string events(const char* root, std::string_view event = {}) {
  std::string path = std::string(root) + "/events";
  if (!event.empty()) path += "/" + std::string(event);
  return path;
}

bool denied(const std::string& path) {
  return faccessat(AT_FDCWD, path.c_str(), F_OK, AT_EACCESS) != 0 && errno == EACCES;
}

}  // namespace

bool exists(const char* path) { return faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0; }

bool tracefs_mounted() { return exists(events(kTracefs).c_str()) || exists(events(kDebugfsTracing).c_str()); }

bool tracefs_denied() {
  return !tracefs_mounted() && (denied(events(kTracefs)) || denied(events(kDebugfsTracing)));
}

bool tracefs_has_event(std::string_view event) {
  return exists(events(kTracefs, event).c_str()) || exists(events(kDebugfsTracing, event).c_str());
}

std::string tracefs_unreadable() {
  return std::string("tracefs is not readable (") + kTracefs +
         " is mode 0700): a tracepoint's id is read from it, which needs root or CAP_DAC_READ_SEARCH";
}

std::string tracefs_mount_failed(int err) {
  return std::string("tracefs is not mounted and mounting it at ") + kTracefs + " failed: " + std::strerror(err) +
         (err == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
}

std::string tracefs_not_mountable() {
  return std::string("tracefs is not mounted and tcpfsm may not mount it at ") + kTracefs + " (needs CAP_SYS_ADMIN)";
}

TracefsMount::~TracefsMount() {
  if (mounted_) umount(kTracefs);
}

std::string TracefsMount::ensure() {
  if (mounted_ || tracefs_mounted()) return "";
  if (tracefs_denied()) return tracefs_unreadable();
  if (mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0) return tracefs_mount_failed(errno);
  mounted_ = true;
  // Mounted (CAP_SYS_ADMIN) but root's, mode 0700: not to be read without
  // CAP_DAC_READ_SEARCH either.
  return tracefs_denied() ? tracefs_unreadable() : "";
}

}  // namespace tcpfsm
