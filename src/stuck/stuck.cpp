// Ages, ownership, grouping and hints for `tcpfsm stuck`.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <tuple>

#include "stuck/stuck.h"
#include "stuck/service_port.h"
#include "common/endpoint.h"
#include "common/units.h"

namespace tcpfsm {
namespace {

// ss spells states in lower case with dashes: "close-wait".
std::string ss_state_name(int state) {
  std::string s = state_name(state);
  for (char& c : s) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// s as one shell word: as it is when it is plain, else in single quotes.
std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != 0 && std::strchr("_-.:@%+=,/", c));
  });
  if (plain) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace

std::string_view age_kind_name(AgeKind k) {
  switch (k) {
    case AgeKind::Measured: return "measured";
    case AgeKind::Estimate: return "estimate";
    case AgeKind::LowerBound: return "lower_bound";
  }
  return "?";
}

std::string age_text(const Age& a) {
  const std::string d = format_duration(a.value);
  switch (a.kind) {
    case AgeKind::Measured: return d;
    case AgeKind::Estimate: return "~" + d;
    case AgeKind::LowerBound: return "> " + d;
  }
  return d;
}

std::optional<std::chrono::nanoseconds> kernel_age_estimate(const DiagSocket& s,
                                                            std::chrono::milliseconds fin_timeout) {
  using std::chrono::milliseconds;
  const bool after_ack = s.state == number(State::CloseWait) || s.state == number(State::FinWait2);
  if (s.kind == SocketKind::Full && s.last_ack_recv_ms && after_ack) return milliseconds(*s.last_ack_recv_ms);
  // An orphan's FIN_WAIT2 timewait socket was armed with fin_timeout when it took over.
  if (s.kind == SocketKind::TimeWait && s.state == number(State::FinWait2) &&
      milliseconds(s.expires_ms) <= fin_timeout)
    return fin_timeout - milliseconds(s.expires_ms);
  return std::nullopt;
}

Age untraced_age(const DiagSocket& s, std::chrono::nanoseconds known_for, std::chrono::milliseconds fin_timeout) {
  if (auto est = kernel_age_estimate(s, fin_timeout); est && *est > known_for) return {*est, AgeKind::Estimate};
  return {known_for, AgeKind::LowerBound};
}

std::uint32_t unread_bytes(const DiagSocket& s) {
  const bool fin_received = s.state == number(State::CloseWait) || s.state == number(State::LastAck) ||
                            s.state == number(State::Closing);
  // Reading up to the FIN consumes its sequence number too: rqueue is then 0.
  if (fin_received && s.rqueue > 0) return s.rqueue - 1;
  return s.rqueue;
}

std::string_view ownership_name(Ownership o) {
  switch (o) {
    case Ownership::Process: return "process";
    case Ownership::Orphan: return "orphan";
    case Ownership::NotAccepted: return "not_accepted";
    case Ownership::Unknown: return "unknown";
  }
  return "?";
}

Ownership ownership_of(const DiagSocket& s, std::span<const Holder> holders) {
  if (s.ino != 0) return holders.empty() ? Ownership::Unknown : Ownership::Process;
  // Without a file: a socket that close() left behind moves on from these
  // states, so one still in them has never been accept()ed.
  const bool before_accept = s.kind == SocketKind::Request || s.state == number(State::SynRecv) ||
                             s.state == number(State::Established) || s.state == number(State::CloseWait);
  return before_accept ? Ownership::NotAccepted : Ownership::Orphan;
}

std::optional<std::string> netns_command_prefix(const Place& p) {
  if (p.own_netns) return std::string();
  if (!p.netns_name.empty()) return "ip netns exec " + shell_word(p.netns_name) + " ";
  if (p.netns_pid > 0) return "nsenter -t " + std::to_string(p.netns_pid) + " -n ";
  return std::nullopt;
}

namespace {

// What makes two code paths the same for a group: their kind and frames by
// name (module, symbol, line), not by address, which differs per process
// (ASLR) and per build.
std::string path_key(const CodePath& p) {
  std::string k(origin_name(p.kind));
  for (const Frame& f : p.frames) {
    k += '\n';
    k += f.symbol.empty() ? f.module + "+" + std::to_string(f.module_offset) : f.symbol;
    k += '@';
    k += f.file + ":" + std::to_string(f.line);
  }
  return k;
}

}  // namespace

