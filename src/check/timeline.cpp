#include "check/timeline.h"

#include <algorithm>

namespace tcpfsm {
namespace {

constexpr std::uint64_t kMs = 1'000'000, kS = 1000 * kMs, kMin = 60 * kS, kH = 60 * kMin, kD = 24 * kH;
// Each width is a multiple of the one before, so a bucket merges whole into
// the wider one that covers it; widths read as round numbers on an axis.
constexpr std::array kWidths{100 * kMs, 200 * kMs, kS, 2 * kS, 10 * kS, 30 * kS, kMin, 2 * kMin,
                             10 * kMin, 30 * kMin, kH, 2 * kH, 6 * kH,  12 * kH, kD};

std::uint64_t wider(std::uint64_t w) {
  const auto* next = std::upper_bound(kWidths.begin(), kWidths.end(), w);
  return next != kWidths.end() ? *next : 2 * w;
}

}  // namespace

Timeline::Bucket& Timeline::at(std::uint64_t t) {
  if (!width_) {
    width_ = kWidths.front();
    origin_ = t / width_ * width_;
    used_ = 1;
    return counts_[0];
  }
  const std::uint64_t last = origin_ + (used_ - 1) * width_;  // start of the last bucket in use
  const std::uint64_t lo = std::min(origin_, t), hi = std::max(last, t);
  std::uint64_t w = width_;
  while (hi / w - lo / w >= kBuckets) w = wider(w);
  if (w != width_ || t < origin_) rebuild(w, lo / w * w);
  const std::size_t i = t / width_ - origin_ / width_;
  used_ = std::max(used_, i + 1);
  return counts_[i];
}

std::uint64_t Timeline::end_ns() const {
  std::uint64_t span = 0, end = 0;
  if (__builtin_mul_overflow(width_, used_, &span) || __builtin_add_overflow(origin_, span, &end)) return UINT64_MAX;
  return end;
}

void Timeline::rebuild(std::uint64_t width, std::uint64_t origin) {
  std::array<Bucket, kBuckets> merged{};
  std::size_t used = 0;
  for (std::size_t i = 0; i < used_; ++i) {
    const std::size_t j = (origin_ + i * width_) / width - origin / width;
    merged[j].transitions += counts_[i].transitions;
    merged[j].violations += counts_[i].violations;
    merged[j].lost += counts_[i].lost;
    used = j + 1;
  }
  counts_ = merged;
  width_ = width;
  origin_ = origin;
  used_ = used;
}

}  // namespace tcpfsm
