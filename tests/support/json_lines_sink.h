// A Sink that keeps the JSON lines a run would write, in memory: what the
// pipeline hands on, as text the tests read back.
#pragma once

#include <memory>
#include <string>

#include "output/formatter.h"
#include "record/sink.h"

namespace tcpfsm::test {

class JsonLinesSink final : public Sink {
 public:
  void start(const StartInfo& s) override { formatter_->start(out, s); }
  void transition(const Transition& t, const Verdict& v) override { formatter_->transition(out, t, v); }
  void lost(std::uint64_t wall_ns, const Losses& l) override { formatter_->lost(out, wall_ns, l); }
  void stats(const StatsInfo& s) override { formatter_->stats(out, s); }
  void end(const EndInfo& e) override { formatter_->end(out, e); }

  std::string out;

 private:
  std::unique_ptr<Formatter> formatter_ = make_formatter(Format::Json);
};

}  // namespace tcpfsm::test
