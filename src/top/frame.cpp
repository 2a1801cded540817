#include "top/frame.h"

#include <algorithm>
#include <cstdio>

#include "common/text.h"
#include "common/units.h"

namespace tcpfsm::top {
namespace {

// Column widths.
constexpr std::size_t kStateWidth = 12;  // "ESTABLISHED" + a space
constexpr std::size_t kCountWidth = 9;
constexpr std::size_t kPidWidth = 8;
constexpr std::size_t kCommWidth = 17;
constexpr std::size_t kContainerWidth = 20;

constexpr std::string_view kBlocks[] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
constexpr std::string_view kAsciiLevels = "_.-=+*%#";

constexpr std::string_view kEdgeSorts[] = {"rate", "total", "edge"};               // by TallySort
constexpr std::string_view kHolderSorts[] = {"sockets", "age", "container", "pid"};  // by HolderSort

// Text from outside, safe for the terminal: escaped, and without a UTF-8
// locale every byte above ASCII as \xHH too.
std::string shown(std::string_view outside, bool utf8) {
  const std::string e = escaped(outside);
  if (utf8) return e;
  std::string ascii;
  for (unsigned char c : e) {
    if (c < 0x80) {
      ascii += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      ascii += hex;
    }
  }
  return ascii;
}

// Shown text in a column `width` wide: cut to leave a space before the
// next column, after escaping, and never in the middle of an escape.
std::string_view in_column(std::string_view shown_text, std::size_t width) {
  return cut_escaped_to_width(shown_text, width > 0 ? width - 1 : 0);
}

std::string number_text(std::uint64_t n) { return std::to_string(n); }

std::string rate_text(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", per_second);
  return buf;
}

// "CLOSE_WAIT >= 30.0s": what the holders pane lists.
std::string stuck_text(const FrameSettings& s) {
  std::string t = state_names(s.stuck.states);
  if (s.stuck.age.count()) t += " >= " + format_duration(s.stuck.age);
  return t;
}

// "e edges by [rate] total edge": a key, and its choices with the current one marked.
template <std::size_t N>
std::string choices(int key, std::string_view what, const std::string_view (&names)[N], std::size_t current) {
  std::string s(1, static_cast<char>(key));
  s += " " + std::string(what);
  for (std::size_t i = 0; i < N; ++i) s += i == current ? " [" + std::string(names[i]) + "]" : " " + std::string(names[i]);
  return s;
}

constexpr int kQuitKey = 'q', kEdgesKey = 'e', kHoldersKey = 's';

// The lines of a frame, each cut to the terminal's width.
class Builder {
 public:
  explicit Builder(int cols) : cols_(static_cast<std::size_t>(std::max(cols, 0))) {}
  void add(const std::string& text, Style style = Style::Normal) { lines_.push_back(fitted(text, style)); }
  Line fitted(const std::string& text, Style style) const { return {std::string(cut_to_width(text, cols_)), style}; }
  std::vector<Line>& lines() { return lines_; }

