// The cgroup v2 path of each socket's cgroup id, and the container it names,
// for trace's records and stuck's sockets: looked up once per cgroup (kernel/cgroup.h walks the
// tree on a miss, rate-limited), then from a cache. Cgroup ids are never
// reused within a boot, so a cached name stays right.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/container.h"
#include "kernel/cgroup.h"

namespace tcpfsm {

struct CgroupName {
  std::string path;  // relative to the cgroup2 mount: "/", "/system.slice/docker-<id>.scope"
  std::optional<ContainerRef> container;
};

class CgroupNames {
 public:
  // mount: the cgroup2 mount point; nothing: no names at all.
  explicit CgroupNames(std::optional<std::string> mount) : paths_(std::move(mount)) {}
  // The name of cgroup `id`, valid until the next call; nullptr when unknown.
  const CgroupName* find(std::uint64_t id);

 private:
  CgroupPaths paths_;
  std::unordered_map<std::uint64_t, CgroupName> names_;
};

}  // namespace tcpfsm
