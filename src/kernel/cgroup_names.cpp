#include "kernel/cgroup_names.h"

namespace tcpfsm {
namespace {

// Names kept at most: past this (cgroups come and go on a busy host) the
// cache starts over, and the paths are looked up again as they are needed.
constexpr std::size_t kMaxNames = 65536;

}  // namespace

const CgroupName* CgroupNames::find(std::uint64_t id) {
  if (id == 0) return nullptr;
  if (auto it = names_.find(id); it != names_.end()) return &it->second;
  auto path = paths_.path_of(id);
  if (!path) return nullptr;
  if (names_.size() >= kMaxNames) names_.clear();
  CgroupName& n = names_[id];
  n.container = container_of(*path);
  n.path = std::move(*path);
  return &n;
}

}  // namespace tcpfsm
