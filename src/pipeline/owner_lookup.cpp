#include "pipeline/owner_lookup.h"

#include <algorithm>

namespace tcpfsm {
namespace {

// One-process scans a second, and how often the whole of /proc may be walked
// for the rest: a walk costs a readlink per open fd on the host. A budget per
// second, not per poll: under load the reader polls thousands of times a
// second, and 10 scans per poll cost more than the events themselves.
constexpr double kScansPerSecond = 100;
constexpr double kScanBurst = 10;
constexpr auto kWalkInterval = std::chrono::seconds(5);

}  // namespace

OwnerLookup::OwnerLookup(OwnerCache::Options options) : cache_(std::move(options)), scans_left_(kScanBurst) {}

std::optional<Owner> OwnerLookup::find(std::uint32_t ino, std::int32_t task_pid, std::uint16_t local_port) {
  const auto* holders = cache_.lookup(ino);
  if (!holders) {
    for (std::int32_t pid : {task_pid, listener_owner(local_port)}) {
      if (pid <= 0 || scans_left_ < 1) continue;
      scans_left_ -= 1;
      if (cache_.resolve_in(pid) && (holders = cache_.lookup(ino))) break;
    }
  }
  if (!holders || holders->empty()) return std::nullopt;
  return Owner{holders->front().pid, holders->front().comm};
}

void OwnerLookup::tick(std::chrono::steady_clock::time_point now) {
  const std::chrono::duration<double> since = now - last_tick_;
  scans_left_ = std::min(kScanBurst, scans_left_ + since.count() * kScansPerSecond);
  last_tick_ = now;
  if (now - last_walk_ >= kWalkInterval && cache_.resolve_pending()) last_walk_ = now;
}

}  // namespace tcpfsm
