#include "stuck/refresher.h"

#include <sys/socket.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "common/errors.h"
#include "kernel/rst_reasons.h"

namespace tcpfsm {
namespace {

// net.ipv4.tcp_fin_timeout of this thread's network namespace: what an
// orphan's FIN_WAIT2 timewait socket is armed with. /proc/sys/net answers
// for the namespace of the thread that opens it.
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
      own_netns_(own_netns()),
      fin_timeout_(read_fin_timeout()),
      owners_(std::move(owners)),
      cgroups_(cgroup2_mount()) {}

StuckTracker::Options StuckRefresher::tracker_options(bool key_by_endpoints, bool netns_in_key) const {
  StuckTracker::Options o{query_.states, query_.min_age, fin_timeout_, key_by_endpoints, netns_in_key, {}};
  o.fin_timeout_of = [this](std::uint32_t netns) {
    const auto it = fin_timeouts_.find(netns);
    return it != fin_timeouts_.end() ? it->second : fin_timeout_;
  };
  return o;
}

std::vector<NetnsRef> StuckRefresher::targets() const {
  if (query_.netns.empty() && !query_.all_netns) return {NetnsRef{own_netns_, 0, {}}};
  std::vector<NetnsRef> all = list_netns();
  if (query_.netns.empty()) return all;
  std::vector<NetnsRef> wanted;
  for (std::uint32_t inode : query_.netns) {
    if (std::any_of(wanted.begin(), wanted.end(), [&](const NetnsRef& w) { return w.inode == inode; })) continue;
    const auto it = std::find_if(all.begin(), all.end(), [&](const NetnsRef& r) { return r.inode == inode; });
    // Not listed: no way in that this user can see; sock_diag_in says why.
    wanted.push_back(it != all.end() ? *it : NetnsRef{inode, 0, {}});
  }
  return wanted;
}

void StuckRefresher::dump_with(SockDiag& diag, std::uint32_t netns) {
  const std::size_t from = sockets_.size();
  if (query_.family != AF_INET6) diag.dump(AF_INET, mask_, sockets_);
  if (query_.family != AF_INET) diag.dump(AF_INET6, mask_, sockets_);
  for (std::size_t i = from; i < sockets_.size(); ++i) sockets_[i].netns = netns;
}

const std::vector<DiagSocket>& StuckRefresher::dump() {
  previous_.swap(sockets_);
  sockets_.clear();
  skipped_ = {};
  read_ = 0;
  std::unordered_map<std::uint32_t, NetnsRef> ways;
  std::unordered_map<std::uint32_t, std::chrono::milliseconds> fin_timeouts;
  auto carry_over = [&](std::uint32_t netns) {
    for (const DiagSocket& s : previous_)
      if (s.netns == netns) sockets_.push_back(s);
    if (auto it = ways_.find(netns); it != ways_.end()) ways.insert(*it);
    if (auto it = fin_timeouts_.find(netns); it != fin_timeouts_.end()) fin_timeouts.insert(*it);
  };

  for (const NetnsRef& ref : targets()) {
    if (ref.inode == own_netns_) {
      dump_with(diag_, own_netns_);  // as before namespaces: a failure here is tcpfsm's
      ways[ref.inode] = ref;
      ++read_;
      continue;
    }
    std::chrono::milliseconds fin_timeout = fin_timeout_;
    NetnsDiag in = sock_diag_in(ref, [&] { fin_timeout = read_fin_timeout(); });
    if (!in.diag) {
      // Nothing leads in any more: the namespace is gone, with its sockets.
      if (in.no_way_in) {
        skipped_.gone.push_back(ref.inode);
      } else {
        skipped_.unreadable.push_back(ref.inode);
        skipped_.error = in.why;
        carry_over(ref.inode);
      }
      continue;
    }
    const std::size_t before = sockets_.size();
    try {
      dump_with(*in.diag, ref.inode);
    } catch (const Error& e) {
      sockets_.resize(before);
      skipped_.unreadable.push_back(ref.inode);
      skipped_.error = e.what();
      carry_over(ref.inode);
      continue;
    }
    ways[ref.inode] = ref;
    fin_timeouts[ref.inode] = fin_timeout;
    ++read_;
  }
  ways_.swap(ways);
  fin_timeouts_.swap(fin_timeouts);

  const auto& ports = query_.ports;
  if (!ports.empty())
    std::erase_if(sockets_, [&](const DiagSocket& s) {
      return std::none_of(ports.begin(), ports.end(),
                          [&](std::uint16_t p) { return s.local.port == p || s.remote.port == p; });
    });
  return sockets_;
}

Place StuckRefresher::place_of(const DiagSocket& s) {
  Place p;
  p.own_netns = s.netns == own_netns_;
  if (!p.own_netns)
    if (auto it = ways_.find(s.netns); it != ways_.end()) {
      p.netns_name = it->second.name;
      p.netns_pid = it->second.pid;
    }
  if (const CgroupName* n = cgroups_.find(s.cgroup_id)) {
    p.cgroup = n->path;
    p.container = n->container;
  }
  return p;
}

void StuckRefresher::attach_owners(std::vector<StuckSocket>& stuck) {
  owners_.revalidate();
  for (const StuckSocket& s : stuck) owners_.lookup(s.sock.ino);
  owners_.resolve_pending();
  for (StuckSocket& s : stuck) {
    if (const auto* h = owners_.lookup(s.sock.ino)) s.holders = *h;
    s.owner = ownership_of(s.sock, s.holders);
    s.place = place_of(s.sock);
  }
}

void StuckRefresher::settle_unstuck(std::vector<Unstuck>& unstuck) {
  // One sock_diag socket per namespace that has unstuck sockets to look up.
  std::map<std::uint32_t, std::vector<Unstuck*>> lookups;
  for (Unstuck& u : unstuck) {
    if (const auto* h = owners_.lookup(u.sock.ino)) u.holders = *h;
    u.rst_reason = RstReasons::kernel().name(u.why.rst_reason);
    u.owner = ownership_of(u.sock, u.holders);
    u.place = place_of(u.sock);
    owners_.forget(u.sock.ino);
    if (!u.new_state) lookups[u.sock.netns].push_back(&u);
  }
  for (auto& [netns, list] : lookups) {
    SockDiag* diag = nullptr;
    NetnsDiag in;
    if (netns == own_netns_) {
      diag = &diag_;
    } else if (auto it = ways_.find(netns); it != ways_.end()) {
      in = sock_diag_in(it->second);
      diag = in.diag.get();
    } else {
      in.no_way_in = true;  // not read in this refresh: gone
    }
    for (Unstuck* u : list) {
      if (!diag) {
        // A namespace nothing leads into has no sockets one can see; one that
        // refused entry says nothing.
        if (in.no_way_in) u->new_state = number(State::Close);
        continue;
      }
      try {
        const auto now = diag->find(u->sock);
        u->new_state = now ? now->state : number(State::Close);
      } catch (const Error&) {
        if (netns == own_netns_) throw;
      }
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
  v.netns_skipped = skipped_;
  return v;
}

}  // namespace tcpfsm
