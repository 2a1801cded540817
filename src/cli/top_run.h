// `tcpfsm top`: a live full-screen view of the host's TCP sockets and
// transitions. It runs trace's own run (run_trace with a TraceView): the
// same load, drain, decode, check and owners, with every record going to
// the view model instead of an output, and the socket gauges --metrics
// serves read once per refresh.
#pragma once

#include <chrono>

#include "trace/trace.h"

namespace tcpfsm {

struct TopOptions {
  // Filters, attach mode, model, owners, and what counts as stuck
  // (stuck); no output, format, count or duration.
  TraceOptions trace;
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};  // between refreshes
};

// Runs until q, SIGINT or SIGTERM; returns the exit status. Throws Error
// when standard output is not a terminal (Usage), and for failures before
// tracing starts.
int run_top(const TopOptions& options);

}  // namespace tcpfsm
