#include "check/report.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <optional>

#include "model/causes.h"
#include "model/dot.h"
#include "common/endpoint.h"
#include "common/errors.h"
#include "common/text.h"
#include "common/units.h"

namespace tcpfsm {
namespace {

constexpr std::array kPercentiles{50.0, 90.0, 99.0};

std::string num(std::uint64_t n) { return std::to_string(n); }

std::string duration(std::uint64_t ns) { return format_duration(std::chrono::nanoseconds(ns)); }

// "30s", "1m30s": an age as --stuck-age takes it.
std::string age_text(std::uint64_t ns) {
  constexpr std::uint64_t kS = 1'000'000'000;
  if (ns % kS == 0 && ns < 60 * kS) return num(ns / kS) + "s";
  return duration(ns);
}

std::size_t widest_state(const CheckReport& r) {
  std::size_t w = 5;  // "STATE"
  for (const auto& [edge, n] : r.edges)
    w = std::max({w, state_name(edge.first).size(), state_name(edge.second).size()});
  return w;
}

void totals_text(std::string& out, const CheckReport& r) {
  out += "tcpfsm check, " + std::string(model_name(r.model)) + " model (" +
         std::string(model_description(r.model)) + ")\n";

  out += "Input         " + num(r.files.size()) + (r.files.size() == 1 ? " file, " : " files, ") +
         num(r.lines()) + " lines:";
  std::uint64_t crlf = 0;
  for (std::size_t i = 0; i < r.files.size(); ++i) {
    out += (i ? ", " : " ") + escaped(r.files[i].name) + " (" + num(r.files[i].lines) + ")";
    crlf += r.files[i].crlf_lines;
  }
  out += '\n';
  if (crlf) out += "              " + num(crlf) + " lines with CRLF endings, read as LF\n";

  out += "Records       " + num(std::accumulate(r.records.begin(), r.records.end(), std::uint64_t{0})) + ":";
  for (auto t : kRecordTypes)
    out += std::string(t == RecordType::Transition ? " " : ", ") + std::string(record_type_name(t)) + " " +
           num(at(r.records, t));
  out += '\n';

  out += "Transitions   " + num(r.transitions()) + ":";
  for (auto v : kVerdicts) {
    out += std::string(v == VerdictKind::Ok ? " " : ", ") + std::string(verdict_name(v)) + " " + num(at(r.verdicts, v));
    if (v == VerdictKind::Gap && at(r.verdicts, v))
      out += " (" + num(r.gaps_explained) + " explained by reported losses)";
  }
  out += '\n';

  const std::uint64_t lives = std::accumulate(r.lifecycles.begin(), r.lifecycles.end(), std::uint64_t{0});
  out += "Lifecycles    " + num(lives) + ": connections " + num(lives - r.listeners) + ", listeners " +
         num(r.listeners) + "\n             ";
  // How they ended, then (on a line of its own) those whose end is not known.
  for (auto c : kClasses)
    out += std::string(c == LifecycleClass::Completed   ? " "
                       : c == LifecycleClass::Truncated ? ",\n              "
                                                        : ", ") +
           std::string(lifecycle_class_name(c)) + " " + num(at(r.lifecycles, c));
  out += '\n';
  if (!r.open_at_end.empty()) {
    out += "              still open when their run or the log ended, by state:";
    bool first = true;
    for (const auto& [state, n] : r.open_at_end) {
      out += (first ? " " : ", ") + state_name(state) + " " + num(n);
      first = false;
    }
    out += '\n';
  }

  out += "Losses        " + num(r.lost.events()) + " events: ringbuf " + num(r.lost.ringbuf) +
         ", recursion " + num(r.lost.recursion) + "; socket state not stored " + num(r.lost.skstate) +
         "; lost records " + num(r.lost_records) + "\n";

  out += "Input errors  " + num(r.input_error_count());
  bool first = true;
  for (int k = 0; k < kInputErrorKinds; ++k) {
    if (!r.input_errors[static_cast<std::size_t>(k)]) continue;
    out += (first ? ": " : ", ") + std::string(input_error_name(static_cast<InputError>(k))) + " " +
           num(r.input_errors[static_cast<std::size_t>(k)]);
    first = false;
  }
  out += r.input_error_count() ? " (listed on stderr)\n" : "\n";
  if (r.runs_counted)
    out += "Runs          " + num(r.runs_counted) + " with an end record: its transition total compared\n";
  if (r.unfinished) {
    out += "Unfinished    " + num(r.unfinished) + (r.unfinished == 1 ? " trace run" : " trace runs") +
           " with no end record (" + std::string(kUnfinishedWhy) + "):";
    for (const auto& u : r.unfinished_runs) out += "\n              " + r.where(u.first) + " to " + r.where(u.last);
    if (r.unfinished > r.unfinished_runs.size())
      out += "\n              ... and " + num(r.unfinished - r.unfinished_runs.size()) + " more (--show 0 lists all)";
    out += '\n';
  }
}

// After the totals: "Clean, with warnings" when the exit status is 0.
void warnings_text(std::string& out, const CheckReport& r) {
  if (!r.has_warnings()) return;
  out += r.exit_status() == 0 ? "\nClean, with warnings (exit status 0)\n" : "\nWarnings\n";
  out += "  warning: " + escaped(stuck_warning(r)) + "\n";
}

void violations_text(std::string& out, const CheckReport& r) {
  const std::uint64_t total = r.violation_count();
  if (!total) return;
  out += "\nViolations (" + num(total) + ")\n";
  for (const auto& v : r.violations) {
    out += "  " + r.where(v.at) + ": " + std::string(verdict_name(v.kind)) + ": " + v.reason + " [cookie " +
           num(v.cookie) + " " + logged_endpoint(v.family, v.laddr, v.lport) + " -> " +
           logged_endpoint(v.family, v.raddr, v.rport);
    if (!v.ts.empty()) out += " at " + escaped(v.ts);
    out += "]";
    if (v.count > 1) out += " (" + num(v.count) + " times, the last at " + r.where(v.last) + ")";
    out += "\n";
  }
  if (const std::uint64_t listed = r.violations_listed(); total > listed)
    out += "  ... and " + num(total - listed) + " more (--show 0 lists all)\n";
}

// A label from the log as the text report shows it: escaped, cut short.
std::string shown_label(std::string_view label) {
  constexpr std::size_t kMax = 48;
  const std::string text = escaped(label);
  const std::string_view cut = cut_at(text, kMax);
  return cut.size() < text.size() ? std::string(cut) + "..." : text;
}

// "nginx[100] 5, - 2, others 7": the largest counts, then the rest.
std::string top_text(const TopCounter& c, bool container = false) {
  const auto rows = c.top(kWhoTop);
  std::string out;
  for (const auto& row : rows)
    out += (out.empty() ? "" : ", ") + shown_label(container ? shown_container(row.key) : row.key) + " " +
           num(row.count);
  if (const std::uint64_t other = c.other(rows)) out += (out.empty() ? "others " : ", others ") + num(other);
  return out;
}

void who_text(std::string& out, const CheckReport& r) {
  bool any = false;
  for (auto k : kWhoKinds) any = any || r.who_of(k).count;
  if (!any) return;
  out += "\nWho and where (the " + num(kWhoTop) + " largest of each; owner - when the log does not say)\n";
  for (auto k : kWhoKinds) {
    const WhoTable& t = r.who_of(k);
    if (!t.count) continue;
    out += "  " + (k == WhoKind::OpenAtEnd ? std::string("open at end") : std::string(who_kind_name(k))) + " " +
           num(t.count) + "\n";
    out += "    owner      " + top_text(t.owner) + "\n";
    out += "    container  " + top_text(t.container, true) + "\n";
    out += "    lport      " + top_text(t.lport) + "\n";
    out += "    peer       " + top_text(t.peer) + "\n";
  }
}

void matrix_text(std::string& out, const CheckReport& r) {
  if (r.edges.empty()) return;
  const std::size_t w = widest_state(r);
  std::size_t cw = 5;  // "COUNT"
  for (const auto& [edge, n] : r.edges) cw = std::max(cw, num(n).size());
  out += "\nTransition matrix (old -> new)\n  ";
  pad(out, "OLD", w);
  out += "    ";
  pad(out, "NEW", w);
  out += "  ";
  pad_left(out, "COUNT", cw);
  out += "  MODEL\n";
  for (const auto& [edge, n] : edges_in_table_order(r)) {
    out += "  ";
    pad(out, state_name(edge.first), w);
    out += " -> ";
    pad(out, state_name(edge.second), w);
    out += "  ";
    pad_left(out, num(n), cw);
    out += "  " + edge_note(r.model, edge.first, edge.second) + "\n";
  }
}

// Only edges where something ended or began to: where the kernel or the
// edge gave causes.
void causes_text(std::string& out, const CheckReport& r) {
  if (r.edge_causes.empty()) return;
  const std::size_t w = widest_state(r);
  out += "\nCauses by edge (what the kernel reported, else what the edge says)\n";
  for (const auto& [edge, counts] : edges_in_table_order(r)) {
    const auto it = r.edge_causes.find(edge);
    if (it == r.edge_causes.end()) continue;
    out += "  ";
    pad(out, state_name(edge.first), w);
    out += " -> ";
    pad(out, state_name(edge.second), w);
    bool first = true;
    for_each_cause(it->second, counts, [&](std::string_view name, std::uint64_t n) {
      out += (first ? "  " : ", ") + std::string(name) + " " + num(n);
      first = false;
    });
    out += '\n';
  }
}

void time_text(std::string& out, const CheckReport& r) {
  if (r.time_in_state.empty()) return;
  std::size_t w = 5;
  std::size_t cw = 5;
  for (const auto& [state, h] : r.time_in_state) {
    w = std::max(w, state_name(state).size());
    cw = std::max(cw, num(h.count()).size());
  }
  constexpr std::size_t kCol = 8;
  out += "\nTime in state (from old_ns, by the state left)\n  ";
  pad(out, "STATE", w);
  out += "  ";
  pad_left(out, "COUNT", cw);
  for (auto head : {"P50", "P90", "P99", "MAX"}) {
    out += ' ';
    pad_left(out, head, kCol);
  }
  out += '\n';
  for (const auto& [state, h] : r.time_in_state) {
    out += "  ";
    pad(out, state_name(state), w);
    out += "  ";
    pad_left(out, num(h.count()), cw);
    for (double p : kPercentiles) {
      out += ' ';
      pad_left(out, duration(h.percentile(p)), kCol);
    }
    out += ' ';
    pad_left(out, duration(h.max()), kCol);
    out += '\n';
  }
}

// A quantity of a life, exact, as the text shows it: "1.2ms", "1000"; "?" when not known.
std::string life_value_text(LifeQuantity q, const std::optional<std::uint64_t>& v) {
  if (!v) return "?";
  if (const auto ns = life_time_ns(q, *v)) return duration(*ns);
  return num(*v);
}

void lives_text(std::string& out, const CheckReport& r) {
  if (!r.lives_total()) return;
  std::size_t w = 5;  // "ENDED"
  for (auto c : kClasses)
    if (r.lives_of(c).count) w = std::max(w, lifecycle_class_name(c).size());
  constexpr std::size_t kCount = 7, kMeasure = 8, kCol = 8;
  out += "\nLives by how they ended (from the life on each connection's CLOSE record; unknown: not told)\n  ";
  pad(out, "ENDED", w);
  out += "  ";
  pad_left(out, "LIVES", kCount);
  out += "  ";
  pad(out, "MEASURE", kMeasure);
  for (auto head : {"KNOWN", "UNKNOWN", "P50", "P90", "P99", "MAX"}) {
    out += ' ';
    pad_left(out, head, kCol);
  }
  out += '\n';
  for (auto c : kClasses) {
    const ClassLives& l = r.lives_of(c);
    if (!l.count) continue;
    for (auto q : kLifeQuantities) {
      const LifeDistribution& d = l.of(q);
      const bool first = q == kLifeQuantities.front();
      out += "  ";
      pad(out, first ? std::string(lifecycle_class_name(c)) : "", w);
      out += "  ";
      pad_left(out, first ? num(l.count) : "", kCount);
      out += "  ";
      pad(out, life_quantity_label(q), kMeasure);
      for (const std::uint64_t n : {d.known.count(), d.unknown}) {
        out += ' ';
        pad_left(out, num(n), kCol);
      }
      // None known: no quantile.
      const auto shown = [&](std::uint64_t v) { return d.known.count() ? life_quantile_text(q, v) : "-"; };
      for (double p : kPercentiles) {
        out += ' ';
        pad_left(out, shown(d.known.percentile(p)), kCol);
      }
      out += ' ';
      pad_left(out, shown(d.known.max()), kCol);
      out += '\n';
    }
  }
}

// "t.json:12: completed server nginx[100] 127.0.0.1:8080 -> 127.0.0.1:40000
// fin_acked: 2.0s, rx 1000 B, tx 300 B, retrans 0, srtt 15us"; ? for what
// the life does not tell.
std::string listed_life_text(const CheckReport& r, const ListedLife& l) {
  std::string line = r.where(l.at) + ": " + std::string(lifecycle_class_name(l.cls)) + " " +
                     std::string(role_name(l.life.role)) + " " + shown_label(l.owner) + " " +
                     logged_endpoint(l.family, l.laddr, l.lport) + " -> " + logged_endpoint(l.family, l.raddr, l.rport);
  if (!l.cause.empty()) line += " " + escaped(l.cause);
  if (!l.error.empty()) line += " " + escaped(l.error);
  line += ": " + life_value_text(LifeQuantity::Duration, l.life.duration_ns) + ", rx " +
          life_value_text(LifeQuantity::RxBytes, l.life.rx_bytes) + " B, tx " +
          life_value_text(LifeQuantity::TxBytes, l.life.tx_bytes) +
          " B, retrans " + (l.life.retrans ? num(*l.life.retrans) : "?") + ", srtt " +
          life_value_text(LifeQuantity::Srtt, l.life.srtt_us);
  return line;
}

void longest_text(std::string& out, const CheckReport& r) {
  if (!r.lives_total()) return;
  out += "\nLongest lives (the " + num(kLifeTop) + " longest connections, where their CLOSE record is)\n";
  for (const auto& l : r.longest.rows()) out += "  " + listed_life_text(r, l) + "\n";
  if (r.longest.rows().empty()) out += "  none: no life tells its duration\n";
  out += "\nMost retransmissions (the " + num(kLifeTop) + " connections that retransmitted most segments)\n";
  for (const auto& l : r.most_retrans.rows()) out += "  " + listed_life_text(r, l) + "\n";
  if (r.most_retrans.rows().empty()) out += "  none: no connection retransmitted\n";
}

}  // namespace

std::vector<std::pair<std::pair<int, int>, std::uint64_t>> edges_in_table_order(const CheckReport& r) {
  std::vector<std::pair<std::pair<int, int>, std::uint64_t>> v(r.edges.begin(), r.edges.end());
  const auto rank = [](const std::pair<int, int>& e) {
    const Edge* row = find_edge(e.first, e.second);
    return row ? row - all_edges().data() : static_cast<std::ptrdiff_t>(all_edges().size());
  };
  std::stable_sort(v.begin(), v.end(), [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  return v;
}

std::string logged_endpoint(const std::string& family, const std::string& addr, std::uint16_t port) {
  if (addr.empty()) return "?";
  return endpoint_text(family == "ipv6", escaped(addr), port);
}

std::string_view who_kind_name(WhoKind k) {
  switch (k) {
    case WhoKind::Resets: return "resets";
    case WhoKind::Timeouts: return "timeouts";
    case WhoKind::Refusals: return "refusals";
    case WhoKind::Violations: return "violations";
    case WhoKind::OpenAtEnd: return "open_at_end";
  }
  return "?";
}

std::string owner_label(const std::optional<std::uint32_t>& pid, std::string_view comm) {
  if (!pid) return "-";
  return (comm.empty() ? std::string("?") : std::string(comm)) + "[" + num(*pid) + "]";
}

std::string peer_label(bool ipv6, std::string_view raddr, std::uint16_t rport) {
  if (raddr.empty()) return "?";
  if (!rport) return std::string(raddr);
  return endpoint_text(ipv6, raddr, rport);
}

std::string_view shown_container(std::string_view key) {
  constexpr std::size_t kHexId = 64, kShort = 12;
  if (key.size() == kHexId && key.find_first_not_of("0123456789abcdef") == std::string_view::npos)
    return key.substr(0, kShort);
  return key;
}

std::string stuck_warning(const CheckReport& r) {
  const StuckAtEnd& s = r.stuck;
  if (!s.sockets) return "";
  std::string w = num(s.sockets) + (s.sockets == 1 ? " socket" : " sockets") + " in CLOSE_WAIT for " +
                  age_text(r.stuck_age_ns) + " or more " +
                  (s.earlier_run ? "when their trace run or the log ended" : "at the end of the log") +
                  " (the oldest for " + duration(s.oldest_ns) + "), held by ";
  constexpr std::size_t kOwners = 3;
  constexpr std::size_t kMax = 48;  // bytes of a label
  const auto rows = s.owners.top(kOwners);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string_view cut = cut_at(rows[i].key, kMax);
    w += (i ? ", " : "") + std::string(cut) + (cut.size() < rows[i].key.size() ? "..." : "") + " " +
         num(rows[i].count);
  }
  if (const std::uint64_t other = s.owners.other(rows)) w += ", others " + num(other);
  return w;
}

std::string edge_note(Model m, int from, int to) {
  const Edge* e = find_edge(from, to);
  if (allowed(m, from, to)) return std::string(e->label);
  std::string note = "!! not in the " + std::string(model_name(m)) + " model";
  return e ? note + ": " + std::string(e->label) : note;
}

std::uint64_t CheckReport::lines() const {
  std::uint64_t n = 0;
  for (const auto& f : files) n += f.lines;
  return n;
}

std::uint64_t CheckReport::transitions() const {
  return std::accumulate(verdicts.begin(), verdicts.end(), std::uint64_t{0});
}

std::uint64_t CheckReport::violation_count() const { return transitions() - at(verdicts, VerdictKind::Ok); }

std::uint64_t CheckReport::violations_listed() const {
  std::uint64_t n = 0;
  for (const auto& v : violations) n += v.count;
  return n;
}

std::uint64_t CheckReport::lives_total() const {
  std::uint64_t n = 0;
  for (const auto& l : lives) n += l.count;
  return n;
}

std::uint64_t CheckReport::input_error_count() const {
  return std::accumulate(input_errors.begin(), input_errors.end(), std::uint64_t{0});
}

int CheckReport::exit_status() const {
  if (read_failed) return static_cast<int>(ExitCode::Usage);
  if (violation_count() || input_error_count()) return static_cast<int>(ExitCode::Failure);
  if (unfinished) return static_cast<int>(ExitCode::Unfinished);
  return static_cast<int>(ExitCode::Ok);
}

std::string CheckReport::where(const Location& a) const {
  const std::string name = escaped(files.at(a.file).name);
  return a.line ? name + ":" + num(a.line) : name;
}

std::string problem_line(const CheckReport& r, const InputProblem& p) {
  return r.where(p.at) + ": " + std::string(input_error_name(p.kind)) + ": " + p.message;
}

std::string report_text(const CheckReport& r) {
  std::string out;
  totals_text(out, r);
  warnings_text(out, r);
  violations_text(out, r);
  who_text(out, r);
  matrix_text(out, r);
  causes_text(out, r);
  time_text(out, r);
  lives_text(out, r);
  longest_text(out, r);
  return out;
}

namespace {

using json = nlohmann::ordered_json;

// A value the log may not have told: null then.
template <class T>
json known_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json listed_life_json(const CheckReport& r, const ListedLife& l) {
  const auto text = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return {{"file", r.files.at(l.at.file).name},
          {"line", l.at.line},
          {"class", lifecycle_class_name(l.cls)},
          {"role", role_name(l.life.role)},
          {"owner", l.owner},
          {"family", l.family},
          {"laddr", l.laddr},
          {"lport", l.lport},
          {"raddr", l.raddr},
          {"rport", l.rport},
          {"cause", text(l.cause)},
          {"error", text(l.error)},
          {"duration_ns", known_json(l.life.duration_ns)},
          {"rx_bytes", known_json(l.life.rx_bytes)},
          {"tx_bytes", known_json(l.life.tx_bytes)},
          {"segs_in", known_json(l.life.segs_in)},
          {"segs_out", known_json(l.life.segs_out)},
          {"retrans", known_json(l.life.retrans)},
          {"srtt_us", known_json(l.life.srtt_us)},
          {"rttvar_us", known_json(l.life.rttvar_us)}};
}

json lives_json(const CheckReport& r) {
  json j = {{"total", r.lives_total()}, {"top_n", kLifeTop}, {"by_class", json::object()}};
  for (auto c : kClasses) {
    const ClassLives& l = r.lives_of(c);
    json cls = {{"count", l.count}};
    for (auto q : kLifeQuantities) {
      const LifeDistribution& d = l.of(q);
      const auto known = [&](std::uint64_t v) { return d.known.count() ? json(v) : json(nullptr); };
      cls[life_quantity_name(q)] = {{"known", d.known.count()},
                                    {"unknown", d.unknown},
                                    {"p50", known(d.known.percentile(50))},
                                    {"p90", known(d.known.percentile(90))},
                                    {"p99", known(d.known.percentile(99))},
                                    {"max", known(d.known.max())}};
    }
    j["by_class"][lifecycle_class_name(c)] = std::move(cls);
  }
  j["longest"] = json::array();
  for (const auto& l : r.longest.rows()) j["longest"].push_back(listed_life_json(r, l));
  j["most_retrans"] = json::array();
  for (const auto& l : r.most_retrans.rows()) j["most_retrans"].push_back(listed_life_json(r, l));
  return j;
}

}  // namespace

std::string report_json(const CheckReport& r) {
  json j;
  j["model"] = model_name(r.model);
  j["files"] = json::array();
  for (const auto& f : r.files) j["files"].push_back({{"name", f.name}, {"lines", f.lines}, {"crlf_lines", f.crlf_lines}});
  j["lines"] = r.lines();
  for (auto t : kRecordTypes) j["records"][record_type_name(t)] = at(r.records, t);
  j["transitions"]["total"] = r.transitions();
  for (auto v : kVerdicts) j["transitions"][verdict_name(v)] = at(r.verdicts, v);
  j["transitions"]["gaps_explained"] = r.gaps_explained;
  j["lifecycles"]["total"] = std::accumulate(r.lifecycles.begin(), r.lifecycles.end(), std::uint64_t{0});
  j["lifecycles"]["listeners"] = r.listeners;
  for (auto c : kClasses) j["lifecycles"][lifecycle_class_name(c)] = at(r.lifecycles, c);
  j["lifecycles"]["open_at_end"] = json::object();
  for (const auto& [state, n] : r.open_at_end) j["lifecycles"]["open_at_end"][state_name(state)] = n;
  j["losses"] = {{"records", r.lost_records},
                 {"ringbuf", r.lost.ringbuf},
                 {"recursion", r.lost.recursion},
                 {"skstate", r.lost.skstate}};
  j["input_errors"]["total"] = r.input_error_count();
  for (int k = 0; k < kInputErrorKinds; ++k)
    j["input_errors"][input_error_name(static_cast<InputError>(k))] = r.input_errors[static_cast<std::size_t>(k)];
  j["runs_counted"] = r.runs_counted;
  j["unfinished_runs"] = json::array();
  for (const auto& u : r.unfinished_runs)
    j["unfinished_runs"].push_back({{"file", r.files.at(u.first.file).name},
                                    {"line", u.first.line},
                                    {"last_file", r.files.at(u.last.file).name},
                                    {"last_line", u.last.line}});
  j["unfinished_runs_not_listed"] = r.unfinished - r.unfinished_runs.size();

  j["violations"] = json::array();
  for (const auto& v : r.violations)
    j["violations"].push_back({{"file", r.files.at(v.at.file).name},
                               {"line", v.at.line},
                               {"verdict", verdict_name(v.kind)},
                               {"reason", v.reason},
                               {"old", state_name(v.old_state)},
                               {"new", state_name(v.new_state)},
                               {"cookie", v.cookie},
                               {"ts", v.ts},
                               {"family", v.family},
                               {"laddr", v.laddr},
                               {"lport", v.lport},
                               {"raddr", v.raddr},
                               {"rport", v.rport},
                               {"count", v.count},
                               {"last_file", r.files.at(v.last.file).name},
                               {"last_line", v.last.line}});
  j["violations_not_listed"] = r.violation_count() - r.violations_listed();
  j["problems"] = json::array();
  for (const auto& p : r.problems)
    j["problems"].push_back({{"file", r.files.at(p.at.file).name},
                             {"line", p.at.line},
                             {"kind", input_error_name(p.kind)},
                             {"message", p.message}});
  j["problems_not_listed"] = r.input_error_count() - r.problems.size();

  j["matrix"] = json::array();
  for (const auto& [edge, n] : edges_in_table_order(r)) {
    json row = {{"old", state_name(edge.first)},
                {"new", state_name(edge.second)},
                {"count", n},
                {"allowed", allowed(r.model, edge.first, edge.second)}};
    if (const auto it = r.edge_causes.find(edge); it != r.edge_causes.end()) {
      row["causes"] = json::object();
      for_each_cause(it->second, n, [&](std::string_view name, std::uint64_t c) { row["causes"][name] = c; });
    }
    j["matrix"].push_back(std::move(row));
  }
  j["time_in_state"] = json::array();
  for (const auto& [state, h] : r.time_in_state)
    j["time_in_state"].push_back({{"state", state_name(state)},
                                  {"count", h.count()},
                                  {"p50_ns", h.percentile(50)},
                                  {"p90_ns", h.percentile(90)},
                                  {"p99_ns", h.percentile(99)},
                                  {"max_ns", h.max()}});
  j["lives"] = lives_json(r);
  j["who_and_where"] = {{"top_n", kWhoTop}, {"max_distinct", TopCounter::kMaxKeys}};
  const auto top_json = [](const TopCounter& c) {
    const auto rows = c.top(kWhoTop);
    json top = json::array();
    for (const auto& row : rows) top.push_back({{"key", row.key}, {"count", row.count}});
    return json{{"top", std::move(top)}, {"other", c.other(rows)}, {"distinct", c.distinct()}};
  };
  for (auto k : kWhoKinds) {
    const WhoTable& t = r.who_of(k);
    j["who_and_where"][who_kind_name(k)] = {{"count", t.count},
                                            {"owner", top_json(t.owner)},
                                            {"container", top_json(t.container)},
                                            {"lport", top_json(t.lport)},
                                            {"peer", top_json(t.peer)}};
  }
  j["warnings"] = json::array();
  if (r.stuck.sockets)
    j["warnings"].push_back({{"kind", "stuck_at_end"},
                             {"state", "CLOSE_WAIT"},
                             {"sockets", r.stuck.sockets},
                             {"min_age_ns", r.stuck_age_ns},
                             {"oldest_ns", r.stuck.oldest_ns},
                             {"owners", top_json(r.stuck.owners)},
                             {"message", stuck_warning(r)}});
  j["exit_status"] = r.exit_status();
  // Strings from the log may hold invalid UTF-8: shown as U+FFFD, never a throw.
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string report_dot(const CheckReport& r) {
  std::vector<DotEdge> edges;
  for (const auto& [edge, n] : edges_in_table_order(r)) {
    const bool ok = allowed(r.model, edge.first, edge.second);
    edges.push_back({edge.first, edge.second, ok ? num(n) : num(n) + " (not in the model)", !ok});
  }
  return dot_graph("tcpfsm check: transitions observed; red: not in the " + std::string(model_name(r.model)) +
                       " model",
                   edges);
}

}  // namespace tcpfsm
