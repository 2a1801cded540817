// What the metrics count per written transition: edges, verdicts, and the
// time spent in the state left. Plain counters, updated on the trace thread
// and copied whole into each published snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "metrics/histogram.h"
#include "model/causes.h"
#include "model/checker.h"
#include "model/states.h"

namespace tcpfsm {

// Upper bounds (le) of the time-in-state histogram, in ns: a decade apart
// from 10 us to 10 s, then a minute, ten minutes and an hour.
inline constexpr HistogramBounds<10> kStateDurationBounds{
    {10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000, 60'000'000'000,
     600'000'000'000, 3'600'000'000'000},
    1'000'000'000};

struct TransitionCounts {
  // States numbered below this are counted in arrays; any other number (a
  // state this tcpfsm does not know) in other_edges.
  static constexpr int kStates = kStateNumbers;

  std::array<std::array<std::uint64_t, kStates>, kStates> edges{};
  std::map<std::pair<int, int>, std::uint64_t> other_edges;
  std::array<std::uint64_t, 4> verdicts{};  // by VerdictKind
  std::array<Histogram<kStateDurationBounds>, kStates> time_in_state{};  // by the state left, in ns
  // Transitions into CLOSE by their cause (model/causes.h; Cause::None: unknown).
  std::array<std::uint64_t, kCauseCount> closes{};

  void observe(int old_state, int new_state, std::optional<std::uint64_t> old_ns, VerdictKind verdict,
               Cause cause = Cause::None);
  std::uint64_t total() const;
};

}  // namespace tcpfsm
