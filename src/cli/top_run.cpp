#include "cli/top_run.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/errors.h"
#include "common/text.h"
#include "top/frame.h"
#include "top/screen.h"
#include "top/view_model.h"

namespace tcpfsm {
namespace {

using Clock = std::chrono::steady_clock;
using top::Action;

// Sockets per state are kept for this long (the sparklines).
constexpr auto kHistory = std::chrono::minutes(1);

std::size_t history_samples(std::chrono::nanoseconds interval) {
  return static_cast<std::size_t>((std::chrono::nanoseconds(kHistory) + interval - std::chrono::nanoseconds(1)) /
                                  interval);
}

// The view on the run: the model takes the records; once per interval the
// gauges are read and the screen redrawn; keys are read at every poll
// (100 ms at most apart).
class Top final : public TraceView {
 public:
  explicit Top(const TopOptions& o) : o_(o), model_(history_samples(o.interval)) {
    sinks_.add(model_);
    settings_.interval = o.interval;
    settings_.stuck = o.trace.stuck;
  }

  Sink& sink() override { return sinks_; }

  void begin(bool socket_keys, std::shared_ptr<SocketFiles> files) override {
    // Made once attached, as for --metrics: a socket first seen in a stuck
    // state was there when tracing began, and the loaded program says how
    // events name their sockets.
    gauges_.emplace(socket_gauges_options(o_.trace, socket_keys, std::move(files)));
    sinks_.add(*gauges_);  // the ages of stuck sockets, from their transitions
    last_ = Clock::now();
    next_ = last_ + o_.interval;
  }


  bool poll() override {
    const auto now = Clock::now();
    if (!screen_) {  // the first poll: attached, and the run's messages printed
      screen_.emplace();
      settings_.utf8 = screen_->utf8();
      refresh(now);
      return true;
    }
    bool redraw = false;
    for (int key : screen_->keys()) {
      if (key == top::Screen::kHungUp) return false;
      if (key == top::Screen::kResized) redraw = true;
      switch (top::action_of(key)) {
        case Action::Quit: return false;
        case Action::SortEdges: settings_.edges = top::next(settings_.edges); redraw = true; break;
        case Action::SortHolders: settings_.holders = top::next(settings_.holders); redraw = true; break;
        case Action::None: break;
      }
    }
    if (now >= next_)
      refresh(now);
    else if (redraw)
      draw();
    return true;
  }

 private:
  void refresh(Clock::time_point now) {
    model_.close_interval(now - last_);
    last_ = now;
    // On the interval's beat (the first refresh comes early, to show the
    // screen at once), never behind it by more than half an interval.
    if (now >= next_) next_ = std::max(next_ + o_.interval, now + o_.interval / 2);
    try {
      model_.sockets(gauges_->collect());
      gauge_error_.clear();
    } catch (const Error& e) {
      gauge_error_ = e.what();  // the counts go on; the sockets panes keep their last sample
    }
    settings_.wall_ns = wall_now_ns();
    draw();
  }

  void draw() {
    settings_.rows = screen_->rows();
    settings_.cols = screen_->cols();
    settings_.note = !gauge_error_.empty()   ? "sockets not read: " + escaped(gauge_error_)
                     : screen_->stderr_held() ? "messages on standard error: shown when top ends"
                                              : "";
    screen_->draw(top::frame(model_, settings_));
  }

  const TopOptions& o_;
  top::TopModel model_;
  std::optional<SocketGauges> gauges_;
  Tee sinks_;  // model_, gauges_
  std::optional<top::Screen> screen_;
  top::FrameSettings settings_;
  Clock::time_point last_, next_;
  std::string gauge_error_;
};

}  // namespace

int run_top(const TopOptions& o) {
  if (!isatty(STDOUT_FILENO))
    throw Error(ExitCode::Usage,
                "top draws a live screen and needs a terminal on standard output; to record or pipe "
                "transitions use `tcpfsm trace` (JSON lines when piped), to monitor use "
                "`tcpfsm trace --format none --metrics ADDR:PORT`");
  Top view(o);
  return run_trace(o.trace, &view);
}

}  // namespace tcpfsm
