// The two clocks every record is stamped with.
#pragma once

#include <cstdint>

namespace tcpfsm {

// CLOCK_MONOTONIC ns: the clock of the events' ktime_ns (bpf_ktime_get_ns).
std::uint64_t mono_now_ns();
// CLOCK_REALTIME ns since the epoch.
std::uint64_t wall_now_ns();

// Offset from CLOCK_MONOTONIC (bpf_ktime_get_ns) to CLOCK_REALTIME.
struct ClockMap {
  std::int64_t mono_to_wall_ns = 0;
  // Samples both clocks now; re-sample now and then to follow NTP steps.
  static ClockMap now();
};

}  // namespace tcpfsm
