// `tcpfsm check` throughput: log lines per second on one core, reading a log
// held in memory (so the disk is not measured), with the text report.
#include <benchmark/benchmark.h>

#include <sstream>
#include <string>

#include "churn_events.h"
#include "check/check.h"
#include "kernel/decode.h"
#include "output/formatter.h"

namespace tcpfsm {
namespace {

// A log as `tcpfsm trace --format json` writes it for bench/churn traffic.
std::string churn_log(bool ipv6, std::size_t* lines) {
  const auto events = bench::churn_events(ipv6);
  const ClockMap clock = ClockMap::now();
  auto formatter = make_formatter(Format::Json);
  std::string log;
  for (const auto& e : events) formatter->transition(log, decode(e, nullptr, clock), Verdict{});
  *lines = events.size();
  return log;
}

void CheckLog(benchmark::State& state) {
  std::size_t lines = 0;
  const std::string log = churn_log(state.range(0) == 6, &lines);
  CheckOptions opts;
  for (auto _ : state) {
    std::istringstream in(log);
    std::ostringstream out, err;
    benchmark::DoNotOptimize(run_check(opts, in, out, err));
  }
  state.SetItemsProcessed(state.iterations() * lines);
  state.SetBytesProcessed(state.iterations() * log.size());
}
BENCHMARK(CheckLog)->Arg(4)->Arg(6)->ArgName("ipv")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tcpfsm
