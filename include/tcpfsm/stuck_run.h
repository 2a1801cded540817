// `tcpfsm stuck`: --once (sock_diag and /proc only, no BPF) or a live watch
// (the tracer times every socket's entry into its state).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "tcpfsm/output.h"
#include "tcpfsm/states.h"

namespace tcpfsm {

struct StuckOptions {
  std::vector<State> states{State::CloseWait};
  std::chrono::nanoseconds min_age{std::chrono::seconds(30)};
  std::vector<std::uint16_t> ports;  // either side; empty: all
  std::uint16_t family = 0;          // AF_INET, AF_INET6, or 0 for both
  bool once = false;
  Format format = Format::Table;
  std::chrono::nanoseconds interval{std::chrono::seconds(2)};  // watch: between refreshes
};

// --once: 0 when nothing is stuck, 1 when something is. Watch: runs until
// SIGINT/SIGTERM (or the reader goes away), then 0. Throws Error on failure.
int run_stuck(const StuckOptions& options);

}  // namespace tcpfsm
