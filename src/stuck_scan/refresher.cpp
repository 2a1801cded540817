#include "stuck_scan/refresher.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "common/clock.h"
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

// What sock_diag would say of a held socket. The age estimate sock_diag
// gives (tcpi_last_ack_recv) comes from the last segment in or out instead
// (tcp_mstamp): for a socket in CLOSE_WAIT, the FIN that moved it there, or
// what its process sent since; either way never more than its age.
DiagSocket diag_socket_of(const tcpfsm_held_socket& h, std::uint64_t now_us) {
  DiagSocket d;
  d.cookie = h.cookie;
  d.state = h.state;
  d.kind = SocketKind::Full;
  d.ipv6 = h.family == AF_INET6;
  std::memcpy(d.local.addr.data(), h.laddr, sizeof h.laddr);
  std::memcpy(d.remote.addr.data(), h.raddr, sizeof h.raddr);
  d.local.port = h.lport;
  d.remote.port = h.rport;
  d.rqueue = h.rqueue;
  d.wqueue = h.wqueue;
  d.uid = h.uid;
  d.ino = h.ino;
  d.netns = h.netns;
  d.cgroup_id = h.cgroup_id;
  if (h.mstamp_us && h.mstamp_us <= now_us)
    d.last_ack_recv_ms = static_cast<std::uint32_t>(std::min<std::uint64_t>((now_us - h.mstamp_us) / 1000, UINT32_MAX));
  return d;
}


}  // namespace

StuckRefresher::StuckRefresher(StuckQuery query, OwnerCache::Options owners, std::shared_ptr<SocketFiles> files,
                               std::uint32_t dump_states)
    : query_(std::move(query)),
      mask_(dump_states ? dump_states : state_mask(query_.states)),
      own_netns_(own_netns()),
      fin_timeout_(read_fin_timeout()),
      owners_(std::move(owners)),
      cgroups_(cgroup2_mount()),
      files_(std::move(files)) {}

StuckTracker::Options StuckRefresher::tracker_options(bool key_by_endpoints, bool netns_in_key) const {
  StuckTracker::Options o{query_.states, query_.min_age, fin_timeout_, key_by_endpoints, netns_in_key, {}};
  o.fin_timeout_of = [this](std::uint32_t netns) {
    const auto it = fin_timeouts_.find(netns);
    return it != fin_timeouts_.end() ? it->second : fin_timeout_;
  };
  return o;
}

std::vector<NetnsRef> StuckRefresher::targets() const {
  if (query_.filters.netns.empty() && !query_.all_netns) return {NetnsRef{own_netns_, 0, {}}};
  std::vector<NetnsRef> all = list_netns();
  // Namespaces /proc does not show this user (other users' processes need
  // CAP_SYS_PTRACE), but whose sockets the held pass saw, with a holder in
  // each as the way in.
  if (held_)
    for (const tcpfsm_held_socket& h : *held_)
      if (std::none_of(all.begin(), all.end(), [&](const NetnsRef& r) { return r.inode == h.netns; }))
        all.push_back(NetnsRef{h.netns, static_cast<std::int32_t>(h.pid), {}});
  if (query_.filters.netns.empty()) return all;
  std::vector<NetnsRef> wanted;
  for (std::uint32_t inode : query_.filters.netns) {
    if (std::any_of(wanted.begin(), wanted.end(), [&](const NetnsRef& w) { return w.inode == inode; })) continue;
    const auto it = std::find_if(all.begin(), all.end(), [&](const NetnsRef& r) { return r.inode == inode; });
    // Not listed: no way in that this user can see; sock_diag_in says why.
    wanted.push_back(it != all.end() ? *it : NetnsRef{inode, 0, {}});
  }
  return wanted;
}

void StuckRefresher::dump_with(SockDiag& diag, std::uint32_t netns) {
  const std::size_t from = sockets_.size();
  if (query_.filters.family != AF_INET6) diag.dump(AF_INET, mask_, sockets_);
  if (query_.filters.family != AF_INET) diag.dump(AF_INET6, mask_, sockets_);
  for (std::size_t i = from; i < sockets_.size(); ++i) sockets_[i].netns = netns;
}

