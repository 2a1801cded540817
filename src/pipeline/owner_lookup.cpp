#include "pipeline/owner_lookup.h"

namespace tcpfsm {
namespace {

// One-process scans per poll (about 100 a second at the default 100 ms), and
// how often the whole of /proc may be walked for the rest: a walk costs a
// readlink per open fd on the host.
constexpr unsigned kScansPerTick = 10;
constexpr auto kWalkInterval = std::chrono::seconds(5);

}  // namespace

OwnerLookup::OwnerLookup(OwnerCache::Options options) : cache_(std::move(options)), scans_left_(kScansPerTick) {}

std::optional<Owner> OwnerLookup::find(std::uint32_t ino, std::int32_t task_pid, std::uint16_t local_port) {
  const auto* holders = cache_.lookup(ino);
  if (!holders) {
    for (std::int32_t pid : {task_pid, listener_owner(local_port)}) {
      if (pid <= 0 || scans_left_ == 0) continue;
      --scans_left_;
      if (cache_.resolve_in(pid) && (holders = cache_.lookup(ino))) break;
    }
  }
  if (!holders || holders->empty()) return std::nullopt;
  return Owner{holders->front().pid, holders->front().comm};
}

void OwnerLookup::tick(std::chrono::steady_clock::time_point now) {
  scans_left_ = kScansPerTick;
  if (now - last_walk_ >= kWalkInterval && cache_.resolve_pending()) last_walk_ = now;
}

}  // namespace tcpfsm
