// Human-readable table, one aligned row per transition.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "output/formatter.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

constexpr int kStateWidth = 11;  // "ESTABLISHED"

std::string endpoint_text(bool ipv6, const Endpoint& ep) {
  char buf[kAddrTextMax];
  std::string s;
  const std::size_t n = format_addr(buf, ipv6, ep.addr);
  if (ipv6) s += '[';
  s.append(buf, n);
  if (ipv6) s += ']';
  s += ':';
  s += std::to_string(ep.port);
  return s;
}

std::string losses_text(const Losses& l) {
  return std::to_string(l.events()) + " events (ring buffer full " + std::to_string(l.ringbuf) +
         ", recursion " + std::to_string(l.recursion) + "); per-socket state not stored " +
         std::to_string(l.skstate);
}

}  // namespace

std::string describe(const Totals& t) {
  return std::to_string(t.transitions) + " transitions, lost " + losses_text(t.lost) + "; " +
         std::to_string(t.illegal) + " illegal, " + std::to_string(t.gaps) + " gaps, " +
         std::to_string(t.unknown_states) + " unknown states";
}

namespace {

void pad(std::string& out, std::string_view s, std::size_t width) {
  out += s;
  out.append(width > s.size() ? width - s.size() : 0, ' ');
}

class TableFormatter final : public Formatter {
 public:
  void start(std::string& out, const StartInfo&) override {
    row(out, "TIME", "PID", "COMM", "LADDR:LPORT", "RADDR:RPORT", "OLD", "NEW", "MS");
  }

  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    const std::string local = endpoint_text(t.ipv6, t.local);
    const std::string remote = endpoint_text(t.ipv6, t.remote);
    // An address wider than the column widens it from here on.
    addr_width_ = std::max({addr_width_, local.size(), remote.size()});
    char ms[32] = "-";
    if (t.old_ns) std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(*t.old_ns) / 1e6);
    row(out, clock_text(t.wall_ns), std::to_string(t.pid), t.comm, local, remote,
        state_name(t.old_state), state_name(t.new_state), ms);
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
    out += "-- lost " + losses_text(l) + '\n';
  }

  void stats(std::string& out, const StatsInfo& s) override {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.0f", s.transitions_per_s);
    out += "-- " + clock_text(s.wall_ns) + " " + describe(s.totals) + "; " + rate + " transitions/s\n";
  }

  // The run's totals are the summary tcpfsm prints on stderr: not repeated here.
  void end(std::string&, const EndInfo&) override {}

 private:
  static std::string clock_text(std::uint64_t wall_ns) {
    const auto sec = static_cast<std::time_t>(wall_ns / 1'000'000'000);
    std::tm tm{};
    localtime_r(&sec, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%06llu",
                  static_cast<unsigned long long>(wall_ns % 1'000'000'000 / 1000));
    return buf;
  }

  void row(std::string& out, std::string_view time, std::string_view pid, std::string_view comm,
           std::string_view local, std::string_view remote, std::string_view old_state,
           std::string_view new_state, std::string_view ms) const {
    pad(out, time, 16);
    out += ' ';
    pad(out, pid, 7);
    out += ' ';
    pad(out, comm, 16);
    out += ' ';
    pad(out, local, addr_width_);
    out += ' ';
    pad(out, remote, addr_width_);
    out += ' ';
    pad(out, old_state, kStateWidth);
    out += " -> ";
    pad(out, new_state, kStateWidth);
    out += ' ';
    out += ms;
    out += '\n';
  }

  std::size_t addr_width_ = 21;  // "255.255.255.255:65535"
};

}  // namespace

std::unique_ptr<Formatter> make_json_formatter();

std::unique_ptr<Formatter> make_formatter(Format f) {
  if (f == Format::Json) return make_json_formatter();
  return std::make_unique<TableFormatter>();
}

}  // namespace tcpfsm
