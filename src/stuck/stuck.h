// `tcpfsm stuck`: sockets that stay in a state (CLOSE_WAIT, ...) too long, who
// holds them, and how long. Pure functions: the text and JSON are appended to
// strings so tests compare them exactly.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/container.h"
#include "record/code_path.h"
#include "record/holder.h"
#include "record/transition.h"
#include "record/socket.h"
#include "model/causes.h"
#include "model/states.h"

namespace tcpfsm {

// How well tcpfsm knows how long a socket has been in its state.
enum class AgeKind : std::uint8_t {
  Measured,    // tcpfsm saw it enter the state
  Estimate,    // from a kernel timestamp (tcp_info, timewait timer): usually exact
  LowerBound,  // only that it was already there when tcpfsm started or first saw it
};
std::string_view age_kind_name(AgeKind k);  // "measured", "estimate", "lower_bound"

struct Age {
  std::chrono::nanoseconds value{};
  AgeKind kind = AgeKind::LowerBound;
};

// "3m12s" measured, "~3m12s" estimate, "> 3m12s" lower bound.
std::string age_text(const Age& a);

// What the kernel's own timestamps say about the time a socket that tcpfsm did
// not see entering its state has spent there, if anything:
// - CLOSE_WAIT, FIN_WAIT2 (full socket): time since the last ACK received; the
//   segment that moved it there carried one, so it is never more than the age
//   (tcpi_last_data_recv is not: the data came before the FIN).
// - FIN_WAIT2 of an orphan (a timewait socket): fin_timeout minus the time left.
std::optional<std::chrono::nanoseconds> kernel_age_estimate(const DiagSocket& s,
                                                            std::chrono::milliseconds fin_timeout);

// The age of a socket tcpfsm did not see entering its state: the larger of the
// kernel's estimate and `known_for` (how long tcpfsm has known it was there).
Age untraced_age(const DiagSocket& s, std::chrono::nanoseconds known_for, std::chrono::milliseconds fin_timeout);

// Bytes received and not read: rqueue without the FIN's sequence number once
// a FIN has arrived (CLOSE_WAIT, LAST_ACK, CLOSING) and is not yet read.
std::uint32_t unread_bytes(const DiagSocket& s);

// Who a socket belongs to.
enum class Ownership : std::uint8_t {
  Process,      // one or more processes hold it (holders)
  Orphan,       // closed by its process; the kernel finishes it alone
  NotAccepted,  // waiting in a listener's accept queue, never accept()ed
  Unknown,      // has a file, but no readable /proc/PID/fd refers to it
};
std::string_view ownership_name(Ownership o);  // "process", "orphan", "not_accepted", "unknown"
// holders: the owner cache's answer for s.ino (empty if nobody was found).
Ownership ownership_of(const DiagSocket& s, std::span<const Holder> holders);

// Where a socket is, beyond its endpoints: how to reach its network
// namespace (sock.netns), and the cgroup it was made in (sock.cgroup_id),
// which may name a container.
struct Place {
  bool own_netns = true;       // tcpfsm's own network namespace
  std::string netns_name;      // else its name under /var/run/netns, if it has one
  std::int32_t netns_pid = 0;  // else a process in it when it was dumped
  std::string cgroup;          // path below the cgroup2 mount; "" when unknown
  std::optional<ContainerRef> container;
};

// What runs a command in p's network namespace, with a space after it: ""
// for tcpfsm's own, "ip netns exec NAME " (quoted for the shell if need be),
// "nsenter -t PID -n "; nothing when no way in is known.
std::optional<std::string> netns_command_prefix(const Place& p);

struct StuckSocket {
  DiagSocket sock;
  Age age;
  std::vector<Holder> holders;
  Ownership owner = Ownership::Unknown;
  Place place;
  // Where in its program it was opened (connect, listen, accept), when the
  // watch saw that; null otherwise.
  std::shared_ptr<const CodePath> origin;
};

// A socket that was reported stuck and has now left its state.
struct Unstuck {
  DiagSocket sock;               // as last seen in its state
  std::optional<int> new_state;  // the state it went to, when a transition showed it
  // Why it left, when a transition showed it (model/causes.h): the cause,
  // what the kernel reported, and the reset's reason by name if one was sent.
  Cause cause = Cause::None;
  ReportedCause why;
  std::string rst_reason;
  Age stuck_for;                 // time spent in the state, up to leaving it
  std::vector<Holder> holders;
  Ownership owner = Ownership::Unknown;
  Place place;
};

// Which port a group's sockets share: their own (a server's connections on
// its listening port) or their peer's (a client's connections to one
// service, each from its own ephemeral port).
enum class PortSide : std::uint8_t { Local, Remote };

// The sockets of one process, or of one kind of ownerless socket, in one
// state and one network namespace, opened at one code path (when known);
// with group_sockets_by_port, also on one port.
struct Group {
  Ownership owner = Ownership::Unknown;
  Holder holder;  // owner == Process: whose group this is (fd unused)
  int state = 0;
  std::uint32_t netns = 0;
  std::vector<const StuckSocket*> sockets;  // oldest first
  // group_sockets_by_port: the port every socket of the group has on `side`.
  std::optional<PortSide> side;
  std::uint16_t port = 0;
  // The code path every socket of the group was opened at (the same frames,
  // by name); null: not known for them.
  std::shared_ptr<const CodePath> origin;
};
// A socket shared by several processes is in each of their groups. Largest
// group first, then the oldest socket.
std::vector<Group> group_sockets(std::span<const StuckSocket> sockets);

// The same groups, each split by port (what `tcpfsm stuck` shows): a socket
// goes by its local port when more sockets of its group share that than
// share its peer's port, else by its peer's port. On a tie (one socket, say)
// as service_port() says with Linux's default ip_local_port_range (by its
// peer's port only when its own is ephemeral and the peer's is not); by its
// local port when it has no peer (a listener). Largest group first, then
// the oldest socket.
std::vector<Group> group_sockets_by_port(std::span<const StuckSocket> sockets);

// "netns 4026532296 (ip netns exec web), docker container c0ffee000000":
// where a group's sockets are (a cgroup only when all of them share it).
std::string group_place(const Group& g);

// One-line explanation for a socket (holder: the one to name, if any).
std::string hint(const StuckSocket& s, const Holder* holder);
// The same for a group ("... on fds 12, 13, 14 and 3 more").
std::string group_hint(const Group& g);

// The `ss -K` command that would kill exactly this socket (tcpfsm never runs
// it), run inside its network namespace; "" when there is no way in.
std::string ss_kill_command(const StuckSocket& s);
// The `ss -K` command for a group, one filter whose length does not grow
// with the number of sockets: for one socket, that socket's; else the port
// they share: `sport = :8080` on the local side; on the peer's side, the
// peer's address with it when they share that too (`dst 10.0.0.9:5432`),
// else `dport = :5432`. It also matches the namespace's other sockets in
// that state with that port: younger ones, other processes' ones. Run
// inside the namespace (the first socket's); "" when there is no way in, or
// no port the sockets share.
std::string ss_kill_command(const Group& g);

// Network namespaces a refresh skipped: gone before they could be read, or
// not readable (entering one needs CAP_SYS_ADMIN, and a dump may fail).
struct NetnsSkipped {
  std::vector<std::uint32_t> gone, unreadable;  // inodes
  std::string error;  // why the last unreadable one could not be read
  // Not entered (as unreadable), but read through the held-socket iterator:
  // every socket a process holds, none that no process does (orphans, and
  // connections not accept()ed yet).
  std::vector<std::uint32_t> held_only;
  bool empty() const { return gone.empty() && unreadable.empty() && held_only.empty(); }
};

// Everything one refresh found.
struct StuckView {
  std::vector<State> states;
  std::chrono::nanoseconds min_age{};
  std::vector<StuckSocket> sockets;  // in a watched state for min_age or longer
  std::size_t younger = 0;           // in a watched state, known to be younger
  std::size_t unknown_age = 0;       // in a watched state, only a lower bound below min_age
  bool owners_unreadable = false;    // some /proc/PID/fd could not be read
  NetnsSkipped netns_skipped;
  // Stacks were captured: a group without a code path says it is not known.
  bool stacks = false;
};

// The sockets of the host at one moment, as the socket gauges collect them
// for --metrics and `tcpfsm top`.
struct SocketsNow {
  std::array<std::uint64_t, kStateNumbers> by_state{};  // every socket, TIME_WAIT included
  std::vector<StuckSocket> stuck;  // for the stuck age or longer, with holders and place
  std::size_t younger = 0;         // in a stuck state for less (or only known to be there for less)
  NetnsSkipped netns;              // namespaces not read whole
  std::size_t netns_read = 0;      // namespaces read whole (sock_diag)
};

// The grouped text view (groups by holder and port); at most max_rows
// sockets per group (0: all).
void append_view(std::string& out, const StuckView& v, std::size_t max_rows);

// The last few sockets that left their state, each line with the time it
// was noticed: what a screen redrawn in place (which keeps no history)
// still shows of them.
class RecentlyLeft {
 public:
  explicit RecentlyLeft(std::size_t keep = 5) : keep_(keep) {}
  // clock: when they were noticed ("09:25:49").
  void add(std::string_view clock, std::span<const Unstuck> left);
  std::size_t total() const { return total_; }                  // since the start
  const std::deque<std::string>& lines() const { return lines_; }  // the last few, oldest first

