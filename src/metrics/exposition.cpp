#include "metrics/exposition.h"

#include <array>
#include <cstdio>
#include <span>
#include <string_view>

#include "common/text.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

// A label value: escaped for a terminal first (comm is anyone's to choose:
// no control bytes, valid UTF-8), then for the exposition format.
void append_label_value(std::string& out, std::string_view v) {
  for (char c : escaped(v)) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
}

std::string state_label(int n) {
  if (const StateInfo* s = find_state(n)) return std::string(s->name);
  return std::to_string(n);
}

class Writer {
 public:
  Writer(std::string& out, ExpositionFormat f) : out_(out), open_metrics_(f == ExpositionFormat::OpenMetrics) {}

  // HELP and TYPE of a family. Counters are named without _total in
  // OpenMetrics (their samples carry it), with it in the Prometheus format.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    std::string fam(name);
    if (type == "counter" && open_metrics_) fam.erase(fam.size() - std::string_view("_total").size());
    if (type == "info") {
      fam.erase(fam.size() - std::string_view("_info").size());
      if (!open_metrics_) {
        fam = name;
        type = "gauge";
      }
    }
    out_ += "# HELP " + fam + ' ' + std::string(help) + '\n';
    out_ += "# TYPE " + fam + ' ' + std::string(type) + '\n';
  }

  // name{k="v",...} value
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              std::string_view value) {
    sample(name, std::span(labels.begin(), labels.size()), value);
  }
  void sample(std::string_view name, std::span<const std::pair<std::string_view, std::string_view>> labels,
              std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += k;
        out_ += "=\"";
        append_label_value(out_, v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }

  void end() {
    if (open_metrics_) out_ += "# EOF\n";
  }

 private:
  std::string& out_;
  bool open_metrics_;
};

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", s);
  return buf;
}

// A count of a histogram's unit in the unit its metric is named in: whole
// numbers (bytes) exactly, fractions (ns in seconds) to 9 digits.
std::string unit_text(std::uint64_t n, std::uint64_t per_unit) {
  return per_unit == 1 ? std::to_string(n) : seconds_text(static_cast<double>(n) / static_cast<double>(per_unit));
}

using Label = std::pair<std::string_view, std::string_view>;

// One histogram's samples: its buckets, cumulative, each with its le after
// the labels given; its sum; its count.
template <const auto& Bounds>
void histogram(Writer& w, std::string_view name, std::initializer_list<Label> labels, const Histogram<Bounds>& h) {
  std::vector<Label> bucket_labels(labels);
  bucket_labels.emplace_back("le", "");
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.buckets.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le = i < Bounds.le.size() ? unit_text(Bounds.le[i], Bounds.per_unit) : "+Inf";
    bucket_labels.back().second = le;
    w.sample(bucket, bucket_labels, std::to_string(cumulative));
  }
  const std::span<const Label> plain(labels.begin(), labels.size());
  w.sample(std::string(name) + "_sum", plain, unit_text(h.sum, Bounds.per_unit));
  w.sample(std::string(name) + "_count", plain, std::to_string(h.count));
}

std::string_view role_label(std::size_t role) { return role_name(static_cast<Role>(role)); }

void transitions(Writer& w, const TransitionCounts& c) {
  w.family("tcpfsm_transitions_total", "counter", "TCP state transitions written, by edge.");
  for (int o = 0; o < TransitionCounts::kStates; ++o)
    for (int n = 0; n < TransitionCounts::kStates; ++n)
      if (c.edges[o][n]) w.sample("tcpfsm_transitions_total", {{"old", state_label(o)}, {"new", state_label(n)}}, c.edges[o][n]);
  for (const auto& [edge, count] : c.other_edges)
    w.sample("tcpfsm_transitions_total", {{"old", state_label(edge.first)}, {"new", state_label(edge.second)}}, count);

  w.family("tcpfsm_verdicts_total", "counter", "Transitions written, by the checker's verdict.");
  for (VerdictKind v : {VerdictKind::Ok, VerdictKind::Illegal, VerdictKind::Gap, VerdictKind::UnknownState})
    w.sample("tcpfsm_verdicts_total", {{"verdict", verdict_name(v)}}, c.verdicts[static_cast<std::size_t>(v)]);

  w.family("tcpfsm_closes_total", "counter",
           "Transitions into CLOSE written, by cause: what the kernel reported (resets, errors), else what the "
           "edge says (time_wait, fin_acked, close); unknown when neither tells.");
  for (const CauseInfo& i : all_causes())
    if (c.closes[static_cast<std::size_t>(i.cause)])
      w.sample("tcpfsm_closes_total", {{"cause", i.name}}, c.closes[static_cast<std::size_t>(i.cause)]);
  if (c.closes[static_cast<std::size_t>(Cause::None)])
    w.sample("tcpfsm_closes_total", {{"cause", "unknown"}}, c.closes[static_cast<std::size_t>(Cause::None)]);

  w.family("tcpfsm_state_duration_seconds", "histogram",
           "Time a socket spent in a state, observed when it left the state.");
  for (int s = 0; s < TransitionCounts::kStates; ++s)
    if (c.time_in_state[s].count)
      histogram(w, "tcpfsm_state_duration_seconds", {{"state", state_label(s)}}, c.time_in_state[s]);
}

