#include "pipeline/entry_times.h"

#include "model/states.h"

namespace tcpfsm {

std::optional<std::uint64_t> EntryTimes::observe(std::uint64_t cookie, std::uint64_t ktime_ns, int new_state,
                                                 bool gap) {
  auto [it, first] = entered_.try_emplace(cookie, ktime_ns);
  std::optional<std::uint64_t> in_old;
  // A socket's events are serialised by its lock, so ktime_ns only grows; the
  // check guards against a reader fed events out of order.
  if (!first && !gap && ktime_ns >= it->second) in_old = ktime_ns - it->second;
  if (new_state == number(State::Close))
    entered_.erase(it);
  else
    it->second = ktime_ns;
  return in_old;
}

}  // namespace tcpfsm