std::vector<Group> group_sockets(std::span<const StuckSocket> sockets) {
  // (ownership, pid, state, netns, code path) -> group; ordered, so equal
  // groups sort the same every time.
  std::map<std::tuple<int, std::int32_t, int, std::uint32_t, std::string>, Group> by_key;
  auto add = [&](const StuckSocket& s, const Holder* h) {
    Group& g = by_key[{static_cast<int>(s.owner), h ? h->pid : 0, s.sock.state, s.sock.netns,
                       s.origin ? path_key(*s.origin) : std::string()}];
    g.owner = s.owner;
    g.state = s.sock.state;
    g.netns = s.sock.netns;
    g.origin = s.origin;
    if (h) g.holder = Holder{h->pid, -1, h->comm, h->cmdline};
    g.sockets.push_back(&s);
  };
  for (const auto& s : sockets) {
    if (s.owner == Ownership::Process) {
      // Once per process, even when it holds the socket on several fds (dup).
      for (auto h = s.holders.begin(); h != s.holders.end(); ++h)
        if (std::none_of(s.holders.begin(), h, [&](const Holder& e) { return e.pid == h->pid; })) add(s, &*h);
    } else
      add(s, nullptr);
  }
  std::vector<Group> groups;
  for (auto& [key, g] : by_key) {
    std::stable_sort(g.sockets.begin(), g.sockets.end(),
                     [](const StuckSocket* a, const StuckSocket* b) { return a->age.value > b->age.value; });
    groups.push_back(std::move(g));
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.sockets.size() != b.sockets.size()) return a.sockets.size() > b.sockets.size();
    return a.sockets.front()->age.value > b.sockets.front()->age.value;
  });
  return groups;
}

std::vector<Group> group_sockets_by_port(std::span<const StuckSocket> sockets) {
  const EphemeralPorts ephemeral;  // the kernel's default range: the view has no namespace's own
  std::vector<Group> groups;
  for (Group& g : group_sockets(sockets)) {
    std::map<std::uint16_t, std::size_t> lports, rports;
    for (const StuckSocket* s : g.sockets) {
      ++lports[s->sock.local.port];
      ++rports[s->sock.remote.port];
    }
    // (side, port) -> the group's sockets there, oldest first as in g.
    std::map<std::pair<PortSide, std::uint16_t>, Group> by_port;
    for (const StuckSocket* s : g.sockets) {
      const std::uint16_t lport = s->sock.local.port, rport = s->sock.remote.port;
      const std::size_t on_local = lports[lport], on_remote = rports[rport];
      // On a tie (one socket, say), what service_port() says, as for the metrics' labels.
      const bool remote = rport != 0 && (on_remote > on_local ||
                                         (on_remote == on_local && service_port(s->sock, ephemeral).client));
      const PortSide side = remote ? PortSide::Remote : PortSide::Local;
      Group& sub = by_port[{side, remote ? rport : lport}];
      if (sub.sockets.empty()) {
        sub = Group{g.owner, g.holder, g.state, g.netns, {}, side, remote ? rport : lport, g.origin};
      }
      sub.sockets.push_back(s);
    }
    for (auto& [key, sub] : by_port) groups.push_back(std::move(sub));
  }
  std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
    if (a.sockets.size() != b.sockets.size()) return a.sockets.size() > b.sockets.size();
    return a.sockets.front()->age.value > b.sockets.front()->age.value;
  });
  return groups;
}

std::string group_place(const Group& g) {
  const Place& p = g.sockets.front()->place;
  std::string t = "netns " + std::to_string(g.netns);
  if (p.own_netns) {
    t += " (tcpfsm's own)";
  } else if (auto enter = netns_command_prefix(p)) {
    enter->pop_back();  // the trailing space
    t += " (" + *enter + ")";
  }
  const bool one_cgroup = std::all_of(g.sockets.begin(), g.sockets.end(), [&](const StuckSocket* s) {
    return s->sock.cgroup_id == g.sockets.front()->sock.cgroup_id;
  });
  if (!one_cgroup) return t + ", several cgroups";
  if (const auto& c = p.container) {
    // 12 hex digits, as `docker ps` shows them; a machine's name whole.
    const bool hex_id = c->runtime != "machined" && c->id.size() > 12;
    t += ", " + c->runtime + " container " + (hex_id ? c->id.substr(0, 12) : c->id);
    if (!c->pod_uid.empty()) t += ", pod " + c->pod_uid;
  } else if (!p.cgroup.empty()) {
    t += ", cgroup " + p.cgroup;
  }
  return t;
}

