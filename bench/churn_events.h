// The ring-buffer events bench/churn makes, for the microbenchmarks.
#pragma once

#include <vector>

#include "tcpfsm/event.h"

namespace tcpfsm::bench {

// 10,000 connections: ten events each, client and server child interleaved in
// the order the kernel emits them, every socket born and closed.
std::vector<tcpfsm_event> churn_events(bool ipv6);

}  // namespace tcpfsm::bench
