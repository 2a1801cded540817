// The text view and the JSON records of `tcpfsm stuck`. Names and command
// lines come from /proc, where any process writes its own: the text view
// escapes them (common/text.h), the JSON strings escape themselves (and keep
// bytes that are not UTF-8 in a *_bytes member beside them).
#include <algorithm>
#include <cctype>
#include <set>

#include "common/endpoint.h"
#include "common/json_text.h"
#include "common/text.h"
#include "stuck/stuck.h"
#include "common/units.h"

namespace tcpfsm {
namespace {

constexpr std::size_t kAddrWidth = 21;  // "255.255.255.255:65535"

std::string plural(std::size_t n, std::string_view what) {
  return std::to_string(n) + " " + std::string(what) + (n == 1 ? "" : "s");
}

// The port a group's sockets share, and their peers: " on local port 8080,
// from 10.0.0.5" (or "from 12 addresses"); " to 10.0.0.9:5432" (or " to port
// 5432 at 2 addresses").
std::string port_text(const Group& g) {
  if (!g.side) return "";
  std::set<std::string> peers;
  for (const StuckSocket* s : g.sockets) {
    char addr[kAddrTextMax];
    peers.insert(std::string(addr, format_addr(addr, s->sock.ipv6, s->sock.remote.addr)));
  }
  const StuckSocket& first = *g.sockets.front();
  const std::string port = std::to_string(g.port);
  if (*g.side == PortSide::Remote) {
    if (peers.size() == 1) return " to " + endpoint_text(first.sock.ipv6, first.sock.remote);
    return " to port " + port + " at " + std::to_string(peers.size()) + " addresses";
  }
  std::string t = " on local port " + port;
  if (peers.size() > 1) return t + ", from " + std::to_string(peers.size()) + " addresses";
  if (first.sock.remote.port != 0) t += ", from " + *peers.begin();  // a listener has no peer
  return t;
}

std::string group_title(const Group& g) {
  const std::string what = plural(g.sockets.size(), state_name(g.state) + " socket");
  std::string t;
  switch (g.owner) {
    case Ownership::Process:
      t = "pid " + std::to_string(g.holder.pid) + " (" + escaped(g.holder.comm) + ") holds " + what;
      break;
    case Ownership::Orphan: t = "orphaned by close(), no process: " + what; break;
    case Ownership::NotAccepted: t = "not accepted, in a listener's accept queue: " + what; break;
    case Ownership::Unknown: t = "no process found holding them: " + what; break;
  }
  return t + port_text(g) + ", oldest " + age_text(g.sockets.front()->age);
}

// The fds `pid` holds the socket on ("12", "12,15"); "-" without a process.
std::string fds_text(const StuckSocket& s, std::int32_t pid) {
  std::string t;
  for (const Holder& h : s.holders)
    if (h.pid == pid) t += (t.empty() ? "" : ",") + std::to_string(h.fd);
  return t.empty() ? "-" : t;
}

// "also held by pid 4243 (worker)" when other processes share the socket.
std::string shared_text(const StuckSocket& s, std::int32_t pid) {
  std::vector<std::string> others;
  for (const Holder& h : s.holders) {
    std::string o = std::to_string(h.pid) + " (" + escaped(h.comm) + ")";
    if (h.pid != pid && std::find(others.begin(), others.end(), o) == others.end()) others.push_back(o);
  }
  if (others.empty()) return "";
  std::string t = others.size() == 1 ? "also held by pid " : "also held by pids ";
  for (std::size_t i = 0; i < others.size(); ++i) t += (i ? ", " : "") + others[i];
  return t;
}

void append_row(std::string& out, std::size_t addr_width, std::string_view fd, std::string_view local,
                std::string_view peer, std::string_view unread, std::string_view age, std::string_view note) {
  out += "  ";
  pad(out, fd, 6);
  pad(out, local, addr_width + 2);
  pad(out, peer, addr_width + 2);
  pad_left(out, unread, 6);
  out += "  ";
  out += age;
  if (!note.empty()) {
    out += "  ";
    out += note;
  }
  out += '\n';
}

// Frames of a code path shown in the text view; the JSON has them all.
constexpr std::size_t kFramesShown = 16;

// Whether a frame is a syscall's C library wrapper (connect, accept4,
// listen): the line starts at the code that called it.
bool libc_wrapper(const Frame& f) {
  const std::string_view base = std::string_view(f.module).substr(f.module.rfind('/') + 1);
  return base.starts_with("libc.so") || base.starts_with("libc-") || base.starts_with("libpthread");
}

// Whether a frame is Go's standard library (net.Dial, syscall.connect,
// runtime/internal/syscall.Syscall6): a Go source file, and a package path
// with no dot in it (a module's path has its host name) other than main.
bool go_standard_library(const Frame& f) {
  if (!f.file.ends_with(".go") && !f.file.ends_with(".s")) return false;
  const std::string_view sym = f.symbol;
  const std::size_t slash = sym.rfind('/', sym.find('('));
  const std::string_view dir = slash == std::string_view::npos ? "" : sym.substr(0, slash + 1);
  const std::string_view rest = slash == std::string_view::npos ? sym : sym.substr(slash + 1);
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dir.find('.') != std::string_view::npos) return false;
  const std::string_view package = rest.substr(0, dot);
  return package != "main" && !package.empty() &&
         std::all_of(package.begin(), package.end(), [](char c) { return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'; });
}

// "  connected at: dial_billing+0x2e (leaky_server.c:58)" and the callers
// below it, "    <- billing_charge+0x9 (leaky_server.c:70)": from the first
// frame of the program's own code. The frames above it (the C library's
// syscall wrapper, Go's standard library) are summed up on a line of their
// own; the JSON has every frame.
void append_code_path(std::string& out, const Group& g, bool stacks) {
  if (!g.origin) {
    if (stacks) out += "  opened at: not known (before tcpfsm was watching, or its stack was lost)\n";
    return;
  }
  const CodePath& p = *g.origin;
  std::size_t first = 0;
  while (first + 1 < p.frames.size() && (libc_wrapper(p.frames[first]) || go_standard_library(p.frames[first])))
    ++first;
  out += "  ";
  out += origin_phrase(p.kind);
  out += ": ";
  if (p.frames.empty()) {
    out += escaped(p.note.empty() ? "no frames" : p.note) + '\n';
    return;
  }
  const std::size_t end = std::min(p.frames.size(), first + kFramesShown);
  for (std::size_t i = first; i < end; ++i) {
    if (i > first) out += "    <- ";
    out += escaped(frame_text(p.frames[i]));
    out += '\n';
  }
  if (end < p.frames.size()) out += "    <- ... " + plural(p.frames.size() - end, "more frame") + '\n';
  if (first > 1)
    out += "    (in " + escaped(p.frames[first - 1].symbol) + " and " + plural(first - 1, "more frame") +
           " of the language's libraries above it: -f json has them)\n";
  if (!p.note.empty()) out += "    (" + escaped(p.note) + ")\n";
}

void append_group(std::string& out, const Group& g, std::size_t max_rows, bool stacks) {
  out += '\n';
  out += group_title(g);
  out += '\n';
  if (g.owner == Ownership::Process)
    out += "  command: " + escaped(short_cmdline(g.holder.cmdline, kCmdlineShown)) + '\n';
  out += "  in: " + escaped(group_place(g)) + '\n';
  append_code_path(out, g, stacks);
  out += "  hint: " + group_hint(g) + '\n';
  std::size_t width = kAddrWidth;
  for (const StuckSocket* s : g.sockets)
    width = std::max({width, endpoint_text(s->sock.ipv6, s->sock.local).size(),
                      endpoint_text(s->sock.ipv6, s->sock.remote).size()});
  append_row(out, width, "FD", "LOCAL", "PEER", "UNREAD", "AGE", "");
  const std::size_t rows = max_rows == 0 ? g.sockets.size() : std::min(max_rows, g.sockets.size());
  for (std::size_t i = 0; i < rows; ++i) {
    const StuckSocket& s = *g.sockets[i];
    append_row(out, width, fds_text(s, g.holder.pid), endpoint_text(s.sock.ipv6, s.sock.local),
               endpoint_text(s.sock.ipv6, s.sock.remote), std::to_string(unread_bytes(s.sock)), age_text(s.age),
               g.owner == Ownership::Process ? shared_text(s, g.holder.pid) : "");
  }
  if (rows < g.sockets.size()) out += "  ... and " + std::to_string(g.sockets.size() - rows) + " more\n";
  if (g.state == number(State::CloseWait))
    if (const std::string kill = ss_kill_command(g); !kill.empty()) out += "  kill: " + escaped(kill) + '\n';
}

void append_endpoints(std::string& out, const DiagSocket& s) {
  char addr[kAddrTextMax];
  out += ",\"cookie\":";
  json::append_uint(out, s.cookie);
  out += s.ipv6 ? ",\"family\":\"ipv6\",\"laddr\":" : ",\"family\":\"ipv4\",\"laddr\":";
  json::append_string(out, std::string_view(addr, format_addr(addr, s.ipv6, s.local.addr)));
  out += ",\"lport\":";
  json::append_uint(out, s.local.port);
  out += ",\"raddr\":";
  json::append_string(out, std::string_view(addr, format_addr(addr, s.ipv6, s.remote.addr)));
  out += ",\"rport\":";
  json::append_uint(out, s.remote.port);
}

// netns, cgroup_id, and when known cgroup, container, container_runtime,
// pod_uid: the names `tcpfsm trace` gives them.
void append_place(std::string& out, const DiagSocket& s, const Place& p) {
  out += ",\"netns\":";
  json::append_uint(out, s.netns);
  out += ",\"cgroup_id\":";
  json::append_uint(out, s.cgroup_id);
  if (!p.cgroup.empty()) json::append_text(out, "cgroup", p.cgroup);
  if (const auto& c = p.container) {
    json::append_text(out, "container", c->id);
    out += ",\"container_runtime\":";
    json::append_string(out, c->runtime);
    if (!c->pod_uid.empty()) {
      out += ",\"pod_uid\":";
      json::append_string(out, c->pod_uid);
    }
  }
}

void append_inodes(std::string& out, const std::vector<std::uint32_t>& inodes) {
  out += '[';
  for (std::size_t i = 0; i < inodes.size(); ++i) {
    if (i) out += ',';
    json::append_uint(out, inodes[i]);
  }
  out += ']';
}

// "4026532296", "4026532296 and 4026532297", "a, b and 3 more".
std::string inodes_text(const std::vector<std::uint32_t>& inodes) {
  constexpr std::size_t kNamed = 3;
  const std::size_t named = inodes.size() <= kNamed + 1 ? inodes.size() : kNamed;
  std::string t;
  for (std::size_t i = 0; i < named; ++i) {
    if (i) t += i + 1 == inodes.size() ? " and " : ", ";
    t += std::to_string(inodes[i]);
  }
  if (named < inodes.size()) t += " and " + std::to_string(inodes.size() - named) + " more";
  return t;
}

void append_owners(std::string& out, Ownership owner, const std::vector<Holder>& holders) {
  out += ",\"owner\":";
  json::append_string(out, ownership_name(owner));
  out += ",\"owners\":[";
  for (std::size_t i = 0; i < holders.size(); ++i) {
    const Holder& h = holders[i];
    out += i ? ",{\"pid\":" : "{\"pid\":";
    json::append_uint(out, static_cast<std::uint64_t>(h.pid));
    json::append_text(out, "comm", h.comm);
    json::append_text(out, "cmdline", h.cmdline);
    out += ",\"fd\":";
    json::append_uint(out, static_cast<std::uint64_t>(h.fd));
    out += '}';
  }
  out += ']';
}

// "origin": {"kind": "connect", "frames": [{addr, module, build_id, offset,
// symbol, file, line}...], "note": ...}: every frame, innermost first.
void append_origin_json(std::string& out, const CodePath& p) {
  out += ",\"origin\":{\"kind\":";
  json::append_string(out, origin_name(p.kind));
  out += ",\"frames\":[";
  for (std::size_t i = 0; i < p.frames.size(); ++i) {
    const Frame& f = p.frames[i];
    out += i ? ",{\"addr\":" : "{\"addr\":";
    json::append_uint(out, f.addr);
    out += ",\"module\":";
    json::append_string(out, f.module);
    out += ",\"build_id\":";
    json::append_string(out, f.build_id);
    out += ",\"module_offset\":";
    json::append_uint(out, f.module_offset);
    out += ",\"symbol\":";
    json::append_string(out, f.symbol);
    out += ",\"file\":";
    json::append_string(out, f.file);
    out += ",\"line\":";
    json::append_uint(out, static_cast<std::uint64_t>(f.line));
    out += '}';
  }
  out += ']';
  if (!p.note.empty()) {
    out += ",\"note\":";
    json::append_string(out, p.note);
  }
  out += '}';
}

}  // namespace

void append_view(std::string& out, const StuckView& v, std::size_t max_rows) {
  out += v.sockets.empty() ? "no sockets" : plural(v.sockets.size(), "socket");
  out += (v.min_age.count() > 0 ? " stuck in " : " in ") + state_names(v.states);
  if (v.min_age.count() > 0) out += " for " + format_duration(v.min_age) + " or more";
  std::vector<std::string> others;
  if (v.younger) others.push_back(std::to_string(v.younger) + " younger");
  if (v.unknown_age) others.push_back(std::to_string(v.unknown_age) + " of unknown age");
  for (std::size_t i = 0; i < others.size(); ++i) out += (i ? ", " : " (") + others[i];
  out += others.empty() ? "\n" : ")\n";

  bool unknown_owner = false;
  for (const Group& g : group_sockets_by_port(v.sockets)) {
    append_group(out, g, max_rows, v.stacks);
    unknown_owner |= g.owner == Ownership::Unknown;
  }
  if (v.unknown_age)
    out += "\nnote: " + plural(v.unknown_age, "socket") +
           " of unknown age: in the state before tcpfsm saw them, and the kernel keeps no timestamp that "
           "says since when; --min-age 0 lists them\n";
  if (unknown_owner && v.owners_unreadable)
    out += "\nnote: some /proc/PID/fd could not be read: run as root to see every owner\n";
  const NetnsSkipped& n = v.netns_skipped;
  if (!n.gone.empty())
    out += "\nnote: " + plural(n.gone.size(), "network namespace") + " (" + inodes_text(n.gone) + ") " +
           (n.gone.size() == 1 ? "was" : "were") + " gone before tcpfsm could read it: skipped\n";
  if (!n.unreadable.empty())
    out += "\nnote: " + plural(n.unreadable.size(), "network namespace") + " (" + inodes_text(n.unreadable) +
           ") could not be read, " + (n.unreadable.size() == 1 ? "its" : "their") +
           " sockets are not shown: " + escaped(n.error) + "\n";
  if (!n.held_only.empty())
    out += "\nnote: " + plural(n.held_only.size(), "network namespace") + " (" + inodes_text(n.held_only) +
           ") could not be entered (needs CAP_SYS_ADMIN): read through the sockets processes hold there, "
           "without orphans or connections not accept()ed yet\n";
}

void append_stuck_json(std::string& out, const StuckSocket& s, std::uint64_t wall_ns) {
  out += "{\"type\":\"stuck\",\"ts\":\"";
  json::append_rfc3339(out, wall_ns);
  out += "\",\"state\":";
  json::append_string(out, state_name(s.sock.state));
  out += ",\"age_ns\":";
  json::append_uint(out, static_cast<std::uint64_t>(s.age.value.count()));
  out += ",\"age_kind\":";
  json::append_string(out, age_kind_name(s.age.kind));
  append_endpoints(out, s.sock);
  out += ",\"unread\":";
  json::append_uint(out, unread_bytes(s.sock));
  out += ",\"rqueue\":";
  json::append_uint(out, s.sock.rqueue);
  out += ",\"wqueue\":";
  json::append_uint(out, s.sock.wqueue);
  out += ",\"uid\":";
  json::append_uint(out, s.sock.uid);
  out += ",\"ino\":";
  json::append_uint(out, s.sock.ino);
  append_place(out, s.sock, s.place);
  append_owners(out, s.owner, s.holders);
  out += ",\"hint\":";
  json::append_string(out, hint(s, s.holders.empty() ? nullptr : &s.holders.front()));
  if (s.origin) append_origin_json(out, *s.origin);
  if (s.sock.state == number(State::CloseWait)) {
    if (const std::string kill = ss_kill_command(s); !kill.empty()) {
      out += ",\"kill\":";
      json::append_string(out, kill);
    }
  }
  out += "}\n";
}

void append_unstuck_json(std::string& out, const Unstuck& u, std::uint64_t wall_ns) {
  out += "{\"type\":\"unstuck\",\"ts\":\"";
  json::append_rfc3339(out, wall_ns);
  out += "\",\"state\":";
  json::append_string(out, state_name(u.sock.state));
  out += ",\"new\":";
  if (u.new_state) json::append_string(out, state_name(*u.new_state));
  else out += "null";
  out += ",\"stuck_ns\":";
  json::append_uint(out, static_cast<std::uint64_t>(u.stuck_for.value.count()));
  out += ",\"stuck_kind\":";
  json::append_string(out, age_kind_name(u.stuck_for.kind));
  append_endpoints(out, u.sock);
  out += ",\"ino\":";
  json::append_uint(out, u.sock.ino);
  append_place(out, u.sock, u.place);
  append_owners(out, u.owner, u.holders);
  if (u.cause != Cause::None) {
    out += ",\"cause\":";
    json::append_string(out, cause_name(u.cause));
  }
  if (u.why.kernel.error) {
    out += ",\"error\":";
    json::append_string(out, errno_name(u.why.kernel.error));
  }
  if (!u.rst_reason.empty()) {
    out += ",\"rst_reason\":";
    json::append_string(out, u.rst_reason);
  }
  out += "}\n";
}

void append_unstuck_text(std::string& out, std::span<const Unstuck> unstuck) {
  for (const Unstuck& u : unstuck) {
    out += "left " + state_name(u.sock.state) + " -> " + (u.new_state ? state_name(*u.new_state) : "?") +
           " after " + age_text(u.stuck_for);
    if (u.cause != Cause::None) {
      out += " (" + std::string(cause_name(u.cause));
      if (u.why.kernel.error) out += " " + errno_name(u.why.kernel.error);
      if (!u.rst_reason.empty()) out += " " + u.rst_reason;
      out += ")";
    }
    out += ": " + endpoint_text(u.sock.ipv6, u.sock.local) + " " + endpoint_text(u.sock.ipv6, u.sock.remote);
    if (!u.holders.empty()) out += ", " + escaped(u.holders.front().comm) + " (pid " + std::to_string(u.holders.front().pid) + ")";
    out += '\n';
  }
}

void RecentlyLeft::add(std::string_view clock, std::span<const Unstuck> left) {
  for (const Unstuck& u : left) {
    std::string line(clock);
    line += ' ';
    append_unstuck_text(line, std::span(&u, 1));
    line.pop_back();  // its newline
    lines_.push_back(std::move(line));
    if (lines_.size() > keep_) lines_.pop_front();
  }
  total_ += left.size();
}

void append_watch_text(std::string& out, std::string_view clock, std::span<const Unstuck> left,
                       const StuckView& v, std::size_t max_rows) {
  out += "\n-- ";
  out += clock;
  out += '\n';
  append_unstuck_text(out, left);
  append_view(out, v, max_rows);
}

void append_watch_screen(std::string& out, std::string_view clock, const RecentlyLeft& recent,
                         const StuckView& v, std::size_t max_rows, Screen screen) {
  std::string text = "-- ";
  text += clock;
  text += '\n';
  if (recent.total() > recent.lines().size())
    text += plural(recent.total(), "socket") + " left their state since tcpfsm started; the last " +
            std::to_string(recent.lines().size()) + ":\n";
  for (const std::string& line : recent.lines()) text += line + '\n';
  append_view(text, v, max_rows);
  append_screen(out, text, screen);
}

void append_screen(std::string& out, std::string_view text, Screen screen) {
  const std::size_t rows = std::max<std::size_t>(screen.rows, 2), cols = std::max<std::size_t>(screen.cols, 2);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  // The last row stays empty: a newline there would scroll the screen.
  const std::size_t fit = rows - 1;
  const std::size_t shown = lines.size() <= fit ? lines.size() : fit - 1;
  std::string more;
  if (shown < lines.size())
    more = "... " + plural(lines.size() - shown, "more line") + " (a taller terminal shows them)";
  out += "\033[?25l\033[H";  // cursor hidden, home
  auto line = [&](std::string_view l) {
    out += cut_to_width(l, cols - 1);  // a full last column would wrap on some terminals
    out += "\033[K\n";                // cleared to the end of the line
  };
  for (std::size_t i = 0; i < shown; ++i) line(lines[i]);
  if (!more.empty()) line(more);
  out += "\033[J";  // and the rest of the screen
}

void append_netns_skipped_json(std::string& out, const NetnsSkipped& n, std::uint64_t wall_ns) {
  if (n.empty()) return;
  out += "{\"type\":\"netns_skipped\",\"ts\":\"";
  json::append_rfc3339(out, wall_ns);
  out += "\",\"gone\":";
  append_inodes(out, n.gone);
  out += ",\"unreadable\":";
  append_inodes(out, n.unreadable);
  if (!n.unreadable.empty()) {
    out += ",\"error\":";
    json::append_string(out, n.error);
  }
  out += ",\"held_only\":";
  append_inodes(out, n.held_only);
  out += "}\n";
}

}  // namespace tcpfsm
