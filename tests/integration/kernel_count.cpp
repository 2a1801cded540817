#include "kernel_count.h"

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tcpfsm::itest {
namespace {

namespace fs = std::filesystem;
constexpr const char* kTracefs = "/sys/kernel/tracing";
constexpr const char* kEvent = "events/sock/inet_sock_set_state";

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
  f.close();
  if (!f) throw std::runtime_error("cannot write '" + text + "' to " + p.string());
}

std::set<std::string> pid1_threads() {
  std::set<std::string> tids;
  for (const auto& t : fs::directory_iterator("/proc/1/task")) tids.insert(t.path().filename().string());
  return tids;
}

bool tracefs_mounted() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line))
    if (line.find(std::string(" ") + kTracefs + " tracefs ") != std::string::npos) return true;
  return false;
}

}  // namespace

KernelEventCount::KernelEventCount(const std::string& filter, Context context) {
  if (!tracefs_mounted()) {
    if (mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0)
      throw std::runtime_error(std::string("tracefs is not mounted and cannot be mounted at ") + kTracefs);
    mounted_ = true;
  }
  static int made = 0;  // one instance per count, several per process
  dir_ = std::string(kTracefs) + "/instances/tcpfsm-itest-" + std::to_string(getpid()) + "-" + std::to_string(++made);
  if (!fs::create_directory(dir_)) throw std::runtime_error("cannot make the tracefs instance " + dir_);
  write_file(fs::path(dir_) / kEvent / "filter", filter);
  if (context == Context::Pid1) {
    // Only while a thread of PID 1 is current, following what it starts
    // meanwhile; stop() counts the events of its threads among them.
    pid1_threads_ = pid1_threads();
    std::string tids;
    for (const auto& t : pid1_threads_) tids += t + " ";
    write_file(fs::path(dir_) / "set_event_pid", tids);
    write_file(fs::path(dir_) / "options/event-fork", "1");
    only_pid1_ = true;
  }
  write_file(fs::path(dir_) / kEvent / "enable", "1");
}

std::uint64_t KernelEventCount::stop() {
  write_file(fs::path(dir_) / kEvent / "enable", "0");
  std::ifstream trace(fs::path(dir_) / "trace");
  std::string line;
  if (only_pid1_) {  // few: read them, "comm-TID [CPU] ...", and keep those of PID 1's
    // threads, listed at the start or now (a process PID 1 forked is not exempt).
    std::set<std::string> threads = pid1_threads();
    threads.insert(pid1_threads_.begin(), pid1_threads_.end());
    const std::regex task(R"(^.*-(\d+) +\[\d+\] )");
    std::smatch m;
    std::uint64_t n = 0;
    while (std::getline(trace, line))
      if (!line.empty() && line[0] != '#' && std::regex_search(line, m, task)) n += threads.count(m[1].str());
    return n;
  }
  const std::regex header(R"(^# entries-in-buffer/entries-written: \d+/(\d+))");
  std::smatch m;
  while (std::getline(trace, line))
    if (std::regex_search(line, m, header)) return std::stoull(m[1]);
  throw std::runtime_error("no entries-written header in " + dir_ + "/trace");
}

KernelEventCount::~KernelEventCount() {
  std::error_code ignored;
  if (!dir_.empty()) {
    std::ofstream(fs::path(dir_) / kEvent / "enable") << "0";
    fs::remove(dir_, ignored);  // rmdir: tracefs removes the instance with its files
  }
  if (mounted_) umount(kTracefs);
}

}  // namespace tcpfsm::itest