void connections(Writer& w, const ConnectionCounts& c) {
  w.family("tcpfsm_connection_duration_seconds", "histogram",
           "Time from a connection's start (connect(), or the SYN its listener answered) to its end, by role, "
           "observed when it ended; connections whose start was not seen are not in it.");
  for (std::size_t r = 0; r < ConnectionCounts::kRoles; ++r)
    if (c.duration[r].count)
      histogram(w, "tcpfsm_connection_duration_seconds", {{"role", role_label(r)}}, c.duration[r]);
  w.family("tcpfsm_connection_bytes", "histogram",
           "Payload bytes a connection received (rx) and sent (tx, each byte once), by role, observed when it ended.");
  for (std::size_t r = 0; r < ConnectionCounts::kRoles; ++r) {
    if (c.bytes[r].rx.count)
      histogram(w, "tcpfsm_connection_bytes", {{"role", role_label(r)}, {"direction", "rx"}}, c.bytes[r].rx);
    if (c.bytes[r].tx.count)
      histogram(w, "tcpfsm_connection_bytes", {{"role", role_label(r)}, {"direction", "tx"}}, c.bytes[r].tx);
  }
  w.family("tcpfsm_connection_srtt_seconds", "histogram",
           "A connection's smoothed round-trip time as it ended; connections without an RTT measured (refused, "
           "never answered) are not in it.");
  histogram(w, "tcpfsm_connection_srtt_seconds", {}, c.srtt);
  w.family("tcpfsm_retransmits_total", "counter", "Segments retransmitted, summed over the connections that ended.");
  w.sample("tcpfsm_retransmits_total", {}, c.retransmits);
}

// The counters of Totals that kTotalsCounters says are exposed, in its
// order: a family once, its rows after it.
void run_counters(Writer& w, const Totals& t) {
  std::string_view written;  // the family of the last row
  for (const TotalsCounter& c : kTotalsCounters) {
    const MetricRow& m = c.metric;
    if (m.family.empty()) continue;
    if (m.family != written) {
      w.family(m.family, m.type == MetricType::Gauge ? "gauge" : "counter",
               m.family_help.empty() ? c.help : m.family_help);
      written = m.family;
    }
    if (m.label.empty())
      w.sample(m.family, {}, c.value(t));
    else
      w.sample(m.family, {{m.label, m.label_value}}, c.value(t));
  }
}

}  // namespace

const char* content_type(ExpositionFormat f) {
  return f == ExpositionFormat::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                            : "text/plain; version=0.0.4; charset=utf-8";
}

ExpositionFormat format_for_accept(const std::string& accept) {
  return accept.find("application/openmetrics-text") != std::string::npos ? ExpositionFormat::OpenMetrics
                                                                          : ExpositionFormat::Prometheus;
}

