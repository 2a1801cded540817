// A Prometheus histogram of whole-number observations (nanoseconds, bytes,
// microseconds) over fixed upper bounds in the same unit: a value on a
// bound is compared exactly, never after a conversion that rounds. Every
// histogram the metrics have is one of these, and exposition.cpp writes
// them all the same way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tcpfsm {

// The upper bounds (le) of a histogram, ascending, in the unit its
// observations are counted in, and how many of that unit make the unit the
// metric is named in (1e9 ns make the seconds of a _seconds metric; 1 for
// bytes): the exposition divides le and the sum by it.
template <std::size_t N>
struct HistogramBounds {
  std::array<std::uint64_t, N> le;
  std::uint64_t per_unit;
};

template <const auto& Bounds>
struct Histogram {
  static constexpr const auto& bounds = Bounds;

  std::array<std::uint64_t, Bounds.le.size() + 1> buckets{};  // per bucket, not cumulative; last: +Inf
  std::uint64_t count = 0;
  std::uint64_t sum = 0;  // in the observations' unit

  void observe(std::uint64_t v) {
    std::size_t i = 0;
    while (i < Bounds.le.size() && v > Bounds.le[i]) ++i;
    ++buckets[i];
    ++count;
    sum += v;
  }
};

}  // namespace tcpfsm
