// What the reader spends per event, without the kernel: the trace pipeline
// (decode, socket table, check, owners, JSON) as `tcpfsm trace` runs it, and
// its parts alone.
//
// The events are the ones bench/churn makes, in the order the kernel emits
// them (client and server child interleaved, each socket born and closed),
// so the socket table grows and shrinks as in a real trace.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "churn_events.h"
#include "kernel/decode.h"
#include "model/checker.h"
#include "output/formatter.h"
#include "pipeline/pipeline.h"

namespace tcpfsm {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;
constexpr std::size_t kBatch = 4096;  // events per drain: a quarter of the default ring buffer wakes the reader
using bench::churn_events;

// JSON lines into a buffer handed on (here: dropped) at kFlushBytes, as the
// log (output/log_sink.h) does before its write.
class JsonBuffer final : public Sink {
 public:
  JsonBuffer() { buf_.reserve(2 * kFlushBytes); }
  void transition(const Transition& t, const Verdict& v) override {
    formatter_->transition(buf_, t, v);
    if (buf_.size() >= kFlushBytes) {
      benchmark::DoNotOptimize(buf_.data());
      buf_.clear();
    }
  }

 private:
  std::unique_ptr<Formatter> formatter_ = make_formatter(Format::Json);
  std::string buf_;
};

// The whole per-event path. With owners, lookups go to an empty /proc: this
// measures the pipeline's bookkeeping, not /proc reads (budgeted per poll,
// and measured end to end by scripts/bench).
void Pipeline(benchmark::State& state) {
  const auto events = churn_events(state.range(0) == 6);
  const auto empty_proc = std::filesystem::temp_directory_path() / "tcpfsm-bench-empty-proc";
  std::filesystem::create_directories(empty_proc);
  JsonBuffer sink;
  PipelineOptions o;
  o.owners = state.range(1) != 0;
  o.owner_cache.proc_root = empty_proc.string();
  tcpfsm::Pipeline pipeline(o, sink);
  for (auto _ : state) {
    std::size_t n = 0;
    for (const auto& e : events) {
      pipeline.on_event(e);
      if (++n % kBatch == 0) pipeline.write_batch();
    }
    pipeline.write_batch();
  }
  state.SetItemsProcessed(state.iterations() * events.size());
}
BENCHMARK(Pipeline)->ArgsProduct({{4, 6}, {0, 1}})->ArgNames({"ipv", "owners"});

void DecodeOnly(benchmark::State& state) {
  const auto events = churn_events(false);
  const ClockMap clock = ClockMap::now();
  for (auto _ : state)
    for (const auto& e : events) {
      Transition t = decode(e, nullptr, clock);
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
  for (const auto& e : events) decoded.push_back(decode(e, nullptr, clock));
  auto formatter =
      make_formatter(Format::Json, {.names = state.range(1) ? JsonNames::OpenTelemetry : JsonNames::Tcpfsm});
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
// otel: 1 for trace --otel-names's keys.
BENCHMARK(JsonOnly)->ArgNames({"ipv", "otel"})->Args({4, 0})->Args({6, 0})->Args({4, 1})->Args({6, 1});

}  // namespace
}  // namespace tcpfsm
