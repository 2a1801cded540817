// Which sockets and transitions a run looks at: the one shape of the filters
// that trace and top take from the command line, the BPF program applies
// (family, ports, states, namespaces; the cgroups once resolved to ids), the
// pipeline applies (pid), the socket gauges apply (family, ports, namespaces)
// and the start record writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record/port_filter.h"

namespace tcpfsm {

struct Filters {
  std::uint16_t family = 0;          // AF_INET, AF_INET6, or 0 for both
  PortFilter ports;
  std::uint32_t states = 0;          // transitions into or out of these (bit 1 << state); 0: all
  std::vector<std::uint32_t> netns;  // sockets of these network namespaces (inodes); empty: all
  std::vector<std::string> cgroups;  // sockets of these cgroup v2 paths (below the mount) and below; empty: all
  std::optional<std::int32_t> pid;   // sockets this process holds
};

}  // namespace tcpfsm
