#include "check/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tcpfsm {

int Histogram::bucket(std::uint64_t v) {
  if (v < kSub) return static_cast<int>(v);
  const int exp = std::bit_width(v) - 1;  // v in [2^exp, 2^(exp+1)), exp >= kSubBits
  const int sub = static_cast<int>((v >> (exp - kSubBits)) & (kSub - 1));
  return kSub + (exp - kSubBits) * kSub + sub;
}

std::uint64_t Histogram::upper_bound(int b) {
  if (b < kSub) return static_cast<std::uint64_t>(b);
  const int exp = (b - kSub) / kSub + kSubBits;
  const auto sub = static_cast<std::uint64_t>((b - kSub) % kSub);
  const int shift = exp - kSubBits;
  // The bucket holds [(kSub + sub) << shift, (kSub + sub + 1) << shift); the top
  // bucket's end is 2^64, so compute the last value without overflowing.
  return ((kSub + sub) << shift) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::add(std::uint64_t v) {
  ++counts_[static_cast<std::size_t>(bucket(v))];
  min_ = count_ == 0 ? v : std::min(min_, v);
  max_ = std::max(max_, v);
  ++count_;
}

std::uint64_t Histogram::percentile(double pct) const {
  if (count_ == 0) return 0;
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(std::ceil(pct / 100.0 * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<std::size_t>(b)];
    if (seen >= rank) return std::clamp(upper_bound(b), min_, max_);
  }
  return max_;
}

std::array<std::uint64_t, 65> Histogram::by_bit_width() const {
  std::array<std::uint64_t, 65> out{};
  // Every bucket lies within one power of two: its lower and upper bound have
  // the same bit width.
  for (int b = 0; b < kBuckets; ++b)
    out[static_cast<std::size_t>(std::bit_width(upper_bound(b)))] += counts_[static_cast<std::size_t>(b)];
  return out;
}

}  // namespace tcpfsm
