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

}  // namespace tcpfsm
