#include "check/report_html.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <ctime>
#include <numeric>
#include <vector>

#include "check/graphviz.h"
#include "common/errors.h"
#include "common/text.h"
#include "common/units.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

// &, <, >, " and ' as entities: safe as element text, in a quoted attribute
// and in SVG text alike.
std::string html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  return out;
}

// Bytes from the log or the command line (file names, ts, addresses): shown
// as the text report shows them (control bytes and invalid UTF-8 as \xHH),
// then escaped for HTML.
std::string logged(std::string_view s) { return html(escaped(s)); }

// 1234567 -> "1,234,567": counts read at a glance.
std::string num(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string duration(std::uint64_t ns) { return format_duration(std::chrono::nanoseconds(ns)); }

// A coordinate in SVG: one decimal is finer than a pixel.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "2026-11-21 08:12:38 UTC", with milliseconds when `ms`.
std::string utc(std::uint64_t wall_ns, bool ms) {
  const auto sec = static_cast<std::time_t>(wall_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&sec, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string s = buf;
  if (ms) {
    std::snprintf(buf, sizeof buf, ".%03u", static_cast<unsigned>(wall_ns / 1'000'000 % 1000));
    s += buf;
  }
  return s + " UTC";
}

// The least of 2, 4, 10, 20, 40, 100, ... at or above n: an axis top whose
// half is a round number too.
std::uint64_t round_up(std::uint64_t n) {
  for (std::uint64_t p = 1;; p *= 10)
    for (std::uint64_t m : {2, 4, 10})
      if (m * p >= n || p > UINT64_MAX / 100) return m * p;
}

// Text from the log (file names, ts, addresses, names, messages) can be any
// length without a space: what shows it may break it anywhere (.mono,
// .alert), or a table's narrowest width would be its longest string and
// widen the page. A where or ts cell keeps room for a whole ts (30
// characters) and breaks only what is longer; the who-and-where labels are
// cut instead (td.label).
constexpr std::string_view kStyle = R"(
:root{--ok:#2e7d32;--bad:#c62828;--warn:#d35400;--muted:#5f6b7a;--line:#dfe3ea;--bar:#4e79a7;--ink:#1d2330}
*{box-sizing:border-box}
body{margin:0;background:#f3f5f8;color:var(--ink);font:14px/1.45 "DejaVu Sans",system-ui,sans-serif}
main{max-width:1200px;margin:0 auto;padding:18px 24px 32px}
h1{font-size:20px;margin:0 0 2px}
h2{font-size:16px;margin:0 0 4px}
.sub,.muted,.note{color:var(--muted)}
.sub{margin:0 0 12px}
.note{margin:0 0 10px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 18px;margin:14px 0}
.verdict{border-radius:8px;padding:12px 18px;color:#fff;display:flex;justify-content:space-between;
  align-items:baseline;gap:16px;flex-wrap:wrap}
.verdict b{font-size:20px}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}
.verdict.warning{background:#f4b400;color:var(--ink)}
.alert{overflow-wrap:anywhere;border-left:4px solid var(--warn);background:#fff4e8;padding:8px 14px;margin:10px 0 0;border-radius:4px}
.tiles{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:14px 0}
.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.tile h3{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:0}
.tile .big{font-size:26px;font-weight:700}
.tile ul{list-style:none;margin:4px 0 0;padding:0}
.tile li{display:flex;justify-content:space-between;gap:8px}
.bad{color:var(--bad);font-weight:700}.warn{color:var(--warn);font-weight:700}
table{border-collapse:collapse;width:100%}
th{font-size:12px;text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);
  padding:3px 8px}
td{padding:3px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.illegal td{color:var(--bad);background:#fdecea}
.mono{font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px;overflow-wrap:anywhere}
td.at{min-width:calc(31ch + 16px)}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px;align-items:start}
.graph svg{max-width:100%;height:auto}
.matrix{width:auto;margin:0 0 14px}
.matrix td,.matrix th{text-align:center;border:1px solid #e3e7ee;padding:3px 10px;font-size:12.5px}
.matrix td{min-width:56px;font-variant-numeric:tabular-nums}
.matrix td.edge{background:#e8eef6;font-weight:600}
.matrix td.illegal{background:#fdecea;color:var(--bad);font-weight:700}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
.chart{display:block;width:100%;height:auto}
.dist{display:grid;grid-template-columns:130px 600px repeat(5,minmax(56px,1fr));align-items:center;column-gap:8px;
  overflow-x:auto}
.dist>.h{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:3px 0}
.dist>.n{text-align:right;font-variant-numeric:tabular-nums}
.dist svg{display:block}
h3{font-size:14px;margin:12px 0 4px}
table.listing{table-layout:fixed}
.lives{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));column-gap:18px;align-items:start}
.who{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:14px;align-items:start}
table.top{table-layout:fixed}
table.top td{vertical-align:baseline}
table.top th.n,table.top td.n{width:80px}
td.label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
  font-family:"DejaVu Sans Mono",ui-monospace,monospace;font-size:12.5px}
footer{color:var(--muted);font-size:12px;margin-top:18px}
)";

class Page {
 public:
  Page(const CheckReport& r, const std::string& dot_program) : r_(r), dot_(dot_program) {}

  std::string render() {
    head();
    out_ += "<main>\n";
    banner();
    tiles();
    timeline();
    graph();
    time_in_state();
    lives();
    violations();
    who();
    problems();
    files();
    footer();
    out_ += "</main>\n</body>\n</html>\n";
    return std::move(out_);
  }

 private:
  std::uint64_t lost_events() const { return r_.lost.events(); }

  void head() {
    std::string names;
    for (const auto& f : r_.files) names += (names.empty() ? "" : " ") + f.name;
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing to fetch and nothing to run: the browser is told so as well.
    out_ += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
    out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out_ += "<title>tcpfsm check: " + logged(names) + "</title>\n<style>" + std::string(kStyle) +
            "</style>\n</head>\n<body>\n";
  }

  // What the exit status says, first and in color.
  void banner() {
    out_ += "<h1>tcpfsm check</h1>\n<p class=\"sub\">" + html(model_name(r_.model)) +
            " model: " + html(model_description(r_.model)) + " &middot; " + num(r_.files.size()) +
            (r_.files.size() == 1 ? " file, " : " files, ") + num(r_.lines()) + " lines";
    if (const Timeline& t = r_.timeline; !t.empty())
      out_ += " &middot; " + utc(t.start_ns(), false) + " to " + utc(t.end_ns(), false);
    out_ += "</p>\n";
    const int status = r_.exit_status();
    std::string what, meaning;
    if (status == 0 && r_.has_warnings()) {
      what = "Clean, with warnings: every transition is legal, no gap, no input error";
      meaning = "exit status 0: clean; warnings do not change it";
    } else if (status == 0) {
      what = "Clean: every transition is legal, no gap, no input error";
      meaning = "exit status 0: clean";
    } else if (r_.read_failed) {
      what = "A file could not be read to its end";
      meaning = "exit status 2: unreadable input";
    } else if (status == static_cast<int>(ExitCode::Unfinished)) {
      what = "Unfinished: every transition is legal, no gap, no input error, but " + num(r_.unfinished) +
             (r_.unfinished == 1 ? " trace run has" : " trace runs have") + " no end record";
      meaning = "exit status 9: " + std::string(kUnfinishedWhy);
    } else {
      const std::uint64_t v = r_.violation_count(), e = r_.input_error_count();
      what = num(v) + (v == 1 ? " violation" : " violations") + " &middot; " + num(e) +
             (e == 1 ? " input error" : " input errors");
      meaning = "exit status 1: violations, gaps or input errors";
    }
    const char* cls = status == static_cast<int>(ExitCode::Unfinished) || (status == 0 && r_.has_warnings()) ? "warning"
                      : status != 0                                                                       ? "fail"
                                                                                                          : "pass";
    out_ += "<div class=\"verdict " + std::string(cls) + "\"><b>" + what + "</b><span>" + meaning + "</span></div>\n";
    if (r_.has_warnings()) out_ += "<p class=\"alert\"><b>Warning:</b> " + logged(stuck_warning(r_)) + ".</p>\n";
    if (lost_events() || r_.lost.skstate) {
      out_ += "<p class=\"alert\"><b>The log is incomplete:</b> ";
      if (lost_events()) out_ += num(lost_events()) + " events were lost while tracing. ";
      if (r_.lost.skstate) out_ += num(r_.lost.skstate) + " sockets' state could not be stored. ";
      out_ += "Sockets may have changed state unseen";
      if (at(r_.verdicts, VerdictKind::Gap))
        out_ += "; " + num(r_.gaps_explained) + " of " + num(at(r_.verdicts, VerdictKind::Gap)) +
                " gaps explained by a reported loss";
      out_ += ".</p>\n";
    }
  }

  // One line of a tile: a label and its count, in `cls` when the count is not 0.
  void item(std::string_view label, std::uint64_t n, std::string_view cls = "") {
    out_ += "<li><span>" + html(label) + "</span><span" +
            (n && !cls.empty() ? " class=\"" + std::string(cls) + "\"" : std::string()) + ">" + num(n) + "</span></li>";
  }

  void tile_head(std::string_view title, std::uint64_t big, std::string_view cls = "") {
    out_ += "<div class=\"tile\"><h3>" + html(title) + "</h3><div class=\"big" +
            (big && !cls.empty() ? " " + std::string(cls) : std::string()) + "\">" + num(big) + "</div><ul>";
  }

  void tiles() {
    out_ += "<div class=\"tiles\">\n";
    tile_head("Transitions", r_.transitions());
    for (auto v : kVerdicts) item(verdict_name(v), at(r_.verdicts, v), v == VerdictKind::Ok ? "" : "bad");
    if (at(r_.verdicts, VerdictKind::Gap)) item("gaps a loss explains", r_.gaps_explained);
    out_ += "</ul></div>\n";

    const std::uint64_t lives = std::accumulate(r_.lifecycles.begin(), r_.lifecycles.end(), std::uint64_t{0});
    tile_head("Lifecycles", lives);
    item("connections", lives - r_.listeners);
    item("listeners", r_.listeners);
    // How they ended: the classes that occurred (completed always).
    for (auto c : kClasses)
      if (c == LifecycleClass::Completed || at(r_.lifecycles, c))
        item(lifecycle_class_name(c), at(r_.lifecycles, c), c == LifecycleClass::Truncated ? "warn" : "");
    for (const auto& [state, n] : r_.open_at_end) item("open at end in " + state_name(state), n);
    out_ += "</ul></div>\n";

    tile_head("Events lost", lost_events(), "warn");
    item("ring buffer full", r_.lost.ringbuf, "warn");
    item("recursion", r_.lost.recursion, "warn");
    item("socket state not stored", r_.lost.skstate, "warn");
    item("lost records", r_.lost_records);
    out_ += "</ul></div>\n";

    tile_head("Input lines", r_.lines());
    for (auto t : kRecordTypes) item(std::string(record_type_name(t)) + " records", at(r_.records, t));
    item("input errors", r_.input_error_count(), "bad");
    if (r_.runs_counted) item("runs with totals compared", r_.runs_counted);
    if (r_.unfinished) item("runs with no end record", r_.unfinished, "warn");
    out_ += "</ul></div>\n</div>\n";
  }

  // Transitions per bucket of time as bars, the violations among them in red,
  // and the buckets in which events were lost marked below the axis.
  void timeline() {
    const Timeline& t = r_.timeline;
    out_ += "<section>\n<h2>Transitions over time</h2>\n";
    if (t.empty()) {
      out_ += "<p class=\"note\">No record has a readable ts: nothing to draw.</p>\n</section>\n";
      return;
    }
    const auto buckets = t.buckets();
    const bool ms = t.width_ns() < 1'000'000'000;
    out_ += "<p class=\"note\">One bar per " + duration(t.width_ns()) + ", by the records' ts." +
            "<span class=\"key\" style=\"background:var(--bar)\"></span>transitions" +
            "<span class=\"key\" style=\"background:var(--bad)\"></span>violations" +
            "<span class=\"key\" style=\"background:var(--warn)\"></span>events lost";
    if (t.untimed) out_ += " &middot; not drawn, without a readable ts: " + num(t.untimed) + " records";
    out_ += "</p>\n";

    constexpr double kW = 1150, kLeft = 56, kRight = 6, kTop = 8, kPlot = 130, kH = 180;
    std::uint64_t most = 1;
    for (const auto& b : buckets) most = std::max(most, b.transitions);
    const std::uint64_t top = round_up(most);
    const double bw = (kW - kLeft - kRight) / static_cast<double>(buckets.size());
    const double gap = bw >= 4 ? 1 : 0;
    const double base = kTop + kPlot;
    auto y = [&](std::uint64_t n) { return kPlot * static_cast<double>(n) / static_cast<double>(top); };

    out_ += "<svg class=\"chart\" viewBox=\"0 0 " + px(kW) + " " + px(kH) +
            "\" role=\"img\" aria-label=\"transitions over time\" font-size=\"12\" fill=\"#5f6b7a\">\n";
    for (std::uint64_t n : {top, top / 2}) {
      out_ += "<line x1=\"" + px(kLeft) + "\" x2=\"" + px(kW - kRight) + "\" y1=\"" + px(base - y(n)) + "\" y2=\"" +
              px(base - y(n)) + "\" stroke=\"#e3e7ee\"/>";
      out_ += "<text x=\"" + px(kLeft - 6) + "\" y=\"" + px(base - y(n) + 4) + "\" text-anchor=\"end\">" + num(n) +
              "</text>\n";
    }
    out_ += "<text x=\"" + px(kLeft - 6) + "\" y=\"" + px(base + 4) + "\" text-anchor=\"end\">0</text>\n";
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      const auto& b = buckets[i];
      if (!b.transitions && !b.lost) continue;
      const double x = kLeft + bw * static_cast<double>(i);
      const std::uint64_t from = t.start_ns() + t.width_ns() * i;
      out_ += "<g><title>" + utc(from, ms) + " + " + duration(t.width_ns()) + ": " + num(b.transitions) +
              " transitions, " + num(b.violations) + " violations, " + num(b.lost) + " events lost</title>";
      // A count too small for a pixel still shows: at least 1.5 px.
      const double hv = b.violations ? std::max(y(b.violations), 1.5) : 0;
      const double hok = b.transitions > b.violations ? std::max(y(b.transitions - b.violations), 1.5) : 0;
      if (hok)
        out_ += "<rect x=\"" + px(x) + "\" y=\"" + px(base - hok - hv) + "\" width=\"" + px(bw - gap) + "\" height=\"" +
                px(hok) + "\" fill=\"#4e79a7\"/>";
      if (hv)
        out_ += "<rect x=\"" + px(x) + "\" y=\"" + px(base - hv) + "\" width=\"" + px(bw - gap) + "\" height=\"" +
                px(hv) + "\" fill=\"#c62828\"/>";
      if (b.lost)
        out_ += "<rect x=\"" + px(x) + "\" y=\"" + px(base + 4) + "\" width=\"" + px(std::max(bw - gap, 2.0)) +
                "\" height=\"8\" fill=\"#d35400\"/>";
      out_ += "</g>\n";
    }
    out_ += "<line x1=\"" + px(kLeft) + "\" x2=\"" + px(kW - kRight) + "\" y1=\"" + px(base) + "\" y2=\"" + px(base) +
            "\" stroke=\"#9aa5b4\"/>\n";
    const double label_y = base + 30;
    out_ += "<text x=\"" + px(kLeft) + "\" y=\"" + px(label_y) + "\">" + utc(t.start_ns(), ms) + "</text>";
    out_ += "<text x=\"" + px((kLeft + kW) / 2) + "\" y=\"" + px(label_y) + "\" text-anchor=\"middle\">" +
            duration(t.end_ns() - t.start_ns()) + "</text>";
    out_ += "<text x=\"" + px(kW - kRight) + "\" y=\"" + px(label_y) + "\" text-anchor=\"end\">" + utc(t.end_ns(), ms) +
            "</text>\n</svg>\n</section>\n";
  }

  void graph() {
    const auto edges = edges_in_table_order(r_);
    out_ +=
        "<section>\n<h2>Transitions observed</h2>\n<p class=\"note\">Old state &rarr; new state, with how "
        "often. <span class=\"bad\">Red</span>: not in the " +
        html(model_name(r_.model)) + " model.</p>\n";
    if (edges.empty()) {
      out_ += "<p>No transition in the input.</p>\n</section>\n";
      return;
    }
    GraphLayout layout;
    if (edges.size() > kMaxGraphEdges)
      layout.missing =
          num(edges.size()) + " different transitions are too many to draw (over " + num(kMaxGraphEdges) + ")";
    else
      layout = layout_svg(report_dot(r_), dot_);
    if (!layout.svg.empty()) {
      out_ += "<div class=\"pair\">\n<div class=\"graph\">\n" + layout.svg + "</div>\n<div>\n";
      edge_table(edges);
      out_ += "</div>\n</div>\n</section>\n";
      return;
    }
    out_ += "<p class=\"alert\">No graph: " + html(layout.missing) + ". This matrix has the same counts.</p>\n";
    matrix(edges);
    edge_table(edges);
    out_ += "</section>\n";
  }

  // Old states down, new states across, in the order the edges first name them.
  void matrix(const std::vector<std::pair<std::pair<int, int>, std::uint64_t>>& edges) {
    std::vector<int> from, to;
    for (const auto& [e, n] : edges) {
      if (std::find(from.begin(), from.end(), e.first) == from.end()) from.push_back(e.first);
      if (std::find(to.begin(), to.end(), e.second) == to.end()) to.push_back(e.second);
    }
    out_ += "<table class=\"matrix\"><tr><th>old &darr; new &rarr;</th>";
    for (int s : to) out_ += "<th>" + html(state_name(s)) + "</th>";
    out_ += "</tr>\n";
    for (int f : from) {
      out_ += "<tr><th>" + html(state_name(f)) + "</th>";
      for (int s : to) {
        const auto it = r_.edges.find({f, s});
        if (it == r_.edges.end())
          out_ += "<td></td>";
        else
          out_ += std::string("<td class=\"") + (allowed(r_.model, f, s) ? "edge" : "illegal") + "\">" +
                  num(it->second) + "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table>\n";
  }

  void edge_table(const std::vector<std::pair<std::pair<int, int>, std::uint64_t>>& edges) {
    // Causes only for a log that has them (tcpfsm 0.1 wrote none).
    const bool causes = !r_.edge_causes.empty();
    out_ += std::string("<table><tr><th>old</th><th>new</th><th class=\"n\">count</th><th>model</th>") +
            (causes ? "<th>causes</th>" : "") + "</tr>\n";
    for (const auto& [e, n] : edges) {
      const bool ok = allowed(r_.model, e.first, e.second);
      out_ += std::string(ok ? "<tr>" : "<tr class=\"illegal\">") + "<td>" + html(state_name(e.first)) + "</td><td>" +
              html(state_name(e.second)) + "</td><td class=\"n\">" + num(n) + "</td><td>" +
              html(edge_note(r_.model, e.first, e.second)) + "</td>";
      if (causes) {
        out_ += "<td>";
        if (const auto it = r_.edge_causes.find(e); it != r_.edge_causes.end()) {
          bool first = true;
          for_each_cause(it->second, n, [&](std::string_view name, std::uint64_t c) {
            out_ += std::string(first ? "" : ", ") + html(name) + " " + num(c);
            first = false;
          });
        }
        out_ += "</td>";
      }
      out_ += "</tr>\n";
    }
    out_ += "</table>\n";
  }

  // One row per state left: how long sockets stayed.
  void time_in_state() {
    out_ += "<section>\n<h2>Time in each state</h2>\n";
    if (r_.time_in_state.empty()) {
      out_ += "<p class=\"note\">No transition says how long its socket spent in the old state.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"note\">How long sockets stayed in a state before leaving it (old_ns), on a log scale: each "
        "bar a power of two, each row scaled to its own tallest bar. <b>&#9474;</b> P50 &nbsp;"
        "<b style=\"color:#d35400\">&#9474;</b> P99</p>\n";
    std::vector<DurationRow> rows;
    for (const auto& [state, h] : r_.time_in_state)
      rows.push_back({state_name(state), &h, state_name(state) + ": " + num(h.count()) + " left it"});
    durations("state", rows);
    out_ += "</section>\n";
  }

  // A row of durations() : its label, its values, what hovering says.
  struct DurationRow {
    std::string label;
    const Histogram* h;
    std::string title;
  };

  // Durations (ns) as bars on a log scale shared by every row, with the P50
  // and P99 marked, then the count and quantiles.
  void durations(std::string_view head_label, const std::vector<DurationRow>& rows) {
    // The axis in powers of two: bar i covers [i - 1, i], from [2^(i-1), 2^i) ns.
    int lo = 64, hi = 0;
    for (const auto& row : rows) {
      lo = std::min(lo, static_cast<int>(std::bit_width(row.h->min())));
      hi = std::max(hi, static_cast<int>(std::bit_width(row.h->max())));
    }
    double d0 = lo - 2, d1 = hi + 1;
    while (d1 - d0 < 10) d0 -= 1, d1 += 1;
    d0 = std::max(d0, -1.0);
    constexpr double kW = 600, kH = 34;
    const double scale = kW / (d1 - d0);
    auto x_of = [&](std::uint64_t ns) { return ((ns ? std::log2(static_cast<double>(ns)) : -0.5) - d0) * scale; };

    struct Tick {
      std::uint64_t ns;
      const char* label;
    };
    constexpr std::uint64_t kUs = 1000, kMs = 1000 * kUs, kS = 1000 * kMs;
    constexpr Tick kTicks[] = {{1, "1ns"},           {10, "10ns"},         {100, "100ns"},      {kUs, "1us"},
                               {10 * kUs, "10us"},   {100 * kUs, "100us"}, {kMs, "1ms"},        {10 * kMs, "10ms"},
                               {100 * kMs, "100ms"}, {kS, "1s"},           {10 * kS, "10s"},    {60 * kS, "1m"},
                               {600 * kS, "10m"},    {3600 * kS, "1h"},    {36000 * kS, "10h"}, {86400 * kS, "1d"}};
    std::vector<double> grid;
    std::string axis;
    for (const auto& t : kTicks) {
      const double x = x_of(t.ns);
      // Room for the label on both sides, and between labels.
      if (x < 16 || x > kW - 16 || (!grid.empty() && x - grid.back() < 36)) continue;
      grid.push_back(x);
      axis += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"0\" y2=\"5\" stroke=\"#9aa5b4\"/><text x=\"" +
              px(x) + "\" y=\"17\" text-anchor=\"middle\">" + t.label + "</text>";
    }

    out_ += "<div class=\"dist\">";
    for (std::string_view head : {head_label, std::string_view("distribution"), std::string_view("count"),
                                  std::string_view("P50"), std::string_view("P90"), std::string_view("P99"),
                                  std::string_view("max")})
      out_ += std::string("<div class=\"h") + (head == head_label || head == "distribution" ? "" : " n") + "\">" +
              html(head) + "</div>";
    out_ += "\n";
    for (const auto& row : rows) {
      const Histogram& h = *row.h;
      const auto bins = h.by_bit_width();
      const std::uint64_t tallest = *std::max_element(bins.begin(), bins.end());
      out_ += "<div><b>" + html(row.label) + "</b></div><svg width=\"" + px(kW) + "\" height=\"" + px(kH) +
              "\" viewBox=\"0 0 " + px(kW) + " " + px(kH) + "\"><title>" + html(row.title) + "</title><rect width=\"" +
              px(kW) + "\" height=\"" + px(kH) + "\" fill=\"#f7f9fb\"/>";
      for (double x : grid)
        out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"0\" y2=\"" + px(kH) + "\" stroke=\"#e3e7ee\"/>";
      for (std::size_t i = 0; i < bins.size(); ++i) {
        if (!bins[i]) continue;
        const double bh = std::max(1.5, (kH - 4) * static_cast<double>(bins[i]) / static_cast<double>(tallest));
        out_ += "<rect x=\"" + px((static_cast<double>(i) - 1 - d0) * scale + 0.5) + "\" y=\"" + px(kH - bh) +
                "\" width=\"" + px(scale - 1) + "\" height=\"" + px(bh) + "\" fill=\"#4e79a7\"><title>" + num(bins[i]) +
                " from " + duration(i ? std::uint64_t{1} << (i - 1) : 0) + "</title></rect>";
      }
      for (auto [pct, color] : {std::pair{50.0, "#1d2330"}, std::pair{99.0, "#d35400"}}) {
        const double x = x_of(h.percentile(pct));
        out_ += "<line x1=\"" + px(x) + "\" x2=\"" + px(x) + "\" y1=\"0\" y2=\"" + px(kH) + "\" stroke=\"" + color +
                "\" stroke-width=\"2\"/>";
      }
      out_ += "</svg><div class=\"n\">" + num(h.count()) + "</div>";
      for (double pct : {50.0, 90.0, 99.0}) out_ += "<div class=\"n\">" + duration(h.percentile(pct)) + "</div>";
      out_ += "<div class=\"n\">" + duration(h.max()) + "</div>\n";
    }
    out_ += "<div></div><svg width=\"" + px(kW) + "\" height=\"22\" viewBox=\"0 0 " + px(kW) +
            " 22\" font-size=\"11\" fill=\"#5f6b7a\">" + axis + "</svg>\n</div>\n";
  }

  // A quantity of a life, exact, in a cell: "1,234" bytes, "1.2ms"; "?" when not known.
  static std::string life_cell(LifeQuantity q, const std::optional<std::uint64_t>& v) {
    if (!v) return "<td class=\"n\">?</td>";
    const auto ns = life_time_ns(q, *v);
    return "<td class=\"n\">" + (ns ? duration(*ns) : num(*v)) + "</td>";
  }

  // What connections did, by how they ended: their lives' durations drawn,
  // a table of every quantity per class, then the connections that lived
  // longest and those that retransmitted most.
  void lives() {
    out_ += "<section>\n<h2>Connection lives (" + num(r_.lives_total()) + ")</h2>\n";
    if (!r_.lives_total()) {
      out_ +=
          "<p class=\"note\">No record into CLOSE carries a life: logs of tcpfsm before schema 4 have "
          "none.</p>\n</section>\n";
      return;
    }
    out_ +=
        "<p class=\"note\">What each connection did, from the life on its CLOSE record, by how it ended: how long "
        "it lived (from connect(), or the SYN that made a server&#39;s socket), the payload bytes it received and "
        "sent, and its smoothed RTT. A value the kernel could not tell is left out and counted as unknown. "
        "Quantiles within 6.25%; durations on a log scale, as above. <b>&#9474;</b> P50 &nbsp;"
        "<b style=\"color:#d35400\">&#9474;</b> P99</p>\n";
    std::vector<DurationRow> rows;
    for (auto c : kClasses) {
      const Histogram& h = r_.lives_of(c).of(LifeQuantity::Duration).known;
      if (h.count())
        rows.push_back({std::string(lifecycle_class_name(c)), &h,
                        std::string(lifecycle_class_name(c)) + ": " + num(h.count()) + (h.count() == 1 ? " life" : " lives")});
    }
    if (!rows.empty()) durations("ended", rows);

    out_ += "<div class=\"lives\">\n";
    for (auto c : kClasses) {
      const ClassLives& l = r_.lives_of(c);
      if (!l.count) continue;
      out_ += "<div><h3>" + html(lifecycle_class_name(c)) + " (" + num(l.count) +
              ")</h3>\n<table><tr><th></th><th class=\"n\">known</th><th class=\"n\">unknown</th>"
              "<th class=\"n\">P50</th><th class=\"n\">P90</th><th class=\"n\">P99</th><th class=\"n\">max</th></tr>\n";
      for (auto q : kLifeQuantities) {
        const LifeDistribution& d = l.of(q);
        // None known: no quantile.
        const auto shown = [&](std::uint64_t v) {
          return "<td class=\"n\">" + (d.known.count() ? life_quantile_text(q, v) : "-") + "</td>";
        };
        out_ += "<tr><td>" + std::string(life_quantity_label(q)) + "</td><td class=\"n\">" + num(d.known.count()) +
                "</td><td class=\"n\">" + num(d.unknown) + "</td>";
        for (double p : {50.0, 90.0, 99.0}) out_ += shown(d.known.percentile(p));
        out_ += shown(d.known.max()) + "</tr>\n";
      }
      out_ += "</table></div>\n";
    }
    out_ += "</div>\n";
    listed_lives("Longest lives", r_.longest, "No life tells its duration.");
    listed_lives("Most retransmissions", r_.most_retrans, "No connection retransmitted.");
    out_ += "</section>\n";
  }

  // Connections listed for their lives, with where their CLOSE record is.
  void listed_lives(std::string_view title, const LifeTop& top, std::string_view none) {
    out_ += "<h3>" + html(title) + " (the " + num(kLifeTop) + " most)</h3>\n";
    if (top.rows().empty()) {
      out_ += "<p class=\"note\">" + html(none) + "</p>\n";
      return;
    }
    // Columns of fixed widths: a long string from the log wraps in its own
    // cell, and short ones (an owner, a cause) are not broken to fit.
    out_ +=
        "<table class=\"listing\"><colgroup><col style=\"width:18%\"><col style=\"width:34%\">"
        "<col style=\"width:14%\"><col style=\"width:6%\"><col style=\"width:8%\"><col style=\"width:8%\">"
        "<col style=\"width:6%\"><col style=\"width:6%\"></colgroup>"
        "<tr><th>where</th><th>connection</th><th>cause</th><th class=\"n\">duration</th><th class=\"n\">rx bytes</th>"
        "<th class=\"n\">tx bytes</th><th class=\"n\">retrans</th><th class=\"n\">srtt</th></tr>\n";
    for (const ListedLife& l : top.rows()) {
      out_ += "<tr><td class=\"mono\">" + html(r_.where(l.at)) + "</td><td><b>" + html(lifecycle_class_name(l.cls)) +
              "</b> " + html(role_name(l.life.role)) + " <span class=\"mono\">" + logged(l.owner) +
              "</span><br><span class=\"mono\">" + html(logged_endpoint(l.family, l.laddr, l.lport)) + " &rarr; " +
              html(logged_endpoint(l.family, l.raddr, l.rport)) + "</span></td><td class=\"mono\">" + logged(l.cause) +
              (l.error.empty() ? "" : " " + logged(l.error)) + "</td>" +
              life_cell(LifeQuantity::Duration, l.life.duration_ns) + life_cell(LifeQuantity::RxBytes, l.life.rx_bytes) +
              life_cell(LifeQuantity::TxBytes, l.life.tx_bytes) + "<td class=\"n\">" +
              (l.life.retrans ? num(*l.life.retrans) : std::string("?")) + "</td>" +
              life_cell(LifeQuantity::Srtt, l.life.srtt_us) + "</tr>\n";
    }
    out_ += "</table>\n";
  }

  // "... and N more (--show 0 lists all)" after a list cut at --show.
  void not_listed(std::uint64_t total, std::size_t listed) {
    if (total > listed)
      out_ += "<p class=\"note\">&hellip; and " + num(total - listed) +
              " more (<span class=\"mono\">--show 0</span> lists all).</p>\n";
  }

  // Where the last of alike violations was: "line 683" in the first's file.
  std::string last_place(const Violation& v) const {
    if (v.last.file == v.at.file && v.last.line) return "line " + std::to_string(v.last.line);
    return html(r_.where(v.last));
  }

  void violations() {
    const std::uint64_t total = r_.violation_count();
    out_ += "<section>\n<h2>Violations (" + num(total) + ")</h2>\n";
    if (!total) {
      out_ += "<p class=\"note\">None: every transition is an edge of the " + html(model_name(r_.model)) +
              " model and continues its socket's last state.</p>\n</section>\n";
      return;
    }
    // Violations alike are one row: where the first and the last were, the
    // first's socket and ts, and how many.
    out_ +=
        "<table><tr><th>where</th><th>verdict</th><th>transition</th><th>why</th><th>socket</th><th>ts</th>"
        "<th class=\"n\">times</th></tr>\n";
    for (const auto& v : r_.violations)
      out_ += "<tr><td class=\"mono at\">" + html(r_.where(v.at)) +
              (v.count > 1 ? "<br>to " + last_place(v) : std::string()) + "</td><td class=\"bad\">" +
              html(verdict_name(v.kind)) + "</td><td>" + html(state_name(v.old_state)) + " &rarr; " +
              html(state_name(v.new_state)) + "</td><td>" + html(v.reason) + "</td><td class=\"mono\">cookie " +
              std::to_string(v.cookie) + "<br>" + html(logged_endpoint(v.family, v.laddr, v.lport)) + " &rarr; " +
              html(logged_endpoint(v.family, v.raddr, v.rport)) + "</td><td class=\"mono at\">" + logged(v.ts) +
              "</td><td class=\"n\">" + num(v.count) + "</td></tr>\n";
    out_ += "</table>\n";
    not_listed(total, r_.violations_listed());
    out_ += "</section>\n";
  }

  // A label from the log in a table cell: cut short in the text (the cell's
  // CSS ellipsizes what is still too wide), and whole up to a limit when the
  // pointer is over it.
  std::string key_cell(std::string_view label, std::string_view shown) {
    constexpr std::size_t kShown = 64, kTitle = 256;
    const auto cut = [](std::string_view s, std::size_t max) {
      const std::string text = escaped(s);
      const std::string_view c = cut_at(text, max);
      return html(c) + (c.size() < text.size() ? "&hellip;" : "");
    };
    return "<td class=\"label\" title=\"" + cut(label, kTitle) + "\">" + cut(shown, kShown) + "</td>";
  }

  void top_table(std::string_view title, const TopCounter& c, bool container = false) {
    out_ += "<table class=\"top\"><tr><th>" + html(title) + "</th><th class=\"n\">count</th></tr>\n";
    const auto rows = c.top(kWhoTop);
    for (const auto& row : rows)
      out_ += "<tr>" + key_cell(row.key, container ? shown_container(row.key) : row.key) + "<td class=\"n\">" +
              num(row.count) + "</td></tr>\n";
    if (const std::uint64_t other = c.other(rows))
      out_ += "<tr><td class=\"label muted\">others</td><td class=\"n\">" + num(other) + "</td></tr>\n";
    out_ += "</table>\n";
  }

  // Resets, timeouts, refusals, violations and sockets open at the end, each
  // by owner, container, local port and peer: four tables side by side.
  void who() {
    out_ += "<section>\n<h2>Who and where</h2>\n<p class=\"note\">The " + num(kWhoTop) +
            " largest of each, by the socket&#39;s owner (- when the log does not say), container, local port and "
            "peer.</p>\n";
    bool any = false;
    for (auto k : kWhoKinds) {
      const WhoTable& t = r_.who_of(k);
      if (!t.count) continue;
      any = true;
      const std::string name = k == WhoKind::OpenAtEnd ? "open at end" : std::string(who_kind_name(k));
      out_ += "<h3>" + html(name) + " (" + num(t.count) + ")</h3>\n<div class=\"who\">\n";
      top_table("owner", t.owner);
      top_table("container", t.container, true);
      top_table("local port", t.lport);
      top_table("peer", t.peer);
      out_ += "</div>\n";
    }
    if (!any) out_ += "<p>No reset, timeout, refusal or violation, and no socket open at the end.</p>\n";
    out_ += "</section>\n";
  }

  void problems() {
    const std::uint64_t total = r_.input_error_count();
    out_ += "<section>\n<h2>Input problems (" + num(total) + ")</h2>\n";
    if (!total) {
      out_ += "<p class=\"note\">None: every line is a record tcpfsm writes.</p>\n</section>\n";
      return;
    }
    out_ += "<table><tr><th>where</th><th>problem</th><th>what</th></tr>\n";
    for (const auto& p : r_.problems)
      out_ += "<tr><td class=\"mono at\">" + html(r_.where(p.at)) + "</td><td class=\"bad\">" +
              html(input_error_name(p.kind)) + "</td><td class=\"mono\">" + html(p.message) + "</td></tr>\n";
    out_ += "</table>\n";
    not_listed(total, r_.problems.size());
    out_ += "</section>\n";
  }

  void files() {
    out_ +=
        "<section>\n<h2>Files, in the order read</h2>\n<table><tr><th>file</th><th class=\"n\">lines</th>"
        "<th class=\"n\">CRLF lines</th></tr>\n";
    for (const auto& f : r_.files)
      out_ += "<tr><td class=\"mono\">" + logged(f.name) + "</td><td class=\"n\">" + num(f.lines) +
              "</td><td class=\"n\">" + num(f.crlf_lines) + "</td></tr>\n";
    out_ += "</table>\n</section>\n";
  }

  void footer() {
    out_ += "<footer>tcpfsm " TCPFSM_VERSION " check, " + html(model_name(r_.model)) +
            " model. Exit status: 0 clean (with warnings too); 1 violations, gaps or input errors; 2 a file could not "
            "be read.</footer>\n";
  }

  const CheckReport& r_;
  const std::string& dot_;
  std::string out_;
};

}  // namespace

std::string report_html(const CheckReport& r, const std::string& dot_program) { return Page(r, dot_program).render(); }

}  // namespace tcpfsm
