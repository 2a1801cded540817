#include "common/container.h"

#include <algorithm>
#include <array>
#include <vector>

namespace tcpfsm {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool all_lower_hex(std::string_view s) { return std::all_of(s.begin(), s.end(), is_lower_hex); }

bool is_container_id(std::string_view s) { return s.size() == 64 && all_lower_hex(s); }

// s without prefix and suffix, when it has both (and something between).
std::optional<std::string_view> between(std::string_view s, std::string_view prefix,
                                        std::string_view suffix) {
  if (s.size() <= prefix.size() + suffix.size() || !s.starts_with(prefix) || !s.ends_with(suffix))
    return std::nullopt;
  return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Undoes systemd's unit name escaping ("\x2d" for '-'), as machinectl shows
// the name.
std::string unit_unescaped(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex_value(s[i + 2]) >= 0 &&
        hex_value(s[i + 3]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A pod UID as the kubelet writes it: a UUID with `sep` between its groups
// (8-4-4-4-12), or the 32 hex digits of a static pod's manifest hash. The
// result has dashes.
std::optional<std::string> pod_uid(std::string_view s, char sep) {
  if (s.size() == 32 && all_lower_hex(s)) return std::string(s);
  if (s.size() != 36) return std::nullopt;
  std::string uid(s);
  for (std::size_t i = 0; i < uid.size(); ++i) {
    const bool dash_at = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_at ? uid[i] != sep : !is_lower_hex(uid[i])) return std::nullopt;
    if (dash_at) uid[i] = '-';
  }
  return uid;
}

struct Pod {
  std::string uid;
  std::string qos;
};

// The QoS class a kubelet cgroup name ends with: "kubepods" holds the
// guaranteed pods, "kubepods-burstable" and "kubepods-besteffort" the others.
std::optional<std::string> qos_of_slice_prefix(std::string_view prefix) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kClasses{{
      {"kubepods", "guaranteed"},
      {"kubepods-burstable", "burstable"},
      {"kubepods-besteffort", "besteffort"},
  }};
  for (const auto& [name, qos] : kClasses) {
    // A kubelet with a cgroup root of its own prefixes it: "kubelet-kubepods".
    if (prefix == name || (prefix.ends_with(name) && prefix[prefix.size() - name.size() - 1] == '-'))
      return std::string(qos);
  }
  return std::nullopt;
}

// The pod whose cgroup is components[i]: systemd driver
// "kubepods-burstable-pod<uid_with_underscores>.slice" (the slice name spells
// the whole hierarchy), or cgroupfs driver "pod<uid>" under kubepods/ or
// kubepods/<qos>/.
std::optional<Pod> pod_at(const std::vector<std::string_view>& components, std::size_t i) {
  const std::string_view c = components[i];
  if (c.ends_with(".slice")) {
    const std::size_t at = c.rfind("-pod");
    if (at == std::string_view::npos) return std::nullopt;
    auto qos = qos_of_slice_prefix(c.substr(0, at));
    auto uid = pod_uid(c.substr(at + 4, c.size() - at - 4 - 6), '_');
    if (!qos || !uid) return std::nullopt;
    return Pod{std::move(*uid), std::move(*qos)};
  }
  if (!c.starts_with("pod") || i == 0) return std::nullopt;
  auto uid = pod_uid(c.substr(3), '-');
  if (!uid) return std::nullopt;
  const std::string_view parent = components[i - 1];
  if (parent == "kubepods") return Pod{std::move(*uid), "guaranteed"};
  if ((parent == "burstable" || parent == "besteffort") && i >= 2 && components[i - 2] == "kubepods")
    return Pod{std::move(*uid), std::string(parent)};
  return std::nullopt;
}

// The container whose cgroup is components[i], without its pod.
std::optional<ContainerRef> container_at(const std::vector<std::string_view>& components,
                                         std::size_t i) {
  const std::string_view c = components[i];
  struct Shape {
    std::string_view prefix, suffix, runtime;
  };
  static constexpr std::array<Shape, 6> kShapes{{
      {"docker-", ".scope", "docker"},
      {"cri-containerd-", ".scope", "containerd"},
      {"crio-", ".scope", "crio"},
      {"libpod-", ".scope", "podman"},
      // cgroupfs managers: CRI-O (/kubepods/.../pod<uid>/crio-<id>) and
      // Podman (/libpod_parent/libpod-<id>).
      {"crio-", "", "crio"},
      {"libpod-", "", "podman"},
  }};
  for (const auto& shape : kShapes) {
    // conmon's "crio-conmon-<id>.scope" fails here: "conmon-<id>" is no id.
    auto id = between(c, shape.prefix, shape.suffix);
    if (id && is_container_id(*id)) return ContainerRef{std::string(shape.runtime), std::string(*id), {}, {}};
  }
  if (is_container_id(c) && i > 0) {
    if (components[i - 1] == "docker") return ContainerRef{"docker", std::string(c), {}, {}};
    if (pod_at(components, i - 1)) return ContainerRef{"cri", std::string(c), {}, {}};
    return std::nullopt;
  }
  // Anyone can start a unit named machine-x.scope; machined's live in
  // machine.slice (unless told otherwise, which this then misses).
  if (i == 0 || components[i - 1] != "machine.slice") return std::nullopt;
  auto name = between(c, "machine-", ".scope");
  if (!name) name = between(c, "systemd-nspawn@", ".service");
  if (name) return ContainerRef{"machined", unit_unescaped(*name), {}, {}};
  return std::nullopt;
}

}  // namespace

std::string container_label(const ContainerRef& c) { return c.runtime + ":" + c.id.substr(0, 12); }

std::optional<ContainerRef> container_of(std::string_view cgroup_path) {
  std::vector<std::string_view> components;
  while (!cgroup_path.empty()) {
    const std::size_t slash = cgroup_path.find('/');
    const std::string_view c = cgroup_path.substr(0, slash);
    if (!c.empty()) components.push_back(c);
    if (slash == std::string_view::npos) break;
    cgroup_path.remove_prefix(slash + 1);
  }
  for (std::size_t i = 0; i < components.size(); ++i) {
    auto ref = container_at(components, i);
    if (!ref) continue;
    if (i > 0) {
      if (auto pod = pod_at(components, i - 1)) {
        ref->pod_uid = std::move(pod->uid);
        ref->qos = std::move(pod->qos);
      }
    }
    return ref;
  }
  return std::nullopt;
}

}  // namespace tcpfsm
