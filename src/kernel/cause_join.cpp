#include "kernel/cause_join.h"

#include "model/states.h"

namespace tcpfsm {
namespace {

// Reports kept before a sweep of the expired ones. Expired ones are resets
// that ended nothing; the map never holds more than a window's worth.
constexpr std::size_t kSweepAt = 1024;

}  // namespace

CauseJoin::Order CauseJoin::on_cause(const tcpfsm_cause& c) {
  if (c.state == number(State::Close)) return Order::After;
  if (before_.size() >= kSweepAt) expire(c.ktime_ns);
  Early& e = before_[c.cookie];
  if (c.ktime_ns - e.ktime_ns > kWindowNs) e.seen = {};  // an older report that ended nothing
  e.ktime_ns = c.ktime_ns;
  e.seen.add(c);
  return Order::Before;
}

void CauseJoin::take(std::uint64_t key, std::uint64_t ktime_ns, ReportedCause& into) {
  if (before_.empty()) return;
  auto it = before_.find(key);
  if (it == before_.end()) return;
  const Early& e = it->second;
  if (ktime_ns >= e.ktime_ns && ktime_ns - e.ktime_ns <= kWindowNs) {
    into.kernel.rst_received |= e.seen.kernel.rst_received;
    into.kernel.rst_sent |= e.seen.kernel.rst_sent;
    if (e.seen.rst_reason != TCPFSM_RST_REASON_NONE) into.rst_reason = e.seen.rst_reason;
  }
  before_.erase(it);
}

void CauseJoin::expire(std::uint64_t now_ns) {
  std::erase_if(before_, [now_ns](const auto& kv) { return now_ns - kv.second.ktime_ns > kWindowNs; });
}

}  // namespace tcpfsm
