// What the metrics count per written transition: edges, verdicts, and the
// time spent in the state left. Plain counters, updated on the trace thread
// and copied whole into each published snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "model/causes.h"
#include "model/checker.h"
#include "model/states.h"

namespace tcpfsm {

struct TransitionCounts {
  // States numbered below this are counted in arrays; any other number (a
  // state this tcpfsm does not know) in other_edges.
  static constexpr int kStates = kStateNumbers;
  // Upper bounds (le) of the time-in-state histogram, in seconds: a decade
  // apart from 10 us to 10 s, then a minute, ten minutes and an hour.
  static constexpr std::array<double, 10> kBucketsSeconds{1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 60, 600, 3600};

  struct Histogram {
    std::array<std::uint64_t, kBucketsSeconds.size() + 1> buckets{};  // per bucket, not cumulative; last: +Inf
    std::uint64_t count = 0;
    std::uint64_t sum_ns = 0;
  };

  std::array<std::array<std::uint64_t, kStates>, kStates> edges{};
  std::map<std::pair<int, int>, std::uint64_t> other_edges;
  std::array<std::uint64_t, 4> verdicts{};  // by VerdictKind
  std::array<Histogram, kStates> time_in_state{};  // by the state left
  // Transitions into CLOSE by their cause (model/causes.h; Cause::None: unknown).
  std::array<std::uint64_t, kCauseCount> closes{};

  void observe(int old_state, int new_state, std::optional<std::uint64_t> old_ns, VerdictKind verdict,
               Cause cause = Cause::None);
  std::uint64_t total() const;
};

}  // namespace tcpfsm
