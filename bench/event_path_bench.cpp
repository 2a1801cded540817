// What the reader spends per event, without the kernel: decode, check, JSON.
//
// The events are the ones bench/churn makes, in the order the kernel emits
// them (client and server child interleaved, each socket born and closed),
// so the checker's per-socket table grows and shrinks as in a real trace.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "churn_events.h"
#include "model/checker.h"
#include "output/formatter.h"
#include "kernel/transition.h"

namespace tcpfsm {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;  // as in src/trace.cpp
using bench::churn_events;

// The reader's whole per-event path, as Session::on_event does it.
void DecodeCheckJson(benchmark::State& state) {
  const auto events = churn_events(state.range(0) == 6);
  const ClockMap clock = ClockMap::now();
  Checker checker(Model::Linux);
  auto formatter = make_formatter(Format::Json);
  std::string buf;
  buf.reserve(2 * kFlushBytes);
  for (auto _ : state) {
    for (const auto& e : events) {
      const Transition t = decode(e, clock);
      const Verdict v = checker.observe(t.cookie, t.old_state, t.new_state).verdict;
      formatter->transition(buf, t, v);
      if (buf.size() >= kFlushBytes) {
        benchmark::DoNotOptimize(buf.data());
        buf.clear();
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(DecodeCheckJson)->Arg(4)->Arg(6)->ArgName("ipv");

void DecodeOnly(benchmark::State& state) {
  const auto events = churn_events(false);
  const ClockMap clock = ClockMap::now();
  for (auto _ : state)
    for (const auto& e : events) {
      Transition t = decode(e, clock);
      benchmark::DoNotOptimize(t);
    }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(DecodeOnly);

void CheckOnly(benchmark::State& state) {
  const auto events = churn_events(false);
  Checker checker(Model::Linux);
  for (auto _ : state)
    for (const auto& e : events) {
      auto r = checker.observe(e.cookie, e.old_state, e.new_state);
      benchmark::DoNotOptimize(r);
    }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(CheckOnly);

void JsonOnly(benchmark::State& state) {
  const auto events = churn_events(state.range(0) == 6);
  const ClockMap clock = ClockMap::now();
  std::vector<Transition> decoded;
  for (const auto& e : events) decoded.push_back(decode(e, clock));
  auto formatter = make_formatter(Format::Json);
  const Verdict ok;
  std::string buf;
  buf.reserve(2 * kFlushBytes);
  for (auto _ : state)
    for (const auto& t : decoded) {
      formatter->transition(buf, t, ok);
      if (buf.size() >= kFlushBytes) {
        benchmark::DoNotOptimize(buf.data());
        buf.clear();
      }
    }
  state.SetItemsProcessed(state.iterations() * decoded.size());
}
BENCHMARK(JsonOnly)->Arg(4)->Arg(6)->ArgName("ipv");

}  // namespace
}  // namespace tcpfsm
