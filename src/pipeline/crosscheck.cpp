#include "pipeline/crosscheck.h"

#include <sys/socket.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/clock.h"
#include "common/errors.h"
#include "kernel/netns.h"

namespace tcpfsm {
namespace {

// Every state a full socket in the table can be in: not TIME_WAIT or the
// request and bound-inactive mini sockets, which the tracepoint never shows.
const std::uint32_t kStates = ~((1U << number(State::TimeWait)) | (1U << number(State::NewSynRecv)) |
                                    (1U << number(State::BoundInactive)));

// Before connect() picks it, a socket's local port reads 0 (CLOSE -> SYN_SENT):
// such a record is matched by its remote endpoint alone.
std::uint64_t remote_only(bool ipv6, const Endpoint& remote) { return ~endpoints_key(ipv6, Endpoint{}, remote); }

constexpr std::size_t kPidsPerNetns = 4;  // ways into a namespace worth trying before a /proc search

}  // namespace

std::uint64_t CrossCheck::identity(std::uint64_t key, const SocketRecord& r, bool keys) {
  if (!keys) return key;  // the socket cookie, as sock_diag reports it
  return r.local.port ? endpoints_key(r.ipv6, r.local, r.remote) : remote_only(r.ipv6, r.remote);
}

CrossCheck::Snapshot CrossCheck::take(const SocketTable& table) {
  Snapshot snap;
  snap.ktime_ns = mono_now_ns();
  std::map<std::uint32_t, std::vector<std::int32_t>> spaces;  // netns -> pids seen in it
  table.for_each([&](std::uint64_t, const SocketRecord& r) {
    auto& pids = spaces[r.netns];
    for (std::int32_t pid : {r.owner.pid, static_cast<std::int32_t>(r.pid)})
      if (pid > 0 && pids.size() < kPidsPerNetns && std::find(pids.begin(), pids.end(), pid) == pids.end())
        pids.push_back(pid);
  });
  if (!own_netns_) own_netns_ = own_netns();
  std::erase_if(unreachable_since_, [&](const auto& u) { return !spaces.contains(u.first); });
  std::optional<std::vector<NetnsRef>> listed;  // the host's namespaces, listed once if needed
  for (const auto& [netns, pids] : spaces) {
    NetnsDiag other;
    SockDiag* diag = nullptr;
    try {
      if (netns == own_netns_) {
        if (!own_) own_ = std::make_unique<SockDiag>();
        diag = own_.get();
      } else if ((other = way_into(netns, pids, listed)).diag) {
        diag = other.diag.get();
        unreachable_since_.erase(netns);
      }
      if (!diag) {
        ++errors_;
        last_error_ = other.why;
        if (other.no_way_in) {
          const auto since = unreachable_since_.try_emplace(netns, snap.ktime_ns).first->second;
          if (snap.ktime_ns - since >= kGoneAfterNs) snap.gone.insert(netns);
        } else {
          unreachable_since_.erase(netns);  // refused: it exists, and we may not look
        }
        continue;
      }
      sockets_.clear();
      diag->dump(AF_INET, kStates, sockets_);
      diag->dump(AF_INET6, kStates, sockets_);
    } catch (const Error& e) {
      ++errors_;
      last_error_ = e.what();
      continue;
    }
    auto& live = snap.live[netns];
    live.reserve(sockets_.size() * 2);
    for (const DiagSocket& s : sockets_) {
      if (table.keys()) {
        live.insert(endpoints_key(s.ipv6, s.local, s.remote));
        live.insert(remote_only(s.ipv6, s.remote));
      } else {
        live.insert(s.cookie);
      }
    }
  }
  return snap;
}

NetnsDiag CrossCheck::way_into(std::uint32_t netns, std::span<const std::int32_t> pids,
                               std::optional<std::vector<NetnsRef>>& listed) {
  NetnsDiag d = sock_diag_in(netns, pids);
  if (d.diag || d.no_way_in) return d;
  // Refused somewhere on the search (a file even root may not open, as a
  // sandbox's init): that says nothing of this namespace. The listing does:
  // a namespace no process and no name is in has no way in.
  if (!listed) listed = list_netns();
  const auto ref = std::find_if(listed->begin(), listed->end(), [&](const NetnsRef& r) { return r.inode == netns; });
  if (ref != listed->end()) return sock_diag_in(*ref);
  d.no_way_in = true;
  d.why = "no process or name leads into network namespace " + std::to_string(netns);
  return d;
}

std::size_t CrossCheck::apply(const Snapshot& snap, SocketTable& table) const {
  std::vector<std::uint64_t> stale;
  table.for_each([&](std::uint64_t key, const SocketRecord& r) {
    if (snap.gone.contains(r.netns)) {
      if (r.last_ktime_ns + kGoneAfterNs <= snap.ktime_ns) stale.push_back(key);
      return;
    }
    auto it = snap.live.find(r.netns);
    if (it == snap.live.end() || r.last_ktime_ns >= snap.ktime_ns) return;  // not asked, or newer
    if (!it->second.contains(identity(key, r, table.keys()))) stale.push_back(key);
  });
  for (std::uint64_t key : stale) table.remove(key, /*stale=*/true);
  return stale.size();
}

}  // namespace tcpfsm