std::string hint(const StuckSocket& s, const Holder* holder) {
  switch (static_cast<State>(s.sock.state)) {
    case State::CloseWait:
      if (s.owner == Ownership::NotAccepted)
        return "peer closed before the connection was accepted; the process listening on port " +
               std::to_string(s.sock.local.port) + " is not calling accept()";
      if (holder)
        return "peer closed; pid " + std::to_string(holder->pid) + " has not called close() on fd " +
               std::to_string(holder->fd);
      return "peer closed; the process holding it has not called close()";
    case State::FinWait2: return "waiting for the peer to close its side";
    case State::SynRecv: return "handshake not completed (backlog or SYN flood?)";
    default:
      if (const StateInfo* info = find_state(s.sock.state)) return std::string(info->meaning);
      return "state " + state_name(s.sock.state);
  }
}

std::string group_hint(const Group& g) {
  const StuckSocket& first = *g.sockets.front();
  if (g.state != number(State::CloseWait) || g.owner != Ownership::Process) return hint(first, nullptr);
  // The fds this process holds, oldest socket first.
  std::vector<int> fds;
  for (const StuckSocket* s : g.sockets)
    for (const Holder& h : s->holders)
      if (h.pid == g.holder.pid) fds.push_back(h.fd);
  std::string text = "peer closed; pid " + std::to_string(g.holder.pid) + " has not called close() on fd";
  if (fds.size() > 1) text += 's';
  // Up to six fds by number; beyond that five and a count.
  constexpr std::size_t kNamed = 5;
  const std::size_t named = fds.size() <= kNamed + 1 ? fds.size() : kNamed;
  for (std::size_t i = 0; i < named; ++i) {
    text += i == 0 ? " " : (i + 1 == fds.size() ? " and " : ", ");
    text += std::to_string(fds[i]);
  }
  if (named < fds.size()) text += " and " + std::to_string(fds.size() - named) + " more";
  return text;
}

std::string ss_kill_command(const StuckSocket& s) {
  const auto enter = netns_command_prefix(s.place);
  if (!enter) return {};
  return *enter + "ss -K -tn state " + ss_state_name(s.sock.state) + " '( src " +
         endpoint_text(s.sock.ipv6, s.sock.local) + " and dst " + endpoint_text(s.sock.ipv6, s.sock.remote) + " )'";
}

std::string ss_kill_command(const Group& g) {
  if (g.sockets.empty()) return {};
  const StuckSocket& first = *g.sockets.front();
  if (g.sockets.size() == 1) return ss_kill_command(first);
  const auto enter = netns_command_prefix(first.place);
  if (!enter) return {};
  auto all = [&](auto same) { return std::all_of(g.sockets.begin(), g.sockets.end(), same); };
  const bool one_lport = all([&](const StuckSocket* s) { return s->sock.local.port == first.sock.local.port; });
  const bool one_rport = all([&](const StuckSocket* s) { return s->sock.remote.port == first.sock.remote.port; });
  std::string filter;
  if (one_rport && (g.side == PortSide::Remote || !one_lport)) {
    const bool one_peer = all([&](const StuckSocket* s) {
      return s->sock.ipv6 == first.sock.ipv6 && s->sock.remote.addr == first.sock.remote.addr;
    });
    filter = one_peer ? "dst " + endpoint_text(first.sock.ipv6, first.sock.remote)
                      : "dport = :" + std::to_string(first.sock.remote.port);
  } else if (one_lport) {
    filter = "sport = :" + std::to_string(first.sock.local.port);
  } else {
    return {};  // no port in common: no short filter
  }
  return *enter + "ss -K -tn state " + ss_state_name(first.sock.state) + " '( " + filter + " )'";
}

}  // namespace tcpfsm
