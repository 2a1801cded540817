// Where the records of a run go: every consumer of a run (the log, the
// transition counts behind --metrics, the stuck gauges' ages, top's view, the
// journal) is a Sink, and the run writes to one: a Tee when there are several.
// The run calls start() once, then transition() and lost() in stream order,
// stats() on its schedule and end() once, all on the trace thread.
#pragma once

#include <cstdint>
#include <vector>

#include "model/checker.h"
#include "record/run_records.h"
#include "record/transition.h"

namespace tcpfsm {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void start(const StartInfo&) {}
  // A transition as checked (v), with its cause, cgroup and owner.
  virtual void transition(const Transition& t, const Verdict& v) = 0;
  // Losses noticed at wall_ns, counted since the previous lost record.
  virtual void lost(std::uint64_t /*wall_ns*/, const Losses&) {}
  virtual void stats(const StatsInfo&) {}
  virtual void end(const EndInfo&) {}
  // Records this sink was handed that it could not deliver, so far: the
  // journal's (trace --journal), which the run counts in
  // Totals::journal_not_sent; 0 for a sink that delivers all it is handed.
  virtual std::uint64_t not_sent() const { return 0; }
};

// Every record to each sink, in the order they were added.
class Tee final : public Sink {
 public:
  void add(Sink& s) { sinks_.push_back(&s); }

  void start(const StartInfo& s) override {
    for (Sink* k : sinks_) k->start(s);
  }
  void transition(const Transition& t, const Verdict& v) override {
    for (Sink* k : sinks_) k->transition(t, v);
  }
  void lost(std::uint64_t wall_ns, const Losses& l) override {
    for (Sink* k : sinks_) k->lost(wall_ns, l);
  }
  void stats(const StatsInfo& s) override {
    for (Sink* k : sinks_) k->stats(s);
  }
  void end(const EndInfo& e) override {
    for (Sink* k : sinks_) k->end(e);
  }
  std::uint64_t not_sent() const override {
    std::uint64_t n = 0;
    for (const Sink* k : sinks_) n += k->not_sent();
    return n;
  }

 private:
  std::vector<Sink*> sinks_;
};

}  // namespace tcpfsm
