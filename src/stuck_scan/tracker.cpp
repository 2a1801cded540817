#include "stuck_scan/tracker.h"

namespace tcpfsm {
namespace {

std::chrono::nanoseconds since(std::uint64_t from_ns, std::uint64_t to_ns) {
  return std::chrono::nanoseconds(to_ns > from_ns ? static_cast<std::int64_t>(to_ns - from_ns) : 0);
}

}  // namespace

StuckTracker::StuckTracker(Options options, std::uint64_t start_ns)
    : options_(std::move(options)), state_mask_(state_mask(options_.states)), start_ns_(start_ns) {}

std::uint64_t StuckTracker::key_of(const DiagSocket& s) const {
  if (!options_.key_by_endpoints) return s.cookie;
  return options_.netns_in_key ? endpoints_key(s.netns, s.ipv6, s.local, s.remote)
                               : endpoints_key(s.ipv6, s.local, s.remote);
}

Unstuck StuckTracker::unstuck_of(const Entry& e, std::optional<int> new_state, std::uint64_t end_ns) {
  Unstuck u;
  u.sock = e.last;
  u.new_state = new_state;
  if (e.left && new_state == e.left->new_state) {
    u.cause = cause_of(e.state, e.left->new_state, e.left->why.kernel);
    u.why = e.left->why;
  }
  u.stuck_for = Age{since(e.origin_ns, end_ns), e.kind};
  return u;
}

void StuckTracker::on_transition(std::uint64_t key, int old_state, int new_state, std::uint64_t ktime_ns,
                                 const ReportedCause& why) {
  if (old_state == new_state) return;  // close() after shutdown() sets the state again: no change
  if (!watched(old_state) && !watched(new_state)) return;  // most of the host's transitions
  auto it = entries_.find(key);
  if (watched(new_state)) {
    // A reported socket moving on (to another watched state, or into this one
    // again after a reconnect) is unstuck from where it was.
    if (it != entries_.end() && it->second.reported)
      pending_unstuck_.push_back(unstuck_of(it->second, new_state,
                                            it->second.left ? it->second.left->ktime_ns : ktime_ns));
    Entry& e = entries_[key];
    e = Entry{};
    e.state = new_state;
    e.traced = true;
    e.origin_ns = ktime_ns;
    e.kind = AgeKind::Measured;
    return;
  }
  if (it != entries_.end() && it->second.state == old_state) it->second.left = Leave{new_state, ktime_ns, false, why};
}

void StuckTracker::on_late_cause(std::uint64_t key, const tcpfsm_cause& c) {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.left) return;
  Leave& l = *it->second.left;
  if (l.new_state == number(State::Close) && c.ktime_ns - l.ktime_ns <= CauseJoin::kWindowNs) l.why.add(c);
}

StuckTracker::Result StuckTracker::refresh(std::span<const DiagSocket> in_state, std::uint64_t dump_start_ns,
                                           std::uint64_t now_ns) {
  Result r;
  r.unstuck = std::move(pending_unstuck_);
  pending_unstuck_.clear();
  const bool first = generation_ == 0;
  ++generation_;

  for (const DiagSocket& s : in_state) {
    if (!watched(s.state)) continue;
    auto [it, fresh] = entries_.try_emplace(key_of(s));
    Entry& e = it->second;
    if (!fresh && e.state != s.state) {
      // It moved between watched states and the transition was not seen.
      if (e.reported) r.unstuck.push_back(unstuck_of(e, s.state, now_ns));
      e = Entry{};
      fresh = true;
    }
    if (fresh) {
      e.state = s.state;
      // In the first dump and unexplained: there before tracing began.
      e.first_seen_ns = first ? start_ns_ : now_ns;
    }
    if (e.left) e.left->still_there = true;
    e.last = s;
    e.generation = generation_;

    Age age{since(e.origin_ns, now_ns), AgeKind::Measured};
    if (!e.traced) {
      age = untraced_age(s, since(e.first_seen_ns, now_ns), fin_timeout_of(s.netns));
      e.origin_ns = now_ns - static_cast<std::uint64_t>(age.value.count());
      e.kind = age.kind;
    }
    // Once reported, a socket stays stuck until it leaves, even if a kernel
    // estimate shrinks meanwhile.
    if (age.value >= options_.min_age || e.reported) {
      if (!e.reported) r.newly.push_back(r.stuck.size());
      e.reported = true;
      r.stuck.push_back(StuckSocket{s, age, {}, Ownership::Unknown, {}, nullptr});
    } else if (age.kind == AgeKind::LowerBound) {
      ++r.unknown_age;
    } else {
      ++r.younger;
    }
  }

  // Gone from the watched states since the last dump.
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    if (e.generation == generation_) return false;
    if (e.reported) {
      // A transition out that a later dump contradicted (a timewait socket
      // lived on) says nothing about where it went since.
      const bool left_then = e.left && !e.left->still_there;
      r.unstuck.push_back(unstuck_of(e, left_then ? std::optional<int>(e.left->new_state) : std::nullopt,
                                     left_then ? e.left->ktime_ns : now_ns));
      return true;
    }
    // Entered while this dump was running: the next dump shows it, even after a
    // transition out (an orphan's FIN_WAIT2 lives on as a timewait socket).
    const bool entered_during_dump = e.traced && e.generation == 0 && e.origin_ns >= dump_start_ns;
    return !entered_during_dump;
  });
  return r;
}

}  // namespace tcpfsm