std::string exposition(const MetricsSnapshot& s, ExpositionFormat f) {
  std::string out;
  Writer w(out, f);
  transitions(w, s.transitions);
  connections(w, s.connections);

  run_counters(w, s.run);

  if (s.sockets_by_state) {
    w.family("tcpfsm_sockets", "gauge",
             "TCP sockets in each state now, in every network namespace tcpfsm reads (tcpfsm_netns).");
    for (int st = 1; st < TransitionCounts::kStates; ++st)
      if ((*s.sockets_by_state)[st] || st <= number(State::Closing))
        w.sample("tcpfsm_sockets", {{"state", state_label(st)}}, (*s.sockets_by_state)[st]);
  }
  std::vector<std::string> states;  // the label values must outlive the samples
  for (const StuckCount& c : s.stuck) states.push_back(state_label(c.state));
  auto stuck_labels = [&](std::size_t i) {
    const StuckCount& c = s.stuck[i];
    return std::array<std::pair<std::string_view, std::string_view>, 7>{
        {{"state", states[i]}, {"owner", c.owner}, {"container", c.container}, {"pod_uid", c.pod_uid},
         {"netns", c.netns}, {"port", c.port}, {"role", c.role}}};
  };
  w.family("tcpfsm_stuck_sockets", "gauge",
           "Sockets in a --stuck-state for at least --stuck-age, by holder (comm, orphan, not_accepted, unknown), "
           "container, pod, network namespace and service port (past the 10 largest groups per state: "
           "owner=\"other\").");
  for (std::size_t i = 0; i < s.stuck.size(); ++i)
    w.sample("tcpfsm_stuck_sockets", stuck_labels(i), std::to_string(s.stuck[i].sockets));
  w.family("tcpfsm_stuck_oldest_seconds", "gauge",
           "Time the oldest socket of each tcpfsm_stuck_sockets group has spent in its state.");
  for (std::size_t i = 0; i < s.stuck.size(); ++i)
    w.sample("tcpfsm_stuck_oldest_seconds", stuck_labels(i), seconds_text(s.stuck[i].oldest_seconds));
  if (s.netns) {
    w.family("tcpfsm_netns", "gauge",
             "Network namespaces the socket gauges looked in, by how: sock_diag (every socket), held_sockets (not "
             "entered, no CAP_SYS_ADMIN: the sockets processes hold), unreadable (not read).");
    w.sample("tcpfsm_netns", {{"read", "sock_diag"}}, s.netns->sock_diag);
    w.sample("tcpfsm_netns", {{"read", "held_sockets"}}, s.netns->held_sockets);
    w.sample("tcpfsm_netns", {{"read", "unreadable"}}, s.netns->unreadable);
  }
  w.family("tcpfsm_scrape_errors_total", "counter",
           "Failures while collecting the socket gauges (sock_diag, /proc).");
  w.sample("tcpfsm_scrape_errors_total", {}, s.scrape_errors);
  w.family("tcpfsm_http_refused_total", "counter",
           "Connections and requests the metrics server refused or cut off, by reason: evicted (its oldest "
           "connection, cut to take a new one at its limit), busy (a new one refused: too many closing), per_client "
           "(a new one refused: over its limit per client address), deadline (no whole request and answer in "
           "time), body (a request with a body, answered 413 unread).");
  w.sample("tcpfsm_http_refused_total", {{"reason", "evicted"}}, s.http.evicted);
  w.sample("tcpfsm_http_refused_total", {{"reason", "busy"}}, s.http.busy);
  w.sample("tcpfsm_http_refused_total", {{"reason", "per_client"}}, s.http.per_client);
  w.sample("tcpfsm_http_refused_total", {{"reason", "deadline"}}, s.http.deadline);
  w.sample("tcpfsm_http_refused_total", {{"reason", "body"}}, s.http.body);

  if (s.bpf_runs && s.bpf_run_ns) {
    w.family("tcpfsm_bpf_program_runs_total", "counter",
             "Runs of tcpfsm's BPF program (kernel.bpf_stats_enabled=1).");
    w.sample("tcpfsm_bpf_program_runs_total", {}, *s.bpf_runs);
    w.family("tcpfsm_bpf_program_run_seconds_total", "counter",
             "Time spent in tcpfsm's BPF program (kernel.bpf_stats_enabled=1).");
    w.sample("tcpfsm_bpf_program_run_seconds_total", {}, seconds_text(static_cast<double>(*s.bpf_run_ns) / 1e9));
  }

  w.family("tcpfsm_build_info", "info",
           "tcpfsm's version, how it attached, its event buffer, and the kernel it runs on.");
  w.sample("tcpfsm_build_info", {{"version", s.version}, {"attach", s.attach}, {"buffer", s.buffer}, {"kernel", s.kernel}},
           1);
  w.end();
  return out;
}

}  // namespace tcpfsm
