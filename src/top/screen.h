// The terminal of `tcpfsm top`: the one file that speaks ncurses. Opening
// it takes over the terminal on standard output (the alternate screen, keys
// read one at a time without echo, no cursor), and holds back what is
// written to standard error while it is open when that is a terminal too: a
// warning would tear the screen. Closing it (also while unwinding)
// restores the terminal, then writes what was held.
#pragma once

#include <vector>

#include "top/frame.h"

struct screen;  // ncurses' SCREEN

namespace tcpfsm::top {

class Screen {
 public:
  // Throws Error(Usage) when the terminal cannot be driven (an unknown TERM).
  Screen();
  ~Screen();
  Screen(const Screen&) = delete;
  Screen& operator=(const Screen&) = delete;

  // Whether the locale's character set is UTF-8.
  bool utf8() const { return utf8_; }
  int rows() const;
  int cols() const;

  // The keys typed since the last call, in order; a resize of the terminal
  // as kResized, and kHungUp once the terminal is gone (SIGHUP means
  // "reopen the log" to a trace run: this is how top sees a hangup).
  static constexpr int kResized = -2, kHungUp = -3;
  std::vector<int> keys();

  // Replaces what the terminal shows with these lines, from the top.
  void draw(const std::vector<Line>& lines);

  // Whether anything was written to standard error (and held) since it opened.
  bool stderr_held() const;

 private:
  void release_stderr();

  ::screen* term_ = nullptr;
  bool utf8_ = false;
  bool colors_ = false;
  bool keyboard_ = false;  // standard input is a terminal
  int held_ = -1;   // standard error while open: a memory file
  int saved_ = -1;  // the real standard error
};

}  // namespace tcpfsm::top
