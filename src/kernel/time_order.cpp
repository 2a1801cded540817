#include "kernel/time_order.h"

#include <algorithm>
#include <cstddef>

namespace tcpfsm {

RecordHead TimeOrder::push(const void* data, std::size_t size) {
  const RecordHead head = read_head(data, size);
  Item it{};
  if (head.verdict == RecordHead::Verdict::Transition) {
    std::memcpy(&it.u.event, data, sizeof(tcpfsm_event));
    it.ktime_ns = it.u.event.ktime_ns;
    it.kind = TCPFSM_RECORD_TRANSITION;
    if (head.kind == TCPFSM_RECORD_CLOSE) {
      tcpfsm_life& l = lives_.emplace_back();
      std::memcpy(&l, static_cast<const unsigned char*>(data) + offsetof(tcpfsm_close, life), sizeof l);
      it.life = static_cast<std::uint32_t>(lives_.size());
    }
  } else if (head.verdict == RecordHead::Verdict::Cause) {
    std::memcpy(&it.u.cause, data, sizeof(tcpfsm_cause));
    it.ktime_ns = it.u.cause.ktime_ns;
    it.kind = TCPFSM_RECORD_CAUSE;
  } else if (head.verdict == RecordHead::Verdict::Origin) {
    tcpfsm_origin& o = origins_.emplace_back();
    std::memcpy(&o, data, sizeof o);
    it.ktime_ns = o.ktime_ns;
    it.kind = TCPFSM_RECORD_ORIGIN;
    it.u.origin = origins_.size() - 1;
  } else {
    return head;
  }
  items_.push_back(it);
  return head;
}

void TimeOrder::settle() {
  if (sorted_ >= items_.size()) return;
  auto by_time = [](const Item& a, const Item& b) { return a.ktime_ns < b.ktime_ns; };
  const auto first = items_.begin() + static_cast<std::ptrdiff_t>(head_);
  const auto mid = items_.begin() + static_cast<std::ptrdiff_t>(std::max(sorted_, head_));
  std::stable_sort(mid, items_.end(), by_time);
  std::inplace_merge(first, mid, items_.end(), by_time);  // stable: what waited first goes first
  sorted_ = items_.size();
}

std::size_t TimeOrder::ready(std::uint64_t horizon) {
  settle();
  const auto first = items_.begin() + static_cast<std::ptrdiff_t>(head_);
  const auto end = std::lower_bound(first, items_.end(), horizon,
                                    [](const Item& it, std::uint64_t h) { return it.ktime_ns < h; });
  return static_cast<std::size_t>(end - first);
}

void TimeOrder::compact() {
  if (head_ == items_.size()) {
    items_.clear();
    origins_.clear();
    lives_.clear();
    head_ = sorted_ = 0;
  } else if (head_ >= 4096 && head_ * 2 >= items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    sorted_ -= head_;
    head_ = 0;
    // The waiting items' origins only, renumbered.
    std::vector<tcpfsm_origin> kept;
    std::vector<tcpfsm_life> kept_lives;
    for (Item& it : items_)
      if (it.kind == TCPFSM_RECORD_ORIGIN) {
        kept.push_back(origins_[it.u.origin]);
        it.u.origin = kept.size() - 1;
      } else if (it.life) {
        kept_lives.push_back(lives_[it.life - 1]);
        it.life = static_cast<std::uint32_t>(kept_lives.size());
      }
    origins_ = std::move(kept);
    lives_ = std::move(kept_lives);
  }
}

}  // namespace tcpfsm
