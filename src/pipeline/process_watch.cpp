#include "pipeline/process_watch.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tcpfsm {

ProcessWatch::~ProcessWatch() {
  for (const auto& [pid, w] : watches_) close(w.fd);
}

bool ProcessWatch::watch(std::int32_t pid) {
  if (pid <= 0) return false;
  auto it = watches_.find(pid);
  if (it == watches_.end()) {
    if (watches_.size() >= kMax) return false;
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return false;  // gone already (ESRCH)
    it = watches_.emplace(pid, Watch{fd, 0}).first;
  }
  ++it->second.watchers;
  return true;
}

void ProcessWatch::unwatch(std::int32_t pid) {
  auto it = watches_.find(pid);
  if (it == watches_.end() || --it->second.watchers > 0) return;
  close(it->second.fd);
  watches_.erase(it);
}

std::vector<std::int32_t> ProcessWatch::exited() {
  std::vector<pollfd> fds;
  std::vector<std::int32_t> pids;
  for (const auto& [pid, w] : watches_) {
    fds.push_back({w.fd, POLLIN, 0});
    pids.push_back(pid);
  }
  std::vector<std::int32_t> gone;
  if (fds.empty() || poll(fds.data(), fds.size(), 0) <= 0) return gone;
  for (std::size_t i = 0; i < fds.size(); ++i)
    if (fds[i].revents) {  // readable: it has exited
      close(fds[i].fd);
      watches_.erase(pids[i]);
      gone.push_back(pids[i]);
    }
  return gone;
}

}  // namespace tcpfsm
