// Human-readable table, one aligned row per transition.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <span>

#include "common/endpoint.h"
#include "common/text.h"
#include "output/formatter.h"
#include "output/table_cells.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

constexpr int kStateWidth = 11;  // "ESTABLISHED"
constexpr int kCauseWidth = 28;  // "rst_sent TCP_ABORT_ON_LINGER"
constexpr int kCgroupWidth = 24;  // "docker:0123456789ab", most systemd units

// A counter as the summary says it: its words, the number in place of {}.
void say(std::string& s, const TotalsCounter& c, std::uint64_t n) {
  const std::string number = std::to_string(n);
  if (c.words.empty()) {
    for (char ch : c.key()) s += ch == '_' ? ' ' : ch;
    s.append(1, ' ').append(number);
    return;
  }
  const auto at = c.words.find("{}");
  s.append(c.words.substr(0, at)).append(number).append(c.words.substr(at + 2));
}

// The rows of kTotalsCounters said of t: ", " between the rows of an object
// and "; " between objects, an object's first row after its name ("lost:
// ring buffer full 0, recursion 0"); a row not always said only when not 0.
std::string summary(std::span<const TotalsCounter> rows, const Totals& t) {
  std::string s;
  std::optional<std::string_view> group;  // of the row said last
  for (const TotalsCounter& c : rows) {
    const std::uint64_t n = c.value(t);
    if (!n && !c.always) continue;
    if (group == c.group()) {
      s += ", ";
    } else {
      if (group) s += "; ";
      if (!c.group().empty()) s.append(c.group()).append(": ");
      group = c.group();
    }
    say(s, c, n);
  }
  return s;
}

}  // namespace

std::string describe(const Totals& t) { return summary(kTotalsCounters, t); }

std::string describe(const Losses& l) { return summary(kLossCounters, totals_of(l)); }

namespace {

// -w: where the socket lives, its container if its cgroup names one
// ("docker:0123456789ab"), else its cgroup's path.
std::string cgroup_text(const Transition& t) {
  if (t.container) return escaped(container_label(*t.container));
  if (!t.cgroup.empty()) return escaped(t.cgroup);  // anyone with a delegated cgroup names it
  return t.cgroup_id ? "#" + std::to_string(t.cgroup_id) : "-";
}

class TableFormatter final : public Formatter {
 public:
  TableFormatter(bool wide, bool owners) : wide_(wide), owners_(owners) {}

  void start(std::string& out, const StartInfo&) override {
    row(out, "TIME", "PID", owners_ ? "OWNER" : "COMM", "LADDR:LPORT", "RADDR:RPORT", "OLD", "NEW", "MS", "CAUSE",
        "NETNS", "CGROUP", owners_ ? "TASK" : "");
  }

  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    const std::string local = endpoint_text(t.ipv6, t.local);
    const std::string remote = endpoint_text(t.ipv6, t.remote);
    // An address wider than the column widens it from here on.
    addr_width_ = std::max({addr_width_, local.size(), remote.size()});
    // Whose socket it is: its owner, not the task that happened to be on the
    // CPU (in softirq that is anyone: a peer on loopback, an idle task),
    // which -w shows apart. "-" when the owner is not known.
    // The name any process can give itself: escaped, so it cannot drive the terminal.
    std::string pid = "-", name = "-", task;
    if (!owners_) {
      pid = std::to_string(t.pid);
      name = escaped(t.comm);
    } else {
      if (t.owner_pid) {
        pid = std::to_string(t.owner_pid);
        name = escaped(t.owner_comm);
      }
      if (wide_) task = std::to_string(t.pid) + " " + escaped(t.comm);
    }
    row(out, clock_text_us(t.wall_ns), pid, name, local, remote, state_name(t.old_state), state_name(t.new_state),
        ms_text(t.old_ns), cause_text(t), wide_ ? std::to_string(t.netns) : "", wide_ ? cgroup_text(t) : "", task);
    // -w: what the connection did, on the row that ends it.
    if (wide_ && t.life) {
      out.pop_back();  // the row's newline
      out += "  ";
      out += life_text(*t.life);
      out += '\n';
    }
    if (v.kind != VerdictKind::Ok) {
      out.pop_back();  // the row's newline
      out += "  !! ";
      out += verdict_name(v.kind);
      out += ": ";
      out += v.reason;
      out += '\n';
    }
  }

  void lost(std::string& out, std::uint64_t, const Losses& l) override {
    out += "-- " + describe(l) + '\n';
  }

  void stats(std::string& out, const StatsInfo& s) override {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.0f", s.transitions_per_s);
    out += "-- " + clock_text_us(s.wall_ns) + " " + describe(s.totals) + "; " + rate + " transitions/s\n";
  }

  // The run's totals are the summary tcpfsm prints on stderr: not repeated here.
  void end(std::string&, const EndInfo&) override {}

 private:
  void row(std::string& out, std::string_view time, std::string_view pid, std::string_view comm,
           std::string_view local, std::string_view remote, std::string_view old_state,
           std::string_view new_state, std::string_view ms, std::string_view cause, std::string_view netns,
           std::string_view cgroup, std::string_view task) const {
    pad_cells(out, {{time, 16}, {pid, 7}, {comm, 16}, {local, addr_width_}, {remote, addr_width_}});
    pad(out, old_state, kStateWidth);
    out += " -> ";
    pad_cells(out, {{new_state, kStateWidth}, {ms, 9}});
    if (wide_) {
      pad(out, cause, kCauseWidth);
      out += ' ';
      pad(out, netns, 10);
      out += ' ';
      if (task.empty()) {
        out += cgroup;
      } else {
        pad(out, cgroup, kCgroupWidth);
        out += ' ';
        out += task;
      }
    } else {
      out += cause;
    }
    out += '\n';
  }

  bool wide_, owners_;
  std::size_t addr_width_ = 21;  // "255.255.255.255:65535"
};

}  // namespace

std::unique_ptr<Formatter> make_table_formatter(bool wide, bool owners) {
  return std::make_unique<TableFormatter>(wide, owners);
}

}  // namespace tcpfsm
