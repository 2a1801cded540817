#include "top/screen.h"

#include <curses.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/errors.h"
#include "common/text.h"

namespace tcpfsm::top {
namespace {

constexpr short kAlertPair = 1;

}  // namespace

Screen::Screen() {
  // The character set only: numbers stay formatted as in C.
  std::setlocale(LC_CTYPE, "");
  utf8_ = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  // newterm, not initscr: a terminal it cannot drive is an error to report,
  // not an exit from inside the library.
  term_ = newterm(nullptr, stdout, stdin);
  if (!term_) {
    const char* term = std::getenv("TERM");
    throw Error(ExitCode::Usage, "cannot draw on this terminal (TERM=" + (term ? quote(term) : "unset") +
                                     "): set TERM to a terminal type that infocmp knows");
  }
  set_term(term_);
  keyboard_ = isatty(STDIN_FILENO);
  cbreak();  // keys at once; Ctrl-C still sends SIGINT, which ends the run cleanly
  noecho();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  if (has_colors()) {
    start_color();
    use_default_colors();
    colors_ = init_pair(kAlertPair, COLOR_RED, -1) == OK;
  }
  if (isatty(STDERR_FILENO)) {
    held_ = memfd_create("tcpfsm-top-stderr", MFD_CLOEXEC);
    saved_ = held_ >= 0 ? fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0) : -1;
    if (saved_ < 0 || dup2(held_, STDERR_FILENO) < 0) release_stderr();
  }
}

Screen::~Screen() {
  endwin();
  delscreen(term_);
  release_stderr();
}

void Screen::release_stderr() {
  if (saved_ >= 0) {
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
    char buf[4096];
    for (off_t at = 0;;) {
      const ssize_t n = pread(held_, buf, sizeof buf, at);
      if (n <= 0 || write(STDERR_FILENO, buf, static_cast<std::size_t>(n)) != n) break;
      at += n;
    }
  }
  if (held_ >= 0) close(held_);
  held_ = -1;
}

int Screen::rows() const { return LINES; }
int Screen::cols() const { return COLS; }

std::vector<int> Screen::keys() {
  std::vector<int> keys;
  for (int k = getch(); k != ERR; k = getch()) keys.push_back(k == KEY_RESIZE ? kResized : k);
  pollfd in{STDIN_FILENO, POLLIN, 0};
  if (keyboard_ && poll(&in, 1, 0) == 1 && (in.revents & (POLLHUP | POLLERR | POLLNVAL))) keys.push_back(kHungUp);
  return keys;
}

void Screen::draw(const std::vector<Line>& lines) {
  erase();
  for (std::size_t i = 0; i < lines.size() && static_cast<int>(i) < LINES; ++i) {
    const Line& l = lines[i];
    attr_t attr = A_NORMAL;
    switch (l.style) {
      case Style::Normal: break;
      case Style::Title:
      case Style::Help: attr = A_REVERSE; break;
      case Style::Heading: attr = A_BOLD; break;
      case Style::Alert: attr = A_BOLD | (colors_ ? COLOR_PAIR(kAlertPair) : A_NORMAL); break;
    }
    attrset(attr);
    // Bars span the width, but for the bottom right cell (writing there
    // would scroll the screen).
    std::string text;
    const bool last = static_cast<int>(i) == LINES - 1;
    pad(text, l.text, attr & A_REVERSE ? static_cast<std::size_t>(COLS - (last ? 1 : 0)) : 0);
    mvaddstr(static_cast<int>(i), 0, text.c_str());
  }
  attrset(A_NORMAL);
  refresh();
}

bool Screen::stderr_held() const {
  struct stat st{};
  return held_ >= 0 && fstat(held_, &st) == 0 && st.st_size > 0;
}

}  // namespace tcpfsm::top
