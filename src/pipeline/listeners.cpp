#include "pipeline/listeners.h"

#include <algorithm>
#include <map>

#include "common/clock.h"
#include "owners/holder_iter.h"

namespace tcpfsm {
namespace {

constexpr int kAfInet6 = 10;
// A pass is asked for at most this often (but the first at once).
constexpr auto kMinPassInterval = std::chrono::seconds(1);

bool wildcard(const std::array<std::uint8_t, 16>& addr) {
  return std::all_of(addr.begin(), addr.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

Listeners::Listener& Listeners::add(std::uint32_t ino, std::uint32_t netns, bool ipv6,
                                    const std::array<std::uint8_t, 16>& addr, std::uint16_t port) {
  auto it = listeners_.find(ino);
  if (it != listeners_.end() && (it->second.netns != netns || it->second.port != port || it->second.ipv6 != ipv6 ||
                                 it->second.addr != addr)) {
    remove(ino);  // bound elsewhere than recorded (listen() chose its port): indexed anew
    it = listeners_.end();
  }
  if (it == listeners_.end()) {
    it = listeners_.emplace(ino, Listener{}).first;
    Listener& l = it->second;
    l.netns = netns;
    l.ipv6 = ipv6;
    l.addr = addr;
    l.port = port;
    by_port_.emplace(port_key(netns, port), &l);
  }
  return it->second;
}

void Listeners::remove(std::uint32_t ino) {
  auto it = listeners_.find(ino);
  if (it == listeners_.end()) return;
  auto [b, e] = by_port_.equal_range(port_key(it->second.netns, it->second.port));
  for (; b != e; ++b)
    if (b->second == &it->second) {
      by_port_.erase(b);
      break;
    }
  set_owner(it->second, {}, 0);
  listeners_.erase(it);
}

void Listeners::set_owner(Listener& l, Owner owner, std::uint64_t since_ns) {
  if (owner.pid == l.owner.pid && (l.watched || !owner.pid)) {
    l.owner.comm = std::move(owner.comm);
    return;
  }
  if (l.watched) owners_.unwatch(l.owner.pid);
  l.owner = std::move(owner);
  l.owner_since_ns = since_ns;
  // Not watched (gone already, or too many watched): not certain.
  l.watched = owners_.watch(l.owner.pid);
}

void Listeners::refresh(const std::optional<std::vector<tcpfsm_holder>>& found, std::uint64_t ended_ns,
                        Clock::time_point now) {
  last_pass_ = now;
  if (!found) return;
  std::map<std::uint32_t, std::vector<const tcpfsm_holder*>> held;  // inode -> its descriptors, in pid order
  for (const tcpfsm_holder& h : *found) held[h.ino].push_back(&h);
  for (const auto& [ino, fds] : held) {
    const tcpfsm_holder& first = *fds.front();
    std::array<std::uint8_t, 16> addr{};
    std::copy(std::begin(first.laddr), std::end(first.laddr), addr.begin());
    Listener& l = add(ino, first.netns, first.family == kAfInet6, addr, first.lport);
    // The process that called listen() while it still holds it; else the
    // first holder, from the end of this pass (who held it before is not known).
    const bool still = std::any_of(fds.begin(), fds.end(), [&](const tcpfsm_holder* h) {
      return static_cast<std::int32_t>(h->pid) == l.owner.pid;
    });
    if (!still) set_owner(l, Owner{static_cast<std::int32_t>(first.pid), comm_of(first)}, ended_ns);
  }
  // Listeners no process holds now: closed (their LISTEN -> CLOSE is still
  // to be read) or held only where the iterator does not look (io_uring's
  // fixed files): owner not known. After lost events the registry starts
  // over from this pass: a close() may have been lost.
  const bool start_over = complete_since_ns_ == kNever;
  std::vector<std::uint32_t> gone;
  for (auto& [ino, l] : listeners_) {
    if (held.contains(ino)) continue;
    if (start_over) gone.push_back(ino);
    else set_owner(l, {}, ended_ns);
  }
  for (std::uint32_t ino : gone) remove(ino);
  if (start_over) complete_since_ns_ = ended_ns;
  owners_checked_ns_ = std::max(owners_checked_ns_, ended_ns);
  owner_missing_ = named_ = false;
}

bool Listeners::pass_due(Clock::time_point now) const {
  if (last_pass_ == Clock::time_point{}) return true;
  const auto since = now - last_pass_;
  if (since < kMinPassInterval) return false;
  return complete_since_ns_ == kNever || owner_missing_ || (named_ && since >= kRefresh);
}

void Listeners::opened(const Transition& t, const Owner& owner) {
  Listener& l = add(t.ino, t.netns, t.ipv6, t.local.addr, t.local.port);
  l.closed = false;
  set_owner(l, owner, t.ktime_ns);
  // listen() without bind() picks its port after the event: recorded at port
  // 0, its children would be looked for among the other listeners of their
  // port. Until a pass finds its port, no child is named.
  if (t.local.port == 0) complete_since_ns_ = kNever;
}

void Listeners::closed(std::uint32_t ino) {
  auto it = listeners_.find(ino);
  if (it != listeners_.end()) it->second.closed = true;
}

void Listeners::sweep() {
  std::vector<std::uint32_t> gone;
  for (const auto& [ino, l] : listeners_)
    if (l.closed) gone.push_back(ino);
  for (std::uint32_t ino : gone) remove(ino);
}

bool Listeners::matches(const Listener& l, const Transition& t) const {
  if (l.netns != t.netns || l.port != t.local.port || l.ipv6 != t.ipv6) return false;
  if (wildcard(l.addr)) return true;
  const std::size_t n = t.ipv6 ? 16 : 4;  // IPv4 in the first 4 bytes
  return std::equal(l.addr.begin(), l.addr.begin() + n, t.local.addr.begin());
}

void Listeners::check_owners(std::uint64_t event_ns) {
  if (event_ns <= owners_checked_ns_) return;
  owners_checked_ns_ = mono_now_ns();
  // Exited: whoever holds their listeners now is for a pass to find.
  for (std::int32_t pid : owners_.exited())
    for (auto& [ino, l] : listeners_)
      if (l.watched && l.owner.pid == pid) {
        l.watched = false;  // its watch is gone with it
        l.owner = {};
      }
}

std::optional<Owner> Listeners::owner_of_child(const Transition& t) {
  if (t.ktime_ns < complete_since_ns_) return std::nullopt;
  check_owners(t.ktime_ns);
  const Listener* named = nullptr;
  auto [b, e] = by_port_.equal_range(port_key(t.netns, t.local.port));
  for (; b != e; ++b) {
    const Listener& l = *b->second;
    if (!matches(l, t)) continue;
    // No owner, one that cannot be watched, or not known to be it then.
    if (!l.watched || t.ktime_ns < l.owner_since_ns) {
      owner_missing_ = !l.watched;
      return std::nullopt;
    }
    if (named && named->owner.pid != l.owner.pid) return std::nullopt;
    named = &l;
  }
  if (!named) return std::nullopt;
  named_ = true;
  return named->owner;
}

std::int32_t Listeners::likely_acceptor(const Transition& t) const {
  auto [b, e] = by_port_.equal_range(port_key(t.netns, t.local.port));
  for (; b != e; ++b) {
    const Listener& l = *b->second;
    if (matches(l, t) && l.owner.pid) return l.owner.pid;
  }
  return 0;
}

}  // namespace tcpfsm
