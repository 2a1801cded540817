#include "common/clock.h"

#include <time.h>

namespace tcpfsm {
namespace {

std::uint64_t now_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

std::uint64_t mono_now_ns() { return now_ns(CLOCK_MONOTONIC); }
std::uint64_t wall_now_ns() { return now_ns(CLOCK_REALTIME); }

ClockMap ClockMap::now() {
  // Bracket the realtime read between two monotonic reads; take the midpoint.
  timespec m1{}, r{}, m2{};
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  auto ns = [](const timespec& t) { return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; };
  return {ns(r) - (ns(m1) + ns(m2)) / 2};
}

}  // namespace tcpfsm