void StuckRefresher::add_held(std::uint32_t netns, std::uint64_t now_us) {
  for (const tcpfsm_held_socket& h : *held_) {
    if (h.netns != netns) continue;
    if (query_.filters.family && h.family != query_.filters.family) continue;
    // One socket, several descriptors (dup, fork): one socket.
    if (std::any_of(sockets_.rbegin(), sockets_.rend(), [&](const DiagSocket& d) { return d.ino == h.ino; })) continue;
    sockets_.push_back(diag_socket_of(h, now_us));
  }
}

const std::vector<Holder>* StuckRefresher::held_holders(std::uint32_t ino) const {
  if (!held_) return nullptr;
  static const std::vector<Holder> none;
  const auto it = holders_.find(ino);
  return it != holders_.end() ? &it->second : &none;
}

const std::vector<DiagSocket>& StuckRefresher::dump() {
  previous_.swap(sockets_);
  sockets_.clear();
  skipped_ = {};
  read_ = 0;
  // One pass of the held-socket iterator first: the holders of every socket
  // with a file, and the sockets of namespaces that cannot be entered.
  held_.reset();
  holders_.clear();
  const std::uint64_t now_us = mono_now_ns() / 1000;
  if (files_) held_ = files_->held(mask_);
  if (held_) {
    std::unordered_map<std::int32_t, std::string> cmdlines;
    for (const tcpfsm_held_socket& h : *held_) {
      const auto pid = static_cast<std::int32_t>(h.pid);
      Holder holder = holder_of(tcpfsm_holder{h.ino, h.pid, h.fd, 0, 0, 0, {}, {}});
      holder.comm = std::string(h.comm, strnlen(h.comm, sizeof h.comm));
      auto known = cmdlines.find(pid);
      if (known == cmdlines.end()) {
        auto cached = cmdlines_.find(pid);  // a process's command line is read once while it holds sockets
        known = cmdlines.emplace(pid, cached != cmdlines_.end() ? cached->second : read_cmdline("/proc", pid, holder.comm)).first;
      }
      holder.cmdline = known->second;
      auto& list = holders_[h.ino];
      if (std::none_of(list.begin(), list.end(), [&](const Holder& x) { return x.pid == holder.pid; }))
        list.push_back(std::move(holder));
    }
    cmdlines_.swap(cmdlines);
  }
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
    if (!in.diag && held_) {
      // Not entered: its held sockets stand for it, with a holder as the
      // way in for the user (nsenter -t PID -n).
      add_held(ref.inode, now_us);
      skipped_.held_only.push_back(ref.inode);
      NetnsRef way = ref;
      for (const tcpfsm_held_socket& h : *held_)
        if (h.netns == ref.inode && !way.pid) way.pid = static_cast<std::int32_t>(h.pid);
      ways[ref.inode] = way;
      if (!in.no_way_in) skipped_.error = in.why;
      continue;
    }
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

  const PortFilter& ports = query_.filters.ports;
  if (ports.active())
    std::erase_if(sockets_, [&](const DiagSocket& s) { return !ports.matches(s.local.port, s.remote.port); });
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
  if (held_) {
    // The held pass named every holder: no /proc.
    for (StuckSocket& s : stuck) {
      s.holders = *held_holders(s.sock.ino);
      if (!s.holders.empty()) last_holders_[s.sock.ino] = s.holders;  // for when it leaves
      s.owner = ownership_of(s.sock, s.holders);
      s.place = place_of(s.sock);
    }
    return;
  }
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
    if (held_) {
      // The holders it had while stuck: its descriptor may be closed by now.
      if (auto it = last_holders_.find(u.sock.ino); it != last_holders_.end()) {
        u.holders = std::move(it->second);
        last_holders_.erase(it);
      }
    } else if (const auto* h = owners_.lookup(u.sock.ino)) {
      u.holders = *h;
    }
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
  v.owners_unreadable = !held_ && owners_.stats().pids_unreadable > 0;
  v.netns_skipped = skipped_;
  return v;
}

}  // namespace tcpfsm
