// The perf map a JIT runtime writes for its generated code (Node's
// --perf-basic-prof, Java's perf-map-agent, Python 3.12's -X perf):
// /tmp/perf-PID.map in the process's mount namespace, one `START SIZE name`
// line per function, hex start and size with or without 0x. The file is the
// workload's: every line is parsed defensively, a bad one skipped.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <map>
#include <string_view>
#include <vector>

namespace tcpfsm {

struct PerfMapEntry {
  std::uint64_t start = 0;
  std::uint64_t size = 0;
  std::string name;
};

// The entries of a perf map's text, by start; of two at one start the later
// line wins (a runtime that reuses code memory appends the new function).
std::vector<PerfMapEntry> parse_perf_map(std::string_view text);

// "1234\t1\n" from the `NSpid:` line of /proc/PID/status: the pid in the
// process's own pid namespace (the last number), which names its perf map;
// 0 when the line is missing or malformed.
std::uint32_t nspid_of_status(std::string_view status);

class PerfMap {
 public:
  // Reads the file at path when its size or mtime changed since the last
  // read. Runtimes append as they compile, and a map grows to megabytes: a
  // file that only grew is read from where the last read stopped.
  // No file, no entries.
  void refresh(const std::string& path);
  // The entry whose [start, start+size) holds addr, or null.
  const PerfMapEntry* find(std::uint64_t addr) const;

 private:
  void clear();

  std::map<std::uint64_t, PerfMapEntry> entries_;  // by start
  std::uint64_t ino_ = 0;
  std::uint64_t dev_ = 0;
  std::int64_t size_ = -1;
  timespec mtime_{};
  std::int64_t parsed_ = 0;  // bytes up to the end of the last whole line read
};

}  // namespace tcpfsm
