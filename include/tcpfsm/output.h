// Output formats for trace: each turns records into text appended to a
// string, so tests compare exact strings and the caller owns all I/O.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "tcpfsm/checker.h"
#include "tcpfsm/transition.h"

namespace tcpfsm {

enum class Format { Table, Json };

// Losses over some span of time, by kind.
struct Losses {
  std::uint64_t ringbuf = 0;    // events dropped: ring buffer full
  std::uint64_t recursion = 0;  // events skipped: another BPF program was running
  std::uint64_t skstate = 0;    // per-socket state not stored: old_ns unknown later
  std::uint64_t events() const { return ringbuf + recursion; }
  bool any() const { return ringbuf || recursion || skstate; }
};

class Formatter {
 public:
  virtual ~Formatter() = default;
  // Once, before any record (the table's column header).
  virtual void begin(std::string& out) = 0;
  virtual void transition(std::string& out, const Transition& t, const Verdict& v) = 0;
  // Losses noticed at wall_ns, counted since the previous lost record.
  virtual void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) = 0;
};

std::unique_ptr<Formatter> make_formatter(Format f);

}  // namespace tcpfsm
