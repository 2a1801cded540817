// Counts over a log's time, by the records' wall-clock ts, in a fixed number
// of buckets: when the span no longer fits, the buckets widen (100 ms, 200 ms,
// 1 s, 2 s, 10 s, 30 s, 1 m, 2 m, 10 m, 30 m, 1 h, 2 h, 6 h, 12 h, 1 d, then
// doubling), merging their counts. Memory does not grow with the log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace tcpfsm {

class Timeline {
 public:
  static constexpr std::size_t kBuckets = 120;

  struct Bucket {
    std::uint64_t transitions = 0;
    std::uint64_t violations = 0;  // transitions with a verdict other than ok
    std::uint64_t lost = 0;        // events reported lost (ring buffer, recursion)
  };

  // The bucket that holds wall-clock time `wall_ns` (ns since the epoch), the
  // buckets first widened or moved as needed to hold it with all the others.
  Bucket& at(std::uint64_t wall_ns);

  bool empty() const { return !used_; }
  std::uint64_t width_ns() const { return width_; }
  // Start of the first bucket in use; buckets() runs from there to the last in use.
  std::uint64_t start_ns() const { return origin_; }
  std::span<const Bucket> buckets() const { return {counts_.data(), used_}; }
  std::uint64_t end_ns() const;  // end of the last bucket in use (UINT64_MAX if past it)

  std::uint64_t untimed = 0;  // transition and lost records whose ts could not be read: in no bucket

 private:
  void rebuild(std::uint64_t width, std::uint64_t origin);

  std::array<Bucket, kBuckets> counts_{};
  std::uint64_t width_ = 0;   // ns; 0 before the first time
  std::uint64_t origin_ = 0;  // a multiple of width_: the start of counts_[0]
  std::size_t used_ = 0;      // counts_[0, used_) hold the first to the last time seen
};

}  // namespace tcpfsm