 private:
  std::size_t keep_;
  std::size_t total_ = 0;
  std::deque<std::string> lines_;
};

// The size of the terminal a watch redraws.
struct Screen {
  std::size_t rows = 24, cols = 80;
};
// Shows the cursor again: what a watch on a terminal writes last, however it
// ends (the screens hide it while they are drawn).
inline constexpr std::string_view kShowCursor = "\033[?25h";

// One refresh of the watch's table, not on a terminal: appended to the
// last, a blank line, "-- TIME", a line per socket that left since the last
// refresh (`left`), the view.
void append_watch_text(std::string& out, std::string_view clock, std::span<const Unstuck> left,
                       const StuckView& v, std::size_t max_rows);
// The same on a terminal: the whole screen redrawn in place, nothing
// scrolled. "-- TIME", the last few that left (`recent`, with a count of the
// rest), then the view.
void append_watch_screen(std::string& out, std::string_view clock, const RecentlyLeft& recent,
                         const StuckView& v, std::size_t max_rows, Screen screen);
// text (lines ending in '\n') as one screen: the cursor hidden and sent home,
// each line cut to the width (less one column, so that none wraps) and
// cleared to its end, the rest of the screen cleared. At most rows - 1
// lines, so the last newline scrolls nothing; when there are more, the last
// says how many are not shown.
void append_screen(std::string& out, std::string_view text, Screen screen);

// JSON lines: a `stuck` record (a socket crossed --min-age, or --once) and an
// `unstuck` record (it left the state). wall_ns: when it was noticed.
void append_stuck_json(std::string& out, const StuckSocket& s, std::uint64_t wall_ns);
void append_unstuck_json(std::string& out, const Unstuck& u, std::uint64_t wall_ns);
// One line per socket that left: "left CLOSE_WAIT -> CLOSE after 3m12s
// (rst_sent TCP_ABORT_ON_CLOSE): 10.0.0.1:8080 10.0.0.2:51234, nginx (pid 812)".
void append_unstuck_text(std::string& out, std::span<const Unstuck> unstuck);
// A `netns_skipped` record: the namespaces a refresh could not read
// (nothing when there are none).
void append_netns_skipped_json(std::string& out, const NetnsSkipped& n, std::uint64_t wall_ns);

}  // namespace tcpfsm
