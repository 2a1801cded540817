#include "stuck/refresher.h"

#include <sys/socket.h>

#include <algorithm>
#include <fstream>

namespace tcpfsm {
namespace {

// net.ipv4.tcp_fin_timeout of this network namespace: what an orphan's
// FIN_WAIT2 timewait socket is armed with.
std::chrono::milliseconds read_fin_timeout() {
  std::ifstream f("/proc/sys/net/ipv4/tcp_fin_timeout");
  long seconds = 60;  // the kernel's default
  f >> seconds;
  return std::chrono::seconds(seconds > 0 ? seconds : 60);
}

}  // namespace

StuckRefresher::StuckRefresher(StuckQuery query, OwnerCache::Options owners)
    : query_(std::move(query)),
      mask_(state_mask(query_.states)),
      fin_timeout_(read_fin_timeout()),
      owners_(std::move(owners)) {}

StuckTracker::Options StuckRefresher::tracker_options(bool key_by_endpoints) const {
  return {query_.states, query_.min_age, fin_timeout_, key_by_endpoints};
}

const std::vector<DiagSocket>& StuckRefresher::dump() {
  sockets_.clear();
  if (query_.family != AF_INET6) diag_.dump(AF_INET, mask_, sockets_);
  if (query_.family != AF_INET) diag_.dump(AF_INET6, mask_, sockets_);
  const auto& ports = query_.ports;
  if (!ports.empty())
    std::erase_if(sockets_, [&](const DiagSocket& s) {
      return std::none_of(ports.begin(), ports.end(),
                          [&](std::uint16_t p) { return s.local.port == p || s.remote.port == p; });
    });
  return sockets_;
}

void StuckRefresher::attach_owners(std::vector<StuckSocket>& stuck) {
  owners_.revalidate();
  for (const StuckSocket& s : stuck) owners_.lookup(s.sock.ino);
  owners_.resolve_pending();
  for (StuckSocket& s : stuck) {
    if (const auto* h = owners_.lookup(s.sock.ino)) s.holders = *h;
    s.owner = ownership_of(s.sock, s.holders);
  }
}

void StuckRefresher::settle_unstuck(std::vector<Unstuck>& unstuck) {
  for (Unstuck& u : unstuck) {
    if (const auto* h = owners_.lookup(u.sock.ino)) u.holders = *h;
    u.owner = ownership_of(u.sock, u.holders);
    owners_.forget(u.sock.ino);
    if (!u.new_state) {
      const auto now = diag_.find(u.sock);
      u.new_state = now ? now->state : number(State::Close);
    }
  }
}

StuckView StuckRefresher::view(StuckTracker::Result& r) const {
  StuckView v;
  v.states = query_.states;
  v.min_age = query_.min_age;
  v.sockets = std::move(r.stuck);
  v.younger = r.younger;
  v.unknown_age = r.unknown_age;
  v.owners_unreadable = owners_.stats().pids_unreadable > 0;
  return v;
}

}  // namespace tcpfsm
