// One screen of `tcpfsm top` as lines of text, each fitted to the
// terminal's width, and the keys it answers: screen.cpp only puts these
// lines on the terminal. Pure, so tests read exactly what a user would see.
// Every string from outside (process names, container ids, cgroup paths)
// is escaped here; without a UTF-8 locale every line is plain ASCII.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/states.h"
#include "record/stuck_settings.h"
#include "top/view_model.h"

namespace tcpfsm::top {

enum class Style { Normal, Title, Heading, Alert, Help };

struct Line {
  std::string text;
  Style style = Style::Normal;
};

struct FrameSettings {
  int rows = 24, cols = 80;
  bool utf8 = true;  // the locale's character set: block sparklines, text as it is
  TallySort edges = TallySort::Rate;
  HolderSort holders = HolderSort::Sockets;
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};
  StuckSettings stuck;
  std::uint64_t wall_ns = 0;  // the time in the title
  std::string note;           // a problem to show above the help line ("" for none)
};

// The screen: title; sockets per state now, their peak and a sparkline of
// the last minute; transitions by edge; holders of stuck sockets; losses
// and violations; the note; the keys on the bottom row. s.rows lines: when rows are
// short, states with no socket in the window go first, then the edges and
// holders share what is left.
std::vector<Line> frame(const TopModel& m, const FrameSettings& s);

// The last `width` samples (fewer: spaces before them), one character each:
// nothing is the lowest bar, the window's maximum the highest, and anything
// above nothing at least the second. Unicode blocks, or ASCII "_.-=+*%#".
std::string sparkline(std::span<const std::uint64_t> samples, std::size_t width, bool utf8);

// What a key does.
enum class Action { None, Quit, SortEdges, SortHolders };
Action action_of(int key);
TallySort next(TallySort s);
HolderSort next(HolderSort s);

}  // namespace tcpfsm::top
