// `tcpfsm stuck`: --once (sock_diag and /proc only, no BPF) or a live watch
// (the tracer times every socket's entry into its state).
#pragma once

#include <chrono>
#include "kernel/loader.h"
#include "output/formatter.h"
#include "stuck_scan/refresher.h"

namespace tcpfsm {

struct StuckOptions {
  StuckQuery query;
  bool once = false;
  Format format = Format::Table;
  std::chrono::nanoseconds interval{std::chrono::seconds(2)};  // watch: between refreshes
  BufferMode buffer = BufferMode::Auto;  // watch: the event buffer (--buffer)
  // watch: the stack of every connect(), listen() and accept(), so a stuck
  // socket says which code opened it (--stacks). Off by default: it cost
  // 6.7-7.2% of a loopback churn's throughput (docs/benchmarks.md), past
  // the 5% a default may cost.
  bool stacks = false;
};

// --once: 0 when nothing is stuck, 1 when something is. Watch: runs until
// SIGINT/SIGTERM (or the reader goes away), then 0. Throws Error on failure.
int run_stuck(const StuckOptions& options);

}  // namespace tcpfsm
