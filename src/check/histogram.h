// A fixed-size log-bucket histogram of durations: memory does not grow with the
// number of values, and a percentile is off by at most 1/16 (6.25%).
#pragma once

#include <array>
#include <cstdint>

namespace tcpfsm {

class Histogram {
 public:
  void add(std::uint64_t v);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return min_; }
  std::uint64_t max() const { return max_; }
  // The value below which `pct` percent of the values fall (nearest rank),
  // as its bucket's upper bound, kept within [min, max]. 0 when empty.
  std::uint64_t percentile(double pct) const;
  // Counts by powers of two, exactly: [0] the zeros, [i] the values in
  // [2^(i-1), 2^i). Coarse enough to draw, and no bucket straddles two.
  std::array<std::uint64_t, 65> by_bit_width() const;

 private:
  // Values 0..15 exactly; above, 16 buckets per power of two.
  static constexpr int kSubBits = 4;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = kSub + (64 - kSubBits) * kSub;

  static int bucket(std::uint64_t v);
  static std::uint64_t upper_bound(int bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = 0, max_ = 0;
};

}  // namespace tcpfsm
