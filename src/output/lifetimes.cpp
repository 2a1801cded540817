// --lifetimes: connections' ends alone. The table is one line per connection
// as it ends, as bcc's tcplife shows them (who held it, its addresses, TX_KB,
// RX_KB, duration), with what tcpfsm adds (retransmits, RTT, container,
// cause); JSON writes the records of the transitions that end connections
// (with their life) and no other transition.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "common/endpoint.h"
#include "common/text.h"
#include "model/states.h"
#include "output/formatter.h"
#include "output/table_cells.h"

namespace tcpfsm {

std::unique_ptr<Formatter> make_table_formatter(bool wide, bool owners);  // table.cpp

namespace {

constexpr std::size_t kContainerWidth = 19;  // "docker:0123456789ab"

struct Holding {
  std::int32_t pid = 0;
  std::string comm;
};

// Who held each connection, as its records said, until its end. The end
// itself seldom says: a socket its process closed first ends orphaned, in
// softirq, on whatever task was running (on loopback, often the peer).
class ConnectionHolders {
 public:
  // The last process t shows holding its socket: its owner, else the task in
  // a call on the socket's file (connect(), close(), shutdown(): the holder,
  // in its own context, as tcplife takes it).
  void note(const Transition& t) {
    if (t.owner_pid) {
      remember(t.cookie, {t.owner_pid, t.owner_comm});
    } else if (t.ino && !t.kernel_task &&
               (t.new_state == number(State::SynSent) || t.new_state == number(State::FinWait1) ||
                t.new_state == number(State::LastAck))) {
      remember(t.cookie, {static_cast<std::int32_t>(t.pid), std::string(t.comm.view())});
    }
  }

  // Who held the connection t ends (t.cookie: its lifecycle), forgotten with it.
  std::optional<Holding> take(std::uint64_t cookie) {
    for (auto* generation : {&current_, &previous_})
      if (auto it = generation->find(cookie); it != generation->end()) {
        Holding h = std::move(it->second);
        generation->erase(it);
        return h;
      }
    return std::nullopt;
  }

 private:
  void remember(std::uint64_t cookie, Holding h) {
    previous_.erase(cookie);
    current_[cookie] = std::move(h);
    // Two generations: a connection whose end was lost is forgotten after
    // kGeneration newer notes, with no sweep. One still open is noted again
    // at its close, with a file.
    if (current_.size() >= kGeneration) previous_ = std::exchange(current_, {});
  }

  static constexpr std::size_t kGeneration = 1 << 16;
  std::unordered_map<std::uint64_t, Holding> current_, previous_;
};

// Bytes as KB to two decimals, as tcplife prints them.
std::string kb_text(const std::optional<std::uint64_t>& bytes) {
  if (!bytes) return "-";
  char kb[32];
  std::snprintf(kb, sizeof kb, "%.2f", static_cast<double>(*bytes) / 1024);
  return kb;
}

std::string rtt_text(const std::optional<std::uint32_t>& us) {
  if (!us) return "-";
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(*us) / 1e3);
  return ms;
}

class LifetimesFormatter final : public Formatter {
 public:
  explicit LifetimesFormatter(bool owners) : owners_(owners), table_(make_table_formatter(false, owners)) {}

  void start(std::string& out, const StartInfo&) override {
    row(out, "TIME", "PID", owners_ ? "OWNER" : "COMM", "LADDR:LPORT", "RADDR:RPORT", "TX_KB", "RX_KB", "RETRANS",
        "RTT_MS", "DUR_MS", "CONTAINER", "CAUSE");
  }

  void transition(std::string& out, const Transition& t, const Verdict&) override {
    holders_.note(t);
    if (t.new_state != number(State::Close)) return;
    const std::optional<Holding> holder = holders_.take(t.cookie);
    if (!t.life) return;  // a listener's end, or CLOSE again: no connection
    const ConnectionLife& l = *t.life;
    const std::string local = endpoint_text(t.ipv6, t.local);
    const std::string remote = endpoint_text(t.ipv6, t.remote);
    addr_width_ = std::max({addr_width_, local.size(), remote.size()});
    // The name any process can give itself, and a machine's name: escaped,
    // so neither can drive the terminal.
    row(out, clock_text_us(t.wall_ns), holder ? std::to_string(holder->pid) : "-",
        holder ? escaped(holder->comm) : "-", local, remote, kb_text(l.tx_bytes), kb_text(l.rx_bytes),
        l.retrans ? std::to_string(*l.retrans) : "-", rtt_text(l.srtt_us), ms_text(l.duration_ns),
        t.container ? escaped(container_label(*t.container)) : "-", cause_text(t));
  }

  // Losses and stats as the transitions' table says them.
  void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) override { table_->lost(out, wall_ns, l); }
  void stats(std::string& out, const StatsInfo& s) override { table_->stats(out, s); }
  void end(std::string& out, const EndInfo& e) override { table_->end(out, e); }

 private:
  void row(std::string& out, std::string_view time, std::string_view pid, std::string_view comm,
           std::string_view local, std::string_view remote, std::string_view tx_kb, std::string_view rx_kb,
           std::string_view retrans, std::string_view rtt_ms, std::string_view dur_ms, std::string_view container,
           std::string_view cause) const {
    pad_cells(out, {{time, 16},
                    {pid, 7},
                    {comm, 16},
                    {local, addr_width_},
                    {remote, addr_width_},
                    {tx_kb, 8},
                    {rx_kb, 8},
                    {retrans, 7},
                    {rtt_ms, 8},
                    {dur_ms, 10},
                    {container, kContainerWidth}});
    out += cause;
    out += '\n';
  }

  bool owners_;
  std::unique_ptr<Formatter> table_;
  ConnectionHolders holders_;
  std::size_t addr_width_ = 21;  // "255.255.255.255:65535"
};

// JSON: the records of transitions that end a connection; the start, lost,
// stats and end records as always (what produced the log, what it missed).
class ConnectionEndsFormatter final : public Formatter {
 public:
  explicit ConnectionEndsFormatter(std::unique_ptr<Formatter> all) : all_(std::move(all)) {}
  void start(std::string& out, const StartInfo& s) override { all_->start(out, s); }
  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    if (t.life) all_->transition(out, t, v);
  }
  void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) override { all_->lost(out, wall_ns, l); }
  void stats(std::string& out, const StatsInfo& s) override { all_->stats(out, s); }
  void end(std::string& out, const EndInfo& e) override { all_->end(out, e); }

 private:
  std::unique_ptr<Formatter> all_;
};

}  // namespace

std::unique_ptr<Formatter> make_lifetimes_formatter(bool owners) {
  return std::make_unique<LifetimesFormatter>(owners);
}

std::unique_ptr<Formatter> make_connection_ends_formatter(std::unique_ptr<Formatter> all) {
  return std::make_unique<ConnectionEndsFormatter>(std::move(all));
}

}  // namespace tcpfsm
