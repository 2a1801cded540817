// Puts the records of per-CPU perf buffers back in time order.
//
// Each CPU's perf buffer is in order, but the reader empties them one after
// the other: a socket whose transitions ran on two CPUs can come out of
// them late-first, and the pipeline checks each socket's transitions in
// order (a swap reads as an illegal edge or a gap). So the perf path holds
// what it reads here, sorted by ktime_ns (stable: ties keep the order they
// were read in, which is each CPU's own), and hands on only records older
// than a horizon: the time the read began, less a slack. A record stamped
// before that was committed to its buffer before the read began (the
// program's run from bpf_ktime_get_ns() to bpf_perf_event_output() is a few
// microseconds, with preemption off; the slack covers interrupts), so it
// was read: nothing read later can be older than what was handed on.
// Newer records wait for the next read. After the program is detached,
// everything goes (horizon UINT64_MAX).
//
// Cost: a copy of each record and a sort of each read's batch (merged into
// what waits, which is sorted); the ring buffer, one buffer for all CPUs in
// commit order, needs none of this.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernel/dispatch.h"
#include "tcpfsm/event.h"

namespace tcpfsm {

class TimeOrder {
 public:
  // How far before the read's start a record must be stamped to go.
  static constexpr std::uint64_t kSlackNs = 10'000'000;

  // A record as read, of either kind, told apart by its head's kind byte
  // (kernel/dispatch.h); a perf sample pads it to 8 bytes past its 4-byte
  // size, and what follows the kind's struct is not read. Its head: not
  // ok() (and not kept) if it is neither kind, or too short for its kind.
  RecordHead push(const void* data, std::size_t size);

  // Records waiting, and those of them older than horizon.
  std::size_t size() const { return items_.size() - head_; }
  std::size_t ready(std::uint64_t horizon);

  // Hands the records older than horizon to on_event (with its life, a
  // tcpfsm_close's; else nullptr)/on_cause/on_origin,
  // oldest first, at most limit of them; returns how many.
  template <typename OnEvent, typename OnCause, typename OnOrigin>
  std::size_t release(std::uint64_t horizon, std::size_t limit, OnEvent&& on_event, OnCause&& on_cause,
                      OnOrigin&& on_origin) {
    settle();
    std::size_t n = 0;
    while (head_ < items_.size() && n < limit && items_[head_].ktime_ns < horizon) {
      const Item& it = items_[head_++];
      switch (it.kind) {
        case TCPFSM_RECORD_CAUSE: on_cause(it.u.cause); break;
        case TCPFSM_RECORD_ORIGIN: on_origin(origins_[it.u.origin]); break;
        default: on_event(it.u.event, it.life ? &lives_[it.life - 1] : nullptr); break;
      }
      ++n;
    }
    compact();
    return n;
  }

 private:
  struct Item {
    std::uint64_t ktime_ns;
    std::uint8_t kind;  // tcpfsm_record_kind
    // A tcpfsm_close's life: 1 + its index into lives_ (kept apart, as
    // origins are); 0: none. In the padding before the union.
    std::uint32_t life;
    union {
      tcpfsm_event event;
      tcpfsm_cause cause;
      std::size_t origin;  // index into origins_: three times an event's size, kept apart so sorts move less
    } u;
  };

  // Sorts what was pushed since the last settle into place.
  void settle();
  void compact();

  std::vector<Item> items_;
  std::vector<tcpfsm_origin> origins_;  // the waiting items' origins (and some released ones')
  std::vector<tcpfsm_life> lives_;      // the waiting items' lives, likewise
  std::size_t head_ = 0;    // items_[head_..] wait
  std::size_t sorted_ = 0;  // items_[head_..sorted_) are in order
};

}  // namespace tcpfsm