 private:
  std::size_t cols_;
  std::vector<Line> lines_;
};

std::string title(const TopModel& m, const FrameSettings& s) {
  std::string t = "tcpfsm top  " + clock_text(s.wall_ns) + "  every " + format_duration(s.interval);
  if (!m.attach().empty()) t += "  " + m.attach() + ", " + m.model() + " model";
  t += "  filters: " + (m.filters().empty() ? std::string("none") : shown(m.filters(), s.utf8));
  return t;
}

// The states listed: those a socket is usually in (CLOSE never is: no such
// socket is in the kernel's tables) always, any other one while the
// window shows sockets in it; only the latter when rows are short.
std::vector<int> listed_states(const TopModel& m, bool only_seen) {
  std::vector<int> states;
  for (int st = 1; st < kStateNumbers; ++st) {
    const auto h = m.history(st);
    const bool seen = std::any_of(h.begin(), h.end(), [](std::uint64_t n) { return n > 0; });
    const bool usual = st <= number(State::Closing) && st != number(State::Close);
    if (seen || (usual && !only_seen)) states.push_back(st);
  }
  return states;
}

void sockets_pane(Builder& b, const TopModel& m, const FrameSettings& s, const std::vector<int>& states,
                  std::size_t history) {
  const std::size_t fixed = kStateWidth + 2 * kCountWidth + 2;
  const std::size_t spark = s.cols > static_cast<int>(fixed) ? std::min(history, static_cast<std::size_t>(s.cols) - fixed) : 0;
  std::string h;
  pad(h, "STATE", kStateWidth);
  pad_left(h, "NOW", kCountWidth);
  pad_left(h, "PEAK", kCountWidth);
  h += "  LAST MINUTE   sockets in every traced network namespace";
  b.add(h, Style::Heading);
  for (int st : states) {
    const auto samples = m.history(st);
    std::string row;
    pad(row, state_name(st), kStateWidth);
    pad_left(row, number_text(m.sockets_now(st)), kCountWidth);
    pad_left(row, number_text(samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end())), kCountWidth);
    row += "  " + sparkline(samples, spark, s.utf8);
    b.add(row);
  }
}

void edges_pane(Builder& b, const TopModel& m, const FrameSettings& s, std::size_t rows) {
  std::string h;
  pad(h, "OLD", kStateWidth);
  h += "-> ";
  pad(h, "NEW", kStateWidth);
  pad_left(h, "/s", kCountWidth);
  pad_left(h, "TOTAL", kCountWidth + 2);
  h += "  all: " + rate_text(m.edges().per_second()) + "/s, " + number_text(m.edges().total()) + " since start";
  b.add(h, Style::Heading);
  const auto rowsv = m.edges().rows(s.edges);
  if (rowsv.empty() && rows) b.add("  no transitions yet");
  for (std::size_t i = 0; i < rowsv.size() && i < rows; ++i) {
    const auto& r = rowsv[i];
    std::string row;
    pad(row, state_name(r.key.old_state), kStateWidth);
    row += "-> ";
    pad(row, state_name(r.key.new_state), kStateWidth);
    pad_left(row, rate_text(r.per_second), kCountWidth);
    pad_left(row, number_text(r.total), kCountWidth + 2);
    b.add(row);
  }
}

std::string holder_comm(const HolderRow& r, bool utf8) {
  if (r.owner == Ownership::Process) return shown(r.comm, utf8);
  return "(" + std::string(ownership_name(r.owner)) + ")";
}

void holders_pane(Builder& b, const TopModel& m, const FrameSettings& s, std::size_t rows) {
  std::string h;
  pad(h, "PID", kPidWidth);
  pad(h, "COMM", kCommWidth);
  pad(h, "CONTAINER", kContainerWidth);
  pad(h, "STATE", kStateWidth);
  pad_left(h, "SOCKETS", kCountWidth);
  h += "  OLDEST   " + number_text(m.stuck_sockets()) + " in " + stuck_text(s);
  if (m.stuck_younger()) h += ", " + number_text(m.stuck_younger()) + " younger";
  b.add(h, Style::Heading);
  const auto rowsv = m.holders(s.holders);
  if (rowsv.empty() && rows) b.add("  no socket in " + stuck_text(s));
  for (std::size_t i = 0; i < rowsv.size() && i < rows; ++i) {
    const HolderRow& r = rowsv[i];
    std::string row;
    pad(row, r.owner == Ownership::Process ? std::to_string(r.pid) : "-", kPidWidth);
    pad(row, in_column(holder_comm(r, s.utf8), kCommWidth), kCommWidth);
    pad(row, in_column(r.container ? shown(container_label(*r.container), s.utf8) : "-", kContainerWidth),
        kContainerWidth);
    pad(row, state_name(r.state), kStateWidth);
    pad_left(row, number_text(r.sockets), kCountWidth);
    row += "  " + age_text(r.oldest);
    b.add(row);
  }
}

Line losses_line(const TopModel& m) {
  const auto& l = m.losses();
  const auto& v = m.verdicts();
  std::string t = "LOST ring buffer " + number_text(l.total(LossKind::Ringbuf)) + ", recursion " +
                  number_text(l.total(LossKind::Recursion)) + ", state not stored " +
                  number_text(l.total(LossKind::Skstate)) + "   VIOLATIONS illegal " +
                  number_text(v.total(VerdictKind::Illegal)) + ", gaps " + number_text(v.total(VerdictKind::Gap)) +
                  ", unknown states " + number_text(v.total(VerdictKind::UnknownState));
  const bool any = l.total() || v.total(VerdictKind::Illegal) || v.total(VerdictKind::Gap) ||
                   v.total(VerdictKind::UnknownState);
  return {std::move(t), any ? Style::Alert : Style::Normal};
}

std::string help_line(const FrameSettings& s) {
  return std::string(1, static_cast<char>(kQuitKey)) + " quit   " +
         choices(kEdgesKey, "edges by", kEdgeSorts, static_cast<std::size_t>(s.edges)) + "   " +
         choices(kHoldersKey, "stuck by", kHolderSorts, static_cast<std::size_t>(s.holders));
}

}  // namespace

std::string sparkline(std::span<const std::uint64_t> samples, std::size_t width, bool utf8) {
  const std::size_t shown_n = std::min(width, samples.size());
  const auto window = samples.subspan(samples.size() - shown_n);
  const std::uint64_t max = window.empty() ? 0 : *std::max_element(window.begin(), window.end());
  std::string out(width - shown_n, ' ');
  for (std::uint64_t v : window) {
    // Nothing: level 0; the maximum: 7; anything else rounded up, so at least 1.
    const std::size_t level = v == 0 ? 0 : static_cast<std::size_t>((v * 7 + max - 1) / max);
    if (utf8)
      out += kBlocks[level];
    else
      out += kAsciiLevels[level];
  }
  return out;
}

std::vector<Line> frame(const TopModel& m, const FrameSettings& s) {
  const std::size_t history = m.history(number(State::Established)).size();
  const std::size_t rows = static_cast<std::size_t>(std::max(s.rows, 1));
  // Title, three headings, losses, help, and the note if any.
  const std::size_t fixed = 6 + (s.note.empty() ? 0 : 1);
  const std::size_t edges = std::max<std::size_t>(m.edges().rows(s.edges).size(), 1);
  const std::size_t holders = std::max<std::size_t>(m.holders(s.holders).size(), 1);
  std::vector<int> states = listed_states(m, false);
  if (fixed + states.size() + 2 > rows) states = listed_states(m, true);

  // What is left goes to the edges and the holders: each its share, at
  // least one row when there is one, and what one does not need to the other.
  const std::size_t left = rows > fixed + states.size() ? rows - fixed - states.size() : 0;
  std::size_t holder_rows = std::min(holders, std::max<std::size_t>(left / 2, left ? 1 : 0));
  const std::size_t edge_rows = std::min(edges, left - holder_rows);
  holder_rows = std::min(holders, left - edge_rows);

  Builder b(s.cols);
  b.add(title(m, s), Style::Title);
  sockets_pane(b, m, s, states, history);
  edges_pane(b, m, s, edge_rows);
  holders_pane(b, m, s, holder_rows);
  const Line losses = losses_line(m);
  b.add(losses.text, losses.style);
  if (!s.note.empty()) b.add(s.note, Style::Alert);
  std::vector<Line> lines = std::move(b.lines());
  // The keys on the bottom row, as top and htop have them (on a terminal
  // too short for the rest, below the top of it).
  lines.resize(rows - 1);
  lines.push_back(b.fitted(help_line(s), Style::Help));
  return lines;
}

Action action_of(int key) {
  switch (key) {
    case kQuitKey:
    case 'Q': return Action::Quit;
    case kEdgesKey: return Action::SortEdges;
    case kHoldersKey: return Action::SortHolders;
    default: return Action::None;
  }
}

TallySort next(TallySort s) {
  return s == TallySort::Rate ? TallySort::Total : s == TallySort::Total ? TallySort::Key : TallySort::Rate;
}

HolderSort next(HolderSort s) {
  return static_cast<HolderSort>((static_cast<int>(s) + 1) % std::size(kHolderSorts));
}

}  // namespace tcpfsm::top
